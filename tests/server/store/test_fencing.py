"""The fencing epoch: a site's row is written only while its ``owner_epoch`` is the writer's
own, and a commit that is fenced off writes nothing at all (on SQLite and PostgreSQL, here
and through the writer process)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text, update
from support.servers import site_config

from server.config import parse_settings
from server.config.settings import SiteSettings
from server.domain import apply, new_site_state
from server.domain.commands import IssueTicket
from server.domain.model import SiteState
from server.store.database import Engines, writer_recipe
from server.store.repository import Repository, SiteChanges, StoredEvent
from server.store.tables import SiteRow
from server.store.writer import WriterFenced, WriterProcess

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def issue(site: SiteSettings, state: SiteState, key: str, fence: int) -> SiteChanges:
    outcome = apply(site, state, IssueTicket("HT", None, key), NOW)
    wire = tuple(StoredEvent(site.code, event.seq, event.name.value, event.at, "{}")
                 for event in outcome.events)
    return SiteChanges(outcome.state, outcome.events, wire, fence)


def counts(engines: Engines) -> tuple[int, int, int]:
    """Tickets, events, and the site row's seq (0 when it has no row)."""
    with engines.reader.connect() as connection:
        tickets = connection.execute(text("SELECT count(*) FROM tickets")).scalar()
        events = connection.execute(text("SELECT count(*) FROM events")).scalar()
        seq = connection.execute(select(SiteRow.seq)).scalar() or 0
    return int(tickets or 0), int(events or 0), int(seq)


def bump_epoch(engines: Engines, code: str) -> None:
    """What another process's takeover does to the row: the epoch moves on."""
    with engines.writer.begin() as connection:
        connection.execute(update(SiteRow).where(SiteRow.code == code)
                           .values(owner_epoch=SiteRow.owner_epoch + 1))


def test_a_stale_epoch_writes_nothing_of_its_batch(engines: Engines) -> None:
    site = parse_settings(site_config()).sites[0]
    repository = Repository(engines)
    first = issue(site, new_site_state(site, NOW), "a", fence=0)
    repository.save([first])
    assert repository.owner_epoch(site.code) == 0
    assert counts(engines) == (1, 1, 1)

    bump_epoch(engines, site.code)
    stale = issue(site, first.state, "b", fence=0)
    with pytest.raises(WriterFenced) as refused:
        repository.save([stale])
    assert refused.value.site == site.code
    # Nothing of the stale batch: the transaction is all or nothing.
    assert counts(engines) == (1, 1, 1)

    # The new owner's epoch writes.
    repository.save([issue(site, first.state, "b", fence=1)])
    assert counts(engines) == (2, 2, 2)


def test_a_new_sites_row_is_written_with_its_epoch(engines: Engines) -> None:
    site = parse_settings(site_config()).sites[0]
    repository = Repository(engines)
    assert repository.owner_epoch(site.code) == 0
    repository.save([issue(site, new_site_state(site, NOW), "a", fence=3)])
    assert repository.owner_epoch(site.code) == 3
    with pytest.raises(WriterFenced):
        repository.save([issue(site, new_site_state(site, NOW), "z", fence=2)])


async def test_the_writer_process_answers_fenced_and_goes_on(engines: Engines) -> None:
    site = parse_settings(site_config()).sites[0]
    repository = Repository(engines)
    writer = WriterProcess(writer_recipe(engines))
    await writer.start()
    try:
        first = issue(site, new_site_state(site, NOW), "a", fence=0)
        await writer.write(repository.plan([first]))
        bump_epoch(engines, site.code)
        with pytest.raises(WriterFenced) as refused:
            await writer.write(repository.plan([issue(site, first.state, "b", fence=0)]))
        assert refused.value.site == site.code
        assert counts(engines) == (1, 1, 1)
        await writer.write(repository.plan([issue(site, first.state, "b", fence=1)]))
        assert counts(engines) == (2, 2, 2)
    finally:
        await writer.stop()
