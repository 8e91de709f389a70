"""A plan is one transaction: all of it or none of it, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text
from support.databases import EVENT_AT as AT
from support.databases import event_row as event
from support.databases import run_here as run

from server.store.bulk import DriverStatement
from server.store.database import Engines
from server.store.tables import EventRow, SiteRow


def test_a_plan_is_all_or_nothing(engines: Engines) -> None:
    events = DriverStatement(insert(EventRow), engines.writer.dialect)
    sites = DriverStatement(insert(SiteRow), engines.writer.dialect)
    driver_error = engines.writer.dialect.loaded_dbapi.Error
    with pytest.raises(driver_error):  # the second row breaks the primary key
        run(engines, (events.bind([event(1), event(2)]), events.bind([event(2)])))
    with engines.reader.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM events")).scalar() == 0
    site = {"code": "hcc", "business_date": AT.date(), "seq": 3, "next_queue_key": 4,
            "owner_epoch": 0, "owner": None, "owned_since": None}
    assert run(engines, (events.bind([event(1), event(2)]), sites.bind([site]))) == [2, 1]
    with engines.reader.connect() as connection:
        assert connection.execute(select(SiteRow.business_date)).scalar() == AT.date()
