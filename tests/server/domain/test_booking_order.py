"""Remote tickets and booked slots in the calling order (hypothesis, derandomized).

A booking adds two things to the rules, and nothing else: a ticket may be ``remote`` (a
number taken from the phone, policy ``from_booking``), and a checked-in slot's ticket carries
its slot as ``appointment_at`` (``from_booking``) or nothing (``at_check_in``). For any day
of walk-ins, numbers from phones, check-ins with slots past and to come, priority tickets,
counters and the clock moving on:

- ``remote`` never changes who is called: the same day with every ticket issued at the
  kiosk calls the same numbers in the same order (a number from the phone holds the place
  its time of issue gives it, like the kiosk's);
- a counter calls a due appointment of its services before any other ticket not sent to it,
  the earliest slot first;
- with no appointments and one kind (no priority), each service's tickets are called in the
  order they were issued, remote or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from support.domain import MORNING, build_site

from server.config import SiteSettings
from server.domain import DomainError, SiteState, Ticket, apply, new_site_state
from server.domain.commands import CallNext, Command, IssueTicket, Login

SITE: SiteSettings = build_site()
SERVICES = ("KS", "KT", "CT")
COUNTERS = ("Q1", "Q2", "Q3")
PROPERTIES = settings(derandomize=True, database=None, max_examples=150, deadline=None)


@dataclass(frozen=True)
class Issue:
    service: str
    priority: str | None
    remote: bool
    # Minutes from now of the slot it checks in for (None: no appointment).
    slot_minutes: int | None


@dataclass(frozen=True)
class Call:
    counter: str


@dataclass(frozen=True)
class Wait:
    minutes: int


Step = Issue | Call | Wait

issues = st.builds(Issue, st.sampled_from(SERVICES), st.sampled_from((None, None, "elderly")),
                   st.booleans(), st.one_of(st.none(), st.none(), st.integers(-30, 60)))
steps = st.lists(st.one_of(issues, issues, st.builds(Call, st.sampled_from(COUNTERS)),
                           st.builds(Wait, st.integers(1, 20))), min_size=20, max_size=60)


@dataclass
class Day:
    """A day run through the pure rules: every call, in order, with what stood then."""

    state: SiteState
    now: datetime
    calls: list[tuple[str, Ticket, SiteState]]

    def run(self, command: Command) -> Ticket | None:
        try:
            outcome = apply(SITE, self.state, command, self.now)
        except DomainError:
            return None
        before, self.state = self.state, outcome.state
        result = outcome.result
        if isinstance(command, CallNext) and isinstance(result, Ticket):
            self.calls.append((command.counter, result, before))
        return result if isinstance(result, Ticket) else None


def play(day_steps: list[Step], keep_remote: bool = True,
         appointments: bool = True) -> Day:
    day = Day(new_site_state(SITE, MORNING), MORNING, [])
    for counter in COUNTERS:
        day.run(Login(counter, None))
    for index, step in enumerate(day_steps):
        if isinstance(step, Issue):
            slot = None
            if appointments and step.slot_minutes is not None:
                # A slot of today (the rules refuse another day's).
                slot = max(day.now + timedelta(minutes=step.slot_minutes),
                           MORNING.replace(hour=0))
            day.run(IssueTicket(step.service, step.priority, f"press-{index}", slot,
                                remote=step.remote and keep_remote))
        elif isinstance(step, Call):
            day.run(CallNext(step.counter))
        else:
            day.now += timedelta(minutes=step.minutes)
    return day


@PROPERTIES
@given(steps)
def test_remote_never_changes_who_is_called(day_steps: list[Step]) -> None:
    with_remote = play(day_steps)
    from_kiosks = play(day_steps, keep_remote=False)
    assert [(counter, ticket.number) for counter, ticket, _ in with_remote.calls] == \
        [(counter, ticket.number) for counter, ticket, _ in from_kiosks.calls]
    assert any(ticket.remote for ticket in with_remote.state.tickets.values()) or not any(
        isinstance(step, Issue) and step.remote for step in day_steps)


@PROPERTIES
@given(steps)
def test_a_due_appointment_is_called_first_earliest_slot_first(day_steps: list[Step]) -> None:
    day = play(day_steps)
    for counter, called, before in day.calls:
        services = next(item.services for item in SITE.counters if item.code == counter)
        due = [ticket for ticket in before.tickets.values()
               if ticket.queued and ticket.service in services and ticket.target_counter is None
               and ticket.appointment_at is not None and ticket.appointment_at <= called_at(
                   called)]
        if not due:
            continue
        assert called.appointment_at is not None and called.appointment_at <= called_at(called)
        assert called.appointment_at == min(ticket.appointment_at for ticket in due
                                            if ticket.appointment_at is not None)


@PROPERTIES
@given(st.lists(st.one_of(st.builds(Issue, st.sampled_from(SERVICES), st.none(),
                                    st.booleans(), st.none()),
                          st.builds(Call, st.sampled_from(COUNTERS)),
                          st.builds(Wait, st.integers(1, 5))), min_size=20, max_size=60))
def test_without_appointments_each_service_is_first_come_first_served(
    day_steps: list[Step]
) -> None:
    day = play(day_steps)
    for service in SERVICES:
        called = [ticket.sequence for _, ticket, _ in day.calls if ticket.service == service]
        assert called == sorted(called)


def called_at(ticket: Ticket) -> datetime:
    assert ticket.called_at is not None
    return ticket.called_at
