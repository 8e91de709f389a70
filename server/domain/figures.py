"""Today's figures for one counter, from the site's state (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean

from server.domain.model import SiteState, TicketStatus


@dataclass(frozen=True, slots=True)
class CounterFigures:
    """What a counter did today. Averages are ``None`` before there is anything to average."""

    served: int
    no_show: int
    average_wait_seconds: float | None
    average_service_seconds: float | None
    ratings: dict[int, int]
    average_score: float | None


def counter_figures(state: SiteState, counter: str) -> CounterFigures:
    """Served and no-show counts, average wait (issue to first call) and service time, and
    ratings, for tickets finished at ``counter`` today."""
    waits: list[float] = []
    services: list[float] = []
    served = no_show = 0
    for ticket in state.tickets.values():
        if ticket.counter != counter:
            continue
        if ticket.status is TicketStatus.NO_SHOW:
            no_show += 1
        if ticket.status is not TicketStatus.DONE or ticket.finished_at is None:
            continue
        served += 1
        if ticket.first_called_at is not None:
            waits.append((ticket.first_called_at - ticket.issued_at).total_seconds())
        began = ticket.serving_at or ticket.called_at
        if began is not None:
            services.append((ticket.finished_at - began).total_seconds())
    scores = [rating.score for rating in state.ratings.values() if rating.counter == counter]
    counts: dict[int, int] = {}
    for score in scores:
        counts[score] = counts.get(score, 0) + 1
    return CounterFigures(
        served=served,
        no_show=no_show,
        average_wait_seconds=fmean(waits) if waits else None,
        average_service_seconds=fmean(services) if services else None,
        ratings=dict(sorted(counts.items(), reverse=True)),
        average_score=fmean(scores) if scores else None,
    )
