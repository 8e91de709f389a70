"""The committer never dies: a change that cannot even be prepared for the database is
refused alone (with every later change of its site, which was built on it), logged with its
traceback, and everything else is written; the next presses go on as if nothing happened.

The failure is injected where a bug would strike, in the real repository's preparation of a
batch (the time value that once froze every write is now refused at the edge, so it cannot
reach here through the wire any more).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from support.servers import SITE, table_counts

from server.app.serve import RunningServer
from server.domain.commands import IssueTicket
from server.domain.model import Ticket
from server.store.database import StoreError
from server.store.repository import SiteChanges


def _poison_on(server: RunningServer, monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    repository = server.service.repository
    real_plan = repository.plan

    def plan(batch: list[SiteChanges]) -> Any:
        for changes in batch:
            for event in changes.events:
                if isinstance(event.subject, Ticket) and event.subject.request_key == key:
                    raise OverflowError("date value out of range")
        return real_plan(batch)

    monkeypatch.setattr(repository, "plan", plan)


async def test_a_change_that_cannot_be_prepared_is_refused_alone(
    server: RunningServer, database_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, connect: Any,
) -> None:
    _poison_on(server, monkeypatch, "poison")
    runtime = server.service.sites[SITE]
    # Created in one step, the four presses reach the committer as one batch.
    presses = [asyncio.ensure_future(runtime.execute(IssueTicket("HT", None, key)))
               for key in ("before", "poison", "built-on-it", "later")]
    results = await asyncio.gather(*presses, return_exceptions=True)
    assert not isinstance(results[0], BaseException)
    assert isinstance(results[0].result, Ticket) and results[0].result.number == "A001"
    assert [type(result) for result in results[1:]] == [StoreError] * 3
    assert "could not be saved" in str(results[1])
    logged = [record for record in caplog.records if record.exc_info is not None]
    assert any("cannot be saved" in record.getMessage() for record in logged)
    # The site continues from what was saved: no gap in the numbers, no duplicate.
    kiosk = await connect("kiosk")
    retried = (await kiosk.request("issue", service="HT", request_key="later"))["ticket"]
    assert retried["number"] == "A002"
    assert table_counts(database_path)["tickets"] == 2
    assert server.service.failure is None


async def test_the_committer_survives_a_bug_in_its_own_loop(
    server: RunningServer, database_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, connect: Any,
) -> None:
    committer = server.service.committer
    real_commit = committer._commit
    calls = 0

    async def commit_once_broken(batch: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug in the loop itself")
        await real_commit(batch)

    monkeypatch.setattr(committer, "_commit", commit_once_broken)
    caplog.set_level(logging.ERROR)
    kiosk = await connect("kiosk")
    with pytest.raises(Exception) as refused:
        await kiosk.request("issue", service="HT", request_key="first")
    assert getattr(refused.value, "code", None) == "internal"
    assert any(record.exc_info and "unexpectedly" in record.getMessage()
               for record in caplog.records)
    ticket = (await kiosk.request("issue", service="HT", request_key="second"))["ticket"]
    assert ticket["number"] == "A001"
    assert table_counts(database_path)["tickets"] == 1
    assert server.service.failure is None
