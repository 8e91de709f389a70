"""Running a report: the statements of :mod:`server.reports.queries` in one read
transaction, turned into a :class:`~server.reports.model.Report` named from the settings.

Blocking: call it from a worker thread or process (``ReportService`` does), never from the
event loop.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, FromClause, Integer, Row, insert, literal_column
from sqlalchemy.sql.elements import ColumnElement

from server.config.settings import Settings, SiteSettings
from server.reports import day_cache, queries
from server.reports import percentiles as percentiles_of
from server.reports.errors import ReportDataError, ReportError
from server.reports.model import (
    CaseRow,
    Charts,
    Durations,
    Figures,
    HourCount,
    Report,
    ReportRow,
    ScaleStep,
    SiteName,
    WaitBucket,
    WeekSatisfaction,
)
from server.reports.percentiles import Percentiles
from server.reports.request import Breakdown, ReportRequest
from server.reports.source import reading, sqlite_file
from server.reports.texts import (
    NOT_CALLED,
    NOT_CALLED_EN,
    UNKNOWN_FIELD,
    UNKNOWN_FIELD_EN,
    UNKNOWN_OFFICER,
    UNKNOWN_OFFICER_EN,
    day_label,
    hour_label,
)
from server.reports.timeline import offset_periods

GroupKey = tuple[str | None, Any]
# Rows of the per-case listing fetched from the database at a time.
CASE_BATCH = 2000


def scope_of(settings: Settings, request: ReportRequest, dialect: str) -> queries.Scope:
    """The :class:`~server.reports.queries.Scope` of ``request`` (its sites must be
    configured: :func:`~server.reports.request.build_request` made sure)."""
    sites = []
    for code in request.sites:
        site = settings.site(code)
        if site is None:
            raise ReportError("site", f"no site {code!r}", f"không có trung tâm {code!r}")
        sites.append(site)
    periods = {site.code: offset_periods(site.timezone, request.first, request.last)
               for site in sites}
    return queries.Scope(request, tuple(sites), dialect, periods)


def run_report(engine: Engine, settings: Settings, request: ReportRequest,
               now: datetime | None = None) -> Report:
    """The figures of ``request``: a row per group of its breakdown, the total and the chart
    series, all read in one transaction. ``now``: when it was made (default: the clock).

    Raises :class:`~server.reports.errors.ReportDataError` when the database cannot be read.
    """
    return run_reports(engine, settings, request, (request.breakdown,), now)[request.breakdown]


def run_reports(engine: Engine, settings: Settings, request: ReportRequest,
                breakdowns: Sequence[Breakdown], now: datetime | None = None,
                use_day_cache: bool = True, parts: int | None = None) -> dict[Breakdown, Report]:
    """One report per breakdown of ``request``'s tickets (the workbook's sheets), read in
    one transaction from one copy of the tickets: the total and charts are shared.

    On SQLite the closed days come from the reports' copy of them
    (:mod:`server.reports.day_cache`, filled first with what it lacks) unless
    ``use_day_cache`` is false; should reading it fail, the report is read again from the
    tickets alone and the copy deleted.

    ``parts``: how many parts of the sites to read side by side
    (:mod:`server.reports.partition`); ``None`` lets the size of the report decide (large
    reports of several sites on SQLite in two), 1 reads them all in one."""
    scope = scope_of(settings, request, engine.dialect.name)
    database = sqlite_file(engine) if use_day_cache else None
    cache = day_cache.prepare(database, scope) if database is not None else None
    # Imported here: the parts' reading builds on this module's session.
    from server.reports import partition, split_plan

    site_parts = split_plan.plan(engine, scope, parts, cache=cache)

    def read(attached: Path | None, file: Path | None) -> tuple[
            dict[Breakdown, tuple[ReportRow, ...]], Figures, Charts, tuple[ScaleStep, ...]]:
        if site_parts is None:
            return _read(engine, scope, breakdowns, attached, file)
        return partition.read(engine, scope, breakdowns, attached, file, site_parts)

    try:
        grouped, total, charts, scale = read(cache, database)
    except ReportDataError:
        if cache is None:
            raise
        day_cache.discard(cache)
        grouped, total, charts, scale = read(None, None)
    made = now or datetime.now(UTC)
    names = tuple(SiteName(site.code, site.name_vi, site.name_en, site.timezone.key)
                  for site in scope.sites)
    return {breakdown: Report(request=replace(request, breakdown=breakdown), sites=names,
                              generated_at=made, rows=rows, total=total, scale=scale,
                              charts=charts)
            for breakdown, rows in grouped.items()}


def _read(engine: Engine, scope: queries.Scope, breakdowns: Sequence[Breakdown],
          cache: Path | None, database: Path | None) -> tuple[
              dict[Breakdown, tuple[ReportRow, ...]], Figures, Charts, tuple[ScaleStep, ...]]:
    attach = (day_cache.attach_statement(cache),) if cache is not None else ()
    with reading(engine, attach) as connection:
        session = ReportSession(connection, scope, cached=cache is not None)
        # The rows first: the total then only adds them up (and counts the cases).
        grouped = {breakdown: session.rows(breakdown) for breakdown in dict.fromkeys(breakdowns)}
        total = session.total()
        charts = session.charts()
    if database is not None and session.stale:
        day_cache.drop_stale(database, session.stale)
    return grouped, total, charts, session.scale


class ReportSession:
    """The statements of one report on one read transaction, over one base.

    On SQLite the base is a TEMP table filled here once (the connection is read-only for the
    database itself); elsewhere it is the base subquery, which each statement reads.
    ``cached``: the reports' copy of closed days is attached (SQLite): the base takes the
    days whose copy is up to date from it, the others from the tickets; :attr:`stale` then
    lists the copies found out of date.
    """

    def __init__(self, connection: Connection, scope: queries.Scope,
                 cached: bool = False, scale: tuple[ScaleStep, ...] | None = None) -> None:
        self.connection = connection
        self.scope = scope
        # A part of a report's sites (server.reports.partition) takes the whole report's.
        self.scale = scale_of(scope.sites) if scale is None else scale
        self.scores = [step.score for step in self.scale]
        self.sqlite = connection.dialect.name == "sqlite"
        self.base: FromClause
        self.stale: tuple[day_cache.Day, ...] = ()
        # The days taken from the reports' copy, and the base's rows from it (they come
        # first: the rows after them, from the tickets, have the larger row ids).
        self._days: day_cache.Split | None = None
        self._copied_rows = 0
        if self.sqlite:
            table = queries.base_table()
            table.create(connection)
            columns = [name for name, _kind in queries.BASE_COLUMNS]
            if cached:
                days = day_cache.split(connection, scope)
                self.stale = days.stale
                self._days = days
                if days.cached_count:
                    copied = connection.execute(insert(table).from_select(
                        columns, queries.derived_select(scope,
                                                        day_cache.cached_facts(days.cached))))
                    if copied.rowcount != days.cached_tickets:
                        # A damaged copy: run_reports reads the tickets again, without it.
                        raise ReportDataError(None, "the reports' copy of closed days holds "
                                                    f"{copied.rowcount} tickets, not "
                                                    f"{days.cached_tickets}")
                    self._copied_rows = days.cached_tickets
                connection.execute(insert(table).from_select(columns, queries.derived_select(
                    scope, queries.facts_select(scope, days.live).subquery("ticket_facts"))))
            else:
                connection.execute(insert(table).from_select(columns,
                                                             queries.base_select(scope)))
            self.base = table
            fields = queries.field_table()
            fields.create(connection)
            connection.execute(insert(fields), [
                {"site": site, "service": service, "field": field}
                for site, service, field in queries.field_rows(scope.sites)])
            self.scope = scope = replace(scope, fields=fields)
        else:
            self.base = queries.base_select(scope).subquery("report_base")
        # The sums of the first breakdown computed: every breakdown's groups together hold
        # every ticket once, so the total's additive figures are their sums.
        self._sums: list[Row[Any]] | None = None

    def rows(self, breakdown: Breakdown) -> tuple[ReportRow, ...]:
        """A row per group of ``breakdown``, in the configuration's order."""
        return rows_of(self.scope.sites, breakdown, self._grouped(breakdown))

    def total(self) -> Figures:
        """Every ticket of the report together."""
        connection, base = self.connection, self.base
        sums = self._sums
        if sums is None:
            sums = list(connection.execute(
                queries.figures_statement(self.scope, base, None, self.scores)))
        timed = sum(_int(row.timed) for row in sums)
        cases = connection.execute(queries.total_cases_statement(self.scope, base)).one()
        if self.sqlite:
            percentiles: Percentiles | None = percentiles_of.by_bracketing(
                connection, self.scope, base, timed)
        else:
            percentiles = self._percentiles(None, {(None, None): timed}, [cases]) \
                .get((None, None))
        return _figures_of(_Totals(sums, self.scores, cases), percentiles, self.scores, None)

    def _grouped(self, breakdown: Breakdown) -> dict[GroupKey, Figures]:
        connection, scope, base = self.connection, self.scope, self.base
        rows = list(connection.execute(
            queries.figures_statement(scope, base, breakdown, self.scores)))
        if self._sums is None:
            self._sums = rows
        counts = {_key(row): _int(row.timed) for row in rows}
        percentiles = self._percentiles(breakdown, counts, rows)
        on_duty = self._on_duty() if breakdown is Breakdown.OFFICER else {}
        return {_key(row): _figures_of(row, percentiles.get(_key(row)), self.scores,
                                       on_duty.get(_key(row), 0.0)
                                       if breakdown is Breakdown.OFFICER else None)
                for row in rows}

    def _on_duty(self) -> dict[GroupKey, float]:
        """Seconds on duty per (site, officer): for the days taken from the reports' copy,
        the sums of its per-day figures; for the others, the window pass over their rows of
        the base (:func:`~server.reports.queries.on_duty_terms`). An officer's days add up
        to exactly what one pass over all of them gives (see there): the copy only saves
        ordering every ticket of a month. Valid because a report takes whole days of whole
        sites (a request has no other filter): a filter on tickets (a service, a counter)
        would change which spans count, and would need the window pass over every day."""
        days = self._days
        if days is None or not days.cached_count:
            return {_key(row): float(row.on_duty or 0.0)
                    for row in self.connection.execute(queries.on_duty_statement(self.base))}
        cached = day_cache.cached_on_duty(self.connection, days)
        found: dict[GroupKey, float] = {key: seconds for key, seconds in cached.items()}
        # The live days' rows of the base: those after the copied ones (see __init__).
        rowid: ColumnElement[int] = literal_column("rowid", Integer)
        for row in self.connection.execute(
                queries.on_duty_statement(self.base, rowid > self._copied_rows)):
            key = _key(row)
            found[key] = found.get(key, 0.0) + float(row.on_duty or 0.0)
        return found

    def _percentiles(self, breakdown: Breakdown | None, counts: dict[GroupKey, int],
                     rows: Sequence[Row[Any]] = ()) -> dict[GroupKey, Percentiles]:
        """Each group's percentiles: on PostgreSQL already in the figures' ``rows``, on
        SQLite from sorted TEMP tables, elsewhere through window functions."""
        if self.scope.dialect == "postgresql" and rows:
            return {_key(row): Percentiles(
                _float(row.waiting_median), _float(row.waiting_p90),
                _float(row.service_median), _float(row.service_p90)) for row in rows}
        if self.sqlite:
            # The figures' rows come in the order SQLite sorts the groups (their ORDER BY).
            return percentiles_of.by_sorting(self.connection, self.scope, self.base,
                                             breakdown, counts, in_sort_order=bool(rows))
        return percentiles_of.by_windows(self.connection, self.scope, self.base, breakdown)

    def charts(self) -> Charts:
        """The chart series: arrivals and calls by hour, waiting times, weeks."""
        return charts_of(self.chart_counts(), self.weeks())

    def chart_counts(self) -> ChartCounts:
        """Arrivals by hour, calls by hour and waits by bucket, from one grouping (a few
        hundred combinations), each added up here."""
        counts = ChartCounts({}, {}, {})
        for row in self.connection.execute(queries.hour_and_wait_statement(self.base)):
            tickets = int(row.tickets)
            for series, value in ((counts.arrivals, row.arrival_hour),
                                  (counts.calls, row.call_hour), (counts.buckets, row.bucket)):
                if value is not None:
                    series[int(value)] = series.get(int(value), 0) + tickets
        return counts

    def weeks(self) -> tuple[WeekSatisfaction, ...]:
        """QĐ 766 satisfaction by week."""
        return tuple(WeekSatisfaction(_as_date(row.week), _int(row.cases_served),
                                      _int(row.cases_dissatisfied), _int(row.rated))
                     for row in self.connection.execute(
                         queries.weekly_statement(self.scope, self.base)))


@dataclass(frozen=True, slots=True)
class ChartCounts:
    """Tickets by local hour of issue, by local hour of first call, and timed served
    tickets by waiting bucket (an index of :data:`~server.reports.queries.WAIT_BUCKETS`)."""

    arrivals: dict[int, int]
    calls: dict[int, int]
    buckets: dict[int, int]


def charts_of(counts: ChartCounts, weeks: tuple[WeekSatisfaction, ...]) -> Charts:
    """The chart series from their counts."""
    known = sorted({*counts.arrivals, *counts.calls})
    hours = tuple(HourCount(hour, counts.arrivals.get(hour, 0), counts.calls.get(hour, 0))
                  for hour in range(known[0], known[-1] + 1)) if known else ()
    bounds = queries.WAIT_BUCKETS
    waiting = tuple(WaitBucket(low, bounds[index + 1] if index + 1 < len(bounds) else None,
                               counts.buckets.get(index, 0)) for index, low in enumerate(bounds))
    return Charts(hours, waiting, weeks)


def rows_of(sites: Sequence[SiteSettings], breakdown: Breakdown,
            grouped: dict[GroupKey, Figures]) -> tuple[ReportRow, ...]:
    """The rows of ``grouped`` named and in the configuration's order."""
    return tuple(ReportRow(key, _label(sites, breakdown, site, key), site,
                           _site_name(sites, site), figures,
                           label_en=_label(sites, breakdown, site, key, english=True),
                           site_name_en=_site_name(sites, site, english=True))
                 for (site, key), figures in _ordered(sites, breakdown, grouped))


class _Totals:
    """The figures statement's columns summed over groups (maxima of the maxima), with the
    whole report's cases: read like one of its rows."""

    def __init__(self, rows: Sequence[Row[Any]], scores: Sequence[int], cases: Any) -> None:
        for name in ("issued", "served", "no_show", "cancelled", "in_progress", "transferred",
                     "timed", "waiting_sum", "service_sum", "within_target", "rated",
                     *(f"score_{index}" for index in range(len(scores)))):
            setattr(self, name, sum(_float(getattr(row, name)) or 0 for row in rows))
        for name in ("waiting_max", "service_max"):
            found = [_float(getattr(row, name)) for row in rows]
            setattr(self, name, max((value for value in found if value is not None),
                                    default=None))
        self.cases_served = cases.cases_served
        self.cases_dissatisfied = cases.cases_dissatisfied


def _figures_of(row: Any, rank: Percentiles | None, scores: Sequence[int],
                on_duty: float | None) -> Figures:
    rank = rank or Percentiles()
    timed = _int(row.timed)

    def mean(total: Any) -> float | None:
        return None if not timed or total is None else float(total) / timed

    return Figures(
        issued=_int(row.issued), served=_int(row.served), no_show=_int(row.no_show),
        cancelled=_int(row.cancelled), in_progress=_int(row.in_progress),
        transferred=_int(row.transferred),
        waiting=Durations(timed, rank.waiting_median, rank.waiting_p90, mean(row.waiting_sum),
                          _float(row.waiting_max)),
        service=Durations(timed, rank.service_median, rank.service_p90, mean(row.service_sum),
                          _float(row.service_max)),
        within_target=_int(row.within_target),
        ratings={score: _int(getattr(row, f"score_{index}"))
                 for index, score in enumerate(scores)},
        rated=_int(row.rated), cases_served=_int(row.cases_served),
        cases_dissatisfied=_int(row.cases_dissatisfied), on_duty_seconds=on_duty)


def scale_of(sites: Sequence[SiteSettings]) -> tuple[ScaleStep, ...]:
    """The rating columns: every score of the sites' scales, best first, each named as the
    first site that has it names it."""
    steps: dict[int, ScaleStep] = {}
    for site in sites:
        lowest = min((label.score for label in site.rating_scale), default=None)
        for label in site.rating_scale:
            steps.setdefault(label.score, ScaleStep(label.score, label.label_vi,
                                                    label.label_en, label.score == lowest))
    return tuple(sorted(steps.values(), key=lambda step: -step.score))


def _site_name(sites: Sequence[SiteSettings], code: str | None,
               english: bool = False) -> str | None:
    site = next((item for item in sites if item.code == code), None)
    return None if site is None else _name(site, english)


def _name(item: Any, english: bool) -> str:
    """``item``'s Vietnamese name, or its English one (the Vietnamese where it has none)."""
    return str((english and item.name_en) or item.name_vi)


def _label(sites: Sequence[SiteSettings], breakdown: Breakdown, site_code: str | None,
           key: Any, english: bool = False) -> str:
    """A row's name as the configuration gives it (the code when no longer configured)."""
    site = next((item for item in sites if item.code == site_code), None)
    if breakdown is Breakdown.HOUR:
        return hour_label(int(key))
    if breakdown is Breakdown.DAY:
        return day_label(key, english)
    if breakdown is Breakdown.SITE:
        return _name(site, english) if site else str(key)
    if key is None:
        return {Breakdown.COUNTER: NOT_CALLED_EN if english else NOT_CALLED,
                Breakdown.OFFICER: UNKNOWN_OFFICER_EN if english else UNKNOWN_OFFICER,
                Breakdown.FIELD: UNKNOWN_FIELD_EN if english else UNKNOWN_FIELD,
                }.get(breakdown, NOT_CALLED_EN if english else NOT_CALLED)
    if site is None:
        return str(key)
    if breakdown is Breakdown.SERVICE:
        service = site.service(key)
        return _name(service, english) if service else str(key)
    if breakdown is Breakdown.FIELD:
        field = next((item for item in site.fields if item.code == key), None)
        return _name(field, english) if field else str(key)
    if breakdown is Breakdown.COUNTER:
        counter = site.counter(key)
        return counter.name if counter else str(key)
    officer = site.officer(key)
    return officer.full_name if officer else str(key)


def _ordered(sites: Sequence[SiteSettings], breakdown: Breakdown,
             grouped: dict[GroupKey, Figures]) -> list[tuple[GroupKey, Figures]]:
    """Rows by site (request order), then as the configuration lists them (codes no longer
    configured after, by code; tickets never called last); hours and days in time order."""
    site_order = {site.code: index for index, site in enumerate(sites)}

    def position(item: tuple[GroupKey, Figures]) -> tuple[Any, ...]:
        (site_code, key), _figures = item
        if breakdown in (Breakdown.HOUR, Breakdown.DAY):
            return (key,)
        site = next((entry for entry in sites if entry.code == site_code), None)
        order = _configured_order(site, breakdown)
        rank = order.get(key, len(order)) if key is not None else len(order) + 1
        return (site_order.get(site_code or "", len(site_order)), rank, str(key))

    return sorted(grouped.items(), key=position)


def _configured_order(site: SiteSettings | None, breakdown: Breakdown) -> dict[Any, int]:
    if site is None:
        return {}
    codes: list[str] = {
        Breakdown.SERVICE: [item.code for item in site.services],
        Breakdown.FIELD: [item.code for item in site.fields],
        Breakdown.COUNTER: [item.code for item in site.counters],
        Breakdown.OFFICER: [item.user for item in site.officers],
        Breakdown.SITE: [site.code],
    }.get(breakdown, [])
    return {code: index for index, code in enumerate(codes)}


def iter_cases(engine: Engine, settings: Settings, request: ReportRequest) -> Iterator[CaseRow]:
    """Every ticket of ``request`` with its rating, by site, day and issue time, streamed
    from the database a batch at a time (memory stays flat however long the range).

    Close the iterator (or run it to the end) to release its connection.
    """
    scope = scope_of(settings, request, engine.dialect.name)
    sites = {site.code: site for site in scope.sites}
    with reading(engine) as connection:
        result = connection.execution_options(yield_per=CASE_BATCH).execute(
            queries.cases_statement(scope))
        for row in result:
            yield _case_row(sites[row.site], row)


def _case_row(site: SiteSettings, row: Row[Any]) -> CaseRow:
    zone = site.timezone

    def local(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)

    service = site.service(row.service)
    field = (next((item for item in site.fields if item.code == service.field), None)
             if service else None)
    counter = site.counter(row.counter) if row.counter else None
    officer = site.officer(row.officer) if row.officer else None
    label = site.rating_label(row.score) if row.score is not None else None
    issued = local(row.issued_at)
    assert issued is not None
    return CaseRow(
        site=site.code, business_date=_as_date(row.business_date), number=row.number,
        ticket_id=row.id, service=row.service,
        service_name=service.name_vi if service else row.service,
        field_name=field.name_vi if field else "", status=row.status, priority=row.priority,
        counter=row.counter, counter_name=counter.name if counter else row.counter,
        officer=row.officer, officer_name=officer.full_name if officer else row.officer,
        issued_at=issued, first_called_at=local(row.first_called_at),
        serving_at=local(row.serving_at), finished_at=local(row.finished_at),
        waiting_seconds=_float(row.waiting), service_seconds=_float(row.service_time),
        transfer_count=row.transfer_count, case_code=row.case_code, score=row.score,
        rating_label=label.label_vi if label else None, rating_source=row.source,
        rated_at=local(row.rated_at))


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))



def _key(row: Row[Any]) -> GroupKey:
    """A statement row's (site, key) (both ``None`` for the total)."""
    mapping = row._mapping
    return mapping.get("site"), mapping.get("key")


def _int(value: Any) -> int:
    return int(value or 0)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
