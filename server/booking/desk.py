"""The server's booking desk: what a citizen books from the phone, what the kiosk checks in,
and the jobs that keep bookings honest (server.booking.jobs).

- **Booking** (:meth:`BookingDesk.book`): a slot of a service in the next days, or "a
  number now". The slot and the person's limits are checked by one guarded insert
  (server.booking.store), so capacity and limits hold under any number of citizens at once.
  A refusal is a :class:`BookingRefused` naming the reason (a text key of
  server.booking.texts and its values) and changes nothing.
- **A number now** under the site's ``from_booking`` policy is a real ticket at once,
  issued through the same rules as the kiosk's (numbering, daily limits, opening hours,
  events) and marked ``remote``; under ``at_check_in`` it is a booking for today that
  becomes a ticket when its holder checks in at the kiosk.
- **Check-in** (:meth:`BookingDesk.check_in`): a booking of today at this site, within its
  window, becomes a ticket through the rules; under ``from_booking`` a slot's ticket carries
  the slot as its appointment (called at its time before walk-ins: server.domain.calling),
  under ``at_check_in`` it queues like anyone taking a number then. The ticket's
  ``request_key`` is the booking's own, so a retried or doubled check-in never gives two.
- **Cancel**: only with the booking's page key (the link its holder was given).

Every write goes through the writer process; every read runs on the service's reader
threads; the event loop never waits on the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from server.booking.identity import age_on
from server.booking.jobs import BookingJobs
from server.booking.model import (
    Booking,
    BookingKind,
    BookingStatus,
    IdentityKind,
    code_hash,
    identity_hash,
    keys_equal,
    new_code,
    normalized_code,
    page_key,
    seal_code,
    shown_code,
    ticket_request_key,
    unseal_code,
)
from server.booking.otp import OneTimeCodes
from server.booking.slots import (
    Slot,
    check_in_window,
    find_slot,
    number_now_until,
    reminder_at,
)
from server.booking.sms import SmsSender, sender_from_settings
from server.booking.store import NO_LIMIT, BookingStore
from server.config.settings import BookingPolicy, SiteSettings
from server.domain import rules
from server.domain.commands import CancelTicket, IssueTicket
from server.domain.errors import Closed, Conflict, DomainError, InvalidCommand, NotFound
from server.domain.model import Ticket
from server.feedback.limits import AddressBuckets, BucketPolicy
from server.store.database import StoreError

if TYPE_CHECKING:  # the runtime makes the desk: a type-only import keeps the cycle out
    from server.app.runtime import QueueService, SiteRuntime

logger = logging.getLogger(__name__)

_Read = TypeVar("_Read")


class BookingRefused(Exception):
    """A booking, cancel or lookup refused; ``key`` names the reason (a text of
    server.booking.texts), ``values`` fill it in. Nothing was changed."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """What a citizen asks for: ``slot_start`` for a slot, ``None`` for a number now;
    ``identity`` is the normalised phone (checked by a one-time code) or CCCD number."""

    site: str
    service: str
    slot_start: datetime | None
    identity_kind: IdentityKind
    identity: str
    language: str = "vi"


@dataclass(frozen=True, slots=True)
class Booked:
    """A booking made: its code and page key (given once, to its holder), the row, and the
    ticket when it became one at once (a number now, ``from_booking``)."""

    code: str
    key: str
    booking: Booking
    ticket: Ticket | None


@dataclass(frozen=True, slots=True)
class SlotPlaces:
    """A slot and the places left in it."""

    slot: Slot
    left: int


@dataclass(frozen=True, slots=True)
class CheckedIn:
    """A check-in's ticket (the state it was issued in) and its booking, as now stored."""

    ticket: Ticket
    booking: Booking
    runtime: SiteRuntime


class BookingDesk:
    """The bookings of ``service``'s sites (see the module docstring)."""

    def __init__(self, service: QueueService) -> None:
        self.service = service
        self.store = BookingStore(service.repository.engines)
        # Bookings per address and site, on the server's clock (a test moves it).
        self._addresses: dict[str, AddressBuckets] = {}
        # One check-in at a time per booking (kiosks scanning the same code at once).
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = \
            weakref.WeakValueDictionary()
        # Text messages (one-time codes, reminders): [server.sms].
        self.sender: SmsSender = sender_from_settings(service.server.sms)
        self._codes: OneTimeCodes | None = None
        # Expiry, reminders and the erasure of personal data (started with the service).
        self.jobs = BookingJobs(self)

    @property
    def codes(self) -> OneTimeCodes:
        """The one-time codes that prove a phone (made on first use: the secret is the
        deployment's, known once the service runs)."""
        if self._codes is None:
            self._codes = OneTimeCodes(self.secret.encode("utf-8"), self.service.clock)
        return self._codes

    @property
    def secret(self) -> str:
        return self.service.server.secret

    async def read(self, function: Callable[..., _Read], *args: Any) -> _Read:
        """``function(*args)`` on the service's reader threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.service.readers,
                                          functools.partial(function, *args))

    def runtime(self, site: str) -> SiteRuntime:
        runtime = self.service.sites.get(site)
        if runtime is None:
            raise BookingRefused("err_site_unknown")
        return runtime

    # --- what can be booked ---------------------------------------------------------------

    async def places(self, site: SiteSettings, service: str, slots: list[Slot]) -> list[
            SlotPlaces]:
        """``slots`` of ``service`` with the places each has left."""
        if not slots:
            return []
        taken = await self.read(self.store.taken, site.code, service, slots[0].start,
                                 slots[-1].end)
        capacity = site.booking.capacity
        return [SlotPlaces(slot, max(0, capacity - taken.get(slot.start, 0)))
                for slot in slots]

    def address_limit(self, site: SiteSettings) -> AddressBuckets:
        """The bookings per address of ``site``: ``per_address_per_hour`` at once, then one
        every ``3600 / per_address_per_hour`` seconds."""
        per_hour = site.booking.per_address_per_hour
        buckets = self._addresses.get(site.code)
        if buckets is None or buckets.policy.capacity != per_hour:
            buckets = AddressBuckets(lambda: self.service.clock().timestamp(),
                                     BucketPolicy(capacity=per_hour,
                                                  refill_seconds=3600.0 / per_hour))
            self._addresses[site.code] = buckets
        return buckets

    # --- booking --------------------------------------------------------------------------

    async def book(self, request: BookingRequest) -> Booked:
        """Make the booking ``request`` asks for; :class:`BookingRefused` when it cannot be
        (nothing stored then), StoreError when it could not be saved."""
        runtime = self.runtime(request.site)
        site = runtime.settings
        service = site.service(request.service)
        if service is None or not site.booking.takes(request.service):
            raise BookingRefused("err_not_bookable")
        now = self.service.clock()
        today = now.astimezone(site.timezone).date()
        if request.slot_start is None:
            until = number_now_until(site, service.code, now)
            if until is None:
                raise BookingRefused("err_now_closed")
            slot = Slot(now, until)
            kind, capacity, window = BookingKind.NOW, NO_LIMIT, (now, until)
            remind = None
            immediate = site.booking.policy is BookingPolicy.FROM_BOOKING
            if immediate:
                # Whatever the rules would refuse (the day's limit, the hours) is refused
                # before anything is stored.
                try:
                    rules.apply(site, runtime.working,
                                IssueTicket(service.code, None, "dry-run", remote=True), now)
                except DomainError as error:
                    raise BookingRefused("err_issue_refused", reason=error.message) from None
        else:
            found = find_slot(site, service.code, request.slot_start, now)
            if found is None:
                raise BookingRefused("err_slot_gone")
            slot = found
            kind, capacity, window = BookingKind.SLOT, site.booking.capacity, \
                check_in_window(site, slot)
            remind = reminder_at(site, slot, now) \
                if request.identity_kind is IdentityKind.PHONE else None
            immediate = False
        code = new_code()
        hashed = code_hash(self.secret, code)
        person = identity_hash(self.secret, request.identity_kind, request.identity)
        booking = Booking(
            id=0, code_hash=hashed, code_sealed=seal_code(self.secret, code), site=site.code,
            service=service.code, field=service.field, kind=kind,
            day=slot.start.astimezone(site.timezone).date() if kind is BookingKind.SLOT
            else today,
            slot_start=slot.start, slot_end=slot.end, check_in_from=window[0],
            check_in_until=window[1], status=BookingStatus.BOOKED, ticket_id=None,
            check_in_key=None, identity_kind=request.identity_kind, identity_hash=person,
            phone=request.identity if request.identity_kind is IdentityKind.PHONE
            and not immediate and remind is not None else None,
            language=request.language if request.language in ("vi", "en") else "vi",
            remind_at=remind, reminded_at=None, created_at=now, updated_at=now,
            personal_erased_at=None)
        limits = site.booking
        added = (await self.service.writer.write(self.store.insert_plan(
            booking, capacity, limits.per_person_per_day, limits.per_person_per_field_per_day,
            limits.open_per_person)))[0]
        if not added:
            raise await self._why_refused(site, booking)
        logger.info("booking made at %s for %s (%s%s)", site.code, service.code, kind.value,
                    f" {slot.start.astimezone(site.timezone):%d/%m %H:%M}"
                    if kind is BookingKind.SLOT else "")
        ticket = None
        if immediate:
            ticket, booking = await self._number_now(runtime, booking, now)
        return Booked(code, page_key(self.secret, code), booking, ticket)

    async def _number_now(self, runtime: SiteRuntime, booking: Booking,
                          now: datetime) -> tuple[Ticket, Booking]:
        """The ticket of a number now (``from_booking``): issued through the rules, marked
        remote; the booking, checked in with it. A refusal cancels the booking."""
        try:
            outcome = await runtime.execute(IssueTicket(
                booking.service, None, ticket_request_key(booking.code_hash), remote=True))
        except DomainError as error:
            await self.service.writer.write(self.store.close_plan(
                booking.code_hash, BookingStatus.BOOKED, BookingStatus.CANCELLED, now))
            raise BookingRefused("err_issue_refused", reason=error.message) from None
        except StoreError:
            # No ticket was saved: the booking must not hold the person's turn either.
            with contextlib.suppress(StoreError):
                await self.service.writer.write(self.store.close_plan(
                    booking.code_hash, BookingStatus.BOOKED, BookingStatus.CANCELLED, now))
            raise
        ticket = outcome.result
        assert isinstance(ticket, Ticket)
        await self.service.writer.write(self.store.check_in_plan(
            booking.code_hash, ticket.id, ticket_request_key(booking.code_hash), now))
        return ticket, replace(booking, status=BookingStatus.CHECKED_IN, ticket_id=ticket.id,
                               check_in_key=ticket_request_key(booking.code_hash), phone=None)

    async def _why_refused(self, site: SiteSettings, booking: Booking) -> BookingRefused:
        """Which limit stood against ``booking`` (the person's first, then the slot's)."""
        assert booking.identity_hash is not None
        limits = site.booking
        counts = await self.read(self.store.person_counts, booking.identity_hash,
                                  booking.day, booking.field)
        if counts.day >= limits.per_person_per_day:
            return BookingRefused("err_limit_day", limit=limits.per_person_per_day,
                                  day=f"{booking.day:%d/%m/%Y}")
        if counts.field >= limits.per_person_per_field_per_day:
            field = next((item for item in site.fields if item.code == booking.field), None)
            return BookingRefused("err_limit_field", limit=limits.per_person_per_field_per_day,
                                  field_vi=field.name_vi if field else booking.field,
                                  field_en=(field.name_en or field.name_vi) if field
                                  else booking.field, day=f"{booking.day:%d/%m/%Y}")
        if counts.open >= limits.open_per_person:
            return BookingRefused("err_limit_open", limit=limits.open_per_person)
        if booking.kind is BookingKind.SLOT:
            return BookingRefused("err_slot_full")
        return BookingRefused("err_busy")

    # --- the holder's page ----------------------------------------------------------------

    async def find(self, code_text: str, key: str | None = None) -> tuple[str, Booking] | None:
        """The booking of ``code_text`` (its normalised code and row); with ``key``, only
        when it is the booking's page key. ``None`` otherwise."""
        code = normalized_code(code_text)
        if code is None:
            return None
        found = await self.read(self.store.by_code_hash, code_hash(self.secret, code))
        if found is None:
            return None
        if key is not None and not keys_equal(key, page_key(self.secret, code)):
            return None
        return code, found

    async def find_by_person(self, code_text: str, kind: IdentityKind,
                             identity: str) -> tuple[str, Booking] | None:
        """The booking of ``code_text`` when it was made by that person (the "find my
        booking" form), else ``None``; after its personal data is erased, never."""
        found = await self.find(code_text)
        if found is None or found[1].identity_hash is None:
            return None
        expected = identity_hash(self.secret, kind, identity)
        if found[1].identity_kind is not kind or not keys_equal(found[1].identity_hash,
                                                                 expected):
            return None
        return found

    def page_key(self, code: str) -> str:
        return page_key(self.secret, code)

    async def cancel(self, code_text: str, key: str) -> Booking:
        """Cancel the booking of ``code_text`` whose page key is ``key``: a booked one, or
        one whose ticket still waits (its ticket is cancelled through the rules).
        :class:`BookingRefused` otherwise."""
        found = await self.find(code_text, key)
        if found is None:
            raise BookingRefused("err_booking_unknown")
        booking = found[1]
        now = self.service.clock()
        async with self._lock(booking.code_hash):
            latest = await self.read(self.store.by_code_hash, booking.code_hash)
            booking = latest or booking
            if booking.status is BookingStatus.BOOKED:
                changed = (await self.service.writer.write(self.store.close_plan(
                    booking.code_hash, BookingStatus.BOOKED, BookingStatus.CANCELLED,
                    now)))[0]
                if not changed:
                    raise BookingRefused("err_booking_changed")
            elif booking.status is BookingStatus.CHECKED_IN and booking.ticket_id:
                runtime = self.runtime(booking.site)
                ticket = runtime.working.tickets.get(booking.ticket_id)
                if ticket is None or not ticket.queued:
                    raise BookingRefused("err_cancel_too_late")
                try:
                    await runtime.execute(CancelTicket(ticket.id))
                except DomainError:
                    raise BookingRefused("err_cancel_too_late") from None
                await self.service.writer.write(self.store.close_plan(
                    booking.code_hash, BookingStatus.CHECKED_IN, BookingStatus.CANCELLED, now))
            else:
                raise BookingRefused("err_cancel_closed")
        logger.info("booking cancelled by its holder at %s (%s)", booking.site,
                    booking.service)
        return replace(booking, status=BookingStatus.CANCELLED, phone=None, updated_at=now)

    def ticket_of(self, booking: Booking) -> tuple[SiteRuntime, Ticket] | None:
        """Today's ticket a booking became, and its site (``None``: none, or not today)."""
        runtime = self.service.sites.get(booking.site)
        if runtime is None or booking.ticket_id is None:
            return None
        ticket = runtime.committed.tickets.get(booking.ticket_id)
        return None if ticket is None else (runtime, ticket)

    def code_of(self, booking: Booking) -> str:
        return unseal_code(self.secret, booking.code_sealed, booking.code_hash)

    # --- the kiosk ------------------------------------------------------------------------

    async def check_in(self, runtime: SiteRuntime, code_text: str, request_key: str,
                       birth_date: date | None, priority: str | None = None) -> CheckedIn:
        """Check the booking of ``code_text`` in at ``runtime``'s site: its ticket, through
        the rules. Raises DomainError (answered as the protocol says: ``not_found``,
        ``closed``, ``conflict``)."""
        site = runtime.settings
        code = normalized_code(code_text)
        if code is None:
            raise InvalidCommand("code: a booking code has 8 letters and digits, such as "
                                 "ABCD-2345 (mã lịch hẹn gồm 8 chữ và số)")
        hashed = code_hash(self.secret, code)
        now = self.service.clock()
        today = now.astimezone(site.timezone).date()
        async with self._lock(hashed):
            booking = await self.read(self.store.by_code_hash, hashed)
            if booking is None or booking.site != site.code or booking.day != today:
                raise NotFound("code: no booking of this code today at this centre "
                               "(không có lịch hẹn với mã này hôm nay tại trung tâm)")
            if booking.status is BookingStatus.CHECKED_IN:
                held = runtime.working.tickets.get(booking.ticket_id or "")
                if booking.check_in_key == request_key and held is not None:
                    return CheckedIn(held, booking, runtime)
                number = held.number if held is not None else "?"
                raise Conflict(f"code: this booking was already checked in: ticket {number} "
                               f"(lịch hẹn đã được nhận: số {number})")
            if booking.status is BookingStatus.CANCELLED:
                raise Conflict("code: this booking was cancelled (lịch hẹn đã bị hủy)")
            if booking.status is BookingStatus.EXPIRED or now >= booking.check_in_until:
                until = booking.check_in_until.astimezone(site.timezone)
                if booking.status is BookingStatus.EXPIRED:
                    raise Conflict(f"code: this booking expired at {until:%H:%M} (lịch hẹn đã "
                                   f"hết hạn lúc {until:%H:%M})")
                raise Closed(f"check-in ended at {until:%H:%M} (đã hết giờ nhận lịch hẹn lúc "
                             f"{until:%H:%M})")
            if now < booking.check_in_from:
                opens = booking.check_in_from.astimezone(site.timezone)
                raise Closed(f"check-in opens at {opens:%H:%M} (nhận lịch hẹn từ "
                             f"{opens:%H:%M})")
            group = priority if priority is not None else age_priority(
                site, birth_date, today, booking.service)
            appointment = booking.slot_start if (
                booking.kind is BookingKind.SLOT
                and site.booking.policy is BookingPolicy.FROM_BOOKING) else None
            outcome = await runtime.execute(IssueTicket(
                booking.service, group, ticket_request_key(hashed), appointment))
            ticket = outcome.result
            assert isinstance(ticket, Ticket)
            changed = (await self.service.writer.write(
                self.store.check_in_plan(hashed, ticket.id, request_key, now)))[0]
            if not changed:
                logger.warning("booking at %s was changed while being checked in", site.code)
            booking = replace(booking, status=BookingStatus.CHECKED_IN, ticket_id=ticket.id,
                              check_in_key=request_key, phone=None, remind_at=None,
                              updated_at=now)
        logger.info("booking checked in at %s: ticket %s (%s)", site.code, ticket.number,
                    booking.kind.value)
        return CheckedIn(ticket, booking, runtime)

    async def bookings_today(self, runtime: SiteRuntime, id_number: str) -> list[Booking]:
        """The bookings a CCCD number holds today at ``runtime``'s site that can still be
        checked in (booked, window not ended), by slot."""
        site = runtime.settings
        now = self.service.clock()
        today = now.astimezone(site.timezone).date()
        person = identity_hash(self.secret, IdentityKind.CCCD, id_number)
        found = await self.read(self.store.of_person, site.code, person, today)
        return [booking for booking in found if now < booking.check_in_until]

    def _lock(self, hashed: str) -> asyncio.Lock:
        lock = self._locks.get(hashed)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[hashed] = lock
        return lock

    # --- figures for a page ---------------------------------------------------------------

    def people_ahead(self, runtime: SiteRuntime, service: str) -> tuple[int, bool, int | None]:
        """What a ticket of ``service`` issued now would have: people ahead, whether that
        is known (a counter open), and the minutes to wait."""
        standing = runtime.views.forecasts.of(runtime.committed,
                                              self.service.clock()).new_ticket(service)
        return standing.ahead, standing.known, standing.eta_minutes

    def waiting(self, runtime: SiteRuntime, service: str) -> int:
        return len(runtime.committed.queues.get(service, ()))


def age_priority(site: SiteSettings, birth_date: date | None, today: date,
                 service: str) -> str | None:
    """The priority group a person born on ``birth_date`` gets at ``site`` on ``today`` by
    the site's age rule for a ticket of ``service``, or ``None``: none when the service
    does not take that group (an ordinary ticket rather than a refusal: the citizen asked
    for none, the kiosk only read their card)."""
    rule = site.priority_by_age
    if rule is None or birth_date is None or not site.takes_priority(service, rule.group):
        return None
    return rule.group if age_on(birth_date, today) >= rule.age else None


def booking_object(site: SiteSettings, code: str, booking: Booking) -> dict[str, Any]:
    """A booking on the wire (``check_in`` and ``bookings`` results): nothing personal."""
    service = site.service(booking.service)
    zone = site.timezone
    return {"code": shown_code(code), "service": booking.service,
            "service_name": service.name_vi if service else booking.service,
            "service_name_en": (service.name_en or service.name_vi) if service
            else booking.service,
            "kind": booking.kind.value,
            "slot_start": booking.slot_start.astimezone(zone).isoformat(timespec="seconds"),
            "slot_end": booking.slot_end.astimezone(zone).isoformat(timespec="seconds"),
            "status": booking.status.value}
