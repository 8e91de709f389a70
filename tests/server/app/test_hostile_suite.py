"""The hostile-input suite over WebSocket: more than 10,000 malformed, oversized, out-of-order
and wrongly authorised frames, of every request type, from every role and with the tokens of
another site, against a real ``qms server`` process on a real SQLite file.

The frames come from strategies derived from the message definitions
(support.frame_strategies), so a request type added to the protocol is attacked without a
change here. Each hypothesis example is one burst of frames sent, pipelined, on a connection
of every role at once, and on connections whose hello is refused (the other site's tokens,
a token of another role, a manager of another site, a made-up ticket...) or that send no
hello at all. For every frame:

- it gets exactly one reply, in order, on a connection that still answers afterwards;
- a frame the definitions refuse gets ``bad_request`` with the decoder's own message, a
  request the role may not make gets ``forbidden``, anything else a documented error (never
  ``internal``) or, for a read, an answer; nothing well shaped here names a real service,
  counter or officer, so no write may succeed;
- after a refused hello, the frames pipelined behind it are never read;

and after every burst the database's rows are exactly what they were, an honest kiosk's
press is answered at once (its latency measured from its reply), and at the end the server
has logged no traceback and no error, and every request type was sent from every role.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel
from support.frame_strategies import (
    HostileFrame,
    Names,
    RequestFrames,
    UnknownFieldKind,
    dump,
    frames,
    request_models,
    request_shapes,
    shape_of,
)
from support.hostile import (
    CENTRE_SITE,
    CENTRE_TOKEN,
    OTHER_MANAGER,
    OTHER_TOKENS,
    HostileServer,
    database_digest,
    digest_changes,
    documented_error_codes,
    honest_issue,
    hostile_config,
    server_with_client_loop,
)
from support.servers import (
    ADMIN_TOKEN,
    BRIDGE_TOKEN,
    COUNTER_TOKEN,
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    SITE,
)
from support.web import OTHER_SITE, WebClient
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as websocket_connect
from websockets.exceptions import ConnectionClosed

from server.app.session import _PERMISSIONS
from server.config.settings import Role
from server.protocol import messages as wire

ROOT = Path(__file__).resolve().parents[3]
DOCUMENTED = documented_error_codes((ROOT / "docs" / "protocol.md").read_text("utf-8"))
# Never the answer to bad input: ``internal`` is a fault of the server, and one process
# serves every site here, so ``moved`` cannot be right either.
REFUSALS = DOCUMENTED - {"internal", "moved"}
# The requests that only read: the only ones that may be answered with a result here.
READS = frozenset({"snapshot", "ticket", "resume", "queue", "counter_stats", "devices",
                   "bookings"})
ROLES = tuple(role.value for role in Role)
SITE_TOKENS = {"kiosk": KIOSK_TOKEN, "counter": COUNTER_TOKEN, "display": DISPLAY_TOKEN,
               "bridge": BRIDGE_TOKEN, "admin": ADMIN_TOKEN, "centre": CENTRE_TOKEN}
ANSWERED_TARGET = 10_000
EXAMPLES = 100
HONEST_LATENCY_SECONDS = 2.0


def _site_names() -> Names:
    """Every code, officer, account and token of the configuration, and the site's ticket
    numbers: what a well-shaped hostile frame must never name."""
    config = hostile_config(0, Path("unused"))
    known: set[str] = set()
    for site in config["sites"]:
        known.add(site["code"])
        for part in ("fields", "number_groups", "services", "priority_groups", "zones",
                     "counters"):
            known.update(item["code"] for item in site.get(part, []))
        known.update(officer["user"] for officer in site["officers"])
        known.update(token["token"] for token in site["tokens"])
    known.update(account["user"] for account in config["accounts"])
    known.update(config["server"]["admin_tokens"])
    known.update(f"A{number:03d}" for number in range(1000))
    known.update(str(number) for number in range(1001, 2000))
    return Names(frozenset(name.casefold() for name in known))


SHAPES = request_shapes()
NAMES = _site_names()
# A device report names nothing of the site but its optional counter: with one (that names
# no counter) it is refused like every other well-shaped write here, rather than saved.
ALWAYS_NAMED = {"device_status": frozenset({"counter"})}
FRAMES = frames(SHAPES, NAMES, ALWAYS_NAMED)


def test_the_strategies_cover_every_request_type() -> None:
    assert set(SHAPES) == set(wire.REQUEST_TYPES) == set(request_models())
    # Every type but hello has a permission; hello is what the first frame must be.
    assert set(_PERMISSIONS) == set(wire.REQUEST_TYPES) - {"hello"}
    assert READS <= wire.REQUEST_TYPES
    assert {"bad_request", "unauthorized", "forbidden", "not_found", "conflict", "closed",
            "rate_limited", "internal", "gap", "moved"} <= DOCUMENTED
    assert {code.value for code in wire.ErrorCode} == DOCUMENTED


def test_a_field_of_a_kind_never_seen_stops_the_suite() -> None:
    def even(value: int) -> int:
        return value

    class Ratio(BaseModel):
        type: Literal["ratio"]
        id: int
        ratio: float

    class Even(BaseModel):
        type: Literal["even"]
        id: int
        count: Annotated[int, AfterValidator(even)]

    for name, model in (("ratio", Ratio), ("even", Even)):
        with pytest.raises(UnknownFieldKind):
            shape_of(name, model)


# --- the hellos that must be refused --------------------------------------------------------


def _hello(role: str, token: str | None = None, site: str | None = SITE,
           **fields: Any) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "hello", "id": 0, "protocol": 1, "role": role}
    if token is not None:
        frame["token"] = token
    if site is not None:
        frame["site"] = site
    frame.update(fields)
    return frame


@dataclass(frozen=True)
class Credentials:
    """What the honest connections of the run hold: a ticket's tracking code (a citizen)
    and the socket tickets of this site's manager and of the other site's."""

    track: str
    manager_ticket: str
    other_manager_ticket: str


def wrong_authorities(credentials: Credentials) -> list[HostileFrame]:
    """Hellos with a credential that is real but wrong here: the other site's device token
    for each role, this site's token at the other site or under another role, a manager of
    the other site, a forged manager ticket, a ticket's tracking code at the wrong site or
    with a token; all refused, the connection closed."""
    wrong: list[dict[str, Any]] = []
    for role in sorted(OTHER_TOKENS):
        wrong.append(_hello(role, OTHER_TOKENS[role]))  # the other site's token, here
        wrong.append(_hello(role, SITE_TOKENS[role], OTHER_SITE))  # ours, there
        wrong.append(_hello(role, SITE_TOKENS[role], "no-such-site"))
        wrong.append(_hello(role, SITE_TOKENS[role], protocol=2))
        for other, token in SITE_TOKENS.items():
            if other != role:
                wrong.append(_hello(role, token))  # another role's token
                wrong.append(_hello(role, OTHER_TOKENS.get(other, token), None))
    wrong += [
        _hello("admin", KIOSK_TOKEN), _hello("admin", OTHER_TOKENS["kiosk"], OTHER_SITE),
        _hello("admin", ADMIN_TOKEN, None), _hello("admin", ADMIN_TOKEN + "x"),
        _hello("manager", credentials.other_manager_ticket),
        _hello("manager", credentials.manager_ticket, OTHER_SITE),
        _hello("manager", credentials.manager_ticket[:-2] + "xx"),
        _hello("manager", ADMIN_TOKEN), _hello("admin", credentials.manager_ticket),
        _hello("citizen", site=None, track="khong-co"),
        _hello("citizen", site=OTHER_SITE, track=credentials.track),
        _hello("citizen", track=credentials.track, token=KIOSK_TOKEN),
        _hello("citizen", track=credentials.track, after=0),
        _hello("kiosk", KIOSK_TOKEN, track=credentials.track),
    ]
    return [HostileFrame(dump(frame), "hello", False, "wrong_authority") for frame in wrong]


HELLO = RequestFrames(SHAPES["hello"], NAMES)
# First frames drawn by hypothesis: a made-up hello, a broken one, or any hostile frame.
FIRST_FRAMES = st.one_of(
    HELLO.well_shaped.map(lambda frame: HostileFrame(dump(frame), "hello", False,
                                                     "made_up_hello")),
    HELLO.malformed, FRAMES)


# --- the attack -------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What a frame's reply must be: its ``id``, and its error ``code`` and ``message`` when
    they are known in advance (``None``: any refusal, or a read's answer)."""

    id: int | str | None
    code: str | None = None
    message: str | None = None


def expected_reply(frame: HostileFrame, role: str) -> Expected:
    """The reply ``frame`` must get on a connection of ``role`` that said hello."""
    try:
        request = wire.decode_request(frame.payload)
    except wire.ProtocolError as error:
        return Expected(error.request_id, error.code.value, error.message)
    assert not frame.malformed, f"the definitions accept a frame meant to be broken: {frame}"
    if request.type == "hello":
        return Expected(request.id, "bad_request", "hello was already done")
    if Role(role) not in _PERMISSIONS[request.type]:
        return Expected(request.id, "forbidden",
                        f"a {role} connection may not {request.type}")
    return Expected(request.id)


def check_reply(frame: HostileFrame, role: str, reply: dict[str, Any]) -> None:
    expected = expected_reply(frame, role)
    where = f"{role} sent {frame!r}, got {reply!r}"
    assert reply.get("type") == "reply" and reply["id"] == expected.id, where
    if reply["ok"]:
        assert expected.code is None and frame.type in READS, f"carried out: {where}"
        return
    error = reply["error"]
    assert error["code"] in REFUSALS, where
    assert 0 < len(error["message"]) <= wire.MAX_MESSAGE_CHARACTERS, where
    if expected.code is not None:
        assert (error["code"], error["message"]) == (expected.code, expected.message), where


@dataclass
class Tally:
    """What was sent and answered, for the coverage checks and the report."""

    sent: int = 0
    answered: int = 0
    unread: int = 0  # pipelined behind a refused first frame: never read, by design
    connections: int = 0
    by_role_and_type: Counter[tuple[str, str]] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    mutations: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


class FrameAttack:
    """The server and the honest connections; :meth:`run` sends one example's frames."""

    def __init__(self, server: HostileServer, credentials: Credentials,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self.credentials = credentials
        self.loop = loop
        self.tally = Tally()
        self.examples = 0
        self.wrong = wrong_authorities(credentials)
        self.wrong_sent: set[int] = set()
        self._pending: concurrent.futures.Future[None] | None = None

    def run(self, burst: list[HostileFrame], first: HostileFrame) -> None:
        """One example: ``burst`` from every role; and behind ``first`` and behind the next
        two wrong authorities (in turn, so that every one is sent), each on a connection of
        its own; and without any hello."""
        # Sent while hypothesis makes the next example: the previous one must be done
        # first, and its failure (naming the frame, the role and the reply) is raised here.
        # Done, it has counted itself in ``examples``: the next two wrong authorities are
        # chosen only then (chosen before, a round still starting made two examples send the
        # same pair and skip another).
        self.finish()
        chosen = [(2 * self.examples + offset) % len(self.wrong) for offset in (0, 1)]
        self.wrong_sent.update(chosen)
        refused = [first, *(self.wrong[index] for index in chosen)]
        self._pending = asyncio.run_coroutine_threadsafe(self._round(burst, refused),
                                                         self.loop)

    def finish(self) -> None:
        """Wait for the example in flight; raise its failure."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result(timeout=120)

    def _hello_of(self, role: str) -> dict[str, Any]:
        if role == "citizen":
            return _hello("citizen", site=None, track=self.credentials.track)
        if role == "manager":
            return _hello("manager", self.credentials.manager_ticket, subscribe=[])
        if role == "centre":  # a centre's own server, at the site it feeds
            return _hello("centre", CENTRE_TOKEN, CENTRE_SITE, subscribe=[])
        return _hello(role, SITE_TOKENS[role], subscribe=[])

    async def _round(self, burst: list[HostileFrame],
                     refused_hellos: list[HostileFrame]) -> None:
        self.examples += 1
        self.server.assert_alive()
        before = database_digest(self.server.database_path)
        async with asyncio.timeout(60):
            await asyncio.gather(
                *(self._said_hello(role, burst) for role in ROLES),
                *(self._refused(hello, burst) for hello in refused_hellos),
                self._refused(burst[0], burst[1:]))
        after = database_digest(self.server.database_path)
        assert after == before, f"refused frames changed rows: {digest_changes(before, after)}"
        # The server goes on serving: an honest press, answered at once, and seen in the
        # rows (so the comparison above would have seen a change).
        ticket, latency = await honest_issue(self.server.ws_url, f"honest-{self.examples}")
        assert ticket["status"] == "waiting"
        assert latency < HONEST_LATENCY_SECONDS, latency
        self.tally.latencies.append(latency)
        honest = database_digest(self.server.database_path)
        assert honest["tickets"][0] == after["tickets"][0] + 1, digest_changes(after, honest)

    async def _open(self) -> ClientConnection:
        self.tally.connections += 1
        return await websocket_connect(self.server.ws_url, compression=None,
                                       max_size=None, open_timeout=20)

    async def _said_hello(self, role: str, burst: list[HostileFrame]) -> None:
        """``burst`` on a connection of ``role`` after its hello: one reply each, in order,
        and the connection still answers."""
        async with await self._open() as connection:
            await connection.send(dump(self._hello_of(role)))
            hello = await _next_reply(connection)
            assert hello["ok"], (role, hello)
            for frame in burst:
                await connection.send(frame.payload)
            await connection.send(dump({"type": "snapshot", "id": "probe"}))
            self.tally.sent += len(burst)
            for frame in burst:
                check_reply(frame, role, await _next_reply(connection))
                self.tally.answered += 1
                self.tally.by_role_and_type[(role, frame.type)] += 1
                self.tally.mutations[frame.how] += 1
            probe = await _next_reply(connection)
            assert probe["id"] == "probe" and probe["ok"], (role, probe)

    async def _refused(self, first: HostileFrame, behind: list[HostileFrame]) -> None:
        """``first`` opens a connection and is refused: one reply, then the connection is
        closed (1008) and nothing pipelined ``behind`` it is read."""
        async with await self._open() as connection:
            sent = 0
            try:
                for frame in (first, *behind):
                    await connection.send(frame.payload)
                    sent += 1
            except ConnectionClosed:
                pass  # closed while the rest was still going out: it is unread either way
            replies = []
            try:
                while True:
                    message = json.loads(await connection.recv())
                    if message.get("type") == "reply":
                        replies.append(message)
            except ConnectionClosed:
                pass
        self.tally.sent += sent
        self.tally.answered += 1
        self.tally.unread += sent - 1
        where = f"first frame {first!r}: {replies!r}"
        assert len(replies) == 1, where
        error = replies[0]["error"] if not replies[0]["ok"] else {"code": "ok"}
        self.tally.codes[error["code"]] += 1
        assert error["code"] in {"unauthorized", "not_found"}, where
        assert connection.close_code == 1008, (where, connection.close_code)
        if first.type != "hello" or first.malformed:
            try:
                wire.decode_request(first.payload)
            except wire.ProtocolError as decoding:
                assert error["message"] == ("the first frame must be a valid hello: "
                                            + decoding.message), where
            else:
                assert first.type != "hello" and not first.malformed, where
                assert error["message"] == "the first frame must be hello", where


async def _next_reply(connection: ClientConnection) -> dict[str, Any]:
    """The next reply (a citizen's page also gets events of its ticket: skipped)."""
    async with asyncio.timeout(20):
        while True:
            message: dict[str, Any] = json.loads(await connection.recv())
            if message.get("type") == "reply":
                return message


async def _signed_in_ticket(http_url: str, user: str, site: str) -> str:
    """The socket ticket the dashboard of ``site`` gives ``user`` once signed in."""
    client = WebClient(http_url)
    await client.sign_in(user=user, next_page=f"/manage/site/{site}")
    page = await client.get(f"/manage/site/{site}")
    found = re.search(r'data-ticket="([^"]+)"', page.body)
    assert found, page.body[:300]
    return found.group(1)


@pytest.fixture
def attack(tmp_path: Path) -> Iterator[FrameAttack]:
    """A ``qms server`` process, and the client side's own loop on a thread of its own (a
    hypothesis test is synchronous)."""
    with server_with_client_loop(tmp_path, "hostile-clients") as (server, loop):

        async def prepare() -> Credentials:
            await server.start()
            ticket, _latency = await honest_issue(server.ws_url, "followed")
            return Credentials(
                ticket["track"], await _signed_in_ticket(server.http_url, "giamdoc", SITE),
                await _signed_in_ticket(server.http_url, OTHER_MANAGER, OTHER_SITE))

        credentials = asyncio.run_coroutine_threadsafe(prepare(), loop).result(timeout=90)
        yield FrameAttack(server, credentials, loop)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_hostile_frames_are_refused_change_nothing_and_never_stop_the_server(
    attack: FrameAttack,
) -> None:
    started = time.monotonic()

    # No shrinking: a failure names the frame, the role and the reply, and shrinking bursts
    # of real connections took minutes.
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example])
    @given(burst=st.lists(FRAMES, min_size=12, max_size=19), first=FIRST_FRAMES)
    def example(burst: list[HostileFrame], first: HostileFrame) -> None:
        attack.run(burst, first)

    example()
    attack.finish()
    tally = attack.tally
    assert tally.answered >= ANSWERED_TARGET, tally
    missing = {(role, request_type) for role in ROLES for request_type in SHAPES} \
        - set(tally.by_role_and_type)
    assert not missing, f"never sent: {sorted(missing)}"
    assert attack.wrong_sent == set(range(len(attack.wrong)))
    assert tally.codes["not_found"] > 0 and tally.codes["unauthorized"] > 0, tally.codes
    asyncio.run_coroutine_threadsafe(attack.server.stop(), attack.loop).result(timeout=60)
    assert attack.server.process is not None and attack.server.process.returncode == 0, \
        attack.server.log[-20:]
    assert attack.server.log_problems() == []
    # The log was read: the refused hellos are in it.
    assert sum("refused a" in line for line in attack.server.log) >= len(attack.wrong) // 2
    print(f"\n{attack.examples} examples, {tally.sent} frames sent ({tally.answered} answered,"
          f" {tally.unread} pipelined behind a refused hello), {tally.connections} "
          f"connections, honest issue max {max(tally.latencies) * 1000:.0f} ms, "
          f"{time.monotonic() - started:.1f} s; refused hellos {dict(tally.codes)}; "
          f"mutations {dict(tally.mutations)}")
