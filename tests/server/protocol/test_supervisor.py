"""The supervised client against the real server: hello and snapshot, events in order, requests
one at a time with their events first, a refused hello, reconnecting after a server restart
and resuming from the last seq (replayed events ride with the snapshot), a server whose events
start over, a hung server noticed by the ping or by a request's timeout, a refreshed snapshot
in order with the events, and stop. The back-off's waits, seeded."""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from supervision import CuttableProxy, Recorder, Supervised
from support.servers import ADMIN_TOKEN, SITE

from server.app.serve import RunningServer, start_server
from server.config import Settings
from server.protocol.client import EventMessage, ProtocolClient, RequestFailed
from server.protocol.supervisor import (
    Backoff,
    ClientSupervisor,
    LinkChange,
    LinkState,
    NotSent,
    RequestInterrupted,
    SessionOpened,
    SnapshotTaken,
    SupervisorSettings,
)

Connect = Callable[..., Any]


async def result_of(future: concurrent.futures.Future[dict[str, Any]]) -> dict[str, Any]:
    """Wait (off the loop) for a submitted request's result."""
    result: dict[str, Any] = await asyncio.wrap_future(future)
    return result


async def issue(kiosk: ProtocolClient, service: str = "HT") -> dict[str, Any]:
    ticket: dict[str, Any] = (await kiosk.request("issue", service=service,
                                                  request_key=uuid.uuid4().hex))["ticket"]
    return ticket


def test_the_back_off_doubles_up_to_its_maximum_and_is_jittered() -> None:
    backoff = Backoff(0.5, 10.0, jitter=0.5, chooser=random.Random(1))
    waits = [backoff.next_delay() for _ in range(8)]
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert all(ceiling / 2 <= wait <= ceiling for wait, ceiling in zip(waits, ceilings,
                                                                         strict=True))
    assert len({round(wait / ceiling, 6) for wait, ceiling in zip(waits, ceilings,
                                                                  strict=True)}) > 1
    backoff.reset()
    assert 0.25 <= backoff.next_delay() <= 0.5
    # The same seed, the same waits: tests can rely on them.
    again = Backoff(0.5, 10.0, jitter=0.5, chooser=random.Random(1))
    assert [again.next_delay() for _ in range(8)] == waits
    assert Backoff(1.0, 1.0, jitter=0.0).next_delay() == 1.0


def test_settings_are_checked() -> None:
    for wrong in ({"reconnect_min_seconds": 0}, {"request_timeout_seconds": -1},
                  {"reconnect_min_seconds": 2.0, "reconnect_max_seconds": 1.0},
                  {"reconnect_jitter": 1.0}, {"ping_timeout_seconds": 0}):
        with pytest.raises(ValueError, match=next(iter(wrong)).split("_")[0]):
            SupervisorSettings(**wrong)


async def test_hello_brings_the_snapshot_then_online_then_events_in_order(
        server: RunningServer, supervise: Callable[..., Supervised], connect: Connect) -> None:
    supervised = supervise(server.ws_url, subscribe=["ticket."])
    recorder = supervised.recorder
    session: SessionOpened = await recorder.next("session")
    assert (session.site, session.number, session.reconnected) == (SITE, 1, False)
    assert session.resumed_after is None and session.replayed == ()
    assert session.state["site"]["code"] == SITE
    await recorder.link(LinkState.ONLINE)
    assert recorder.kinds()[:3] == ["link", "session", "link"]  # CONNECTING, session, ONLINE
    kiosk = await connect("kiosk")
    numbers = [(await issue(kiosk))["number"] for _ in range(3)]
    events = [await recorder.next("event") for _ in numbers]
    assert [event.data["number"] for event in events] == numbers
    assert [event.seq for event in events] == list(range(session.seq + 1, session.seq + 4))


async def test_submitted_requests_go_one_at_a_time_with_their_events_first(
        server: RunningServer, supervise: Callable[..., Supervised]) -> None:
    supervised = supervise(server.ws_url, subscribe=["ticket.", "counter."])
    supervisor, recorder = supervised.supervisor, supervised.recorder
    await recorder.link(LinkState.ONLINE)
    seen_at_result: list[list[str]] = []

    def note_events(_future: concurrent.futures.Future[dict[str, Any]]) -> None:
        # Called on the supervisor's thread as the result is set: what came before it.
        seen_at_result.append([value.event for kind, value in list(recorder.calls)
                               if kind == "event"])

    keys = [uuid.uuid4().hex for _ in range(3)]
    futures = [supervisor.submit("issue", service="HT", request_key=key) for key in keys]
    futures.append(supervisor.submit("login", counter="3"))
    futures.append(supervisor.submit("call_next", as_counter="3"))
    for future in futures:
        supervisor.call_soon(future.add_done_callback, note_events)
    results = [await result_of(future) for future in futures]
    assert [result["ticket"]["number"] for result in results[:3]] == ["A001", "A002", "A003"]
    assert results[3]["counter"]["status"] == "open"  # the login before the call
    assert results[4]["ticket"]["number"] == "A001"
    # Each result came after its own events: three issues, the login's counter.changed,
    # then the call's ticket.called and counter.changed.
    assert [events.count("ticket.issued") for events in seen_at_result[:3]] == [1, 2, 3]
    assert seen_at_result[3][-1] == "counter.changed"
    assert seen_at_result[4][-2:] == ["ticket.called", "counter.changed"]
    refused = supervisor.submit("call", as_counter="3", number="Z999")
    with pytest.raises(RequestFailed) as failure:
        await result_of(refused)
    assert failure.value.code in ("not_found", "bad_request")


async def test_requests_on_its_thread_return_after_their_events(
        server: RunningServer, supervise: Callable[..., Supervised]) -> None:
    supervised = supervise(server.ws_url, subscribe=["ticket."])
    supervisor, recorder = supervised.supervisor, supervised.recorder
    await recorder.link(LinkState.ONLINE)
    answer: concurrent.futures.Future[tuple[str, list[str]]] = concurrent.futures.Future()

    async def issue_there() -> None:
        result = await supervisor.request("issue", service="HT", request_key="on-thread")
        events = [value.event for kind, value in list(recorder.calls) if kind == "event"]
        answer.set_result((result["ticket"]["number"], events))

    supervisor.call_soon(lambda: supervisor.spawn(issue_there()))
    number, events_before = await asyncio.wrap_future(answer)
    assert (number, events_before) == ("A001", ["ticket.issued"])


async def test_nothing_is_sent_without_a_connection() -> None:
    recorder = Recorder(asyncio.get_running_loop())
    # Nobody listens on port 9: every attempt fails and a request is refused, not kept.
    supervisor = ClientSupervisor(ProtocolClient("ws://127.0.0.1:9/ws", "admin", ADMIN_TOKEN,
                                                 SITE),
                                  SupervisorSettings(reconnect_min_seconds=0.02,
                                                     reconnect_max_seconds=0.05),
                                  recorder, chooser=random.Random(3))
    supervisor.start()
    try:
        offline: LinkChange = await recorder.link(LinkState.OFFLINE)
        assert not offline.ended_session and offline.sessions == 0
        assert "ConnectionRefused" in offline.reason or "Errno" in offline.reason
        with pytest.raises(NotSent):
            await result_of(supervisor.submit("snapshot"))
        await recorder.link(LinkState.CONNECTING)  # it keeps trying
    finally:
        await asyncio.to_thread(supervisor.stop)
    stopped: LinkChange = await recorder.link(LinkState.STOPPED)
    assert stopped.requested
    assert recorder.calls[-1] == ("link", stopped)  # the last word
    with pytest.raises(NotSent):
        await result_of(supervisor.submit("snapshot"))
    assert not supervisor.running


async def test_a_refused_hello_is_reported_with_the_servers_answer_and_retried(
        server: RunningServer, supervise: Callable[..., Supervised]) -> None:
    recorder = supervise(server.ws_url, token="not-a-valid-token").recorder
    refused: LinkChange = await recorder.link(LinkState.REFUSED)
    assert refused.refusal is not None and refused.refusal.code == "unauthorized"
    assert "unauthorized" in refused.reason
    await recorder.link(LinkState.CONNECTING)
    await recorder.link(LinkState.REFUSED)  # the token may be added to the config: retried


async def test_after_a_server_restart_it_reconnects_and_resumes_from_the_last_seq(
        settings: Settings, database_path: Path,
        supervise: Callable[..., Supervised]) -> None:
    database_url = f"sqlite:///{database_path}"
    first = await start_server(settings, host="127.0.0.1", port=0, database_url=database_url)
    supervised = supervise(first.ws_url, subscribe=["ticket."], resume=True)
    recorder = supervised.recorder
    await recorder.link(LinkState.ONLINE)
    async with ProtocolClient(first.ws_url, "admin", ADMIN_TOKEN, SITE) as admin:
        await issue(admin)
    seen: EventMessage = await recorder.next("event")
    await first.stop()
    lost: LinkChange = await recorder.link(LinkState.OFFLINE)
    assert lost.ended_session and lost.reason
    second = await start_server(settings, host="127.0.0.1", port=first.port,
                                database_url=database_url)
    try:
        again: SessionOpened = await recorder.next("session")
        assert (again.number, again.reconnected, again.resumed_after) == (2, True, seen.seq)
        assert not again.gap and again.replayed == ()
        await recorder.link(LinkState.ONLINE)
        async with ProtocolClient(second.ws_url, "admin", ADMIN_TOKEN, SITE) as admin:
            number = (await issue(admin))["number"]
        after: EventMessage = await recorder.next("event")
        assert (after.seq, after.data["number"]) == (seen.seq + 1, number)
    finally:
        await supervised.stop()
        await second.stop()


async def test_events_missed_while_away_come_with_the_next_snapshot(
        server: RunningServer, proxy: CuttableProxy, supervise: Callable[..., Supervised],
        connect: Connect) -> None:
    recorder = supervise(proxy.ws_url, subscribe=["ticket."], resume=True).recorder
    await recorder.link(LinkState.ONLINE)
    kiosk = await connect("kiosk")
    before = (await issue(kiosk))["number"]
    seen: EventMessage = await recorder.next("event")
    assert seen.data["number"] == before
    await proxy.cut()  # and no reconnecting until it reopens
    await recorder.link(LinkState.OFFLINE)
    missed = [(await issue(kiosk))["number"] for _ in range(3)]
    await proxy.reopen()
    again: SessionOpened = await recorder.next("session")
    assert again.resumed_after == seen.seq
    assert [event.data["number"] for event in again.replayed] == missed
    assert [event.seq for event in again.replayed] == [seen.seq + 1, seen.seq + 2, seen.seq + 3]
    assert again.seq == seen.seq + 3
    await recorder.link(LinkState.ONLINE)
    later = (await issue(kiosk))["number"]
    live: EventMessage = await recorder.next("event")
    assert (live.seq, live.data["number"]) == (again.seq + 1, later)
    # The replayed events were not delivered twice (once inside the snapshot only).
    delivered = [value.seq for kind, value in recorder.calls if kind == "event"]
    assert delivered == [seen.seq, live.seq]


async def test_a_server_whose_events_start_over_is_followed_from_its_snapshot(
        settings: Settings, tmp_path: Path, supervise: Callable[..., Supervised]) -> None:
    first = await start_server(settings, host="127.0.0.1", port=0,
                               database_url=f"sqlite:///{tmp_path / 'first.sqlite3'}")
    supervised = supervise(first.ws_url, subscribe=["ticket."], resume=True)
    recorder = supervised.recorder
    await recorder.link(LinkState.ONLINE)
    async with ProtocolClient(first.ws_url, "admin", ADMIN_TOKEN, SITE) as admin:
        for _ in range(3):
            await issue(admin)
    for _ in range(3):
        await recorder.next("event")
    await first.stop()
    # A new, empty database behind the same address: its seq starts again from 0.
    second = await start_server(settings, host="127.0.0.1", port=first.port,
                                database_url=f"sqlite:///{tmp_path / 'second.sqlite3'}")
    try:
        again: SessionOpened = await recorder.next("session")
        assert again.seq < (again.resumed_after or 0)
        await recorder.link(LinkState.ONLINE)
        async with ProtocolClient(second.ws_url, "admin", ADMIN_TOKEN, SITE) as admin:
            await issue(admin)
        # Its first event has a seq already seen from the old server; it is new all the same.
        fresh: EventMessage = await recorder.next("event")
        assert fresh.seq == again.seq + 1
    finally:
        await supervised.stop()
        await second.stop()


async def test_a_hung_server_is_lost_when_a_pong_is_late(
        server: RunningServer, proxy: CuttableProxy,
        supervise: Callable[..., Supervised]) -> None:
    recorder = supervise(proxy.ws_url, ping_interval_seconds=0.05,
                         ping_timeout_seconds=0.3).recorder
    await recorder.link(LinkState.ONLINE)
    for _ in range(3):  # the server answers each ping
        assert 0 <= await recorder.next("pong") < 0.3
    proxy.hang()
    lost: LinkChange = await recorder.link(LinkState.OFFLINE)
    assert lost.ended_session and "no pong within 0.3 s" in lost.reason
    proxy.forward()
    await recorder.next("session")
    await recorder.link(LinkState.ONLINE)


async def test_a_request_unanswered_in_time_is_interrupted_and_drops_the_link(
        server: RunningServer, proxy: CuttableProxy, supervise: Callable[..., Supervised],
        connect: Connect) -> None:
    supervised = supervise(proxy.ws_url, subscribe=["ticket."], request_timeout_seconds=0.5,
                           ping_interval_seconds=60.0)
    supervisor, recorder = supervised.supervisor, supervised.recorder
    await recorder.link(LinkState.ONLINE)
    kiosk = await connect("kiosk")
    await issue(kiosk)
    seen: EventMessage = await recorder.next("event")
    proxy.hang()
    in_flight = supervisor.submit("issue", service="HT", request_key="while-hung")
    queued = supervisor.submit("snapshot")
    with pytest.raises(RequestInterrupted) as interrupted:
        await result_of(in_flight)
    # It may have been applied: the last seq applied when it was sent says where to look.
    assert interrupted.value.sent_after == seen.seq
    assert "no reply to issue within 0.5 s" in str(interrupted.value)
    with pytest.raises(NotSent):
        await result_of(queued)
    lost: LinkChange = await recorder.link(LinkState.OFFLINE)
    assert "no reply to issue within 0.5 s" in lost.reason
    proxy.forward()
    await recorder.link(LinkState.ONLINE)


async def test_a_refreshed_snapshot_comes_in_order_with_the_events(
        server: RunningServer, supervise: Callable[..., Supervised], connect: Connect) -> None:
    supervised = supervise(server.ws_url, subscribe=["ticket."])
    supervisor, recorder = supervised.supervisor, supervised.recorder
    await recorder.link(LinkState.ONLINE)
    kiosk = await connect("kiosk")
    pressing = asyncio.gather(*(issue(kiosk) for _ in range(20)))
    supervisor.refresh_snapshot()
    snapshot: SnapshotTaken = await recorder.next("snapshot")
    await pressing
    while len([kind for kind, _ in recorder.calls if kind == "event"]) < 20:
        await recorder.next("event")
    order = [(kind, value.seq) for kind, value in recorder.calls
             if kind in ("event", "snapshot")]
    at = order.index(("snapshot", snapshot.seq))
    assert all(seq <= snapshot.seq for _, seq in order[:at])
    assert all(seq > snapshot.seq for _, seq in order[at + 1:])
    assert [seq for kind, seq in order if kind == "event"] == list(range(1, 21))


async def test_stop_ends_the_session_and_is_the_last_word(
        server: RunningServer, supervise: Callable[..., Supervised]) -> None:
    supervised = supervise(server.ws_url)
    recorder = supervised.recorder
    await recorder.link(LinkState.ONLINE)
    await supervised.stop()
    stopped: LinkChange = await recorder.link(LinkState.STOPPED)
    assert stopped.requested and stopped.sessions == 1
    assert recorder.calls[-1] == ("link", stopped)
    assert LinkState.OFFLINE not in [value.state for kind, value in recorder.calls
                                     if kind == "link"]  # a stop is not a loss
    assert not supervised.supervisor.running
