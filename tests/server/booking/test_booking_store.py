"""The bookings' statements on a SQLite file and on PostgreSQL (when CI provides one): the
guarded insert counts the slot and the person in the same statement, every later change is
guarded by the state it expects, and each returns how many rows it changed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from support.databases import fresh_postgres_database, run_here

from server.booking.model import Booking, BookingKind, BookingStatus, IdentityKind
from server.booking.store import NO_LIMIT, BookingStore
from server.store.database import Engines, migrate, open_engines

START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Hồ Chí Minh City
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engines]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'qms.sqlite3'}"
        else:
            url = stack.enter_context(fresh_postgres_database())
        engines = open_engines(url)
        stack.callback(engines.dispose)
        migrate(engines)
        yield engines


def booking(number: int, person: str = "person-1", field: str = "TP",
            start: datetime = START, day: date = date(2026, 11, 23)) -> Booking:
    return Booking(
        id=0, code_hash=f"{number:064x}", code_sealed="ABCD2345", site="hcc", service="HT",
        field=field, kind=BookingKind.SLOT, day=day, slot_start=start,
        slot_end=start + timedelta(minutes=30), check_in_from=start - timedelta(minutes=30),
        check_in_until=start + timedelta(minutes=15), status=BookingStatus.BOOKED,
        ticket_id=None, check_in_key=None, identity_kind=IdentityKind.PHONE,
        identity_hash=person, phone="0912345678", language="vi",
        remind_at=start - timedelta(hours=1), reminded_at=None, created_at=NOW,
        updated_at=NOW, personal_erased_at=None)


def test_the_guarded_insert_holds_capacity_and_every_limit(engines: Engines) -> None:
    store = BookingStore(engines)

    def add(item: Booking, capacity: int = 2, per_day: int = 2, per_field: int = 1,
            open_limit: int = 3) -> int:
        return run_here(engines, store.insert_plan(item, capacity, per_day, per_field,
                                                   open_limit))[0]

    assert add(booking(1, "a")) == 1
    assert add(booking(2, "b")) == 1
    assert add(booking(3, "c")) == 0  # the slot holds 2
    assert add(booking(3, "c"), capacity=NO_LIMIT) == 1
    assert add(booking(4, "a", start=START + timedelta(hours=1))) == 0  # a's field today
    assert add(booking(4, "a", field="DD", start=START + timedelta(hours=1))) == 1
    assert add(booking(5, "a", field="XX", start=START + timedelta(hours=2))) == 0  # 2 a day
    tomorrow = START + timedelta(days=1)
    assert add(booking(5, "a", start=tomorrow, day=date(2026, 11, 24))) == 1
    assert add(booking(6, "a", start=tomorrow + timedelta(days=1),
                       day=date(2026, 11, 25))) == 0  # 3 open
    taken = store.taken("hcc", "HT", START - timedelta(hours=1), START + timedelta(days=2))
    assert taken == {START: 3, START + timedelta(hours=1): 1, tomorrow: 1}
    counts = store.person_counts("a", date(2026, 11, 23), "TP")
    assert (counts.day, counts.field, counts.open) == (2, 1, 3)


def test_changes_are_guarded_by_the_state_they_expect(engines: Engines) -> None:
    store = BookingStore(engines)
    for number, person in ((1, "a"), (2, "b"), (3, "c")):
        run_here(engines, store.insert_plan(booking(number, person), 9, 9, 9, 9))
    first, second, third = (f"{number:064x}" for number in (1, 2, 3))
    assert run_here(engines, store.check_in_plan(first, "hcc:20261123:A001", "k", NOW)) == [1]
    assert run_here(engines, store.check_in_plan(first, "hcc:20261123:A002", "k", NOW)) == [0]
    assert run_here(engines, store.close_plan(second, BookingStatus.BOOKED,
                                              BookingStatus.CANCELLED, NOW)) == [1]
    assert run_here(engines, store.close_plan(second, BookingStatus.BOOKED,
                                              BookingStatus.CANCELLED, NOW)) == [0]
    # A reminder is claimed once; a cancelled booking's never.
    due = store.reminders_due(START)
    assert [item.code_hash for item in due] == [third]
    assert run_here(engines, store.claim_reminder_plan(due[0].id, START)) == [1]
    assert run_here(engines, store.claim_reminder_plan(due[0].id, START)) == [0]
    assert store.reminders_due(START) == []
    # The window's end: only the still booked one expires, its phone erased.
    assert run_here(engines, store.expire_plan(START + timedelta(minutes=15))) == [1]
    states = {item.code_hash: item for item in (store.by_code_hash(first),
                                                store.by_code_hash(second),
                                                store.by_code_hash(third)) if item}
    assert [(states[key].status, states[key].phone) for key in (first, second, third)] == [
        (BookingStatus.CHECKED_IN, None), (BookingStatus.CANCELLED, None),
        (BookingStatus.EXPIRED, None)]
    assert states[first].ticket_id == "hcc:20261123:A001"
    # Personal data of days before the cutoff, of that site only.
    run_here(engines, store.insert_plan(replace(booking(4, "d"), site="other"), 9, 9, 9, 9))
    assert run_here(engines, store.erase_plan("hcc", date(2026, 11, 23), NOW)) == [0]
    assert run_here(engines, store.erase_plan("hcc", date(2026, 11, 24), NOW)) == [3]
    assert run_here(engines, store.erase_plan("hcc", date(2026, 11, 24), NOW)) == [0]
    erased = store.by_code_hash(first)
    assert erased is not None and erased.identity_hash is None and erased.personal_erased_at
    kept = store.by_code_hash(f"{4:064x}")
    assert kept is not None and kept.identity_hash == "d"
