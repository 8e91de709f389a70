"""The lobby board model without Qt or a server: every event kind, the zone filter, day.reset,
the stale state, replays, malformed input and bounded memory."""

from __future__ import annotations

import itertools
import sys
import tracemalloc
from typing import Any

import pytest
from support.display import counter, state, ticket

from display.board import (
    MAX_COUNTER_TRANSFERS,
    Banner,
    Board,
    BoardSettings,
    CallKind,
    ConnectionStatus,
    CounterStatus,
)
from display.errors import DisplaySettingsError
from server.protocol.client import EventMessage

_seq = itertools.count(1)


def event(name: str, data: dict[str, Any], seq: int | None = None) -> EventMessage:
    return EventMessage(next(_seq) if seq is None else seq, name, "2026-11-22T08:00:00+07:00",
                        data)


def board(zone: str | None = "T1", **options: Any) -> Board:
    made = Board(BoardSettings(zone=zone, **options))
    made.apply_snapshot(state(waiting={"HT": 3, "DD-NOP": 1}), 0, now=0.0)
    made.set_connection(ConnectionStatus.CONNECTED, 0.0)
    return made


def test_snapshot_builds_the_zone_view() -> None:
    made = Board(BoardSettings(zone="T1"))
    recent = [ticket("A003", counter="4", status="called"),
              ticket("A002", counter="3", status="called"),
              ticket("1001", "DD-NOP", counter="1", status="done")]
    update = made.apply_snapshot(
        state(waiting={"HT": 2, "DD-TRA": 5}, recent=recent,
              counters=[counter("1", services=("DD-NOP",), number="1001"),
                        counter("3", status="paused"), counter("4", zone="T2", number="A003")]),
        seq=42, now=5.0)
    assert update.changed and update.calls == ()
    assert made.seq == 42 and made.has_data
    assert made.site.name == "Trung tâm thử nghiệm" and made.site.notice == "Xin chào"
    assert (made.zone_name, made.zone_name_en) == ("Tầng 1", "Floor 1")
    assert [(p.code, p.number, p.status) for p in made.counters] == [
        ("1", "1001", CounterStatus.OPEN), ("3", None, CounterStatus.PAUSED)]
    # Services the zone's counters serve, in configured order; DD-TRA is served only in T2 here.
    assert [(s.code, s.waiting) for s in made.services] == [("HT", 2), ("DD-NOP", 0)]
    # Recent calls of the zone only, newest first; the newest call is the first, not flashing.
    assert [c.number for c in made.recent_calls] == ["A002", "1001"]
    assert made.newest_call is not None and made.newest_call.number == "A002"
    assert not made.flashing(5.0)


def test_all_zones_without_a_zone() -> None:
    made = Board(BoardSettings(zone=None))
    made.apply_snapshot(state(recent=[ticket("A003", counter="4", status="called")]), 1, 0.0)
    assert [p.code for p in made.counters] == ["1", "2", "3", "4"]
    assert [s.code for s in made.services] == ["HT", "DD-NOP", "DD-TRA"]
    assert [c.number for c in made.recent_calls] == ["A003"]


def test_call_shows_flashes_and_is_announced() -> None:
    made = board()
    update = made.apply_event(event("ticket.called", ticket("A004", counter="3",
                                                            status="called")), now=10.0)
    assert update.changed and [c.number for c in update.calls] == ["A004"]
    call = made.newest_call
    assert call is not None and (call.number, call.counter, call.kind) == ("A004", "3",
                                                                         CallKind.CALL)
    assert call.counter_name == "Quầy 3" and call.service_name == "Đăng ký khai sinh"
    assert made.recent_calls[0] == call
    assert made.counter("3") is not None and made.counter("3").number == "A004"  # type: ignore[union-attr]
    assert made.waiting("HT") == 2  # it left the queue
    # Flash: lit for the first half of each 1 s period, for 10 s.
    assert made.flashing(10.0) and made.flash_lit(10.1) and not made.flash_lit(10.6)
    assert made.flash_lit(19.2) and not made.flashing(20.0) and not made.flash_lit(20.1)
    assert made.flash_ends_at() == 20.0


def test_recall_flashes_again_without_a_second_row() -> None:
    made = board()
    made.apply_event(event("ticket.called", ticket("A004", counter="3", status="called")), 10.0)
    made.apply_event(event("ticket.called", ticket("1002", "DD-NOP", counter="1",
                                                   status="called")), 11.0)
    update = made.apply_event(event("ticket.recalled", ticket("A004", counter="3",
                                                              status="called")), 30.0)
    assert [(c.number, c.kind) for c in update.calls] == [("A004", CallKind.RECALL)]
    assert made.newest_call is not None and made.newest_call.kind is CallKind.RECALL
    assert made.flashing(30.5) and made.flash_lit(31.1)
    assert [c.number for c in made.recent_calls] == ["1002", "A004"]
    assert made.waiting("HT") == 2  # a recall changes no queue


def test_calling_a_ticket_again_moves_it_to_the_top_once() -> None:
    made = board()
    made.apply_event(event("ticket.called", ticket("A004", counter="3", status="called")), 1.0)
    made.apply_event(event("ticket.called", ticket("A005", counter="2", status="called")), 2.0)
    made.apply_event(event("ticket.requeued", ticket("A004")), 3.0)
    made.apply_event(event("ticket.called", ticket("A004", counter="2", status="called")), 4.0)
    assert [c.number for c in made.recent_calls] == ["A004", "A005"]


def test_calls_in_another_zone_change_nothing_shown() -> None:
    made = board()
    before = made.newest_call, made.recent_calls
    update = made.apply_event(event("ticket.called", ticket("A009", counter="4",
                                                            status="called")), 5.0)
    assert update.calls == () and not made.flashing(5.0)
    assert (made.newest_call, made.recent_calls) == before
    assert made.waiting("HT") == 2  # the zone's HT queue did shrink: counter 4 serves it too
    assert update.changed  # ... which the zone shows
    recall = made.apply_event(event("ticket.recalled", ticket("A009", counter="4",
                                                              status="called")), 6.0)
    assert recall.calls == () and not recall.changed


def test_waiting_counts_follow_issue_requeue_transfer_cancel() -> None:
    made = board()
    assert made.waiting("HT") == 3
    made.apply_event(event("ticket.issued", ticket("A010")), 1.0)
    assert made.waiting("HT") == 4
    made.apply_event(event("ticket.requeued", ticket("A001")), 1.0)
    assert made.waiting("HT") == 5
    made.apply_event(event("ticket.cancelled", ticket("A010", status="cancelled")), 1.0)
    assert made.waiting("HT") == 4
    # Transferred to a service: waits in that service's queue.
    update = made.apply_event(event("ticket.transferred", ticket("1003", "DD-NOP",
                                                                 status="transferred")), 1.0)
    assert made.waiting("DD-NOP") == 2 and update.changed
    # Transferred to a counter: waits in the counter's own queue; its call takes nothing.
    made.apply_event(event("ticket.transferred", ticket("A011", status="transferred",
                                                        target_counter="3")), 1.0)
    assert made.waiting("HT") == 4
    made.apply_event(event("ticket.called", ticket("A011", counter="3", status="called")), 2.0)
    assert made.waiting("HT") == 4
    # Never below zero, whatever arrives.
    for number in range(10):
        made.apply_event(event("ticket.cancelled", ticket(f"B{number}", "DD-TRA",
                                                          status="cancelled")), 3.0)
    assert made.waiting("DD-TRA") == 0
    # A service of another site or unknown code: ignored.
    assert not made.apply_event(event("ticket.issued", ticket("Z1", "NOPE")), 3.0).changed


def test_counter_changed_updates_panels() -> None:
    made = board()
    update = made.apply_event(event("counter.changed", counter("2", services=("HT", "DD-TRA"),
                                                               status="paused")), 1.0)
    assert update.changed and made.counter("2").status is CounterStatus.PAUSED  # type: ignore[union-attr]
    made.apply_event(event("counter.changed", counter("2", number="A007")), 1.0)
    assert made.counter("2").number == "A007"  # type: ignore[union-attr]
    made.apply_event(event("counter.changed", counter("2")), 1.0)
    assert made.counter("2").number is None  # type: ignore[union-attr]
    # Another zone's counter: kept but not shown; an unknown counter: ignored.
    assert not made.apply_event(event("counter.changed", counter("4", zone="T2",
                                                                 number="A1")), 1.0).changed
    assert not made.apply_event(event("counter.changed", counter("99")), 1.0).changed
    assert made.counter("99") is None


def test_day_reset_clears_and_asks_for_a_snapshot() -> None:
    made = board()
    made.apply_event(event("ticket.called", ticket("A004", counter="3", status="called")), 1.0)
    update = made.apply_event(event("day.reset", {"business_date": "2026-11-23",
                                                  "previous_date": "2026-11-22",
                                                  "cancelled": 3}), 2.0)
    assert update.changed and update.snapshot_needed and update.calls == ()
    assert made.newest_call is None and made.recent_calls == ()
    assert all(queue.waiting == 0 for queue in made.services)
    assert all(panel.number is None for panel in made.counters)
    assert not made.flashing(2.0)


def test_events_already_in_the_snapshot_are_ignored() -> None:
    made = Board(BoardSettings(zone="T1"))
    made.apply_snapshot(state(waiting={"HT": 3}), seq=50, now=0.0)
    assert not made.apply_event(event("ticket.issued", ticket("A010"), seq=50), 1.0).changed
    assert not made.apply_event(event("ticket.called", ticket("A001", counter="3",
                                                              status="called"), seq=49), 1.0).calls
    assert made.waiting("HT") == 3
    assert made.apply_event(event("ticket.issued", ticket("A011"), seq=51), 1.0).changed
    assert made.waiting("HT") == 4 and made.seq == 51


def test_events_the_lobby_does_not_show_are_ignored() -> None:
    made = board()
    assert made.apply_event(event("rating.received", {"score": 4}), 1.0).changed is False
    assert made.apply_event(event("ticket.done", ticket("A001", counter="3")), 1.0).calls == ()


def test_malformed_event_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    made = board()
    update = made.apply_event(event("ticket.called", {"number": "A1"}), 1.0)  # no counter
    assert update.calls == () and made.newest_call is None
    assert "malformed ticket.called" in caplog.text
    # The board carries on.
    assert made.apply_event(event("ticket.called", ticket("A2", counter="3",
                                                          status="called")), 2.0).calls


def test_malformed_snapshot_changes_nothing() -> None:
    from display.errors import MalformedMessageError

    made = board()
    before = (made.seq, made.counters, made.services)
    broken = state()
    broken["services"][1]["waiting"] = "many"
    with pytest.raises(MalformedMessageError):
        made.apply_snapshot(broken, 99, 1.0)
    with pytest.raises(MalformedMessageError):
        made.apply_snapshot({"site": "no"}, 99, 1.0)
    assert (made.seq, made.counters, made.services) == before


def test_snapshot_keeps_a_recall_and_its_flash() -> None:
    made = board()
    made.apply_event(event("ticket.called", ticket("A004", counter="3", status="called")), 1.0)
    made.apply_event(event("ticket.recalled", ticket("A004", counter="3", status="called")), 2.0)
    made.apply_snapshot(state(recent=[ticket("A004", counter="3", status="called")]), 99, 2.5)
    assert made.newest_call is not None and made.newest_call.kind is CallKind.RECALL
    assert made.flashing(2.5)
    # A snapshot whose recent calls no longer hold it replaces it, without a flash.
    made.apply_snapshot(state(recent=[ticket("A005", counter="2", status="called")]), 100, 3.0)
    assert made.newest_call is not None and made.newest_call.number == "A005"
    assert not made.flashing(3.0)


def test_replayed_calls_after_a_short_outage_are_announced() -> None:
    made = board()
    replayed = [event("ticket.called", ticket(f"A0{n}", counter="3", status="called"), seq=n)
                for n in range(10, 15)]
    replayed.append(event("ticket.called", ticket("A099", counter="4", status="called"),
                          seq=15))  # another zone
    recent = [ticket(f"A0{n}", counter="3", status="called") for n in range(14, 9, -1)]
    update = made.apply_snapshot(state(recent=recent), 15, 50.0, replayed, announce_replayed=True)
    assert [c.number for c in update.calls] == ["A012", "A013", "A014"]  # the last three
    assert made.newest_call is not None and made.newest_call.number == "A014"
    assert made.flashing(50.0)
    quiet = board().apply_snapshot(state(recent=recent), 15, 50.0, replayed,
                                   announce_replayed=False)
    assert quiet.calls == ()


def test_connection_states_and_banner() -> None:
    made = Board(BoardSettings(zone="T1", stale_after_seconds=3.0))
    assert made.banner(0.0) is Banner.CONNECTING  # nothing yet
    made.set_connection(ConnectionStatus.CONNECTING, 0.0)
    assert made.banner(10.0) is Banner.CONNECTING and made.stale(10.0)
    made.apply_snapshot(state(), 1, 1.0)
    assert made.set_connection(ConnectionStatus.CONNECTED, 1.0)
    assert not made.set_connection(ConnectionStatus.CONNECTED, 1.5)  # unchanged
    assert made.banner(2.0) is Banner.NONE and not made.stale(100.0)
    made.apply_event(event("ticket.called", ticket("A004", counter="3", status="called")), 5.0)
    made.set_connection(ConnectionStatus.LOST, 6.0)
    assert made.stale_at() == 9.0
    assert made.banner(8.9) is Banner.NONE and not made.stale(8.9)  # a blip is not shown
    assert made.banner(9.0) is Banner.CONNECTION_LOST and made.stale(9.0)
    made.set_connection(ConnectionStatus.CONNECTED, 12.0)
    assert made.banner(12.0) is Banner.NONE and made.stale_at() is None


def test_unknown_zone_is_said() -> None:
    made = Board(BoardSettings(zone="T9"))
    made.apply_snapshot(state(), 1, 0.0)
    made.set_connection(ConnectionStatus.CONNECTED, 0.0)
    assert not made.zone_known and made.banner(0.0) is Banner.UNKNOWN_ZONE
    assert made.counters == () and made.services == ()


def test_settings_are_checked() -> None:
    for options in ({"recent_limit": 0}, {"flash_period_seconds": 0.0},
                    {"stale_after_seconds": -1.0}, {"zone": " "}, {"max_replayed_calls": -1}):
        with pytest.raises(DisplaySettingsError):
            BoardSettings(**options)


def test_memory_stays_flat_over_ten_thousand_calls() -> None:
    """Every container is bounded: the model's size after 10,000 calls equals that after 1,000."""
    made = board(recent_limit=8)

    def run_calls(start: int, count: int) -> None:
        for number in range(start, start + count):
            code = str(1 + number % 3)
            made.apply_event(event("ticket.issued", ticket(f"A{number}")), float(number))
            made.apply_event(event("ticket.transferred", ticket(f"T{number}", status="transferred",
                                                                target_counter=code)),
                             float(number))
            made.apply_event(event("ticket.called", ticket(f"A{number}", counter=code,
                                                           status="called")), float(number))
            made.apply_event(event("counter.changed", counter(code, number=f"A{number}")),
                             float(number))
            if number % 2:
                made.apply_event(event("ticket.recalled", ticket(f"A{number}", counter=code,
                                                                 status="called")), float(number))

    def sizes() -> tuple[int, ...]:
        containers = (made._recent, made._counters, made._services, made._counter_transfers)
        return (*(len(item) for item in containers),
                *(sys.getsizeof(item) for item in containers))

    tracemalloc.start()
    try:
        run_calls(0, 2_000)  # warm-up: every bounded container reaches its cap
        after_warm_up = sizes()
        base, _ = tracemalloc.get_traced_memory()
        run_calls(2_000, 5_000)
        middle, _ = tracemalloc.get_traced_memory()
        run_calls(7_000, 5_000)
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sizes() == after_warm_up
    assert len(made.recent_calls) == 8 and len(made._counter_transfers) == MAX_COUNTER_TRANSFERS
    # A leak of even one small object per call would be 10,000 objects (> 500 KB). What is
    # left is the transfer dict's table, whose size swings as it is resized.
    assert current - base < 200 * 1024, f"grew by {current - base} bytes"
    assert abs(current - middle) < 200 * 1024
