"""The hall now, for the managers' dashboard: counters, services, today's totals and alerts.

Pure: the site's state, its settings and the time in; figures out. What is late is decided
here, once, for the page and for tests alike:

- a service whose longest current wait passes its target (:meth:`SiteSettings.
  target_wait_minutes_of`: the service's own, else the site's);
- a counter paused for longer than the site's ``pause_alert_minutes``;
- a device reporting a fault (anything but ``ok``), or silent: the connection that reported
  it has gone for more than :data:`DEVICE_SILENCE` (devices report on change, so silence is
  known from their connection, which the caller tells in ``silent_since``).

``next_change_at`` is the earliest moment an alert would start with nothing else happening,
so a page refreshes then (and on every event) instead of polling.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from server.config.settings import SiteSettings
from server.domain.model import (
    QUEUED_STATUSES,
    CounterStatus,
    DeviceCondition,
    DeviceReport,
    SiteState,
    TicketStatus,
)
from server.domain.satisfaction import satisfaction_rate

DEVICE_SILENCE = timedelta(minutes=2)


class AlertKind(StrEnum):
    """Why the dashboard asks for attention."""

    WAIT_OVER_TARGET = "wait_over_target"
    COUNTER_PAUSED = "counter_paused"
    DEVICE_FAULT = "device_fault"
    DEVICE_SILENT = "device_silent"


@dataclass(frozen=True, slots=True)
class Alert:
    """One thing to look at: ``subject`` is a service, counter or device code; ``since`` when
    it began (the oldest ticket's arrival, the pause, the fault, the silence)."""

    kind: AlertKind
    subject: str
    since: datetime
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class CounterNow:
    """A counter as the hall sees it; ``since``: when its status last changed."""

    code: str
    zone: str
    status: CounterStatus
    officer: str | None
    since: datetime | None
    pause_reason: str | None
    ticket_number: str | None
    ticket_service: str | None
    ticket_since: datetime | None


@dataclass(frozen=True, slots=True)
class ServiceNow:
    """A service: who waits, since when the longest, against what target; served today."""

    code: str
    waiting: int
    longest_waiting_since: datetime | None
    target_minutes: float
    served_today: int
    open_counters: int


@dataclass(frozen=True, slots=True)
class Totals:
    """Today so far. ``median_wait_seconds``: issue to first call of the tickets called;
    ``satisfaction_percent``: the QĐ 766 rate of today's served cases (``None`` before any)."""

    issued: int
    served: int
    no_show: int
    cancelled: int
    waiting: int
    median_wait_seconds: float | None
    ratings: int
    satisfaction_percent: float | None


@dataclass(frozen=True, slots=True)
class HallFigures:
    """Everything the dashboard of one site shows, at ``now``."""

    now: datetime
    counters: tuple[CounterNow, ...]
    services: tuple[ServiceNow, ...]
    totals: Totals
    devices: tuple[DeviceReport, ...]
    silent_since: Mapping[str, datetime]
    alerts: tuple[Alert, ...]
    next_change_at: datetime | None


def hall_figures(site: SiteSettings, state: SiteState, now: datetime,
                 silent_since: Mapping[str, datetime] | None = None) -> HallFigures:
    """The hall of ``site`` at ``now``; ``silent_since``: devices whose reporting connection
    is gone, and since when."""
    silent = dict(silent_since or {})
    counters = tuple(_counter_now(site, state, code) for code in
                     (counter.code for counter in site.counters))
    services = _services_now(site, state)
    totals = _totals(site, state)
    alerts: list[Alert] = []
    upcoming: list[datetime] = []
    for service in services:
        if service.longest_waiting_since is None:
            continue
        due = service.longest_waiting_since + timedelta(minutes=service.target_minutes)
        if due <= now:
            alerts.append(Alert(AlertKind.WAIT_OVER_TARGET, service.code,
                                service.longest_waiting_since))
        else:
            upcoming.append(due)
    pause_limit = timedelta(minutes=site.pause_alert_minutes)
    for counter in counters:
        if counter.status is CounterStatus.PAUSED and counter.since is not None:
            if counter.since + pause_limit <= now:
                alerts.append(Alert(AlertKind.COUNTER_PAUSED, counter.code, counter.since,
                                    counter.pause_reason))
            else:
                upcoming.append(counter.since + pause_limit)
    devices = tuple(sorted(state.devices.values(), key=lambda report: report.device))
    for report in devices:
        if report.condition is not DeviceCondition.OK:
            alerts.append(Alert(AlertKind.DEVICE_FAULT, report.device, report.reported_at,
                                report.condition.value))
        gone = silent.get(report.device)
        if gone is not None:
            if gone + DEVICE_SILENCE <= now:
                alerts.append(Alert(AlertKind.DEVICE_SILENT, report.device, gone))
            else:
                upcoming.append(gone + DEVICE_SILENCE)
    alerts.sort(key=lambda alert: alert.since)
    return HallFigures(now, counters, services, totals, devices, silent, tuple(alerts),
                       min(upcoming) if upcoming else None)


def _counter_now(site: SiteSettings, state: SiteState, code: str) -> CounterNow:
    counter = state.counter(code)
    settings = site.counter(code)
    ticket = state.tickets.get(counter.ticket_id) if counter.ticket_id else None
    return CounterNow(
        code=code, zone=settings.zone if settings else "", status=counter.status,
        officer=counter.officer, since=counter.changed_at, pause_reason=counter.pause_reason,
        ticket_number=ticket.number if ticket else None,
        ticket_service=ticket.service if ticket else None,
        ticket_since=(ticket.serving_at or ticket.called_at) if ticket else None)


def _services_now(site: SiteSettings, state: SiteState) -> tuple[ServiceNow, ...]:
    oldest: dict[str, datetime] = {}
    waiting: dict[str, int] = {}
    served: dict[str, int] = {}
    for ticket in state.tickets.values():
        if ticket.status in QUEUED_STATUSES:
            waiting[ticket.service] = waiting.get(ticket.service, 0) + 1
            if ticket.service not in oldest or ticket.issued_at < oldest[ticket.service]:
                oldest[ticket.service] = ticket.issued_at
        elif ticket.status is TicketStatus.DONE:
            served[ticket.service] = served.get(ticket.service, 0) + 1
    open_codes = {code for code, counter in state.counters.items()
                  if counter.status is CounterStatus.OPEN}
    return tuple(
        ServiceNow(service.code, waiting.get(service.code, 0), oldest.get(service.code),
                   site.target_wait_minutes_of(service.code), served.get(service.code, 0),
                   sum(1 for counter in site.counters_serving(service.code)
                       if counter.code in open_codes))
        for service in site.services)


def _totals(site: SiteSettings, state: SiteState) -> Totals:
    counts = dict.fromkeys(TicketStatus, 0)
    waits: list[float] = []
    for ticket in state.tickets.values():
        counts[ticket.status] += 1
        if ticket.first_called_at is not None:
            waits.append((ticket.first_called_at - ticket.issued_at).total_seconds())
    waiting = sum(counts[status] for status in QUEUED_STATUSES)
    served_tickets = [ticket for ticket in state.tickets.values()
                      if ticket.status is TicketStatus.DONE]
    return Totals(
        issued=len(state.tickets),
        served=counts[TicketStatus.DONE],
        no_show=counts[TicketStatus.NO_SHOW],
        cancelled=counts[TicketStatus.CANCELLED],
        waiting=waiting,
        median_wait_seconds=statistics.median(waits) if waits else None,
        ratings=len(state.ratings),
        satisfaction_percent=satisfaction_rate(
            site, ((ticket.id, ticket.case_code) for ticket in served_tickets),
            state.ratings.values()),
    )

