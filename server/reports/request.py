"""What a report is asked for: sites, the first and last local day, a breakdown.

:func:`build_request` is the one place that checks a request, for the web form and for
``qms report`` alike; each refusal is a :class:`ReportError` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from server.config.settings import AccountSettings, Settings, SiteSettings
from server.reports.errors import ReportAccessError, ReportError

# The longest range a report covers: a year, leap day included.
MAX_DAYS = 366
ALL_SITES = "all"

_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_VIETNAMESE_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


class Breakdown(StrEnum):
    """What a report's rows are: one per service, field, counter, officer, hour of the day
    (local, by issue time), day or site."""

    SERVICE = "service"
    FIELD = "field"
    COUNTER = "counter"
    OFFICER = "officer"
    HOUR = "hour"
    DAY = "day"
    SITE = "site"


BREAKDOWN_TITLES = {
    Breakdown.SERVICE: ("Theo dịch vụ", "By service"),
    Breakdown.FIELD: ("Theo lĩnh vực", "By field"),
    Breakdown.COUNTER: ("Theo quầy", "By counter"),
    Breakdown.OFFICER: ("Theo cán bộ", "By officer"),
    Breakdown.HOUR: ("Theo giờ", "By hour of day"),
    Breakdown.DAY: ("Theo ngày", "By day"),
    Breakdown.SITE: ("Theo trung tâm", "By site"),
}


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """A checked request: ``sites`` (codes, in the configuration's order), the local days
    ``first`` to ``last`` (both included, ``business_date`` of the tickets), and the
    breakdown of the rows."""

    sites: tuple[str, ...]
    first: date
    last: date
    breakdown: Breakdown

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def parse_day(field: str, value: date | str) -> date:
    """A day given as a date, ``dd/mm/yyyy`` or ``yyyy-mm-dd``; raises :class:`ReportError`
    naming ``field`` otherwise."""
    if isinstance(value, date):
        return value
    text = value.strip()
    iso = _ISO_DAY.fullmatch(text)
    vietnamese = _VIETNAMESE_DAY.fullmatch(text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if vietnamese:
            return date(int(vietnamese[3]), int(vietnamese[2]), int(vietnamese[1]))
    except ValueError as error:
        raise ReportError(field, f"{text!r} is not a day of the calendar ({error})",
                          f"{text!r} không phải là một ngày có thật") from error
    raise ReportError(field, f"{text!r} is not a day: write dd/mm/yyyy or yyyy-mm-dd",
                      f"{text!r} không phải là ngày: viết dd/mm/yyyy hoặc yyyy-mm-dd")


def build_request(
    settings: Settings,
    *,
    sites: str | Sequence[str],
    first: date | str,
    last: date | str,
    breakdown: Breakdown | str,
    account: AccountSettings | None = None,
) -> ReportRequest:
    """Check a request and return it.

    ``sites``: site codes, or ``"all"`` (alone or in the list): every site of the deployment
    that ``account`` may see (all of them without an account, as for ``qms report``).
    ``account``: the signed-in manager; a site they may not see is refused with
    :class:`ReportAccessError`. Raises :class:`ReportError` naming ``site``, ``from``, ``to``
    or ``by`` for anything else wrong.
    """
    first_day = parse_day("from", first)
    last_day = parse_day("to", last)
    if last_day < first_day:
        raise ReportError("to", f"{last_day:%d/%m/%Y} is before the first day "
                                f"{first_day:%d/%m/%Y}",
                          f"ngày {last_day:%d/%m/%Y} trước ngày bắt đầu {first_day:%d/%m/%Y}")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise ReportError("to", f"the range {first_day:%d/%m/%Y}-{last_day:%d/%m/%Y} is longer "
                                f"than a year ({MAX_DAYS} days at most)",
                          f"khoảng {first_day:%d/%m/%Y}-{last_day:%d/%m/%Y} dài quá một năm "
                          f"(tối đa {MAX_DAYS} ngày)")
    try:
        kind = Breakdown(breakdown)
    except ValueError:
        choices = ", ".join(item.value for item in Breakdown)
        raise ReportError("by", f"{breakdown!r} is not a breakdown (one of {choices})",
                          f"{breakdown!r} không phải cách chia (một trong {choices})") from None
    return ReportRequest(_sites(settings, sites, account), first_day, last_day, kind)


def visible_sites(settings: Settings, account: AccountSettings | None) -> tuple[SiteSettings, ...]:
    """The sites ``account`` may see (every site without an account), in configuration
    order: what a form offers."""
    return tuple(site for site in settings.sites if account is None or account.may_see(site.code))


def _sites(settings: Settings, asked: str | Sequence[str],
           account: AccountSettings | None) -> tuple[str, ...]:
    codes = [asked] if isinstance(asked, str) else list(asked)
    codes = [code.strip() for code in codes if code.strip()]
    if not codes:
        raise ReportError("site", "choose at least one site (or all)",
                          "chọn ít nhất một trung tâm (hoặc tất cả)")
    visible = visible_sites(settings, account)
    if ALL_SITES in codes:
        if not visible:
            raise ReportAccessError("site", "this account may see no site",
                                    "tài khoản này không được xem trung tâm nào")
        return tuple(site.code for site in visible)
    wanted = set()
    for code in codes:
        if settings.site(code) is None:
            known = ", ".join(site.code for site in settings.sites)
            raise ReportError("site", f"no site {code!r} (known: {known})",
                              f"không có trung tâm {code!r} (có: {known})")
        if account is not None and not account.may_see(code):
            raise ReportAccessError("site", f"account {account.user!r} may not see site "
                                            f"{code!r}",
                                    f"tài khoản {account.user!r} không được xem trung tâm "
                                    f"{code!r}")
        wanted.add(code)
    return tuple(site.code for site in settings.sites if site.code in wanted)


def month_range(year: int, month: int) -> tuple[date, date]:
    """The first and last day of a calendar month (the printable monthly report's range)."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)
