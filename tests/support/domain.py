"""A small site and a driver for the pure queue rules, on a frozen clock.

The site is built from a dict through the real loader, so the tests do not depend on
demo.toml. Time never comes from the machine: every command runs at ``Desk.now``, an aware
datetime in Asia/Ho_Chi_Minh that the test moves forward explicitly.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.config import SiteSettings, parse_settings
from server.domain import (
    CounterState,
    CounterStatus,
    DomainError,
    Event,
    EventName,
    NotFound,
    Outcome,
    SiteState,
    Ticket,
    apply,
    new_site_state,
)
from server.domain.calling import average_service_seconds
from server.domain.commands import (
    CallNext,
    CallNumber,
    Command,
    Finish,
    IssueTicket,
    Login,
    StartService,
)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# A Monday morning; every test starts here unless it says otherwise.
MORNING = datetime(2026, 11, 23, 8, 0, 0, tzinfo=VIETNAM)
# A well-formed hash; the rules never verify passwords.
FAKE_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def site_data(**overrides: Any) -> dict[str, Any]:
    """The test site as TOML-shaped data; ``overrides`` replace top-level site keys.

    Services: KS and KT (civil status) share group ``civil`` (A001...), CT (certification)
    has B001..., DD (land) the range 1001-1999.
    Counters: Q1 serves KS, KT; Q2 prefers CT, then KS; Q3 serves everything by arrival;
    Q4 serves DD only. Officers: ``an`` anywhere, ``binh`` at Q1 and Q2, ``chi`` at Q4.
    """
    site: dict[str, Any] = {
        "code": "test-site",
        "name_vi": "Bộ phận Một cửa thử nghiệm",
        "timezone": "Asia/Ho_Chi_Minh",
        "fields": [{"code": "HT", "name_vi": "Hộ tịch"}, {"code": "DD", "name_vi": "Đất đai"}],
        "number_groups": [
            {"code": "civil", "numbers": "A###"},
            {"code": "cert", "numbers": "B###"},
            {"code": "land", "numbers": "1001-1999"},
        ],
        "services": [
            {"code": "KS", "field": "HT", "name_vi": "Khai sinh", "number_group": "civil",
             "expected_minutes": 10},
            {"code": "KT", "field": "HT", "name_vi": "Khai tử", "number_group": "civil",
             "expected_minutes": 10},
            {"code": "CT", "field": "HT", "name_vi": "Chứng thực", "number_group": "cert",
             "expected_minutes": 5},
            {"code": "DD", "field": "DD", "name_vi": "Đất đai", "number_group": "land",
             "expected_minutes": 15},
        ],
        "priority_groups": [
            {"code": "elderly", "name_vi": "Người cao tuổi"},
            {"code": "disabled", "name_vi": "Người khuyết tật"},
        ],
        "priority_policy": {"kind": "strict"},
        "zones": [{"code": "Z", "name_vi": "Sảnh"}],
        "counters": [
            {"code": "Q1", "zone": "Z", "services": ["KS", "KT"]},
            {"code": "Q2", "zone": "Z", "services": ["CT", "KS"]},
            {"code": "Q3", "zone": "Z", "services": ["KS", "KT", "CT", "DD"],
             "order": "arrival"},
            {"code": "Q4", "zone": "Z", "services": ["DD"]},
        ],
        "officers": [
            {"user": "an", "full_name": "Nguyễn Văn An", "password_hash": FAKE_HASH},
            {"user": "binh", "full_name": "Trần Thị Bình", "password_hash": FAKE_HASH,
             "counters": ["Q1", "Q2"]},
            {"user": "chi", "full_name": "Lê Văn Chi", "password_hash": FAKE_HASH,
             "counters": ["Q4"]},
            {"user": "dung", "full_name": "Phạm Văn Dũng", "password_hash": FAKE_HASH},
        ],
        "rating_window_seconds": 30,
    }
    site.update(copy.deepcopy(overrides))
    return site


def build_site(**overrides: Any) -> SiteSettings:
    """The test site, parsed by the real loader; see :func:`site_data`."""
    return parse_settings({"sites": [site_data(**overrides)]}).sites[0]


def services_with(code: str, **changes: Any) -> list[dict[str, Any]]:
    """The test site's ``services`` with service ``code`` changed, for :func:`build_site`."""
    services: list[dict[str, Any]] = site_data()["services"]
    for service in services:
        if service["code"] == code:
            service.update(changes)
    return services


@dataclass(repr=False)
class Desk:
    """Runs commands against one site's state and remembers every event."""

    site: SiteSettings
    now: datetime = MORNING
    state: SiteState = field(init=False)
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = new_site_state(self.site, self.now)

    def __repr__(self) -> str:
        return f"Desk({self.site.code}, {self.now.isoformat()}, seq={self.state.seq})"

    # --- running commands -------------------------------------------------------------------

    def run(self, command: Command) -> Outcome:
        """Apply ``command`` at ``now`` and keep the new state."""
        outcome = apply(self.site, self.state, command, self.now)
        self.state = outcome.state
        self.events.extend(outcome.events)
        return outcome

    def refuse(self, command: Command, error: type[DomainError]) -> DomainError:
        """Assert ``command`` is refused with exactly ``error`` and changes nothing."""
        before = self.state
        fingerprint = state_fingerprint(before)
        with pytest.raises(DomainError) as caught:
            apply(self.site, self.state, command, self.now)
        assert type(caught.value) is error, caught.value
        assert caught.value.code == error.code
        assert self.state is before
        assert state_fingerprint(self.state) == fingerprint
        return caught.value

    def later(self, minutes: float = 0, seconds: float = 0) -> datetime:
        """Move the frozen clock forward."""
        self.now += timedelta(minutes=minutes, seconds=seconds)
        return self.now

    # --- shortcuts ----------------------------------------------------------------------

    def issue(self, service: str, priority: str | None = None, **options: Any) -> Ticket:
        result = self.run(IssueTicket(service, priority, **options)).result
        assert isinstance(result, Ticket)
        return result

    def issue_many(self, service: str, count: int, priority: str | None = None) -> list[str]:
        return [self.issue(service, priority).number for _ in range(count)]

    def login(self, counter: str, user: str | None = "an") -> CounterState:
        result = self.run(Login(counter, user)).result
        assert isinstance(result, CounterState)
        return result

    def call_next(self, counter: str) -> Ticket:
        result = self.run(CallNext(counter)).result
        assert isinstance(result, Ticket)
        return result

    def call_number(self, counter: str, number: str) -> Ticket:
        result = self.run(CallNumber(counter, number)).result
        assert isinstance(result, Ticket)
        return result

    def serve(self, counter: str, minutes: float) -> Ticket:
        """Start the ticket in hand, serve it ``minutes`` and finish it."""
        self.run(StartService(counter))
        self.later(minutes=minutes)
        result = self.run(Finish(counter)).result
        assert isinstance(result, Ticket)
        return result

    def calls(self, counter: str, count: int) -> list[str]:
        """Numbers ``counter`` calls with ``count`` presses of call-next."""
        return [self.call_next(counter).number for _ in range(count)]

    def ticket(self, number: str) -> Ticket:
        ticket = self.state.ticket_by_number(number)
        assert ticket is not None, number
        return ticket

    def counter(self, code: str) -> CounterState:
        return self.state.counter(code)


def names(outcome: Outcome) -> list[EventName]:
    """The event names of one command, in order."""
    return [event.name for event in outcome.events]


def queued_ids(state: SiteState) -> set[str]:
    """Every ticket id in a service queue or a counter queue."""
    ids: set[str] = set()
    for queues in (state.queues, state.counter_queues):
        for queue in queues.values():
            ids.update(queue.keys())
    return ids


def state_fingerprint(state: SiteState) -> dict[str, Any]:
    """The state as plain data, to prove a refused command changed nothing."""
    return {
        "site": state.site,
        "business_date": state.business_date,
        "seq": state.seq,
        "tickets": dict(state.tickets.items()),
        "queues": {key: dict(value.items()) for key, value in state.queues.items()},
        "counter_queues": {key: dict(value.items())
                           for key, value in state.counter_queues.items()},
        "counters": dict(state.counters.items()),
        "last_sequence": dict(state.last_sequence.items()),
        "issued_per_service": dict(state.issued_per_service.items()),
        "next_queue_key": state.next_queue_key,
        "request_keys": dict(state.request_keys.items()),
        "numbers": dict(state.numbers.items()),
        "service_seconds": dict(state.service_seconds.items()),
        "recent_calls": state.recent_calls,
        "ratings": dict(state.ratings.items()),
    }


@dataclass(frozen=True)
class PressedCall:
    """One press of call-next in :func:`press_everyone`: who called whom, and when."""

    counter: str
    ticket: Ticket  # as it waited, before the call
    seconds: float  # from the moment of the presses


def press_everyone(site: SiteSettings, state: SiteState, now: datetime) -> list[PressedCall]:
    """The reference for server/domain/forecast.py, by brute force: call-next (the real
    ``apply``) at the open counter free soonest, ties to the one configured first, again and
    again on a copy of the state at ``now``, until every open counter has nobody left.

    An idle counter is free at once; one with a ticket in hand once that ticket has had its
    service's expected time (median of recent times) since it was called or started, at most
    that time from ``now``. Each call keeps its counter busy for its service's expected time,
    as the state had it before the presses (the presses' own zero-second services do not count).
    """
    expected = {service.code: average_service_seconds(site, state, service.code)
                for service in site.services}
    free: dict[str, tuple[float, int]] = {}
    for index, settings in enumerate(site.counters):
        counter = state.counter(settings.code)
        if counter.status is not CounterStatus.OPEN:
            continue
        at = 0.0
        if counter.ticket_id is not None:
            held = state.tickets[counter.ticket_id]
            began = held.serving_at or held.called_at
            assert began is not None
            seconds = expected[held.service]
            at = min(seconds, max(0.0, seconds - (now - began).total_seconds()))
        free[settings.code] = (at, index)
    calls: list[PressedCall] = []
    while free:
        code = min(free, key=lambda item: free[item])
        at, index = free[code]
        try:
            outcome = apply(site, state, CallNext(code), now)
        except NotFound:
            del free[code]  # nobody left for it, and nobody new comes
            continue
        assert isinstance(outcome.result, Ticket)
        waited = state.tickets[outcome.result.id]
        calls.append(PressedCall(code, waited, at))
        free[code] = (at + expected[waited.service], index)
        state = outcome.state
    return calls


def pressed_standings(site: SiteSettings, state: SiteState,
                      now: datetime) -> dict[str, tuple[int, float]]:
    """Ticket id -> (calls before its own by the counters that could call it, seconds until
    its call), for every ticket :func:`press_everyone` calls."""
    calls = press_everyone(site, state, now)
    standings: dict[str, tuple[int, float]] = {}
    for position, call in enumerate(calls):
        ticket = call.ticket
        if ticket.target_counter is not None:
            callers = {ticket.target_counter}
        else:
            callers = {counter.code for counter in site.counters_serving(ticket.service)}
        ahead = sum(1 for earlier in calls[:position] if earlier.counter in callers)
        standings[ticket.id] = (ahead, call.seconds)
    return standings
