"""Report requests: each refusal names the field, in English and Vietnamese."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from server.config import Settings
from server.reports.errors import ReportAccessError, ReportError
from server.reports.request import Breakdown, build_request, month_range, parse_day
from server.reports.timeline import OffsetPeriod, offset_periods


def test_days_in_either_form() -> None:
    assert parse_day("from", "01/11/2026") == date(2026, 11, 1)
    assert parse_day("from", "1/2/2026") == date(2026, 2, 1)
    assert parse_day("from", " 2026-11-30 ") == date(2026, 11, 30)
    assert parse_day("from", date(2026, 1, 5)) == date(2026, 1, 5)
    with pytest.raises(ReportError) as refused:
        parse_day("to", "31/02/2026")
    assert refused.value.field == "to" and "not a day of the calendar" in str(refused.value)
    with pytest.raises(ReportError, match="write dd/mm/yyyy or yyyy-mm-dd"):
        parse_day("from", "tháng 11")


def test_a_good_request(report_settings: Settings) -> None:
    request = build_request(report_settings, sites=["p1", "hcc"], first="01/11/2026",
                            last="2026-11-30", breakdown="officer")
    # Sites in the configuration's order, whatever order they were asked in.
    assert request.sites == ("hcc", "p1")
    assert (request.first, request.last, request.days) == (date(2026, 11, 1),
                                                           date(2026, 11, 30), 30)
    assert request.breakdown is Breakdown.OFFICER
    assert build_request(report_settings, sites="all", first="01/11/2026", last="01/11/2026",
                         breakdown="day").sites == ("hcc", "p1")


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"last": "31/10/2026"}, "to", "31/10/2026 is before the first day 01/11/2026"),
    ({"last": "02/11/2027"}, "to", "longer than a year (366 days at most)"),
    ({"sites": ["hcc", "nowhere"]}, "site", "no site 'nowhere' (known: hcc, p1)"),
    ({"sites": []}, "site", "choose at least one site"),
    ({"breakdown": "month"}, "by", "'month' is not a breakdown"),
    ({"first": "hôm qua"}, "from", "is not a day"),
])
def test_bad_requests_name_the_field(report_settings: Settings, changes: dict[str, object],
                                     field: str, words: str) -> None:
    arguments: dict[str, object] = {"sites": "hcc", "first": "01/11/2026",
                                    "last": "30/11/2026", "breakdown": "service", **changes}
    with pytest.raises(ReportError) as refused:
        build_request(report_settings, **arguments)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert words in refused.value.message
    assert refused.value.message_vi  # a Vietnamese message for the pages


def test_a_whole_year_is_allowed(report_settings: Settings) -> None:
    request = build_request(report_settings, sites="hcc", first="01/01/2028",
                            last="31/12/2028", breakdown="service")
    assert request.days == 366


def test_a_manager_sees_only_their_sites(report_settings: Settings) -> None:
    manager = report_settings.account("giamdoc")
    assert manager is not None
    assert build_request(report_settings, sites="all", first="01/11/2026", last="30/11/2026",
                         breakdown="service", account=manager).sites == ("hcc",)
    with pytest.raises(ReportAccessError) as refused:
        build_request(report_settings, sites=["p1"], first="01/11/2026", last="30/11/2026",
                      breakdown="service", account=manager)
    assert refused.value.field == "site"
    assert "may not see site 'p1'" in refused.value.message


def test_month_range() -> None:
    assert month_range(2026, 11) == (date(2026, 11, 1), date(2026, 11, 30))
    assert month_range(2026, 12) == (date(2026, 12, 1), date(2026, 12, 31))
    assert month_range(2028, 2) == (date(2028, 2, 1), date(2028, 2, 29))


def test_offsets_of_a_zone_with_daylight_saving() -> None:
    assert offset_periods(ZoneInfo("Asia/Ho_Chi_Minh"), date(2026, 1, 1),
                          date(2026, 12, 31)) == (OffsetPeriod(None, 25200),)
    periods = offset_periods(ZoneInfo("Europe/Berlin"), date(2026, 10, 20), date(2026, 10, 30))
    assert [(period.until and period.until.isoformat(), period.seconds)
            for period in periods] == [("2026-10-25T01:00:00", 7200), (None, 3600)]
