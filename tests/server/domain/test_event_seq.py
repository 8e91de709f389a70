"""``seq`` rises by exactly one per event, across commands, and events carry ``now``."""

from __future__ import annotations

from support.domain import Desk

from server.domain import RatingSource
from server.domain.commands import (
    CallNext,
    Command,
    Finish,
    IssueTicket,
    Login,
    MarkNoShow,
    Pause,
    Rate,
    Recall,
    ResumeCounter,
    StartService,
    Transfer,
)


def test_seq_is_consecutive_across_a_working_morning(desk: Desk) -> None:
    script: list[Command] = [
        IssueTicket("KS"), IssueTicket("KS"), IssueTicket("CT"), Login("Q1", "an"),
        Login("Q2", "binh"), CallNext("Q1"), Recall("Q1"), StartService("Q1"), Finish("Q1"),
        CallNext("Q1"), MarkNoShow("Q1"), CallNext("Q2"), StartService("Q2"),
        Transfer("Q2", to_service="KS"), CallNext("Q1"), CallNext("Q1"), Finish("Q1"),
        Pause("Q1"), ResumeCounter("Q1"),
    ]
    for minutes, command in enumerate(script):
        desk.later(minutes=minutes)
        before = desk.state.seq
        outcome = desk.run(command)
        assert [event.seq for event in outcome.events] == list(
            range(before + 1, before + 1 + len(outcome.events)))
        assert outcome.state.seq == before + len(outcome.events)
        assert all(event.at == desk.now for event in outcome.events)
    done = next(ticket for ticket in desk.state.tickets.values() if ticket.case_code is None
                and ticket.status.value == "done")
    desk.run(Rate(done.id, 3, RatingSource.WEB))
    assert [event.seq for event in desk.events] == list(range(1, len(desk.events) + 1))
    assert desk.state.seq == len(desk.events)
