"""When a service takes bookings: its days, its slots, "a number now", and the check-in
window of each (pure: the caller gives the moment).

A service is bookable at the times its own opening hours (within the site's) are open,
narrowed by ``[sites.booking] hours`` when given (a day those hours leave out takes no
booking). Each session of a day is cut into slots of ``slot_minutes`` from its start; a
last piece shorter than a slot is not offered. Bookable days are today and the next
``days_ahead``; today's slots only those that have not started. "A number now" is
possible while a bookable session is open, and holds until that session ends.

Check-in at the kiosk: for a slot, from ``check_in_early_minutes`` before its start to
``check_in_late_minutes`` after its start; for a number now (site policy ``at_check_in``)
from the moment it was taken to the end of its session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from server.config.hours import HORIZON_DAYS, MINUTES_PER_DAY, Sessions, intersect
from server.config.settings import SiteSettings


@dataclass(frozen=True, slots=True)
class Slot:
    """From ``start`` to ``end`` (aware, in the site's zone)."""

    start: datetime
    end: datetime


def bookable_sessions(site: SiteSettings, service: str, day: date) -> Sessions:
    """The sessions of ``day`` (local) in which ``service`` takes bookings (none when the
    site takes no bookings or the service is not among those that do)."""
    booking = site.booking
    if not booking.takes(service) or site.service(service) is None:
        return ()
    sessions = site.schedule(service).sessions_on(day)
    if booking.hours is not None:
        sessions = intersect(sessions, booking.hours.own(day) or ())
    return sessions


def local_moment(site: SiteSettings, day: date, minute: int) -> datetime:
    """``minute`` of the local ``day`` as an aware time of the site (1440: next midnight)."""
    if minute >= MINUTES_PER_DAY:
        return datetime.combine(day + timedelta(days=1), time(), site.timezone)
    hour, rest = divmod(minute, 60)
    return datetime.combine(day, time(hour, rest), site.timezone)


def slots_on(site: SiteSettings, service: str, day: date) -> list[Slot]:
    """Every slot of ``service`` on ``day``, started or not."""
    length = site.booking.slot_minutes
    slots = []
    for session in bookable_sessions(site, service, day):
        start = session.start
        while start + length <= session.end:
            slots.append(Slot(local_moment(site, day, start),
                              local_moment(site, day, start + length)))
            start += length
    return slots


def bookable_days(site: SiteSettings, now: datetime) -> list[date]:
    """Today (the site's) and the next ``days_ahead`` days."""
    today = now.astimezone(site.timezone).date()
    return [today + timedelta(days=offset) for offset in range(site.booking.days_ahead + 1)]


def open_slots(site: SiteSettings, service: str, day: date, now: datetime) -> list[Slot]:
    """The slots of ``day`` that can still be booked at ``now``: within the bookable days,
    not started."""
    if day not in bookable_days(site, now):
        return []
    return [slot for slot in slots_on(site, service, day) if slot.start > now]


def find_slot(site: SiteSettings, service: str, start: datetime, now: datetime) -> Slot | None:
    """The slot starting at ``start`` if it can be booked at ``now``, else ``None``."""
    day = start.astimezone(site.timezone).date()
    return next((slot for slot in open_slots(site, service, day, now)
                 if slot.start == start), None)


def number_now_until(site: SiteSettings, service: str, now: datetime) -> datetime | None:
    """While "a number now" can be taken for ``service`` at ``now``, the end of the session
    it belongs to; ``None`` when it cannot (no session open, or the site offers none)."""
    if not site.booking.number_now:
        return None
    local = now.astimezone(site.timezone)
    day = local.date()
    minute = local.hour * 60 + local.minute
    for session in bookable_sessions(site, service, day):
        if session.start <= minute < session.end:
            return local_moment(site, day, session.end)
    return None


def number_now_reopens(site: SiteSettings, service: str, now: datetime) -> datetime | None:
    """While "a number now" cannot be taken for ``service`` at ``now``, the next moment it
    can (the start of the next bookable session, today or a later day); ``None`` when the
    site offers none, or no session opens within a year."""
    if not site.booking.number_now:
        return None
    local = now.astimezone(site.timezone)
    minute = local.hour * 60 + local.minute
    for offset in range(HORIZON_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        for session in bookable_sessions(site, service, day):
            if offset > 0 or session.start > minute:
                return local_moment(site, day, session.start)
    return None


def check_in_window(site: SiteSettings, slot: Slot) -> tuple[datetime, datetime]:
    """From when to when a booked ``slot`` is checked in at the kiosk."""
    booking = site.booking
    return (slot.start - timedelta(minutes=booking.check_in_early_minutes),
            slot.start + timedelta(minutes=booking.check_in_late_minutes))


def reminder_at(site: SiteSettings, slot: Slot, now: datetime) -> datetime | None:
    """When the reminder of ``slot``, booked at ``now``, goes: ``reminder_minutes_before``
    its start, or ``None`` (no reminder set, or that moment has passed already)."""
    minutes = site.booking.reminder_minutes_before
    if minutes <= 0:
        return None
    moment = slot.start - timedelta(minutes=minutes)
    return moment if moment > now else None
