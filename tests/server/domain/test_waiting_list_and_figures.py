"""The waiting list a counter shows is the order its calls really take; today's figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.domain import Desk, build_site

from server.config import SiteSettings
from server.config.settings import CounterSettings
from server.domain import DomainError
from server.domain.calling import calling_order, choose_next, record_call
from server.domain.commands import CallNext, MarkNoShow, Rate, Transfer
from server.domain.figures import counter_figures
from server.domain.model import RatingSource, SiteState, Ticket


@pytest.mark.parametrize("policy", [{"kind": "strict"},
                                    {"kind": "interleave", "priority": 1, "normal": 2}])
def test_calling_order_is_what_call_next_does(policy: dict[str, object]) -> None:
    site = build_site(priority_policy=policy)
    desk = Desk(site)
    desk.login("Q3")
    priority = site.priority_groups[0].code
    for index in range(9):
        desk.later(minutes=1)
        desk.issue("KS" if index % 3 else "CT", priority if index in (2, 5, 6) else None)
    counter = site.counter("Q3")
    assert counter is not None
    listed = [ticket.number for ticket in calling_order(site, desk.state, counter, desk.now)]
    assert len(listed) == 9
    assert desk.calls("Q3", 9) == listed


def test_counter_figures_count_served_no_shows_waits_services_and_ratings() -> None:
    desk = Desk(build_site(requeue_no_show=False))
    desk.login("Q1")
    for _ in range(3):
        desk.issue("KS")
    desk.later(minutes=10)
    desk.call_next("Q1")
    served = desk.serve("Q1", minutes=6)  # called at +10 min, served 6 min
    desk.later(minutes=1)
    desk.call_next("Q1")
    desk.run(MarkNoShow("Q1"))
    desk.run(Rate(served.id, 3, RatingSource.WEB))
    figures = counter_figures(desk.state, "Q1")
    assert (figures.served, figures.no_show) == (1, 1)
    assert figures.average_wait_seconds == pytest.approx(600)
    assert figures.average_service_seconds == pytest.approx(360)
    assert (figures.ratings, figures.average_score) == ({3: 1}, 3)
    assert counter_figures(desk.state, "Q2").average_wait_seconds is None


def simulated_calling_order(site: SiteSettings, state: SiteState, counter: CounterSettings,
                            now: datetime, limit: int) -> list[Ticket]:
    """The reference: press call-next ``limit`` times on a copy of the state."""
    order: list[Ticket] = []
    for _ in range(limit):
        ticket = choose_next(site, state, counter, now)
        if ticket is None:
            break
        order.append(ticket)
        if ticket.target_counter is not None:
            queue = state.counter_queues[ticket.target_counter]
            state = replace(state, counter_queues=state.counter_queues.set(
                ticket.target_counter, queue.delete(ticket.id)))
        else:
            queue = state.queues[ticket.service]
            state = replace(state, queues=state.queues.set(ticket.service,
                                                           queue.delete(ticket.id)))
        streaks = record_call(state.counter(counter.code), ticket)
        state = replace(state, counters=state.counters.set(counter.code, streaks))
    return order


POLICIES = ({"kind": "strict"}, {"kind": "interleave", "priority": 1, "normal": 2},
            {"kind": "interleave", "priority": 2, "normal": 1})
ISSUE = st.tuples(st.just("issue"), st.sampled_from(("KS", "KT", "CT", "DD")),
                 st.sampled_from((None, "elderly")),
                 st.sampled_from((None, None, None, -30, -5, 20)))
ACTION = st.one_of(  # issuing half the time, so queues build up
    ISSUE, ISSUE, ISSUE,
    st.tuples(st.just("later"), st.sampled_from((1, 10))),
    st.tuples(st.just("call"), st.sampled_from(("Q1", "Q2", "Q3"))),
    st.tuples(st.just("transfer_to_q3")),
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(policy=st.sampled_from(POLICIES), code=st.sampled_from(("Q1", "Q2", "Q3")),
       actions=st.lists(ACTION, min_size=10, max_size=40), limit=st.sampled_from((50, 4)))
def test_the_waiting_list_equals_pressing_next_again_and_again(
    policy: dict[str, object], code: str, actions: list[tuple[Any, ...]], limit: int
) -> None:
    site = build_site(priority_policy=policy)
    desk = Desk(site)
    for desk_code, user in (("Q1", "an"), ("Q2", "binh"), ("Q3", "dung"), ("Q4", "chi")):
        desk.login(desk_code, user)
    for action in actions:
        try:
            if action[0] == "issue":
                _, service, priority, appointment = action
                at = None if appointment is None else desk.now + timedelta(minutes=appointment)
                desk.issue(service, priority, appointment_at=at)
            elif action[0] == "later":
                desk.later(minutes=action[1])
            elif action[0] == "call":
                desk.run(CallNext(action[1]))
            else:  # a land ticket called at Q4, sent on to Q3
                desk.run(CallNext("Q4"))
                desk.run(Transfer("Q4", to_counter="Q3"))
        except DomainError:
            continue  # nobody waiting, a ticket still in hand: the list is what is left
    counter = site.counter(code)
    assert counter is not None
    listed = calling_order(site, desk.state, counter, desk.now, limit)
    assert listed == simulated_calling_order(site, desk.state, counter, desk.now, limit)
    assert (listed[0] if listed else None) == choose_next(site, desk.state, counter, desk.now)
