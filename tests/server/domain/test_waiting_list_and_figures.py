"""The waiting list a counter shows is the order its calls really take; today's figures."""

from __future__ import annotations

import pytest
from support.domain import Desk, build_site

from server.domain.calling import calling_order
from server.domain.commands import MarkNoShow, Rate
from server.domain.figures import counter_figures
from server.domain.model import RatingSource


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
    desk.run(Rate(served.id, 3, RatingSource.KIOSK))
    figures = counter_figures(desk.state, "Q1")
    assert (figures.served, figures.no_show) == (1, 1)
    assert figures.average_wait_seconds == pytest.approx(600)
    assert figures.average_service_seconds == pytest.approx(360)
    assert (figures.ratings, figures.average_score) == ({3: 1}, 3)
    assert counter_figures(desk.state, "Q2").average_wait_seconds is None
