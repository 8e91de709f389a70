"""The satisfaction rate of Quyết định 766/QĐ-TTg, from served cases and their ratings (pure).

The province scores a centre on: (cases served - cases rated at the scale's lowest level,
"không hài lòng") / cases served, in percent. A case is the case code (mã hồ sơ) the officer
entered, when there is one, else the ticket itself: the submitting and the collecting tickets
of one file are one case. A case counts as not satisfied when any rating of any of its
tickets is the lowest score. Unrated cases count as served and not dissatisfied, as the
decision's formula has it. The reports compute the same in SQL (server/reports); both are
tested on the worked example of docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.config.settings import SiteSettings
from server.domain.model import Rating


def case_key(ticket_id: str, case_code: str | None) -> str:
    """What identifies a ticket's case: its case code, else the ticket."""
    return f"case:{case_code}" if case_code else f"ticket:{ticket_id}"


def satisfaction_rate(site: SiteSettings, served: Iterable[tuple[str, str | None]],
                      ratings: Iterable[Rating]) -> float | None:
    """The QĐ 766 rate in percent of the ``served`` tickets (``(ticket id, case code)``),
    given ``ratings``; ``None`` when nothing was served."""
    lowest = min(label.score for label in site.rating_scale)
    case_of = {ticket_id: case_key(ticket_id, case_code) for ticket_id, case_code in served}
    cases = set(case_of.values())
    if not cases:
        return None
    dissatisfied = {case_of[rating.ticket_id] for rating in ratings
                    if rating.ticket_id in case_of and rating.score == lowest}
    return 100.0 * (len(cases) - len(dissatisfied)) / len(cases)
