"""Random command sequences keep the queue's invariants (hypothesis, derandomized).

Whatever officers, kiosks and the clock do, in any order:
- a number is never issued twice within a business day;
- a ticket is never both queued and in a counter's hand, and never in two hands or queues;
- ``seq`` rises by exactly one per event;
- a refused command changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from support.domain import (
    MORNING,
    build_site,
    queued_ids,
    state_fingerprint,
)

from server.config import SiteSettings
from server.domain import (
    CounterStatus,
    DomainError,
    EventName,
    RatingSource,
    Ticket,
    TicketStatus,
    apply,
    new_site_state,
)
from server.domain.commands import (
    CallNext,
    CallNumber,
    CancelTicket,
    Command,
    Finish,
    IssueTicket,
    Login,
    Logout,
    MarkNoShow,
    Pause,
    Rate,
    Recall,
    ResumeCounter,
    StartService,
    Transfer,
)
from server.domain.model import ACTIVE_STATUSES

SERVICES = ("KS", "KT", "CT", "DD")
COUNTERS = ("Q1", "Q2", "Q3", "Q4", "Q9")
USERS = ("an", "binh", "chi", "dung", None, "nobody")
PRIORITIES = (None, None, "elderly", "disabled")
REQUEST_KEYS = (None, None, "press-1", "press-2", "press-3")
MACHINE_SETTINGS = settings(
    derandomize=True,
    database=None,
    max_examples=100,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# What happens next, weighted by repetition: mostly the working day, sometimes nonsense.
ACTIONS = (
    "call_next", "issue", "start", "login", "finish", "issue", "call_next", "no_show",
    "call_number", "recall", "transfer_service", "issue", "start", "transfer_counter", "finish",
    "pause", "call_next", "resume", "logout", "rate", "cancel", "anything", "time", "anything",
    "time",
)

# Any command at all, most of them refused: each refusal must change nothing.
ANY_COMMAND: st.SearchStrategy[Command] = st.one_of(
    st.builds(IssueTicket, st.sampled_from((*SERVICES, "XX")), st.sampled_from(PRIORITIES)),
    st.builds(Login, st.sampled_from(COUNTERS), st.sampled_from(USERS)),
    st.builds(Logout, st.sampled_from(COUNTERS)),
    st.builds(CallNext, st.sampled_from(COUNTERS)),
    st.builds(CallNumber, st.sampled_from(COUNTERS), st.sampled_from(("A001", "B002", "1001"))),
    st.builds(Recall, st.sampled_from(COUNTERS)),
    st.builds(StartService, st.sampled_from(COUNTERS)),
    st.builds(MarkNoShow, st.sampled_from(COUNTERS)),
    st.builds(Finish, st.sampled_from(COUNTERS)),
    st.builds(Transfer, st.sampled_from(COUNTERS), st.sampled_from((None, *SERVICES)),
              st.sampled_from((None, *COUNTERS))),
    st.builds(Pause, st.sampled_from(COUNTERS)),
    st.builds(ResumeCounter, st.sampled_from(COUNTERS)),
    st.builds(Rate, st.just("test-site:20261123:A001"), st.integers(0, 5),
              st.sampled_from(list(RatingSource)), st.sampled_from((None, *COUNTERS))),
    st.builds(CancelTicket, st.just("test-site:20261123:A001")),
)


class QueueMachine(RuleBasedStateMachine):
    """One site driven by random commands on a clock that only moves forward."""

    site: SiteSettings = build_site()

    def __init__(self) -> None:
        super().__init__()
        self.now = MORNING
        self.state = new_site_state(self.site, self.now)
        self.last_seq = 0
        self.issued: dict[date, set[str]] = {}

    def run(self, command: Command) -> None:
        """Apply ``command``; check its events, or that a refusal changed nothing."""
        before = state_fingerprint(self.state)
        try:
            outcome = apply(self.site, self.state, command, self.now)
        except DomainError:
            assert state_fingerprint(self.state) == before
            return
        for event in outcome.events:
            assert event.seq == self.last_seq + 1
            self.last_seq = event.seq
            if event.name is EventName.TICKET_ISSUED:
                assert isinstance(event.subject, Ticket)
                day = self.issued.setdefault(event.subject.business_date, set())
                assert event.subject.number not in day, "a number issued twice in a day"
                day.add(event.subject.number)
        assert outcome.state.seq == self.last_seq
        self.state = outcome.state

    # --- what is there to act on ------------------------------------------------------------

    def working(self) -> list[str]:
        return sorted(code for code, counter in self.state.counters.items()
                      if counter.status is not CounterStatus.CLOSED)

    def holding(self) -> list[str]:
        return sorted(code for code, counter in self.state.counters.items()
                      if counter.ticket_id is not None)

    def with_status(self, *statuses: TicketStatus) -> list[Ticket]:
        return sorted((ticket for ticket in self.state.tickets.values()
                       if ticket.status in statuses), key=lambda ticket: ticket.id)

    # --- the one rule: a weighted choice of what happens next -------------------------------

    @rule(data=st.data(), action=st.sampled_from(ACTIONS))
    def step(self, data: st.DataObject, action: str) -> None:
        if action == "time":
            self.now += timedelta(minutes=data.draw(st.sampled_from((1, 3, 7, 45, 240))))
            return
        if action == "anything":
            self.run(data.draw(ANY_COMMAND))
            return
        command = self.command(data, action)
        if command is not None:
            self.run(command)

    def command(self, data: st.DataObject, action: str) -> Command | None:
        """A command of kind ``action`` aimed, when possible, where it can succeed."""

        def pick(choices: list[str]) -> str:
            return data.draw(st.sampled_from(choices or list(COUNTERS[:4])))

        if action == "issue":
            return IssueTicket(data.draw(st.sampled_from(SERVICES)),
                               data.draw(st.sampled_from(PRIORITIES)),
                               data.draw(st.sampled_from(REQUEST_KEYS)))
        if action == "login":
            return Login(pick([]), data.draw(st.sampled_from(USERS[:5])))
        if action in ("call_next", "pause", "resume", "logout"):
            counter = pick(self.working())
            by_action: dict[str, Command] = {
                "call_next": CallNext(counter), "pause": Pause(counter),
                "resume": ResumeCounter(counter), "logout": Logout(counter)}
            return by_action[action]
        if action == "call_number":
            tickets = self.with_status(*TicketStatus)
            if not tickets:
                return None
            return CallNumber(pick(self.working()), data.draw(st.sampled_from(tickets)).number)
        if action in ("recall", "start", "finish", "no_show"):
            counter = pick(self.holding())
            in_hand: dict[str, Command] = {
                "recall": Recall(counter), "start": StartService(counter),
                "finish": Finish(counter, "HS-0001"),
                "no_show": MarkNoShow(counter, data.draw(
                    st.sampled_from((None, True, False))))}
            return in_hand[action]
        if action == "transfer_service":
            return Transfer(pick(self.holding()),
                            to_service=data.draw(st.sampled_from(SERVICES)))
        if action == "transfer_counter":
            return Transfer(pick(self.holding()), to_counter=pick([]))
        if action == "rate":
            done = self.with_status(TicketStatus.DONE)
            if not done:
                return None
            ticket = data.draw(st.sampled_from(done))
            return Rate(ticket.id, data.draw(st.integers(0, 5)),
                        data.draw(st.sampled_from(list(RatingSource))),
                        data.draw(st.sampled_from((ticket.counter, ticket.counter, "Q4"))))
        assert action == "cancel"
        queued = self.with_status(TicketStatus.WAITING, TicketStatus.TRANSFERRED)
        if not queued:
            return None
        return CancelTicket(data.draw(st.sampled_from(queued)).id)

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def numbers_are_unique_within_the_day(self) -> None:
        numbers = [ticket.number for ticket in self.state.tickets.values()]
        assert len(numbers) == len(set(numbers))
        assert all(ticket.business_date == self.state.business_date
                   for ticket in self.state.tickets.values())
        for number, ticket_id in self.state.numbers.items():
            assert self.state.tickets[ticket_id].number == number

    @invariant()
    def a_ticket_is_in_one_place(self) -> None:
        state = self.state
        held = [counter.ticket_id for counter in state.counters.values()
                if counter.ticket_id is not None]
        assert len(held) == len(set(held)), "a ticket in two hands"
        queued = queued_ids(state)
        assert not queued & set(held), "a ticket both queued and in a counter's hand"
        placements = [ticket_id for queues in (state.queues, state.counter_queues)
                      for queue in queues.values() for ticket_id in queue]
        assert len(placements) == len(set(placements)), "a ticket in two queues"
        for ticket in state.tickets.values():
            assert ticket.queued == (ticket.id in queued), ticket
            if ticket.status in ACTIVE_STATUSES:
                assert ticket.counter is not None
                assert state.counter(ticket.counter).ticket_id == ticket.id, ticket
        for counter in state.counters.values():
            if counter.ticket_id is not None:
                assert counter.status is CounterStatus.OPEN
                assert state.tickets[counter.ticket_id].status in ACTIVE_STATUSES

    @invariant()
    def seq_is_consecutive(self) -> None:
        assert self.state.seq == self.last_seq


class InterleaveMachine(QueueMachine):
    """The same, with an interleave policy and no re-queue of no-shows."""

    site = build_site(priority_policy={"kind": "interleave", "priority": 1, "normal": 2},
                      requeue_no_show=False)


TestQueueMachine = QueueMachine.TestCase
TestQueueMachine.settings = MACHINE_SETTINGS
TestInterleaveMachine = InterleaveMachine.TestCase
TestInterleaveMachine.settings = MACHINE_SETTINGS
