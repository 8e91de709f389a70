"""Signed sessions, CSRF tokens and socket tickets (pure; clock moved by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.clock import ManualClock

from server.web.sessions import SessionKeeper

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def keeper(clock: ManualClock, secret: str = "test-secret-0123456789") -> SessionKeeper:
    return SessionKeeper(secret, clock)


def test_a_session_reads_back_and_a_forged_one_does_not() -> None:
    clock = ManualClock(START)
    sessions = keeper(clock)
    cookie = sessions.cookie_value(sessions.start("giamdoc"))
    read = sessions.read(cookie)
    assert read is not None and read.user == "giamdoc"
    body, _, signature = cookie.rpartition(".")
    other_body = keeper(clock).cookie_value(keeper(clock).start("tinh")).rpartition(".")[0]
    # The signature with its first character changed (to another one: a signature may begin
    # with "x").
    altered = ("y" if signature.startswith("x") else "x") + signature[1:]
    for forged in (f"{other_body}.{signature}", f"{body}.{altered}", "", "garbage",
                   "a.b.c", "." * 2000, cookie + "x"):
        assert sessions.read(forged) is None, forged
    # Another deployment's secret signs differently.
    assert keeper(clock, "another-secret-987654321").read(cookie) is None


def test_idle_and_absolute_expiry_and_renewal() -> None:
    clock = ManualClock(START)
    sessions = keeper(clock)
    session = sessions.start("giamdoc")
    clock.advance(59)
    assert sessions.renewed(session) is None  # not yet worth a new cookie
    clock.advance(2)
    renewed = sessions.renewed(session)
    assert renewed is not None and renewed.used > session.used
    clock.advance(29 * 60)
    assert sessions.read(sessions.cookie_value(renewed)) is not None
    clock.advance(2 * 60)  # 31 minutes without a request
    assert sessions.read(sessions.cookie_value(renewed)) is None
    # Used every 20 minutes, a session still ends 12 hours after it began.
    fresh = sessions.start("giamdoc")
    for _ in range(35):
        clock.advance(20 * 60)
        again = sessions.renewed(fresh)
        assert again is not None
        fresh = again
    clock.advance(60 * 60)
    assert sessions.read(sessions.cookie_value(fresh)) is None


def test_sign_out_ends_the_session_and_its_socket_tickets() -> None:
    clock = ManualClock(START)
    sessions = keeper(clock)
    session = sessions.start("giamdoc")
    cookie = sessions.cookie_value(session)
    ticket = sessions.socket_ticket(session)
    assert sessions.socket_user(ticket) == "giamdoc"
    sessions.sign_out(session)
    assert sessions.read(cookie) is None
    assert sessions.socket_user(ticket) is None


def test_csrf_tokens_belong_to_their_session() -> None:
    clock = ManualClock(START)
    sessions = keeper(clock)
    first, second = sessions.start("giamdoc"), sessions.start("giamdoc")
    token = sessions.csrf_token(first)
    assert sessions.csrf_valid(first, token)
    assert not sessions.csrf_valid(second, token)
    assert not sessions.csrf_valid(first, "")
    assert not sessions.csrf_valid(first, token[:-1] + "x")


def test_a_socket_ticket_expires_and_cannot_be_altered() -> None:
    clock = ManualClock(START)
    sessions = keeper(clock)
    ticket = sessions.socket_ticket(sessions.start("giamdoc"))
    user, nonce, expires, signature = ticket.split(":")
    for altered in (f"tinh:{nonce}:{expires}:{signature}",
                    f"{user}:{nonce}:{int(expires) + 3600}:{signature}",
                    "giamdoc", "", ":::"):
        assert sessions.socket_user(altered) is None, altered
    clock.now += timedelta(minutes=6)
    assert sessions.socket_user(ticket) is None
