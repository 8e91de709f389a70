"""The queue rules: ``apply(site, state, command, now) -> Outcome(state, events, result)``.

Pure: no I/O, no clock reads, no database. A refused command raises a
:class:`~server.domain.errors.DomainError` and changes nothing. Every change of a ticket or
counter comes with an event carrying the new value, so the store can persist a command by
persisting its events and clients can follow the site from events alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from immutables import Map

from server.config.hours import moment_words
from server.config.settings import SiteSettings
from server.domain import calling
from server.domain.commands import (
    CallNext,
    CallNumber,
    CancelTicket,
    ChangeConfiguration,
    Command,
    Finish,
    IssueTicket,
    Login,
    Logout,
    MarkNoShow,
    Pause,
    Rate,
    Recall,
    ReportDevice,
    ResumeCounter,
    StartService,
    Transfer,
)
from server.domain.errors import Closed, Conflict, Forbidden, InvalidCommand, NotFound
from server.domain.model import (
    ACTIVE_STATUSES,
    ConfigurationChange,
    CounterState,
    CounterStatus,
    DayReset,
    DeviceReport,
    Event,
    EventName,
    EventSubject,
    Rating,
    RatingSource,
    SiteState,
    Ticket,
    TicketStatus,
)

RECENT_CALLS_KEPT = 20
# A device not heard of for this long is forgotten (devices report on change and reconnect).
DEVICE_REPORT_KEPT = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The new state, the events in order, and what the reply returns."""

    state: SiteState
    events: tuple[Event, ...]
    result: Ticket | CounterState | Rating | DeviceReport | None


class _Events:
    """Numbers events as they happen, continuing the site's ``seq``."""

    def __init__(self, seq: int, now: datetime) -> None:
        self.seq = seq
        self.now = now
        self.events: list[Event] = []

    def emit(self, name: EventName, subject: EventSubject) -> None:
        self.seq += 1
        self.events.append(Event(self.seq, name, self.now, subject))


def new_site_state(site: SiteSettings, now: datetime) -> SiteState:
    """An empty day for ``site``, with every counter closed."""
    _check_aware(now)
    counters: Map[str, CounterState] = Map(
        {counter.code: CounterState(counter.code) for counter in site.counters}
    )
    return SiteState(site=site.code, business_date=local_date(site, now), counters=counters)


def local_date(site: SiteSettings, now: datetime) -> date:
    """The site's calendar date at ``now`` (the business day)."""
    return now.astimezone(site.timezone).date()


def apply(site: SiteSettings, state: SiteState, command: Command, now: datetime) -> Outcome:
    """Apply ``command`` at ``now``; a new local day is opened first when midnight has passed."""
    _check_aware(now)
    events = _Events(state.seq, now)
    state = _roll_over(site, state, events)
    handler = _HANDLERS[type(command)]
    state, result = handler(site, state, command, events)
    return Outcome(replace(state, seq=events.seq), tuple(events.events), result)


def advance_day(site: SiteSettings, state: SiteState, now: datetime) -> Outcome:
    """Open the new business day if local midnight has passed since ``state``'s day."""
    _check_aware(now)
    events = _Events(state.seq, now)
    state = _roll_over(site, state, events)
    return Outcome(replace(state, seq=events.seq), tuple(events.events), None)


def _check_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")


def _roll_over(site: SiteSettings, state: SiteState, events: _Events) -> SiteState:
    today = local_date(site, events.now)
    if today <= state.business_date:
        return state
    # Tickets still open at midnight are cancelled: numbers restart and nobody comes back
    # for yesterday's number. Counters close: officers log in again in the morning.
    unserved = tuple(
        ticket.id
        for ticket in state.tickets.values()
        if ticket.queued or ticket.status in ACTIVE_STATUSES
    )
    fresh = new_site_state(site, events.now)
    fresh = replace(fresh, seq=state.seq, service_seconds=state.service_seconds,
                    devices=_current_devices(state.devices, events.now))
    events.emit(EventName.DAY_RESET, DayReset(today, state.business_date, unserved))
    # Each counter that was in use says so itself: the store persists counters from these
    # events (without them a restart would bring back yesterday's officers), and clients
    # that follow events alone see the counter close.
    for code, closed in fresh.counters.items():
        before = state.counters.get(code)
        if before is not None and before != CounterState(code, changed_at=before.changed_at):
            closed = replace(closed, changed_at=events.now)
            fresh = replace(fresh, counters=fresh.counters.set(code, closed))
            events.emit(EventName.COUNTER_CHANGED, closed)
    return fresh


# --- tickets ---------------------------------------------------------------------------------


def _issue(
    site: SiteSettings, state: SiteState, command: IssueTicket, events: _Events
) -> tuple[SiteState, Ticket]:
    if command.request_key is not None:
        existing_id = state.request_keys.get(command.request_key)
        if existing_id is not None:
            return state, state.tickets[existing_id]
    service = site.service(command.service)
    if service is None:
        raise InvalidCommand(f"service: no service {command.service!r} at this site")
    if command.priority is not None and site.priority_group(command.priority) is None:
        raise InvalidCommand(f"priority: no priority group {command.priority!r}")
    if command.priority is not None and not site.takes_priority(service.code,
                                                                command.priority):
        taken = ", ".join(repr(item.code) for item in site.priority_groups_of(service.code))
        raise InvalidCommand(f"priority: service {service.code!r} does not take priority group "
                             f"{command.priority!r} (" + (f"it takes {taken}" if taken else
                                                           "it takes none") + ")")
    if command.appointment_at is not None:
        _check_appointment(site, state, command.appointment_at)
    now = events.now
    schedule = site.schedule(service.code)
    if not schedule.always_open:
        local = now.astimezone(site.timezone)
        if not schedule.is_open(local):
            raise Closed(_closed_reason(site, service.code, local))
    issued = state.issued_per_service.get(service.code, 0)
    if service.daily_limit is not None and issued >= service.daily_limit:
        raise Closed(f"service {service.code!r} has reached its daily limit of "
                     f"{service.daily_limit} numbers (đã hết số trong ngày)")
    group = site.number_group(service.number_group)
    assert group is not None  # the loader checks every reference
    sequence = state.last_sequence.get(group.code, 0) + 1
    capacity = group.format.capacity
    if capacity is not None and sequence > capacity:
        raise Closed(f"the numbers of group {group.code!r} are used up for today (đã hết số)")
    number = group.format.render(sequence)
    ticket = Ticket(
        id=f"{site.code}:{state.business_date:%Y%m%d}:{number}",
        number=number,
        sequence=sequence,
        number_group=group.code,
        service=service.code,
        priority=command.priority,
        status=TicketStatus.WAITING,
        queue_key=state.next_queue_key,
        business_date=state.business_date,
        issued_at=now,
        request_key=command.request_key,
        appointment_at=command.appointment_at,
        remote=command.remote,
    )
    state = _enqueue(_put(state, ticket), ticket)
    state = replace(
        state,
        last_sequence=state.last_sequence.set(group.code, sequence),
        issued_per_service=state.issued_per_service.set(service.code, issued + 1),
        next_queue_key=state.next_queue_key + 1,
        numbers=state.numbers.set(number, ticket.id),
        request_keys=(state.request_keys.set(command.request_key, ticket.id)
                      if command.request_key is not None else state.request_keys),
    )
    events.emit(EventName.TICKET_ISSUED, ticket)
    return state, ticket


def _closed_reason(site: SiteSettings, service: str, local: datetime) -> str:
    """Why ``service`` issues no number at ``local`` (the site's time) and when it will, in
    English and Vietnamese: ``issuing reopens at 13:30 (cấp số lại lúc 13:30)``."""
    site_open = site.schedule().is_open(local)
    if site.issue_hours is not None and not site_open:
        # The older single window keeps its own words first.
        opens, closes = site.issue_hours
        why = (f"numbers are issued from {opens:%H:%M} to {closes:%H:%M}",
               f"chỉ phát số từ {opens:%H:%M} đến {closes:%H:%M}")
    elif site_open:
        why = (f"service {service!r} is outside its own hours", "thủ tục ngoài giờ tiếp nhận")
    else:
        why = ("the centre is outside its opening hours", "ngoài giờ làm việc")
    reopens = site.schedule(service).next_opening(local)
    if reopens is None:
        when = ("issuing does not reopen within a year",
                "không cấp số trong một năm tới")
    else:
        vietnamese, english = moment_words(reopens, local.date())
        when = (f"issuing reopens {english}", f"cấp số lại {vietnamese}")
    return f"{why[0]}; {when[0]} ({why[1]}; {when[1]})"


def _check_appointment(site: SiteSettings, state: SiteState, appointment_at: datetime) -> None:
    """An appointment's slot must be a time of the site's current day: one in the past of an
    earlier day would put its ticket before everyone (due appointments are called first)."""
    if appointment_at.utcoffset() is None:
        # Compared with aware times on every call; a naive one would break the counter's calls.
        raise InvalidCommand("appointment_at: must carry a time zone offset")
    try:
        day = appointment_at.astimezone(site.timezone).date()
    except OverflowError as error:
        raise InvalidCommand("appointment_at: out of range") from error
    if day != state.business_date:
        raise InvalidCommand(f"appointment_at: must be a time of today "
                             f"({state.business_date:%d/%m/%Y}), not {day:%d/%m/%Y}")


def _cancel(
    site: SiteSettings, state: SiteState, command: CancelTicket, events: _Events
) -> tuple[SiteState, Ticket]:
    ticket = _ticket(state, command.ticket_id)
    if not ticket.queued:
        raise Conflict(f"ticket {ticket.number} is {ticket.status.value}; only a waiting ticket "
                       "can be cancelled")
    state = _dequeue(state, ticket)
    ticket = replace(ticket, status=TicketStatus.CANCELLED, finished_at=events.now,
                     target_counter=None)
    events.emit(EventName.TICKET_CANCELLED, ticket)
    return _put(state, ticket), ticket


# --- counters --------------------------------------------------------------------------------


def _login(
    site: SiteSettings, state: SiteState, command: Login, events: _Events
) -> tuple[SiteState, CounterState]:
    _counter_settings(site, command.counter)
    if command.user is not None:
        officer = site.officer(command.user)
        if officer is None:
            raise Forbidden(f"user: no officer {command.user!r} at this site")
        if not officer.may_work_at(command.counter):
            raise Forbidden(f"officer {command.user!r} is not assigned to counter "
                            f"{command.counter}")
    counter = state.counter(command.counter)
    if counter.status is not CounterStatus.CLOSED and command.user in (None, counter.officer):
        # Logging in again after a reconnect changes nothing; nor does an admin (the hardware
        # bridge) opening a counter an officer already has open.
        return state, counter
    if counter.ticket_id is not None:
        raise Conflict(f"counter {counter.code} is serving a ticket for {counter.officer!r}; "
                       "finish it before another officer logs in")
    for other in state.counters.values():
        if command.user is None:
            break
        if other.officer == command.user and other.code != command.counter:
            if other.ticket_id is not None:
                raise Conflict(f"officer {command.user!r} is serving a ticket at counter "
                               f"{other.code}; finish it there first")
            state = _put_counter(state, _closed(other, events.now), events)
    counter = replace(counter, status=CounterStatus.OPEN, officer=command.user,
                      pause_reason=None, changed_at=events.now)
    return _put_counter(state, counter, events), counter


def _logout(
    site: SiteSettings, state: SiteState, command: Logout, events: _Events
) -> tuple[SiteState, CounterState]:
    _counter_settings(site, command.counter)
    counter = state.counter(command.counter)
    if counter.status is CounterStatus.CLOSED:
        raise Conflict(f"counter {counter.code} is not open")
    if counter.ticket_id is not None:
        raise Conflict(f"counter {counter.code} still has ticket "
                       f"{state.tickets[counter.ticket_id].number}; finish it first")
    counter = _closed(counter, events.now)
    return _put_counter(state, counter, events), counter


def _closed(counter: CounterState, now: datetime) -> CounterState:
    return replace(counter, status=CounterStatus.CLOSED, officer=None, pause_reason=None,
                   changed_at=now)


def _pause(
    site: SiteSettings, state: SiteState, command: Pause, events: _Events
) -> tuple[SiteState, CounterState]:
    counter = _open_counter(site, state, command.counter)
    if counter.ticket_id is not None:
        number = state.tickets[counter.ticket_id].number
        raise Conflict(f"counter {counter.code} has ticket {number} in hand; finish or mark it "
                       "no-show before pausing")
    counter = replace(counter, status=CounterStatus.PAUSED, pause_reason=command.reason,
                      changed_at=events.now)
    return _put_counter(state, counter, events), counter


def _resume_counter(
    site: SiteSettings, state: SiteState, command: ResumeCounter, events: _Events
) -> tuple[SiteState, CounterState]:
    _counter_settings(site, command.counter)
    counter = state.counter(command.counter)
    if counter.status is not CounterStatus.PAUSED:
        raise Conflict(f"counter {counter.code} is {counter.status.value}, not paused")
    counter = replace(counter, status=CounterStatus.OPEN, pause_reason=None,
                      changed_at=events.now)
    return _put_counter(state, counter, events), counter


# --- calling and serving ---------------------------------------------------------------------


def _call_next(
    site: SiteSettings, state: SiteState, command: CallNext, events: _Events
) -> tuple[SiteState, Ticket]:
    counter = _open_counter(site, state, command.counter)
    settings = _counter_settings(site, command.counter)
    ticket = calling.choose_next(site, state, settings, events.now)
    if ticket is None:
        raise NotFound(f"nobody is waiting for counter {counter.code} (không còn ai chờ)")
    return _call(site, state, counter, ticket, events)


def _call_number(
    site: SiteSettings, state: SiteState, command: CallNumber, events: _Events
) -> tuple[SiteState, Ticket]:
    counter = _open_counter(site, state, command.counter)
    settings = _counter_settings(site, command.counter)
    ticket = state.ticket_by_number(command.number.strip().upper())
    if ticket is None:
        raise NotFound(f"number: no ticket {command.number!r} today")
    if not ticket.queued:
        where = f" at counter {ticket.counter}" if ticket.counter else ""
        raise Conflict(f"ticket {ticket.number} is {ticket.status.value}{where}, not waiting")
    if ticket.target_counter is not None and ticket.target_counter != counter.code:
        raise Conflict(f"ticket {ticket.number} was transferred to counter "
                       f"{ticket.target_counter}")
    if ticket.target_counter is None and ticket.service not in settings.services:
        raise Conflict(f"ticket {ticket.number} waits for service {ticket.service!r}, which "
                       f"counter {counter.code} does not serve")
    return _call(site, state, counter, ticket, events)


def _call(
    site: SiteSettings, state: SiteState, counter: CounterState, ticket: Ticket, events: _Events
) -> tuple[SiteState, Ticket]:
    # One key all day: calling the next number finishes the one in hand.
    if counter.ticket_id is not None:
        state = _finish_ticket(site, state, state.tickets[counter.ticket_id], None, events)
    now = events.now
    state = _dequeue(state, ticket)
    ticket = replace(
        ticket,
        status=TicketStatus.CALLED,
        counter=counter.code,
        target_counter=None,
        officer=counter.officer,
        called_at=now,
        first_called_at=ticket.first_called_at or now,
        serving_at=None,
        call_count=ticket.call_count + 1,
    )
    state = _put(state, ticket)
    recent = (ticket.id, *(item for item in state.recent_calls if item != ticket.id))
    state = replace(state, recent_calls=recent[:RECENT_CALLS_KEPT])
    events.emit(EventName.TICKET_CALLED, ticket)
    counter = replace(calling.record_call(state.counter(counter.code), ticket),
                      ticket_id=ticket.id, changed_at=now)
    return _put_counter(state, counter, events), ticket


def _recall(
    site: SiteSettings, state: SiteState, command: Recall, events: _Events
) -> tuple[SiteState, Ticket]:
    ticket = _ticket_in_hand(site, state, command.counter)
    if ticket.status is not TicketStatus.CALLED:
        raise Conflict(f"ticket {ticket.number} is already being served; nothing to recall")
    ticket = replace(ticket, called_at=events.now, call_count=ticket.call_count + 1)
    state = _put(state, ticket)
    recent = (ticket.id, *(item for item in state.recent_calls if item != ticket.id))
    state = replace(state, recent_calls=recent[:RECENT_CALLS_KEPT])
    events.emit(EventName.TICKET_RECALLED, ticket)
    return state, ticket


def _start(
    site: SiteSettings, state: SiteState, command: StartService, events: _Events
) -> tuple[SiteState, Ticket]:
    ticket = _ticket_in_hand(site, state, command.counter)
    if ticket.status is not TicketStatus.CALLED:
        raise Conflict(f"ticket {ticket.number} is already being served")
    ticket = replace(ticket, status=TicketStatus.SERVING, serving_at=events.now)
    events.emit(EventName.TICKET_SERVING, ticket)
    return _put(state, ticket), ticket


def _no_show(
    site: SiteSettings, state: SiteState, command: MarkNoShow, events: _Events
) -> tuple[SiteState, Ticket]:
    ticket = _ticket_in_hand(site, state, command.counter)
    if ticket.status is not TicketStatus.CALLED:
        raise Conflict(f"ticket {ticket.number} is being served; the citizen came")
    now = events.now
    ticket = replace(ticket, status=TicketStatus.NO_SHOW, finished_at=now)
    state = _put(state, ticket)
    events.emit(EventName.TICKET_NO_SHOW, ticket)
    requeue = site.requeue_no_show if command.requeue is None else command.requeue
    if requeue and ticket.requeue_count == 0:
        # Back once, at the end of its queue: a late citizen is served, but not twice ahead.
        ticket = replace(ticket, status=TicketStatus.WAITING, queue_key=state.next_queue_key,
                         requeue_count=1, counter=None, officer=None, finished_at=None)
        state = _enqueue(_put(state, ticket), ticket)
        state = replace(state, next_queue_key=state.next_queue_key + 1)
        events.emit(EventName.TICKET_REQUEUED, ticket)
    counter = replace(state.counter(command.counter), ticket_id=None, changed_at=now)
    return _put_counter(state, counter, events), ticket


def _finish(
    site: SiteSettings, state: SiteState, command: Finish, events: _Events
) -> tuple[SiteState, Ticket]:
    ticket = _ticket_in_hand(site, state, command.counter)
    state = _finish_ticket(site, state, ticket, command.case_code, events)
    counter = replace(state.counter(command.counter), ticket_id=None, changed_at=events.now)
    return _put_counter(state, counter, events), state.tickets[ticket.id]


def _finish_ticket(
    site: SiteSettings, state: SiteState, ticket: Ticket, case_code: str | None, events: _Events
) -> SiteState:
    """Mark ``ticket`` done and learn its service time; the counter is left to the caller."""
    now = events.now
    began = ticket.serving_at or ticket.called_at or now
    seconds = (now - began).total_seconds()
    ticket = replace(ticket, status=TicketStatus.DONE, finished_at=now,
                     serving_at=ticket.serving_at or ticket.called_at,
                     case_code=case_code or ticket.case_code)
    service_seconds = state.service_seconds.set(
        ticket.service, calling.add_service_time(state.service_seconds.get(ticket.service),
                                                 seconds))
    state = replace(_put(state, ticket), service_seconds=service_seconds)
    counter = state.counter(ticket.counter or "")
    if counter.ticket_id == ticket.id:
        state = replace(state, counters=state.counters.set(
            counter.code, replace(counter, ticket_id=None)))
    events.emit(EventName.TICKET_DONE, ticket)
    return state


def _transfer(
    site: SiteSettings, state: SiteState, command: Transfer, events: _Events
) -> tuple[SiteState, Ticket]:
    if (command.to_service is None) == (command.to_counter is None):
        raise InvalidCommand("transfer: give exactly one of service or counter")
    ticket = _ticket_in_hand(site, state, command.counter)
    now = events.now
    if command.to_service is not None:
        if site.service(command.to_service) is None:
            raise InvalidCommand(f"service: no service {command.to_service!r} at this site")
        if command.to_service == ticket.service:
            raise Conflict(f"ticket {ticket.number} is already for service {ticket.service!r}")
        moved = replace(ticket, service=command.to_service, target_counter=None)
    else:
        assert command.to_counter is not None
        _counter_settings(site, command.to_counter)
        if command.to_counter == command.counter:
            raise Conflict("counter: cannot transfer a ticket to the counter it is at")
        moved = replace(ticket, target_counter=command.to_counter)
    began = ticket.serving_at or ticket.called_at or now
    service_seconds = state.service_seconds.set(
        ticket.service, calling.add_service_time(state.service_seconds.get(ticket.service),
                                                 (now - began).total_seconds()))
    # Same queue key: it waits at the target in the place its number earned.
    moved = replace(moved, status=TicketStatus.TRANSFERRED, counter=ticket.counter,
                    transfer_count=ticket.transfer_count + 1, serving_at=None)
    state = _enqueue(_put(state, moved), moved)
    state = replace(state, service_seconds=service_seconds)
    events.emit(EventName.TICKET_TRANSFERRED, moved)
    counter = replace(state.counter(command.counter), ticket_id=None, changed_at=now)
    return _put_counter(state, counter, events), moved


# --- ratings ---------------------------------------------------------------------------------


def _rate(
    site: SiteSettings, state: SiteState, command: Rate, events: _Events
) -> tuple[SiteState, Rating]:
    ticket = _ticket(state, command.ticket_id)
    if site.rating_label(command.score) is None:
        scores = ", ".join(str(label.score) for label in site.rating_scale)
        raise InvalidCommand(f"score: must be one of {scores}, got {command.score}")
    if ticket.status is not TicketStatus.DONE:
        raise Conflict(f"ticket {ticket.number} is {ticket.status.value}; only a served ticket "
                       "can be rated")
    if ticket.id in state.ratings:
        raise Conflict(f"ticket {ticket.number} has already been rated")
    if command.source is RatingSource.KIOSK and not site.kiosk_rating:
        raise Forbidden("this site has no kiosk rating screen (kiosk_rating is off); citizens "
                        "rate at the counter or through the QR code on their ticket")
    if command.source is RatingSource.COUNTER and command.counter != ticket.counter:
        raise Forbidden(f"ticket {ticket.number} was served at counter {ticket.counter}, "
                        "not this one")
    if command.source in (RatingSource.COUNTER, RatingSource.KIOSK):
        # A pad, a counter screen or a kiosk screen is shared by everyone who passes by: it
        # may rate only the citizen who has just been served.
        assert ticket.finished_at is not None
        elapsed = (events.now - ticket.finished_at).total_seconds()
        if elapsed > site.rating_window_seconds:
            raise Conflict(f"the rating window of {site.rating_window_seconds} s for ticket "
                           f"{ticket.number} has closed")
    rating = Rating(ticket.id, command.score, command.source, events.now, ticket.counter,
                    ticket.officer, ticket.service, ticket.case_code)
    events.emit(EventName.RATING_RECEIVED, rating)
    return replace(state, ratings=state.ratings.set(ticket.id, rating)), rating


# --- devices ---------------------------------------------------------------------------------


def _report_device(
    site: SiteSettings, state: SiteState, command: ReportDevice, events: _Events
) -> tuple[SiteState, DeviceReport]:
    if command.counter is not None:
        _counter_settings(site, command.counter)
    previous = state.devices.get(command.device)
    if previous is not None and (previous.condition, previous.message, previous.kind,
                                 previous.counter) == (command.condition, command.message,
                                                       command.kind, command.counter):
        # The same news again: no event, the hall is not re-alerted; the device is alive.
        seen = replace(previous, seen_at=events.now)
        return replace(state, devices=state.devices.set(command.device, seen)), previous
    report = DeviceReport(command.device, command.kind, command.condition, command.message,
                          command.counter, command.reported_by, events.now, events.now)
    events.emit(EventName.DEVICE_STATUS, report)
    devices = _current_devices(state.devices, events.now).set(command.device, report)
    return replace(state, devices=devices), report


def _current_devices(devices: Map[str, DeviceReport], now: datetime) -> Map[str, DeviceReport]:
    """``devices`` without those silent for :data:`DEVICE_REPORT_KEPT`: a device that is gone
    (renamed, replaced, made up) must not stay listed, nor count against the site's bound."""
    stale = [name for name, report in devices.items()
             if now - report.last_seen > DEVICE_REPORT_KEPT]
    if not stale:
        return devices
    mutation = devices.mutate()
    for name in stale:
        del mutation[name]
    return mutation.finish()


# --- configuration -----------------------------------------------------------------------


def _change_configuration(
    site: SiteSettings, state: SiteState, command: ChangeConfiguration, events: _Events
) -> tuple[SiteState, None]:
    """Follow the site's new settings: counters that are no longer configured leave the
    state (only closed ones can go: server.domain.impact), new ones start closed."""
    configured = {counter.code for counter in site.counters}
    gone = [code for code in state.counters if code not in configured]
    counters = state.counters
    for code in gone:
        counters = counters.delete(code)
    for code in configured - set(counters):
        counters = counters.set(code, CounterState(code))
    events.emit(EventName.CONFIG_CHANGED, ConfigurationChange(command.version))
    return replace(state, counters=counters), None


# --- helpers ---------------------------------------------------------------------------------


def _put(state: SiteState, ticket: Ticket) -> SiteState:
    return replace(state, tickets=state.tickets.set(ticket.id, ticket))


def _put_counter(state: SiteState, counter: CounterState, events: _Events) -> SiteState:
    events.emit(EventName.COUNTER_CHANGED, counter)
    return replace(state, counters=state.counters.set(counter.code, counter))


def _enqueue(state: SiteState, ticket: Ticket) -> SiteState:
    if ticket.target_counter is not None:
        queues = state.counter_queues
        key = ticket.target_counter
        queue = queues.get(key, Map()).set(ticket.id, ticket.queue_key)
        return replace(state, counter_queues=queues.set(key, queue))
    queue = state.queues.get(ticket.service, Map()).set(ticket.id, ticket.queue_key)
    return replace(state, queues=state.queues.set(ticket.service, queue))


def _dequeue(state: SiteState, ticket: Ticket) -> SiteState:
    if ticket.target_counter is not None:
        queue = state.counter_queues.get(ticket.target_counter)
        if queue is not None and ticket.id in queue:
            return replace(state, counter_queues=state.counter_queues.set(
                ticket.target_counter, queue.delete(ticket.id)))
        return state
    queue = state.queues.get(ticket.service)
    if queue is not None and ticket.id in queue:
        return replace(state, queues=state.queues.set(ticket.service, queue.delete(ticket.id)))
    return state


def _ticket(state: SiteState, ticket_id: str) -> Ticket:
    ticket = state.tickets.get(ticket_id)
    if ticket is None:
        raise NotFound(f"ticket_id: no ticket {ticket_id!r} today")
    return ticket


def _counter_settings(site: SiteSettings, code: str) -> Any:
    settings = site.counter(code)
    if settings is None:
        raise NotFound(f"counter: no counter {code!r} at this site")
    return settings


def _open_counter(site: SiteSettings, state: SiteState, code: str) -> CounterState:
    _counter_settings(site, code)
    counter = state.counter(code)
    if counter.status is CounterStatus.CLOSED:
        raise Conflict(f"counter {code} is closed; log in first")
    if counter.status is CounterStatus.PAUSED:
        raise Conflict(f"counter {code} is paused; resume it first")
    return counter


def _ticket_in_hand(site: SiteSettings, state: SiteState, code: str) -> Ticket:
    _counter_settings(site, code)
    counter = state.counter(code)
    if counter.ticket_id is None:
        raise Conflict(f"counter {code} has no ticket in hand")
    return state.tickets[counter.ticket_id]


_HANDLERS: dict[type, Callable[[SiteSettings, SiteState, Any, _Events], tuple[SiteState, Any]]] = {
    IssueTicket: _issue,
    CancelTicket: _cancel,
    Login: _login,
    Logout: _logout,
    Pause: _pause,
    ResumeCounter: _resume_counter,
    CallNext: _call_next,
    CallNumber: _call_number,
    Recall: _recall,
    StartService: _start,
    MarkNoShow: _no_show,
    Finish: _finish,
    Transfer: _transfer,
    Rate: _rate,
    ReportDevice: _report_device,
    ChangeConfiguration: _change_configuration,
}
