"""Calls on the board -> voice announcements (pure).

The counter is read as the hall knows it: the number of a ``Quầy <n>`` name, else its code
(``display.counter_names.spoken_counter``).
"""

from __future__ import annotations

from display.board import Call, CallKind
from display.counter_names import spoken_counter
from display.voice.phrases import Announcement, AnnouncementKind

__all__ = ["announcement_for"]


def announcement_for(call: Call) -> Announcement:
    """The announcement of a call or recall."""
    kind = AnnouncementKind.RECALL if call.kind is CallKind.RECALL else AnnouncementKind.CALL
    return Announcement(ticket=call.number, counter=spoken_counter(call.counter, call.counter_name),
                        kind=kind)
