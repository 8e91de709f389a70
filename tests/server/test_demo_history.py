"""The demo's history: a month of weekdays at both demo sites, realistic volumes, only past
days, deterministic; the server starts on it with today empty; it is written once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select

from server.app.serve import start_server
from server.config import load_settings
from server.demo_history import (
    fill_demo_history,
    fill_history,
    history_batches,
    history_days,
)
from server.protocol.client import ProtocolClient
from server.store.tables import NumberCounterRow, RatingRow, SiteRow, TicketRow

TODAY = date(2026, 12, 4)  # a Friday
NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # 09:00 in Hồ Chí Minh City
ADMIN_TOKEN = "demo-admin-token-0001"  # from server/config/demo.toml


def test_the_weekdays_of_the_30_days_before_today() -> None:
    days = history_days(TODAY)
    assert days[0] == date(2026, 11, 4) and days[-1] == date(2026, 12, 3)
    assert len(days) == 22 and all(day.weekday() < 5 for day in days)


def test_volumes_hours_and_mix_of_each_site() -> None:
    settings = load_settings(None)
    days = history_days(TODAY)[:5]
    batches = list(history_batches(settings.sites, days))
    assert [(batch.site, batch.day) for batch in batches[:2]] == [
        ("hcc-tinh", days[0]), ("ubnd-phuong-1", days[0])]
    for batch in batches:
        low, high = (340, 650) if batch.site == "hcc-tinh" else (40, 175)
        assert low <= len(batch.tickets) <= high, (batch.site, len(batch.tickets))
    tickets = [row for batch in batches for row in batch.tickets]
    statuses = Counter(row["status"] for row in tickets)
    assert statuses["done"] / len(tickets) > 0.85
    assert statuses["no_show"] > 0 and statuses["cancelled"] > 0
    assert any(row["transfer_count"] for row in tickets)
    assert any(row["priority"] for row in tickets)
    assert any(row["case_code"] for row in tickets)
    # Issued in the centres' hours (local): from a quarter before opening to closing.
    hours = Counter(row["issued_at"].astimezone(settings.sites[0].timezone).hour
                    for row in tickets)
    assert set(hours) <= {6, 7, 8, 9, 10, 11, 13, 14, 15, 16}
    assert hours[9] > hours[7] and hours[14] > hours[16]  # morning and afternoon peaks
    scores = Counter(rating["score"] for batch in batches for rating in batch.ratings)
    assert scores[4] > scores[3] > scores[2] and scores[1] > 0  # mostly positive
    # Every served ticket has its times in order; ids and numbers are unique per day.
    for row in tickets:
        if row["status"] == "done":
            assert row["issued_at"] <= row["first_called_at"] <= row["serving_at"] \
                <= row["finished_at"]
    assert len({row["id"] for row in tickets}) == len(tickets)
    again = list(history_batches(settings.sites, days))
    assert [row["id"] for batch in again for row in batch.tickets] == \
        [row["id"] for row in tickets]  # the same for the same seed


async def test_the_server_starts_on_it_with_today_empty(tmp_path: Path) -> None:
    settings = load_settings(None)
    url = f"sqlite:///{tmp_path / 'qms.sqlite3'}"
    summary = fill_history(settings, url, TODAY)
    assert summary is not None
    assert summary.ticket_count > 22 * 400
    assert set(summary.tickets) == {"hcc-tinh", "ubnd-phuong-1"}
    engine = create_engine(url)
    with engine.connect() as connection:
        last_day = connection.execute(select(func.max(TicketRow.business_date))).scalar()
        assert last_day == date(2026, 12, 3)
        sites = {row.code: row for row in connection.execute(select(SiteRow))}
        assert {code: (row.business_date, row.seq) for code, row in sites.items()} == {
            "hcc-tinh": (date(2026, 12, 3), 0), "ubnd-phuong-1": (date(2026, 12, 3), 0)}
        assert connection.execute(select(func.count()).select_from(RatingRow)).scalar_one() > 0
        assert connection.execute(select(func.count()).select_from(NumberCounterRow)).scalar()
    engine.dispose()
    running = await start_server(settings, host="127.0.0.1", port=0, database_url=url,
                                 clock=lambda: NOW)
    try:
        runtime = running.service.sites["hcc-tinh"]
        assert runtime.committed.business_date == TODAY
        assert len(runtime.committed.tickets) == 0
        # The history's service times feed today's estimates.
        assert runtime.committed.service_seconds.get("DD-NOP")
        async with ProtocolClient(running.ws_url, "admin", ADMIN_TOKEN, "hcc-tinh",
                                  subscribe=[]) as admin:
            ticket = (await admin.request("issue", service="DD-NOP",
                                          request_key="first-today"))["ticket"]
            assert ticket["number"] == "1001"
            assert admin.hello_result["seq"] == 1  # the day's reset, after the history's 0
    finally:
        await running.stop()
    assert fill_history(settings, url, TODAY) is None  # written once only


async def test_the_demo_says_it_filled_the_history(tmp_path: Path) -> None:
    settings = load_settings(None)
    said: list[str] = []
    url = f"sqlite:///{tmp_path / 'qms.sqlite3'}"
    await fill_demo_history(settings, url, said.append)
    assert len(said) == 1 and said[0].startswith("  history: filled ")
    assert "hcc-tinh" in said[0] and "ubnd-phuong-1" in said[0]
    await fill_demo_history(settings, url, said.append)
    assert len(said) == 1  # a database with tickets is left alone
