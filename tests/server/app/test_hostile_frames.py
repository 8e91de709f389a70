"""Frames an attacker sends: each gets a documented error reply, the connection stays usable,
no reply is lost, nothing is written, no traceback reaches the log, and every write path
keeps going (an honest kiosk's press still succeeds afterwards).

The classes come from an outside attack: numbers of thousands of digits, nesting thousands
deep, lone surrogates (which also lost the next valid request's reply), times at the ends of
the calendar (one froze every write), and a fuzzer over every request type.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.servers import SITE, table_counts

from server.protocol.client import ProtocolClient, RequestFailed
from server.protocol.messages import REQUEST_TYPES

HUGE = "9" * 5000

# (frame, the id its reply must carry, words the message must contain)
HOSTILE_FRAMES: list[tuple[str, int | str | None, str]] = [
    ('{"type":"rate","id":1,"ticket_id":"x","score":' + HUGE + "}", None, "not valid JSON"),
    ('{"type":"resume","id":2,"after":' + HUGE + "}", None, "not valid JSON"),
    ('{"type":"snapshot","id":' + HUGE + "}", None, "not valid JSON"),
    ('{"type":"rate","id":3,"ticket_id":"x","score":1e400}', 3, "field 'score'"),
    ('{"type":"rate","id":4,"ticket_id":"x","score":-1}', 4, "field 'score'"),
    ('{"type":"rate","id":5,"ticket_id":"x","score":100000}', 5, "field 'score'"),
    ('{"type":"resume","id":6,"after":-5}', 6, "field 'after'"),
    ('{"type":"resume","id":7,"after":9007199254740993}', 7, "field 'after'"),
    ("[" * 30_000, None, "not valid JSON"),
    ('{"a":' * 8_000 + "1" + "}" * 8_000, None, "not valid JSON"),
    ('{"type":"snapshot","id":"\\ud800"}', None, "not valid JSON"),
    ('{"type":"issue","id":8,"service":"HT","request_key":"\\udfff"}', None, "not valid JSON"),
    ('{"type":"snapshot","id":1.5}', None, "field 'id'"),
    ('{"type":"snapshot","id":true}', None, "field 'id'"),
    ('{"type":"snapshot","id":"' + "i" * 65 + '"}', None, "field 'id'"),
    ('{"type":"issue","id":9,"service":"HT","request_key":"k",'
     '"appointment_at":"9999-12-31T23:59:59-23:59"}', 9, "field 'appointment_at'"),
    ('{"type":"issue","id":10,"service":"HT","request_key":"k",'
     '"appointment_at":"0001-01-01T00:00:00+23:59"}', 10, "field 'appointment_at'"),
    ('{"type":"issue","id":11,"service":"HT","request_key":"k",'
     '"appointment_at":"2026-11-23T08:00:00"}', 11, "time zone offset"),
    ('{"type":"issue","id":12,"service":"HT","request_key":"line\\nbreak"}', 12,
     "control characters"),
    ('{"type":"device_status","id":13,"device":"printer\\u001b[2J","kind":"printer",'
     '"status":"ok"}', 13, "control characters"),
    ('{"type":"hello","id":14,"protocol":1,"role":"kiosk","token":"t",'
     '"subscribe":' + json.dumps(["x"] * 40) + "}", 14, "field 'subscribe': List should have "
     "at most 32 items"),
    ('{"type":"issue","id":15,"service":"HT","request_key":"k","' + "z" * 500 + '":1}', 15,
     "field 'zzzz"),
    ('{"type":"' + "t" * 5000 + '","id":16}', 16, "unknown request type"),
    ("\x00\x01\x02", None, "not valid JSON"),
    ("", None, "not valid JSON"),
]


def _assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    tracebacks = [record for record in caplog.records if record.exc_info is not None]
    assert not tracebacks, [record.getMessage() for record in tracebacks]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize(("frame", "request_id", "words"), HOSTILE_FRAMES,
                         ids=[str(index) for index in range(len(HOSTILE_FRAMES))])
async def test_a_hostile_frame_is_answered_and_nothing_else_is_lost(
    connect: Any, database_path: Path, caplog: pytest.LogCaptureFixture,
    frame: str, request_id: int | str | None, words: str,
) -> None:
    kiosk = await connect("kiosk")
    before = table_counts(database_path)
    caplog.set_level(logging.INFO)
    # Waiting for both replies before either frame goes.
    replies = [asyncio.ensure_future(kiosk.next_reply(request_id)),
               asyncio.ensure_future(kiosk.next_reply("after"))]
    await asyncio.sleep(0)
    await kiosk.send_raw(frame)
    # The next request is sent at once, in the same flush as the refusal's reply: its
    # reply must not be lost with a bad one (a lone surrogate once took it along).
    await kiosk.send_raw('{"type":"snapshot","id":"after"}')
    with pytest.raises(RequestFailed) as refused:
        async with asyncio.timeout(10):
            await replies[0]
    assert refused.value.code == "bad_request"
    assert words in refused.value.message
    assert len(refused.value.message) <= 400
    async with asyncio.timeout(10):
        after = await replies[1]
    assert after["state"]["site"]["code"] == SITE
    assert table_counts(database_path) == before
    # Every write path goes on: an honest press is saved and answered.
    ticket = (await kiosk.request("issue", service="HT", request_key="honest"))["ticket"]
    assert ticket["number"] == "A001"
    _assert_no_traceback(caplog)


async def test_a_kiosk_cannot_claim_an_appointment(connect: Any, database_path: Path) -> None:
    kiosk = await connect("kiosk")
    admin = await connect("admin")
    before = table_counts(database_path)
    today = (await kiosk.request("snapshot"))["state"]["site"]["business_date"]
    for when in (f"{today}T07:00:00+07:00", "2001-01-01T07:00:00+07:00"):
        with pytest.raises(RequestFailed) as refused:
            await kiosk.request("issue", service="HT", request_key="jump",
                                appointment_at=when)
        assert refused.value.code == "forbidden"
        assert "appointment" in refused.value.message
    # The centre's own booking system (an admin connection) books for today only.
    with pytest.raises(RequestFailed) as yesterday:
        await admin.request("issue", service="HT", request_key="old",
                            appointment_at="2001-01-01T07:00:00+07:00")
    assert yesterday.value.code == "bad_request"
    assert "must be a time of today" in yesterday.value.message
    assert table_counts(database_path) == before
    booked = await admin.request("issue", service="HT", request_key="booked",
                                 appointment_at=f"{today}T09:00:00+07:00")
    assert booked["ticket"]["number"] == "A001"


# --- the fuzzer ----------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from([
    "service", "priority", "request_key", "appointment_at", "counter", "user", "password",
    "number", "ticket_id", "score", "as_counter", "after", "requeue", "case_code", "reason",
    "device", "kind", "status", "message", "subscribe", "protocol", "role", "token", "site",
]) | st.text(max_size=12)
FRAMES = st.one_of(
    # Well-shaped requests of every type with arbitrary fields: the validation's classes.
    st.builds(
        lambda kind, request_id, fields: json.dumps({"type": kind, "id": request_id, **fields}),
        st.sampled_from(sorted(REQUEST_TYPES)), st.integers(min_value=0, max_value=2**53),
        st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=5)),
    # Anything JSON at all.
    JSON_VALUES.map(json.dumps),
    # Not JSON: bytes of text.
    st.text(max_size=200),
)


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(burst=st.lists(FRAMES, min_size=1, max_size=8))
def test_fuzzed_frames_never_break_the_server(fuzzing: Fuzzing, burst: list[str]) -> None:
    """For every burst: each frame is answered, bad input never with `internal`, the
    connection still answers, an honest kiosk still gets a number, no rating appears."""
    fuzzing.run(burst)


class _RawKiosk(ProtocolClient):
    """A kiosk client that keeps every reply (matched or not) for the fuzzer to read."""

    def __init__(self, *arguments: Any, **options: Any) -> None:
        super().__init__(*arguments, **options)
        self.raw_replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def _receive(self, frame: str | bytes) -> None:
        message = json.loads(frame)
        if message.get("type") == "reply" and self.hello_result:  # after the hello's own
            self.raw_replies.put_nowait(message)
            return
        super()._receive(frame)


class Fuzzing:
    """One server (on its own loop and thread) for all the fuzzer's examples: a server per
    example would take minutes. Each burst comes on a new kiosk connection, since a
    connection is closed after 20 bad frames by design."""

    def __init__(self, ws_url: str, database_path: Path, loop: asyncio.AbstractEventLoop):
        self.ws_url = ws_url
        self.database_path = database_path
        self.loop = loop
        self.examples = 0

    def run(self, burst: list[str]) -> None:
        self.examples += 1
        future = asyncio.run_coroutine_threadsafe(self._burst(burst), self.loop)
        future.result(timeout=60)

    async def _burst(self, burst: list[str]) -> None:
        from support.servers import KIOSK_TOKEN

        before = table_counts(self.database_path)
        kiosk = _RawKiosk(self.ws_url, "kiosk", KIOSK_TOKEN, SITE, subscribe=[])
        await kiosk.connect()
        try:
            for frame in burst:
                await kiosk.send_raw(frame)
            await kiosk.send_raw('{"type":"snapshot","id":"probe"}')
            replies = []
            async with asyncio.timeout(20):
                while True:
                    reply = await kiosk.raw_replies.get()
                    if reply.get("id") == "probe":
                        break
                    replies.append(reply)
            assert len(replies) == len(burst), (burst, replies)
            for reply in replies:
                assert reply["ok"] or reply["error"]["code"] != "internal", reply
            assert kiosk.close_code is None
        finally:
            await kiosk.close()
        async with ProtocolClient(self.ws_url, "kiosk", KIOSK_TOKEN, SITE,
                                  subscribe=[]) as honest:
            result = await honest.request("issue", service="HT",
                                          request_key=f"honest-{self.examples}")
        assert result["ticket"]["status"] == "waiting"
        # A fuzzed frame may be a valid issue (it then wrote a ticket): nothing rates.
        issued = sum(1 for reply in replies if reply["ok"] and "ticket" in reply["result"])
        after = table_counts(self.database_path)
        assert after["tickets"] == before["tickets"] + issued + 1
        assert after["ratings"] == before["ratings"]


@pytest.fixture
def fuzzing(tmp_path: Path) -> Iterator[Fuzzing]:
    """A real server on a loop of its own thread, for a synchronous hypothesis test."""
    from support.servers import site_config

    from server.app.serve import start_server
    from server.config import parse_settings

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzzed-server", daemon=True)
    thread.start()
    database_path = tmp_path / "fuzz.sqlite3"
    running = asyncio.run_coroutine_threadsafe(start_server(
        parse_settings(site_config()), host="127.0.0.1", port=0,
        database_url=f"sqlite:///{database_path}"), loop).result(timeout=60)
    try:
        yield Fuzzing(running.ws_url, database_path, loop)
    finally:
        asyncio.run_coroutine_threadsafe(running.stop(), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
