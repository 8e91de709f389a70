"""The reports pages (``/manage/reports``): a form, the figures as a table and three charts,
the downloads (Excel, CSV, the per-case listing) and the printable monthly report.

Every signed-in account reports on the sites it may see (server.reports checks the request
and the account: a site it may not see is refused with 403). The figures and the files are
made in the reports' child processes (server.reports.service), so a report, however large,
never holds the server's GIL; each account makes one file at a time. The pages are
GET forms: a report is a bookmarkable, shareable address and changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from server.app.runtime import QueueService
from server.audit.model import Action
from server.reports.errors import ReportAccessError, ReportDataError, ReportError
from server.reports.model import Report
from server.reports.request import Breakdown, ReportRequest, build_request, month_range
from server.reports.svg import hourly_chart_svg, satisfaction_chart_svg, waiting_chart_svg
from server.reports.table import (
    TOTAL_LABEL,
    TOTAL_LABEL_EN,
    Kind,
    body,
    figure_columns,
    headers,
    key_headers,
)
from server.reports.texts import (
    count_text,
    decimal_text,
    minutes_text,
    percent_text,
    range_text,
)
from server.web.access import visible_sites
from server.web.auth import SignedIn, language, signed_in_endpoint, web_actor
from server.web.templating import page
from server.web.texts import translator

logger = logging.getLogger(__name__)

FORMATS = {"xlsx": ".xlsx", "csv": ".csv", "cases-csv": ".csv"}
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8", "cases-csv": "text/csv; charset=utf-8"}


def report_routes(service: QueueService) -> list[Route]:
    """The reports pages of ``service``."""
    # Accounts with a file being made: one at a time each (a download may take a while).
    exporting: set[str] = set()

    def _common(request: Request, who: SignedIn) -> dict[str, Any]:
        lang = language(request)
        # The language switch keeps the report asked for.
        kept = [(key, value) for key, value in request.query_params.multi_items()
                if key != "lang"]
        path = request.url.path + (f"?{urlencode(kept)}" if kept else "")
        return {"t": translator(lang), "lang": lang, "path": path,
                "account": who.account, "csrf": service.web_sessions.csrf_token(who.session),
                "sites": visible_sites(service, who.account)}

    def _request_of(request: Request, who: SignedIn) -> ReportRequest:
        """The report the query asks for; this month so far, every visible site, by
        service, for what it leaves out."""
        query = request.query_params
        first, last = _this_month(service, who)
        sites = query.getlist("site") or ["all"]
        assert service.configuration.settings is not None
        return build_request(service.configuration.settings, sites=sites,
                             first=query.get("from") or first, last=query.get("to") or last,
                             breakdown=query.get("by") or Breakdown.SERVICE.value,
                             account=who.account)

    async def reports(request: Request, who: SignedIn) -> Response:
        english = language(request).value == "en"
        context = _common(request, who)
        query = request.query_params
        form = {"from": query.get("from", ""), "to": query.get("to", ""),
                "by": query.get("by", Breakdown.SERVICE.value),
                "sites": query.getlist("site") or ["all"]}
        try:
            report_request = _request_of(request, who)
            report = await service.reports.report(report_request)
        except ReportError as error:
            status = 403 if isinstance(error, ReportAccessError) else \
                503 if isinstance(error, ReportDataError) else 400
            if isinstance(error, ReportDataError):
                logger.error("report for %s failed: %s", who.account.user, error)
            return page("reports.html", status, **context, form=form, report=None,
                        error_field=error.field,
                        error=error.message if english else error.message_vi,
                        breakdowns=list(Breakdown))
        form.update({"from": report_request.first.isoformat(),
                     "to": report_request.last.isoformat()})
        return page("reports.html", **context, form=form, report=report,
                    view=_view(report, english), breakdowns=list(Breakdown),
                    query=_query(report_request), error=None, error_field=None)

    async def download(request: Request, who: SignedIn) -> Response:
        english = language(request).value == "en"
        file_format = request.query_params.get("format", "xlsx")
        t = translator(language(request))
        if file_format not in FORMATS:
            return page("message.html", 400, **_common(request, who),
                        message=t("report_format_unknown", value=file_format[:40]))
        try:
            report_request = _request_of(request, who)
        except ReportError as error:
            return page("message.html", 403 if isinstance(error, ReportAccessError) else 400,
                        **_common(request, who),
                        message=f"{error.field}: "
                                f"{error.message if english else error.message_vi}")
        if who.account.user in exporting:
            return page("message.html", 429, **_common(request, who),
                        message=t("report_busy"))
        exporting.add(who.account.user)
        try:
            folder = Path(tempfile.mkdtemp(prefix="qms-report-"))
            made = await service.reports.export(report_request, file_format, folder)
        except ReportError as error:
            logger.error("report file for %s failed: %s", who.account.user, error)
            return page("message.html", 503, **_common(request, who),
                        message=error.message if english else error.message_vi)
        finally:
            exporting.discard(who.account.user)
        logger.info("report file %s (%s, %s) for %s", file_format,
                    report_request.breakdown.value,
                    range_text(report_request.first, report_request.last), who.account.user)
        await service.audit.record(service.audit.entry(
            web_actor(request, who.account), Action.REPORT_DOWNLOAD,
            report_request.sites[0] if len(report_request.sites) == 1 else None,
            _file_name(report_request, file_format),
            after={"sites": list(report_request.sites), "format": file_format,
                   "by": report_request.breakdown.value,
                   "from": report_request.first.isoformat(),
                   "to": report_request.last.isoformat()}))
        return FileResponse(made, media_type=MEDIA_TYPES[file_format],
                            filename=_file_name(report_request, file_format),
                            background=BackgroundTask(_remove, made))

    async def monthly(request: Request, who: SignedIn) -> Response:
        """One site's month, laid out to print: the figures by service and the charts."""
        english = language(request).value == "en"
        query = request.query_params
        visible = visible_sites(service, who.account)
        code = query.get("site") or (visible[0].settings.code if visible else "")
        t = translator(language(request))
        month_text = query.get("month", "")
        try:
            year, month = (int(part) for part in month_text.split("-")) if month_text else \
                _previous_month(service, who)
            first, last = month_range(year, month)
        except ValueError:
            return page("message.html", 400, **_common(request, who),
                        message=t("report_month_wrong", value=month_text[:20]))
        try:
            assert service.configuration.settings is not None
            report_request = build_request(
                service.configuration.settings, sites=[code], first=first, last=last,
                breakdown=Breakdown.SERVICE, account=who.account)
            report = await service.reports.report(report_request)
        except ReportError as error:
            return page("message.html", 403 if isinstance(error, ReportAccessError) else 400,
                        **_common(request, who),
                        message=f"{error.field}: "
                                f"{error.message if english else error.message_vi}")
        site = service.configuration.settings.site(report_request.sites[0])
        assert site is not None
        made = service.clock().astimezone(site.timezone)
        previous = (year, month - 1) if month > 1 else (year - 1, 12)
        following = (year, month + 1) if month < 12 else (year + 1, 1)
        return page("report_monthly.html", **_common(request, who), report=report,
                    view=_view(report, english), compact=_compact(report, english),
                    site=site, year=year,
                    month=month, made=made, previous=f"{previous[0]}-{previous[1]:02d}",
                    following=f"{following[0]}-{following[1]:02d}")

    return [
        Route("/manage/reports", signed_in_endpoint(service, reports)),
        Route("/manage/reports/download", signed_in_endpoint(service, download)),
        Route("/manage/reports/monthly", signed_in_endpoint(service, monthly)),
    ]


def _this_month(service: QueueService, who: SignedIn) -> tuple[date, date]:
    today = _today(service, who)
    return today.replace(day=1), today


def _previous_month(service: QueueService, who: SignedIn) -> tuple[int, int]:
    today = _today(service, who)
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def _today(service: QueueService, who: SignedIn) -> date:
    """Today in the first visible site's time zone (the server's clock)."""
    sites = visible_sites(service, who.account)
    now = service.clock()
    return now.astimezone(sites[0].settings.timezone).date() if sites else now.date()


def _query(request: ReportRequest) -> str:
    """The query string that asks for ``request`` again (for the download links)."""
    pairs = [("site", code) for code in request.sites]
    pairs += [("from", request.first.isoformat()), ("to", request.last.isoformat()),
              ("by", request.breakdown.value)]
    return urlencode(pairs)


def _file_name(request: ReportRequest, file_format: str) -> str:
    """``bao-cao-service-20261101-20261130.xlsx``: plain ASCII, safe in every browser."""
    kind = "ho-so" if file_format == "cases-csv" else f"bao-cao-{request.breakdown.value}"
    site = request.sites[0] if len(request.sites) == 1 else "nhieu-trung-tam"
    return (f"{kind}-{site}-{request.first:%Y%m%d}-{request.last:%Y%m%d}"
            f"{FORMATS[file_format]}")


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def _cell(value: Any, kind: Kind, english: bool) -> str:
    if value is None or value == "":
        return "—" if kind is not Kind.TEXT else ""
    if kind is Kind.COUNT:
        return count_text(int(value), english)
    if kind is Kind.SHARE:
        return percent_text(float(value), english)
    if kind in (Kind.MINUTES, Kind.HOURS, Kind.RATE):
        # The header says the unit: "Chờ: trung vị (phút)".
        return decimal_text(float(value), english)
    return str(value)


def _view(report: Report, english: bool) -> dict[str, Any]:
    """What the templates draw, in the page's language: headers, rows of formatted cells
    (numbers right-aligned), the key figures of the total, and the charts."""
    columns = figure_columns(report)
    keys = len(key_headers(report))
    kinds = [Kind.TEXT] * keys + [column.kind for column in columns]
    rows = [[(_cell(value, kind, english), kind is not Kind.TEXT)
             for value, kind in zip(row, kinds, strict=True)]
            for row in body(report, english)]
    total = report.total

    def count(value: int) -> str:
        return count_text(value, english)

    def percent(share: float | None) -> str:
        return percent_text(share, english)

    return {
        "headers": [(header, kind is not Kind.TEXT)
                    for header, kind in zip(headers(report, english), kinds, strict=True)],
        "rows": rows[:-1], "total": rows[-1],
        "key": [("issued", count(total.issued)), ("served", count(total.served)),
                ("median_wait", minutes_text(total.waiting.median, english)),
                ("within_target", percent(total.within_target_share)),
                ("satisfaction", percent(total.satisfaction_rate)),
                ("rated_share", percent(total.rated_share))],
        "cases": (count(total.cases_served), count(total.cases_dissatisfied)),
        "charts": [("chart_hours",
                    Markup(hourly_chart_svg(report.charts.hours, english=english))),
                   ("chart_waiting",
                    Markup(waiting_chart_svg(report.charts.waiting, english=english))),
                   ("chart_weeks",
                    Markup(satisfaction_chart_svg(report.charts.weeks, english=english)))],
        "range": range_text(report.request.first, report.request.last),
        "site_names": [(english and site.name_en) or site.name_vi for site in report.sites],
    }


def _compact(report: Report, english: bool) -> dict[str, Any]:
    """The monthly report's table: a row per service with the figures a director signs
    for (the full table is the workbook's)."""
    def cells(label: str, figures: Any) -> list[str]:
        return [label, count_text(figures.issued, english),
                count_text(figures.served, english), count_text(figures.no_show, english),
                minutes_text(figures.waiting.median, english),
                percent_text(figures.within_target_share, english),
                count_text(figures.rated, english),
                percent_text(figures.satisfaction_rate, english)]

    return {"rows": [cells(row.label_en if english else row.label, row.figures)
                     for row in report.rows if row.figures.issued],
            "total": cells(TOTAL_LABEL_EN if english else TOTAL_LABEL, report.total)}
