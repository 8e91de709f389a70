"""Domain values -> wire objects (docs/protocol.md "Objects"), with names from the configuration.

Times go out as ISO 8601 in the site's time zone (``2026-11-22T08:15:02+07:00``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from server.config.settings import SiteSettings
from server.domain import calling
from server.domain.forecast import Forecasts
from server.domain.model import (
    ConfigurationChange,
    CounterState,
    DayReset,
    DeviceReport,
    Event,
    Rating,
    SiteState,
    Ticket,
)
from server.security import rating_key, track_code


def iso(site: SiteSettings, moment: datetime | None) -> str | None:
    """``moment`` in the site's zone, ISO 8601 to the second."""
    if moment is None:
        return None
    return moment.astimezone(site.timezone).isoformat(timespec="seconds")


class OpeningWatch:
    """Whether each service (and the site) is open at a moment, and when that next changes.

    A snapshot is taken after every burst of events; rather than walk the calendar for every
    service each time, each answer is kept until its change (or a day, when nothing changes
    within a year): at any moment from when it was worked out until then it is the same.
    """

    KEPT_WITHOUT_CHANGE = timedelta(days=1)

    def __init__(self, site: SiteSettings) -> None:
        self.site = site
        self._known: dict[str | None, tuple[datetime, datetime, bool, datetime | None]] = {}

    def status(self, service: str | None, now: datetime) -> tuple[bool, datetime | None]:
        """``(open, change)`` of ``service`` (``None``: the site itself) at ``now``; the
        change is in the site's zone, ``None`` when not within a year."""
        known = self._known.get(service)
        if known is not None and known[0] <= now < known[1]:
            return known[2], known[3]
        schedule = self.site.schedule(service)
        local = now.astimezone(self.site.timezone)
        is_open = schedule.is_open(local)
        change = schedule.next_change(local)
        self._known[service] = (now, change or now + self.KEPT_WITHOUT_CHANGE, is_open, change)
        return is_open, change


class Views:
    """Builds wire objects for one site; ``secret`` keys the tracking codes.

    ``ahead`` and ``eta_minutes`` are worked out at a moment (due appointments, the time left
    with a ticket in hand): an event's own time, else the ``now`` given, else ``clock``
    (the server's; without one, the system clock).
    """

    def __init__(self, site: SiteSettings, secret: str, public_url: str,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.site = site
        self.secret = secret
        self.public_url = public_url
        self.clock = clock or (lambda: datetime.now(UTC))
        # One simulation per state serves its events, the reply and a waiting list of 50.
        self.forecasts = Forecasts(site)
        self.opening = OpeningWatch(site)

    def ticket(self, state: SiteState, ticket: Ticket,
               now: datetime | None = None) -> dict[str, Any]:
        site = self.site
        service = site.service(ticket.service)
        standing = self.forecasts.standing(state, ticket, now or self.clock())
        counter = site.counter(ticket.counter) if ticket.counter else None
        track = track_code(self.secret, ticket.id)
        return {
            "id": ticket.id,
            "number": ticket.number,
            "service": ticket.service,
            "service_name": service.name_vi if service else ticket.service,
            "service_name_en": service.name_en if service else ticket.service,
            "priority": ticket.priority,
            "status": ticket.status.value,
            "counter": ticket.counter,
            "counter_name": counter.name if counter else None,
            "target_counter": ticket.target_counter,
            "issued_at": iso(site, ticket.issued_at),
            "called_at": iso(site, ticket.called_at),
            "finished_at": iso(site, ticket.finished_at),
            "ahead": standing.ahead,
            "ahead_known": standing.known,
            "eta_minutes": standing.eta_minutes,
            "call_count": ticket.call_count,
            "case_code": ticket.case_code,
            "remote": ticket.remote,
            "track": track,
            "track_url": f"{self.public_url}/t/{track}",
        }

    def rating_url(self, ticket_id: str) -> str:
        """The status-page link of the ticket's QR: with the rating key that lets the holder
        rate (``track_url`` in events has no key)."""
        track = track_code(self.secret, ticket_id)
        return f"{self.public_url}/t/{track}?k={rating_key(self.secret, ticket_id)}"

    def counter(self, state: SiteState, counter: CounterState) -> dict[str, Any]:
        settings = self.site.counter(counter.code)
        officer = self.site.officer(counter.officer) if counter.officer else None
        ticket = state.tickets.get(counter.ticket_id) if counter.ticket_id else None
        return {
            "code": counter.code,
            "name": settings.name if settings else counter.code,
            "zone": settings.zone if settings else None,
            "services": list(settings.services) if settings else [],
            "status": counter.status.value,
            "officer": counter.officer,
            "officer_name": officer.full_name if officer else None,
            "pause_reason": counter.pause_reason,
            "ticket": self.ticket(state, ticket) if ticket else None,
        }

    def rating(self, rating: Rating) -> dict[str, Any]:
        label = self.site.rating_label(rating.score)
        return {
            "ticket_id": rating.ticket_id,
            "score": rating.score,
            "label": label.label_vi if label else None,
            "label_en": label.label_en if label else None,
            "source": rating.source.value,
            "counter": rating.counter,
            "officer": rating.officer,
            "service": rating.service,
            "case_code": rating.case_code,
            "rated_at": iso(self.site, rating.rated_at),
        }

    def device(self, report: DeviceReport) -> dict[str, Any]:
        return {
            "device": report.device,
            "kind": report.kind.value,
            "status": report.condition.value,
            "message": report.message,
            "counter": report.counter,
            "reported_by": report.reported_by,
            "reported_at": iso(self.site, report.reported_at),
        }

    def event_data(self, state: SiteState, event: Event) -> dict[str, Any]:
        subject = event.subject
        if isinstance(subject, Ticket):
            return self.ticket(state, subject, event.at)
        if isinstance(subject, CounterState):
            return self.counter(state, subject)
        if isinstance(subject, Rating):
            return self.rating(subject)
        if isinstance(subject, DeviceReport):
            return self.device(subject)
        if isinstance(subject, ConfigurationChange):
            return {"version": subject.version}
        assert isinstance(subject, DayReset)
        return {
            "business_date": subject.business_date.isoformat(),
            "previous_date": subject.previous_date.isoformat(),
            "cancelled": len(subject.cancelled),
        }

    def _hours(self, is_open: bool, change: datetime | None) -> dict[str, Any]:
        """``open``, and ``closes_at`` while open or ``reopens_at`` while closed."""
        return {"open": is_open,
                "closes_at": iso(self.site, change) if is_open else None,
                "reopens_at": None if is_open else iso(self.site, change)}

    def snapshot(self, state: SiteState, now: datetime | None = None) -> dict[str, Any]:
        """The ``state`` object: everything a kiosk, counter or display starts from."""
        site = self.site
        now = now or self.clock()
        forecast = self.forecasts.of(state, now)
        site_open, site_change = self.opening.status(None, now)
        changes = [site_change]
        services = []
        for service in site.services:
            waiting = len(state.queues.get(service.code, ()))
            is_open, change = self.opening.status(service.code, now)
            changes.append(change)
            services.append({
                "code": service.code,
                "name": service.name_vi,
                "name_en": service.name_en,
                "field": service.field,
                "kind": service.kind.value,
                "waiting": waiting,
                # What a new ordinary ticket would wait.
                "eta_minutes": forecast.new_ticket(service.code).eta_minutes,
                "open_counters": calling.open_counters(site, state, service.code),
                # The priority groups a ticket of it may have (the kiosk offers only these).
                "priority_groups": [item.code for item in site.priority_groups_of(service.code)],
                **self._hours(is_open, change),
            })
        recent = [self.ticket(state, state.tickets[ticket_id]) for ticket_id in
                  state.recent_calls[:10] if ticket_id in state.tickets]
        return {
            "site": {"code": site.code, "name": site.name_vi, "name_en": site.name_en,
                     "address": site.address, "notice": site.notice,
                     "ticket_footer": site.ticket_footer,
                     "timezone": str(site.timezone.key),
                     "business_date": state.business_date.isoformat(),
                     **self._hours(site_open, site_change),
                     # When to take a fresh snapshot: the first opening or closing to come.
                     "next_change": iso(site, min((item for item in changes if item),
                                                  default=None)),
                     "now": iso(site, now),
                     # Whether the kiosk offers check-in, and its window around a slot.
                     "booking": {"enabled": site.booking.enabled,
                                 "check_in_early_minutes": site.booking.check_in_early_minutes,
                                 "check_in_late_minutes": site.booking.check_in_late_minutes},
                     "priority_by_age": (None if site.priority_by_age is None else
                                         {"group": site.priority_by_age.group,
                                          "age": site.priority_by_age.age})},
            "fields": [{"code": item.code, "name": item.name_vi, "name_en": item.name_en}
                       for item in site.fields],
            "priority_groups": [{"code": item.code, "name": item.name_vi,
                                 "name_en": item.name_en} for item in site.priority_groups],
            "zones": [{"code": item.code, "name": item.name_vi, "name_en": item.name_en}
                      for item in site.zones],
            "rating_scale": [{"score": item.score, "label": item.label_vi,
                              "label_en": item.label_en} for item in site.rating_scale],
            "rating_window_seconds": site.rating_window_seconds,
            "services": services,
            "counters": [self.counter(state, state.counter(item.code)) for item in site.counters],
            "recent_calls": recent,
        }
