"""Hand-made tickets for the report tests, in real databases: a SQLite file in a temporary
directory and, when CI provides one, a fresh PostgreSQL database.

Site ``hcc`` (Asia/Ho_Chi_Minh, UTC+7), the week of Monday 02/11/2026. Times below are
local; the database holds them as naive UTC, as the server writes them.

====  =======  ==============  ========  ========  ========  ========  ====  ====  ======
id    service  status          issued    1st call  start     finish    at    who   rating
====  =======  ==============  ========  ========  ========  ========  ====  ====  ======
T1    S1       done  HS-1      08:00     08:10     08:10:30  08:20:30  C1    an    4
T2    S1       done  HS-1      08:05     08:25     08:25     08:30     C1    an    1
T3    S2       done  (no code) 08:06     08:40     08:40     08:52     C1    an    -
T4    S3       done  HS-2      09:00     09:01     09:01     09:03     C2    binh  3
T5    S3       no_show         09:10     09:20     -         09:22     C2    binh  -
T6    S1       cancelled       10:00     -         -         10:30     -     -     -
T7    S1->S3   done  HS-3      10:00     10:05     10:30     10:40     C2    binh  2
T8    S3       done  (no code) 00:15 (03/11) 00:20  00:20     00:25     C2    binh  4
T9    S2       done  HS-2      23:50     23:58     23:58     00:06(+1) C1    an    1
====  =======  ==============  ========  ========  ========  ========  ====  ====  ======

T7 was called at C1 by ``an`` (10:05), transferred to S3 and served at C2 by ``binh`` from
its call there at 10:30. T8 belongs to 03/11 (issued after local midnight, 17:15 UTC on
02/11); T9 to 02/11 though served after midnight. Outside the range or the site: U1 (04/11)
and P1 (site ``p1``).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert
from support.databases import fresh_postgres_database

from server.config import Settings, load_settings, parse_settings
from server.demo_history import history_batches, history_days, write_history
from server.reports.model import Figures, Report
from server.reports.request import Breakdown
from server.store.database import migrate, open_engines
from server.store.tables import RatingRow, SiteRow, TicketRow

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = date(2026, 11, 2)


def report_config() -> dict[str, Any]:
    site = {
        "code": "hcc", "name_vi": "Trung tâm thử nghiệm", "name_en": "Test centre",
        "target_wait_minutes": 30,
        "fields": [{"code": "F1", "name_vi": "Đất đai"}, {"code": "F2", "name_vi": "Hộ tịch"}],
        "services": [
            {"code": "S1", "name_vi": "Nộp hồ sơ đất đai", "field": "F1", "numbers": "A###",
             "target_wait_minutes": 10},
            {"code": "S2", "name_vi": "Nhận kết quả đất đai", "field": "F1", "numbers": "B###"},
            {"code": "S3", "name_vi": "Đăng ký khai sinh", "field": "F2", "numbers": "C###"},
        ],
        "zones": [{"code": "Z", "name_vi": "Tầng 1"}],
        "counters": [{"code": "C1", "name": "Quầy 1", "zone": "Z", "services": ["S1", "S2"]},
                     {"code": "C2", "name": "Quầy 2", "zone": "Z", "services": ["S3"]}],
        "officers": [
            {"user": "an", "full_name": "Nguyễn Văn An",
             "password_hash": "scrypt$16384$8$1$c2FsdA==$aGFzaA=="},
            {"user": "binh", "full_name": "Trần Thị Bình",
             "password_hash": "scrypt$16384$8$1$c2FsdA==$aGFzaA=="},
        ],
    }
    ward = {
        "code": "p1", "name_vi": "Phường 1", "fields": [{"code": "F1", "name_vi": "Đất đai"}],
        "services": [{"code": "S1", "name_vi": "Nộp hồ sơ", "field": "F1", "numbers": "A###"}],
        "zones": [{"code": "Z", "name_vi": "Một cửa"}],
        "counters": [{"code": "C1", "name": "Quầy 1", "zone": "Z", "services": ["S1"]}],
    }
    return {"server": {"secret": "report-test-secret-0123"}, "sites": [site, ward],
            "accounts": [{"user": "giamdoc", "full_name": "Giám đốc", "role": "manager",
                          "sites": ["hcc"],
                          "password_hash": "scrypt$16384$8$1$c2FsdA==$aGFzaA=="}]}


def local(day: date, clock: str, days_after: int = 0) -> datetime:
    """A local time of ``day`` (``HH:MM`` or ``HH:MM:SS``) as an aware UTC datetime."""
    parts = [int(part) for part in clock.split(":")]
    seconds = parts[2] if len(parts) > 2 else 0
    moment = datetime.combine(day, time(parts[0], parts[1], seconds), tzinfo=ZONE)
    return (moment + timedelta(days=days_after)).astimezone(UTC)


def ticket(number: str, service: str, status: str, issued: datetime,
           first_called: datetime | None = None, serving: datetime | None = None,
           finished: datetime | None = None, called: datetime | None = None,
           counter: str | None = None, officer: str | None = None, case: str | None = None,
           transfers: int = 0, site: str = "hcc", day: date = MONDAY) -> dict[str, Any]:
    return {
        "id": f"{site}:{day:%Y%m%d}:{number}", "site": site, "business_date": day,
        "number": number, "sequence": int(number[1:]), "number_group": service,
        "service": service, "priority": None, "status": status, "queue_key": int(number[1:]),
        "request_key": None, "counter": counter, "target_counter": None, "officer": officer,
        "issued_at": issued, "called_at": called or first_called,
        "first_called_at": first_called, "serving_at": serving, "finished_at": finished,
        "appointment_at": None, "call_count": 1 if first_called else 0, "requeue_count": 0,
        "transfer_count": transfers, "case_code": case,
    }


def hand_made_tickets() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    day = MONDAY
    tuesday = MONDAY + timedelta(days=1)

    def at(clock: str, days_after: int = 0) -> datetime:
        return local(day, clock, days_after)

    rows = [
        ticket("A001", "S1", "done", at("08:00"), at("08:10"), at("08:10:30"), at("08:20:30"),
               counter="C1", officer="an", case="HS-1"),
        ticket("A002", "S1", "done", at("08:05"), at("08:25"), at("08:25"), at("08:30"),
               counter="C1", officer="an", case="HS-1"),
        ticket("B001", "S2", "done", at("08:06"), at("08:40"), at("08:40"), at("08:52"),
               counter="C1", officer="an"),
        ticket("C001", "S3", "done", at("09:00"), at("09:01"), at("09:01"), at("09:03"),
               counter="C2", officer="binh", case="HS-2"),
        ticket("C002", "S3", "no_show", at("09:10"), at("09:20"), None, at("09:22"),
               counter="C2", officer="binh"),
        ticket("A003", "S1", "cancelled", at("10:00"), finished=at("10:30")),
        ticket("A004", "S3", "done", at("10:00"), at("10:05"), at("10:30"), at("10:40"),
               called=at("10:30"), counter="C2", officer="binh", case="HS-3", transfers=1),
        ticket("C003", "S3", "done", local(tuesday, "00:15"), local(tuesday, "00:20"),
               local(tuesday, "00:20"), local(tuesday, "00:25"), counter="C2",
               officer="binh", day=tuesday),
        ticket("B002", "S2", "done", at("23:50"), at("23:58"), at("23:58"), at("00:06", 1),
               counter="C1", officer="an", case="HS-2"),
        # Outside the report: the next day, and another site.
        ticket("A001", "S1", "done", local(tuesday, "08:00", 1), local(tuesday, "08:01", 1),
               local(tuesday, "08:01", 1), local(tuesday, "08:02", 1), counter="C1",
               officer="an", day=tuesday + timedelta(days=1)),
        ticket("A001", "S1", "done", at("08:00"), at("08:01"), at("08:01"), at("08:02"),
               counter="C1", site="p1"),
    ]
    scores = {"hcc:20261102:A001": 4, "hcc:20261102:A002": 1, "hcc:20261102:C001": 3,
              "hcc:20261102:A004": 2, "hcc:20261103:C003": 4, "hcc:20261102:B002": 1,
              "hcc:20261104:A001": 1, "p1:20261102:A001": 1}
    by_id = {row["id"]: row for row in rows}
    ratings = [{"ticket_id": ticket_id, "site": by_id[ticket_id]["site"], "score": score,
                "source": "counter", "rated_at": by_id[ticket_id]["finished_at"]
                + timedelta(seconds=10), "counter": by_id[ticket_id]["counter"],
                "officer": by_id[ticket_id]["officer"], "service": by_id[ticket_id]["service"],
                "case_code": by_id[ticket_id]["case_code"]} for ticket_id, score in scores.items()]
    return rows, ratings


@pytest.fixture
def report_settings() -> Settings:
    return parse_settings(report_config())


def database_url(kind: str, tmp_path: Path, stack: ExitStack) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'qms.sqlite3'}"
    return stack.enter_context(fresh_postgres_database())


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database with no ticket: its URL."""
    with ExitStack() as stack:
        url = database_url(request.param, tmp_path, stack)
        engines = open_engines(url)
        migrate(engines)
        engines.dispose()
        yield url


@pytest.fixture
def report_database(empty_database: str) -> str:
    """The hand-made tickets of this module's docstring: the database's URL."""
    rows, ratings = hand_made_tickets()
    engines = open_engines(empty_database)
    try:
        with engines.writer.begin() as connection:
            connection.execute(insert(TicketRow), rows)
            connection.execute(insert(RatingRow), ratings)
    finally:
        engines.dispose()
    return empty_database


def without_means(figures: Figures) -> tuple[Figures, list[float | None]]:
    """The figures with their means apart: a sum of floats added in another order may
    differ in its last bits."""
    means = [figures.waiting.mean, figures.service.mean]
    return replace(figures, waiting=replace(figures.waiting, mean=None),
                   service=replace(figures.service, mean=None)), means


def assert_same(one: dict[Breakdown, Report], two: dict[Breakdown, Report]) -> None:
    """Exactly the same reports, but for the means' last bits."""
    assert one.keys() == two.keys()
    for breakdown in one:
        pairs = [(mine.figures, theirs.figures, mine.label) for mine, theirs in
                 zip(one[breakdown].rows, two[breakdown].rows, strict=True)]
        pairs.append((one[breakdown].total, two[breakdown].total, "total"))
        for mine, theirs, label in pairs:
            (exact, means), (other, other_means) = without_means(mine), without_means(theirs)
            assert exact == other, (breakdown, label)
            for mean, other_mean in zip(means, other_means, strict=True):
                assert (mean is None and other_mean is None) or \
                    math.isclose(mean or 0.0, other_mean or 0.0, rel_tol=1e-12)
        rows = [replace(row, figures=without_means(row.figures)[0])
                for row in one[breakdown].rows]
        other_rows = [replace(row, figures=without_means(row.figures)[0])
                      for row in two[breakdown].rows]
        assert rows == other_rows, breakdown
        assert replace(one[breakdown], rows=(), total=without_means(one[breakdown].total)[0]) \
            == replace(two[breakdown], rows=(), total=without_means(two[breakdown].total)[0])


def write(url: str, *statements: Any) -> None:
    """Run ``statements`` in one transaction on the database at ``url``."""
    engines = open_engines(url)
    try:
        with engines.writer.begin() as connection:
            for statement in statements:
                connection.execute(statement)
    finally:
        engines.dispose()


def live_days(day: date, *sites: str) -> Any:
    """The ``sites`` rows saying ``day`` is each one's live (current) business day."""
    return insert(SiteRow).values([{"code": site, "business_date": day, "seq": 0,
                                    "next_queue_key": 0, "owner_epoch": 0} for site in sites])


def write_demo_history(path: Path, days: Sequence[date]) -> None:
    """A new SQLite file at ``path`` holding the demo's provincial centre and ward over
    ``days`` (server.demo_history: their officers' real-looking days)."""
    engines = open_engines(f"sqlite:///{path}")
    try:
        migrate(engines)
        write_history(engines, history_batches(load_settings(None).sites, days))
    finally:
        engines.dispose()


# The demo's generated history of the parts and split-plan tests: eight weekdays of its
# provincial centre and ward (about 4,500 tickets); the last one is their live day.
HISTORY_LAST_DAY = date(2026, 12, 1)
HISTORY_DAYS = 11


@pytest.fixture(scope="module")
def demo_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's history (:data:`HISTORY_DAYS` to :data:`HISTORY_LAST_DAY`), written once
    for a test module; not to be changed."""
    path = tmp_path_factory.mktemp("demo_history") / "history.sqlite3"
    write_demo_history(path, history_days(HISTORY_LAST_DAY, HISTORY_DAYS))
    return path


@pytest.fixture
def demo_history_copy(demo_history: Path, tmp_path: Path) -> Path:
    """A copy of :func:`demo_history` of this test's own, to change."""
    path = tmp_path / "history.sqlite3"
    shutil.copy(demo_history, path)
    return path
