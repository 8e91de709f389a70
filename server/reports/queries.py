"""The reports' SQL (SQLAlchemy Core): the same statements on SQLite and PostgreSQL.

A report reads the tickets of its sites whose ``business_date`` (the local day, stored so)
lies in its range, once, into a compact *base*: one row per ticket with what every figure
needs (:func:`base_select`: the group keys, local hours, waiting and service times, the
rating, the case). Every statement then aggregates the base in the database: counts and
means with ``GROUP BY``; nearest-rank percentiles with window functions (the value at rank
``ceil(p * n)`` of each group's served tickets sorted by the time); cases with ``COUNT
(DISTINCT ...)``. Only aggregated rows come back to Python, never the tickets (the per-case
listing streams them on purpose).

Why a base: each pass over a month of a province's tickets costs about a second on SQLite
(decoding wide rows, parsing times, joining the ratings); a report needs a dozen passes. On
SQLite the base is a TEMP table filled once per report (:mod:`server.reports.run`); on
PostgreSQL, whose read-only transactions may not create tables and whose scans are cheap,
it is a subquery each statement reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Float,
    FromClause,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    func,
    literal,
    literal_column,
    select,
    tuple_,
    values,
)
from sqlalchemy.sql.elements import ColumnElement

from server.config.settings import SiteSettings
from server.domain.model import TicketStatus
from server.reports.request import Breakdown, ReportRequest
from server.reports.sql import (
    epoch_seconds,
    local_hour,
    local_hour_of_minute,
    minutes_since_epoch,
    round_milliseconds,
    seconds_between,
    week_start,
)
from server.reports.timeline import OffsetPeriod
from server.store.tables import RatingRow, TicketRow

# Gaps between an officer's tickets up to this long count as time on duty (waiting for the
# next citizen); a longer gap is a break (lunch, a meeting) and does not.
ON_DUTY_GAP_MINUTES = 30
# The waiting-time chart's buckets, in minutes: [0, 5), [5, 10), ... [60, ...).
WAIT_BUCKETS = (0, 5, 10, 15, 20, 30, 45, 60)

tickets = TicketRow.__table__
ratings = RatingRow.__table__

DONE = TicketStatus.DONE.value
IN_PROGRESS = tuple(status.value for status in (TicketStatus.WAITING, TicketStatus.CALLED,
                                                TicketStatus.SERVING, TicketStatus.TRANSFERRED))

# The facts' columns (SQLite; see facts_select), as the reports' copy of closed days keeps them.
FACT_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("site", String(32)), ("day", Date()), ("ticket", Integer()), ("service", String(32)),
    ("counter", String(32)), ("officer", String(32)), ("status", String(16)),
    ("moved", Integer()), ("issued_minute", Integer()), ("call_minute", Integer()),
    ("waiting", Float()), ("service_time", Float()), ("score", Integer()),
    ("case_code", String(64)), ("called", Float()), ("finished", Float()),
)
# The base's columns (see base_select for what each holds).
BASE_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("site", String(32)), ("service", String(32)), ("counter", String(32)),
    ("officer", String(32)), ("day", Date()), ("arrival_hour", Integer()),
    ("call_hour", Integer()), ("status", String(16)), ("moved", Integer()),
    ("waiting", Float()), ("service_time", Float()), ("target", Float()),
    ("score", Integer()), ("dissatisfied", Integer()), ("case_code", String(64)),
    ("called", Float()), ("finished", Float()),
)


def base_table(name: str = "report_base") -> Table:
    """The base as a TEMP table (SQLite)."""
    return Table(name, MetaData(), *(Column(column, kind) for column, kind in BASE_COLUMNS),
                 prefixes=["TEMPORARY"])


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report reads: its sites' settings (in request order), its range, the SQL
    dialect (``sqlite`` or ``postgresql``) and each site's UTC offsets over the range."""

    request: ReportRequest
    sites: tuple[SiteSettings, ...]
    dialect: str
    periods: Mapping[str, Sequence[OffsetPeriod]]
    # Every configured (site, service, field), to join for a field breakdown: a TEMP table
    # on SQLite (which has no column names for a VALUES list), else field_map(sites).
    fields: Any = None

    def where(self) -> ColumnElement[bool]:
        column = tickets.c
        return and_(column.site.in_(self.request.sites),
                    column.business_date >= self.request.first,
                    column.business_date <= self.request.last)


def base_select(scope: Scope) -> Select[Any]:
    """One row per ticket of the report, with its rating:

    ``site``, ``service`` (where the ticket ended), ``counter`` and ``officer`` (of its last
    call; ``NULL`` if never called), ``day`` (business date), ``arrival_hour`` and
    ``call_hour`` (local hours of issue and first call), ``status``, ``moved`` (1 if ever
    transferred), ``waiting`` and ``service_time`` (seconds, to the millisecond, for served
    tickets with every time recorded, else ``NULL``), ``target`` (its service's target wait
    in seconds), ``score`` and ``dissatisfied`` (1 if the score is the lowest of the site's
    scale), ``case_code``, ``called`` and ``finished`` (seconds since 1970 of the last call
    and of the finish or no-show, for the officers' time on duty).

    On SQLite in two steps: the tickets' *facts* (:func:`facts_select`, what does not depend
    on the configuration), then what the configuration makes of them
    (:func:`derived_select`), so the reports' copy of closed days
    (:mod:`server.reports.day_cache`) gives exactly the same base as the tickets.
    """
    if scope.dialect != "sqlite":
        return _base_select_direct(scope)
    return derived_select(scope, facts_select(scope).subquery("ticket_facts"))


def facts_select(scope: Scope, days: FromClause | None = None) -> Select[Any]:
    """SQLite: one row per ticket with its rating, as :data:`FACT_COLUMNS` name them: the
    ticket's ``site``, ``day``, ``ticket`` (its row id), ``service``, ``counter``,
    ``officer``, ``status``, ``moved``, ``issued_minute`` and ``call_minute`` (whole minutes
    since 1970, UTC, of its issue and first call, read from the stored text: the local hour
    is these plus the site's offset), ``waiting``, ``service_time``, ``score``,
    ``case_code``, ``called`` and ``finished`` (see :func:`base_select`). Nothing here
    depends on the configuration.

    ``days``: a table of (``site``, ``day``) to read, joined to the tickets (one index
    range each); without it, the scope's sites and range.
    """
    ticket_table, rating_table = tickets, ratings
    column = ticket_table.c
    dialect = scope.dialect
    joined = ticket_table.outerjoin(rating_table, rating_table.c.ticket_id == column.id)
    # Each time is read once, in a subquery that OFFSET 0 keeps SQLite from flattening (it
    # would parse each time again wherever the outer query names it).
    times = select(
        column.site, column.service, column.counter, column.officer, column.business_date,
        column.status, column.transfer_count, column.case_code, rating_table.c.score,
        # The row id: unique, and a ticket keeps it when the server updates the row.
        literal_column("tickets.rowid", Integer).label("ticket"),
        minutes_since_epoch(column.issued_at).label("issued_minute"),
        minutes_since_epoch(column.first_called_at).label("call_minute"),
        *(epoch_seconds(dialect, getattr(column, name)).label(name)
          for name in ("issued_at", "first_called_at", "serving_at", "finished_at",
                       "called_at")),
    ).select_from(joined)
    if days is None:
        times = times.where(scope.where())
    else:
        # A row-value IN: SQLite reads each day's range of the index on site and day (a
        # join would let it scan every ticket and look each one up in the days).
        times = times.where(tuple_(column.site, column.business_date)
                            .in_(select(days.c.site, days.c.day)))
    times_query = times.offset(0).subquery("ticket_times")
    row = times_query.c
    is_timed = and_(row.status == DONE, row.first_called_at.is_not(None),
                    row.serving_at.is_not(None), row.finished_at.is_not(None))
    return select(
        row.site.label("site"), row.business_date.label("day"),
        row.ticket.label("ticket"),
        row.service.label("service"), row.counter.label("counter"),
        row.officer.label("officer"), row.status.label("status"),
        case((row.transfer_count > 0, 1), else_=0).label("moved"),
        row.issued_minute, row.call_minute,
        case((is_timed, round_milliseconds(dialect, row.first_called_at - row.issued_at)))
        .label("waiting"),
        case((is_timed, round_milliseconds(dialect, row.finished_at - row.serving_at)))
        .label("service_time"),
        row.score.label("score"), row.case_code.label("case_code"),
        row.called_at.label("called"), row.finished_at.label("finished"),
    )


def derived_select(scope: Scope, facts: FromClause) -> Select[Any]:
    """SQLite: the base's columns (:data:`BASE_COLUMNS`) from rows of facts
    (:func:`facts_select`'s, or the reports' copy of closed days): the local hours from
    each site's offsets, the target wait and the lowest score of each ticket's site."""
    row = facts.c
    return select(
        row.site.label("site"), row.service.label("service"), row.counter.label("counter"),
        row.officer.label("officer"), row.day.label("day"),
        local_hour_of_minute(row.site, row.issued_minute, scope.periods)
        .label("arrival_hour"),
        local_hour_of_minute(row.site, row.call_minute, scope.periods).label("call_hour"),
        row.status.label("status"), row.moved.label("moved"),
        row.waiting.label("waiting"), row.service_time.label("service_time"),
        target_seconds(scope.sites, row.site, row.service).label("target"),
        row.score.label("score"),
        case((row.score == lowest_score(scope.sites, row.site), 1), else_=0)
        .label("dissatisfied"),
        row.case_code.label("case_code"), row.called.label("called"),
        row.finished.label("finished"),
    ).select_from(facts)


def _base_select_direct(scope: Scope) -> Select[Any]:
    """:func:`base_select` for PostgreSQL: differences of timestamps are exact there (whole
    microseconds), so each time difference is taken directly."""
    column = tickets.c
    dialect = scope.dialect
    is_timed = and_(column.status == DONE, column.first_called_at.is_not(None),
                    column.serving_at.is_not(None), column.finished_at.is_not(None))
    return select(
        column.site.label("site"), column.service.label("service"),
        column.counter.label("counter"), column.officer.label("officer"),
        column.business_date.label("day"),
        local_hour(dialect, column.site, column.issued_at, scope.periods)
        .label("arrival_hour"),
        local_hour(dialect, column.site, column.first_called_at, scope.periods)
        .label("call_hour"),
        column.status.label("status"),
        case((column.transfer_count > 0, 1), else_=0).label("moved"),
        case((is_timed, seconds_between(dialect, column.first_called_at, column.issued_at)))
        .label("waiting"),
        case((is_timed, seconds_between(dialect, column.finished_at, column.serving_at)))
        .label("service_time"),
        target_seconds(scope.sites).label("target"), ratings.c.score.label("score"),
        case((ratings.c.score == lowest_score(scope.sites), 1), else_=0).label("dissatisfied"),
        column.case_code.label("case_code"),
        epoch_seconds(dialect, column.called_at).label("called"),
        epoch_seconds(dialect, column.finished_at).label("finished"),
    ).select_from(tickets.outerjoin(ratings, ratings.c.ticket_id == column.id)) \
        .where(scope.where())


def _most_common(values: Mapping[str, Any]) -> Any:
    return Counter(values.values()).most_common(1)[0][0]


def _per_site(sites: Sequence[SiteSettings], values: Mapping[str, Any],
              site_column: Any = None) -> ColumnElement[Any]:
    """``values[site]`` for each ticket's site (``site_column``, by default the tickets'):
    the commonest value as the default, a branch only for the sites that differ (one
    literal when all agree)."""
    site_column = tickets.c.site if site_column is None else site_column
    usual = _most_common(values)
    whens = [(site_column == site.code, literal(values[site.code])) for site in sites
             if values[site.code] != usual]
    return case(*whens, else_=literal(usual)) if whens else literal(usual)


def target_seconds(sites: Sequence[SiteSettings], site_column: Any = None,
                   service_column: Any = None) -> ColumnElement[Any]:
    """Each ticket's target wait in seconds: its service's own, else its site's (the
    columns: by default the tickets')."""
    site_column = tickets.c.site if site_column is None else site_column
    service_column = tickets.c.service if service_column is None else service_column
    whens = []
    for site in sites:
        special: dict[float, list[str]] = {}
        for service in site.services:
            minutes = site.target_wait_minutes_of(service.code)
            if minutes != site.target_wait_minutes:
                special.setdefault(minutes, []).append(service.code)
        whens += [(and_(site_column == site.code, service_column.in_(codes)),
                   literal(minutes * 60.0)) for minutes, codes in special.items()]
    default = _per_site(sites, {site.code: site.target_wait_minutes * 60.0 for site in sites},
                        site_column)
    return case(*whens, else_=default) if whens else default


def lowest_score(sites: Sequence[SiteSettings], site_column: Any = None) -> ColumnElement[Any]:
    """The lowest score of each ticket's site's scale ("Không hài lòng" on the default)."""
    return _per_site(sites, {site.code: min((label.score for label in site.rating_scale),
                                            default=0) for site in sites}, site_column)


# --- statements over the base ---------------------------------------------------------------


def grouping(scope: Scope, base: FromClause,
             breakdown: Breakdown | None) -> tuple[Any, list[ColumnElement[Any]]]:
    """What a breakdown reads and groups by: the source (the base, joined with the
    configuration's fields for a field breakdown) and the grouping columns labelled
    ``site`` and ``key``. Hours and days have only a ``key`` (they add every site up), the
    total has nothing."""
    row = base.c
    if breakdown is None:
        return base, []
    if breakdown is Breakdown.HOUR:
        return base, [row.arrival_hour.label("key")]
    if breakdown is Breakdown.DAY:
        return base, [row.day.label("key")]
    if breakdown is Breakdown.FIELD:
        fields = scope.fields if scope.fields is not None else field_map(scope.sites)
        source = base.outerjoin(fields, and_(fields.c.site == row.site,
                                             fields.c.service == row.service))
        return source, [row.site.label("site"), fields.c.field.label("key")]
    key = {Breakdown.SERVICE: row.service, Breakdown.COUNTER: row.counter,
           Breakdown.OFFICER: row.officer, Breakdown.SITE: row.site}[breakdown]
    return base, [row.site.label("site"), key.label("key")]


def field_rows(sites: Sequence[SiteSettings]) -> list[tuple[str, str, str]]:
    """Every configured (site, service, field)."""
    return [(site.code, service.code, service.field) for site in sites
            for service in site.services] or [("", "", "")]


def field_map(sites: Sequence[SiteSettings]) -> Any:
    """:func:`field_rows` as a ``VALUES`` list to join."""
    return values(Column("site", String), Column("service", String),
                  Column("field", String), name="field_map").data(field_rows(sites))


def field_table() -> Table:
    """:func:`field_rows` as a TEMP table (SQLite)."""
    return Table("report_fields", MetaData(), Column("site", String), Column("service", String),
                 Column("field", String), prefixes=["TEMPORARY"])


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def figures_statement(scope: Scope, base: FromClause, breakdown: Breakdown | None,
                      scores: Sequence[int]) -> Select[Any]:
    """Counts, means, maxima, within-target, ratings per score in ``scores`` and QĐ 766
    cases (a case code counted once, a ticket without one as a case of its own): one row
    per group of the breakdown, or one row for the whole report without."""
    row = base.c
    done = row.status == DONE
    source, keys = grouping(scope, base, breakdown)
    statement = select(
        *keys,
        func.count().label("issued"),
        _count_if(done).label("served"),
        _count_if(row.status == TicketStatus.NO_SHOW.value).label("no_show"),
        _count_if(row.status == TicketStatus.CANCELLED.value).label("cancelled"),
        _count_if(row.status.in_(IN_PROGRESS)).label("in_progress"),
        func.sum(row.moved).label("transferred"),
        func.count(row.waiting).label("timed"),
        func.sum(row.waiting).label("waiting_sum"),
        func.max(row.waiting).label("waiting_max"),
        func.sum(row.service_time).label("service_sum"),
        func.max(row.service_time).label("service_max"),
        _count_if(row.waiting <= row.target).label("within_target"),
        func.count(row.score).label("rated"),
        *(_count_if(row.score == value).label(f"score_{index}")
          for index, value in enumerate(scores)),
        (func.count(case((done, row.case_code)).distinct())
         + _count_if(and_(done, row.case_code.is_(None)))).label("cases_served"),
        (func.count(case((and_(done, row.dissatisfied == 1), row.case_code)).distinct())
         + _count_if(and_(done, row.dissatisfied == 1, row.case_code.is_(None))))
        .label("cases_dissatisfied"),
        *(_ordered_percentiles(base) if scope.dialect == "postgresql" else ()),
    ).select_from(source)
    if not keys:
        return statement
    # Ordered as the groups sort: SQLite's percentiles count each group's first sorted row
    # from the groups before it (server.reports.percentiles.by_sorting).
    grouped = [key.element for key in keys]
    return statement.group_by(*grouped).order_by(*grouped)


def _ordered_percentiles(base: FromClause) -> list[ColumnElement[Any]]:
    """PostgreSQL's ordered-set aggregate ``percentile_disc(p)`` is the nearest rank: the
    first value whose position reaches ``p`` of the group (rank ``ceil(p * n)``), NULLs
    left out. It sits in the figures' own GROUP BY, so no window pass is needed there."""
    row = base.c
    return [func.percentile_disc(fraction).within_group(column).label(f"{name}_{suffix}")
            for name, column in (("waiting", row.waiting), ("service", row.service_time))
            for fraction, suffix in ((0.5, "median"), (0.9, "p90"))]


def percentiles_statement(scope: Scope, base: FromClause,
                          breakdown: Breakdown | None) -> Select[Any]:
    """Nearest-rank median and 90th percentile of waiting and service times per group: the
    value at rank ``ceil(n / 2)`` and ``ceil(9 n / 10)`` among the ``n`` timed served
    tickets of the group, each time sorted on its own."""
    source, keys = grouping(scope, base, breakdown)
    timed = select(*keys, base.c.waiting, base.c.service_time).select_from(source) \
        .where(base.c.waiting.is_not(None)).subquery()
    partition = [timed.c[name] for name in ("site", "key") if name in timed.c]
    window: dict[str, Any] = {"partition_by": partition or None}
    ranked = select(
        *partition, timed.c.waiting, timed.c.service_time,
        func.row_number().over(order_by=timed.c.waiting, **window).label("waiting_rank"),
        func.row_number().over(order_by=timed.c.service_time, **window).label("service_rank"),
        func.count().over(**window).label("n"),
    ).subquery()
    count = ranked.c.n
    median_rank = (count + 1) // 2
    p90_rank = (count * 9 + 9) // 10
    grouped = [ranked.c[name] for name in ("site", "key") if name in ranked.c]

    def at(rank_column: Any, value: Any, rank: Any) -> ColumnElement[Any]:
        return func.max(case((rank_column == rank, value)))

    statement = select(
        *grouped,
        at(ranked.c.waiting_rank, ranked.c.waiting, median_rank).label("waiting_median"),
        at(ranked.c.waiting_rank, ranked.c.waiting, p90_rank).label("waiting_p90"),
        at(ranked.c.service_rank, ranked.c.service_time, median_rank).label("service_median"),
        at(ranked.c.service_rank, ranked.c.service_time, p90_rank).label("service_p90"),
    ).where((ranked.c.waiting_rank == median_rank) | (ranked.c.waiting_rank == p90_rank)
            | (ranked.c.service_rank == median_rank) | (ranked.c.service_rank == p90_rank))
    return statement.group_by(*grouped) if grouped else statement


def on_duty_terms(rows: FromClause,
                  where: ColumnElement[bool] | None = None) -> FromClause:
    """What each ticket of ``rows`` (the base, or the facts) adds to its officer's time on
    duty that day, as ``site``, ``officer``, ``day`` and ``seconds``: per officer and day,
    the union of their tickets' spans (last call to finish or no-show) plus the gaps between
    them of at most :data:`ON_DUTY_GAP_MINUTES`; longer gaps are breaks and are left out, as
    are the times before the first call and after the last finish of a day. ``where``: which
    of ``rows`` to take (a condition on its columns).

    Every term is a difference of two times held as seconds since 1970 in a double; between
    2004 and 2038 (2^30 to 2^31 s) such differences are exact multiples of 2^-22 s, and so
    is every sum of them under 2^31 s: the terms add up to the same double in any order and
    grouping (per day first, then per officer, as the reports' copy of closed days does)."""
    row = rows.c
    spans = select(row.site, row.officer, row.day, row.called, row.finished) \
        .where(row.officer.is_not(None), row.called.is_not(None), row.finished.is_not(None),
               *(() if where is None else (where,))) \
        .subquery()
    before = func.max(spans.c.finished).over(
        partition_by=[spans.c.site, spans.c.officer, spans.c.day],
        order_by=[spans.c.called, spans.c.finished], rows=(None, -1))
    ordered = select(spans.c.site, spans.c.officer, spans.c.day, spans.c.called,
                     spans.c.finished, before.label("before")).subquery()
    called, finished, previous = ordered.c.called, ordered.c.finished, ordered.c.before
    gap = called - previous
    # What this ticket adds to the union of spans: all of it first of the day or after a
    # gap, only what reaches beyond the spans before it otherwise.
    added = case(
        (previous.is_(None), finished - called),
        (finished <= previous, 0.0),
        (called >= previous, finished - called),
        else_=finished - previous)
    idle = case((and_(gap > 0, gap <= ON_DUTY_GAP_MINUTES * 60.0), gap), else_=0.0)
    return select(ordered.c.site, ordered.c.officer, ordered.c.day,
                  (added + idle).label("seconds")).subquery("on_duty_terms")


def on_duty_statement(base: FromClause,
                      where: ColumnElement[bool] | None = None) -> Select[Any]:
    """Seconds on duty per (site, officer) as ``site``, ``key`` and ``on_duty``, of the
    rows of ``base`` that ``where`` takes (all without): see :func:`on_duty_terms`."""
    terms = on_duty_terms(base, where).c
    return select(terms.site.label("site"), terms.officer.label("key"),
                  func.sum(terms.seconds).label("on_duty")) \
        .group_by(terms.site, terms.officer)


def on_duty_by_day_statement(rows: FromClause) -> Select[Any]:
    """Seconds on duty per (site, day, officer) of ``rows`` (the facts of closed days), as
    ``site``, ``day``, ``officer`` and ``seconds``: what the reports' copy of closed days
    keeps, so that a report adds up each officer's days instead of ordering their tickets."""
    terms = on_duty_terms(rows).c
    return select(terms.site, terms.day, terms.officer,
                  func.sum(terms.seconds).label("seconds")) \
        .group_by(terms.site, terms.day, terms.officer)


def hour_and_wait_statement(base: FromClause) -> Select[Any]:
    """Tickets per (local hour of issue, local hour of first call, waiting bucket): the
    charts' three series in one grouping (the bucket, an index of :data:`WAIT_BUCKETS`, of
    timed served tickets only; ``NULL`` for the rest)."""
    waiting = base.c.waiting
    bucket = case(*((waiting < high * 60.0, literal(index, Integer))
                    for index, high in enumerate(WAIT_BUCKETS[1:])),
                  (waiting.is_not(None), literal(len(WAIT_BUCKETS) - 1, Integer)))
    inner = select(base.c.arrival_hour, base.c.call_hour, bucket.label("bucket")).subquery()
    groups = [inner.c.arrival_hour, inner.c.call_hour, inner.c.bucket]
    return select(*groups, func.count().label("tickets")).group_by(*groups)


def weekly_statement(scope: Scope, base: FromClause) -> Select[Any]:
    """QĐ 766 cases and ratings per week (the Monday that starts it), of served tickets."""
    row = base.c
    inner = select(week_start(scope.dialect, row.day).label("week"), row.case_code,
                   row.dissatisfied, row.score).where(row.status == DONE).subquery()
    dissatisfied = inner.c.dissatisfied == 1
    code = inner.c.case_code
    return select(
        inner.c.week,
        (func.count(code.distinct()) + _count_if(code.is_(None))).label("cases_served"),
        (func.count(case((dissatisfied, code)).distinct())
         + _count_if(and_(dissatisfied, code.is_(None)))).label("cases_dissatisfied"),
        func.count(inner.c.score).label("rated"),
    ).group_by(inner.c.week).order_by(inner.c.week)


def total_cases_statement(scope: Scope, base: FromClause) -> Select[Any]:
    """QĐ 766 cases of the whole report (not the sum of the rows': a case code may be in
    several rows, a file submitted at one service and collected at another); on PostgreSQL
    with the total's percentiles too."""
    row = base.c
    done = row.status == DONE
    dissatisfied = and_(done, row.dissatisfied == 1)
    return select(
        (func.count(case((done, row.case_code)).distinct())
         + _count_if(and_(done, row.case_code.is_(None)))).label("cases_served"),
        (func.count(case((dissatisfied, row.case_code)).distinct())
         + _count_if(and_(dissatisfied, row.case_code.is_(None)))).label("cases_dissatisfied"),
        *(_ordered_percentiles(base) if scope.dialect == "postgresql" else ()),
    )


def cases_statement(scope: Scope) -> Select[Any]:
    """Every ticket of the report with its rating, by site, day and issue time."""
    column = tickets.c
    is_timed = and_(column.status == DONE, column.first_called_at.is_not(None),
                    column.serving_at.is_not(None), column.finished_at.is_not(None))
    return select(
        column.site, column.business_date, column.number, column.id, column.service,
        column.status, column.priority, column.counter, column.officer, column.issued_at,
        column.first_called_at, column.serving_at, column.finished_at,
        case((is_timed, seconds_between(scope.dialect, column.first_called_at,
                                        column.issued_at))).label("waiting"),
        case((is_timed, seconds_between(scope.dialect, column.finished_at,
                                        column.serving_at))).label("service_time"),
        column.transfer_count, column.case_code,
        ratings.c.score, ratings.c.source, ratings.c.rated_at,
    ).select_from(tickets.outerjoin(ratings, ratings.c.ticket_id == column.id)) \
        .where(scope.where()) \
        .order_by(column.site, column.business_date, column.issued_at, column.id)
