"""The store on real SQLite files: migrations, round trips, the unique number guarantee."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from support.servers import site_config

from server.config import parse_settings
from server.domain import apply, new_site_state
from server.domain.commands import CallNext, Command, Finish, IssueTicket, Login, Rate
from server.domain.model import RatingSource, Ticket
from server.store.database import Engines, StoreError
from server.store.repository import Repository, SiteChanges, StoredEvent
from server.store.tables import Base

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def test_migrations_build_exactly_the_models_schema(engines: Engines) -> None:
    with engines.reader.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # UtcDateTime is stored as DateTime: same column type, so no difference is expected.
    assert differences == []


def test_sqlite_runs_in_wal_mode_with_full_sync(engines: Engines) -> None:
    if not engines.is_sqlite:
        pytest.skip("SQLite pragmas")
    with engines.writer.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2


def test_saved_day_loads_back_equal(engines: Engines) -> None:
    site = parse_settings(site_config()).sites[0]
    repository = Repository(engines)
    state = new_site_state(site, NOW)
    batch = []
    for command in (IssueTicket("HT", None, "a"), IssueTicket("DD-NOP", "NCT", "b"),
                    IssueTicket("HT", None, "c", remote=True), Login("3", "minh"), CallNext("3"),
                    Finish("3", "CASE-1"), Rate(f"{site.code}:20261122:A001", 4,
                                                RatingSource.WEB)):
        outcome = apply(site, state, command, NOW)
        state = outcome.state
        wire = tuple(StoredEvent(site.code, event.seq, event.name.value, event.at, "{}")
                     for event in outcome.events)
        batch.append(SiteChanges(state, outcome.events, wire))
    repository.save(batch)

    loaded = repository.load_site(site)
    assert loaded is not None
    assert loaded.seq == state.seq
    assert dict(loaded.tickets) == dict(state.tickets)
    assert {ticket.number: ticket.remote for ticket in loaded.tickets.values()} == \
        {"A001": False, "1001": False, "A002": True}
    assert {code: dict(queue) for code, queue in loaded.queues.items() if queue} == \
        {code: dict(queue) for code, queue in state.queues.items() if queue}
    assert dict(loaded.counters)["3"] == state.counters["3"]
    assert dict(loaded.last_sequence) == dict(state.last_sequence)
    assert dict(loaded.request_keys) == dict(state.request_keys)
    assert dict(loaded.ratings) == dict(state.ratings)
    assert loaded.next_queue_key == state.next_queue_key
    assert [event.seq for event in repository.read_events(site.code, 0, 100)] == \
        list(range(1, state.seq + 1))


def test_a_number_can_never_be_stored_twice(engines: Engines) -> None:
    site = parse_settings(site_config()).sites[0]
    repository = Repository(engines)
    state = new_site_state(site, NOW)
    outcome = apply(site, state, IssueTicket("HT", None, "a"), NOW)
    repository.save([SiteChanges(outcome.state, outcome.events, ())])
    # A second, independent state hands out A001 again (as max()+1 under a race would);
    # the unique (site, day, number) constraint refuses it.
    clash = apply(site, new_site_state(site, NOW), IssueTicket("HT", None, "other"), NOW)
    original = clash.events[0]
    assert isinstance(original.subject, Ticket)
    duplicate = replace(original.subject, id="hcc-test:20261122:A001-copy")
    event = replace(original, seq=original.seq + 10, subject=duplicate)
    with pytest.raises(StoreError):
        repository.save([SiteChanges(clash.state, (event,), ())])
    assert len(repository.load_site(site).tickets) == 1  # type: ignore[union-attr]


def test_a_later_event_of_an_older_ticket_keeps_the_days_last_number(
        engines: Engines) -> None:
    """A001 called after A002 was issued, in a batch of its own: the day's last number
    stays 2, so the numbering read back at a restart gives A003 next, never A002 again."""
    site = parse_settings(site_config()).sites[0]
    repository = Repository(engines)
    state = new_site_state(site, NOW)
    batches: list[list[Command]] = [[IssueTicket("HT", None, "a"),
                                     IssueTicket("HT", None, "b")],
                                    [Login("3", "minh"), CallNext("3")]]
    for commands in batches:
        batch = []
        for command in commands:
            outcome = apply(site, state, command, NOW)
            state = outcome.state
            batch.append(SiteChanges(state, outcome.events, ()))
        repository.save(batch)
    loaded = repository.load_site(site)
    assert loaded is not None
    assert dict(loaded.last_sequence) == {"HT": 2}
    again = apply(site, loaded, IssueTicket("HT", None, "c"), NOW)
    assert isinstance(again.result, Ticket) and again.result.number == "A003"


def test_new_site_loads_as_none(engines: Engines) -> None:
    site = parse_settings(site_config()).sites[0]
    assert Repository(engines).load_site(site) is None
