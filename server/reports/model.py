"""A report's result: figures per row, a total row, chart series, and the per-case rows.

Every figure is defined in docs/reports.md; in short (for the tickets of a row, that is of
the report's sites whose local business day lies in the range):

- ``issued``: every ticket; ``served``: status ``done``; ``no_show``: ended as a no-show (a
  re-queued one that came back and was served counts as served); ``cancelled``: cancelled
  by an officer or by the midnight reset; ``in_progress``: still waiting or at a counter
  (today); ``transferred``: moved at least once (``transfer_count > 0``), counted where the
  ticket ended (its last service, counter and officer).
- Waiting time: from issue to the *first* call; service time: from the start of service at
  the last counter (the call, when the officer finished without pressing start) to the
  finish. Both over the served tickets, in seconds, as nearest-rank median and 90th
  percentile, mean and maximum.
- ``within_target``: served tickets whose wait was at most their service's target
  (``SiteSettings.target_wait_minutes_of``).
- Ratings: per score of the site's scale; ``rated``: served tickets with a rating.
- QĐ 766: a *case* is a case code (mã hồ sơ) where the officer entered one, else the ticket
  itself; ``cases_served`` counts the cases with a served ticket, ``cases_dissatisfied``
  those of them with any rating at the lowest score of its site's scale ("Không hài lòng");
  the satisfaction rate is ``(cases_served - cases_dissatisfied) / cases_served``.
- ``on_duty_seconds`` (officers only): the time an officer was working at a counter, worked
  out from their tickets (see :data:`server.reports.queries.ON_DUTY_GAP_MINUTES`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from server.reports.request import ReportRequest


@dataclass(frozen=True, slots=True)
class Durations:
    """Waiting or service times of ``count`` served tickets, in seconds (``None``: none)."""

    count: int = 0
    median: float | None = None
    p90: float | None = None
    mean: float | None = None
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures of one row (or of the total)."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    in_progress: int = 0
    transferred: int = 0
    waiting: Durations = field(default_factory=Durations)
    service: Durations = field(default_factory=Durations)
    within_target: int = 0
    # Score -> how many rated tickets have it.
    ratings: Mapping[int, int] = field(default_factory=dict)
    rated: int = 0
    cases_served: int = 0
    cases_dissatisfied: int = 0
    on_duty_seconds: float | None = None

    @property
    def within_target_share(self) -> float | None:
        """Share of the timed served tickets waited on no longer than the target (0..1)."""
        return _share(self.within_target, self.waiting.count)

    @property
    def rated_share(self) -> float | None:
        """Share of the served tickets that were rated (0..1)."""
        return _share(self.rated, self.served)

    @property
    def satisfaction_rate(self) -> float | None:
        """QĐ 766/QĐ-TTg: (cases served - cases rated "Không hài lòng") / cases served."""
        return _share(self.cases_served - self.cases_dissatisfied, self.cases_served)

    @property
    def tickets_per_hour(self) -> float | None:
        """Served tickets per hour on duty (officers' rows only)."""
        if not self.on_duty_seconds:
            return None
        return self.served / (self.on_duty_seconds / 3600)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One row: its ``key`` (a code, an hour 0-23, a date, or ``None`` for tickets never
    called in a counter or officer breakdown), its ``label`` as the configuration names it
    (``label_en``: its English name, the Vietnamese one where the configuration has none),
    and its ``site`` (``None`` in the hour and day breakdowns, which add up every site)."""

    key: str | int | date | None
    label: str
    site: str | None
    site_name: str | None
    figures: Figures
    label_en: str = ""
    site_name_en: str | None = None


@dataclass(frozen=True, slots=True)
class ScaleStep:
    """A rating column: a score and its label (the first site's label for that score when
    sites' scales differ); ``lowest`` marks "Không hài lòng"."""

    score: int
    label_vi: str
    label_en: str
    lowest: bool


@dataclass(frozen=True, slots=True)
class HourCount:
    """Tickets issued (arrivals) and first called (calls) in one local hour of the day."""

    hour: int
    arrivals: int
    calls: int


@dataclass(frozen=True, slots=True)
class WaitBucket:
    """Served tickets whose wait was from ``low_minutes`` up to ``high_minutes``
    (``None``: no upper bound)."""

    low_minutes: int
    high_minutes: int | None
    count: int

    @property
    def label(self) -> str:
        if self.high_minutes is None:
            return f"≥ {self.low_minutes}"
        return f"{self.low_minutes}-{self.high_minutes}"


@dataclass(frozen=True, slots=True)
class WeekSatisfaction:
    """QĐ 766 figures of one week (Monday ``week_start``), clipped to the report's range."""

    week_start: date
    cases_served: int
    cases_dissatisfied: int
    rated: int

    @property
    def satisfaction_rate(self) -> float | None:
        return _share(self.cases_served - self.cases_dissatisfied, self.cases_served)


@dataclass(frozen=True, slots=True)
class Charts:
    """The series the charts draw: arrivals and calls by hour (every hour from the first to
    the last with any), the waiting-time distribution, satisfaction by week."""

    hours: tuple[HourCount, ...]
    waiting: tuple[WaitBucket, ...]
    weeks: tuple[WeekSatisfaction, ...]


@dataclass(frozen=True, slots=True)
class SiteName:
    code: str
    name_vi: str
    name_en: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Report:
    """A report as asked: ``rows`` in the configuration's order, the ``total`` of every
    ticket of the report (not the sum of the rows for medians, percentiles and cases: a case
    may appear in several rows), the rating columns, and the chart series."""

    request: ReportRequest
    sites: tuple[SiteName, ...]
    generated_at: datetime
    rows: tuple[ReportRow, ...]
    total: Figures
    scale: tuple[ScaleStep, ...]
    charts: Charts


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One ticket for the per-case sheet (for the one-stop e-system): times are local,
    naive, in the site's time zone; ``waiting_seconds`` and ``service_seconds`` as defined
    above (``None`` where they do not apply)."""

    site: str
    business_date: date
    number: str
    ticket_id: str
    service: str
    service_name: str
    field_name: str
    status: str
    priority: str | None
    counter: str | None
    counter_name: str | None
    officer: str | None
    officer_name: str | None
    issued_at: datetime
    first_called_at: datetime | None
    serving_at: datetime | None
    finished_at: datetime | None
    waiting_seconds: float | None
    service_seconds: float | None
    transfer_count: int
    case_code: str | None
    score: int | None
    rating_label: str | None
    rating_source: str | None
    rated_at: datetime | None


CaseRows = Iterator[CaseRow]
