"""The counter session string alone (server.app.counter_sessions): made for one site,
counter and officer under one password hash, until it expires, and unforgeable."""

from __future__ import annotations

import base64

from server.app.counter_sessions import (
    MAXIMUM_SESSION_LENGTH,
    SESSION_SECONDS,
    CounterSession,
    CounterSessions,
)

HASH = "scrypt$16384$8$1$c2FsdA==$aGFzaA=="
MADE = 1_000.0
EXPIRES = int(MADE) + SESSION_SECONDS
LAN = ("HCM-Q1", "1", "lan")


def test_a_session_is_taken_for_its_counter_and_officer_until_it_expires() -> None:
    sessions = CounterSessions("a-secret-of-the-deployment")
    text = sessions.make(*LAN, HASH, now=MADE)
    assert sessions.read(text) == CounterSession(*LAN, EXPIRES)
    assert sessions.check(text, *LAN, HASH, now=EXPIRES - 1) is None
    # Another process of the deployment (same secret) takes it too.
    assert CounterSessions("a-secret-of-the-deployment").check(
        text, *LAN, HASH, now=EXPIRES - 1) is None
    assert sessions.check(text, *LAN, HASH, now=EXPIRES) == "it has expired"


def test_a_session_is_refused_elsewhere_or_after_a_password_change() -> None:
    sessions = CounterSessions("a-secret-of-the-deployment")
    text = sessions.make(*LAN, HASH, now=MADE)
    for other in (("HCM-Q3", "1", "lan"), ("HCM-Q1", "2", "lan"), ("HCM-Q1", "1", "minh")):
        assert sessions.check(text, *other, HASH, now=MADE) == \
            "it was made for another counter or officer"
    assert "password was changed" in (sessions.check(text, *LAN, HASH + "x", now=MADE) or "")
    assert "forged" in (CounterSessions("another-deployment-secret").check(
        text, *LAN, HASH, now=MADE) or "")


def test_a_forged_or_mangled_session_is_refused_not_crashed_on() -> None:
    sessions = CounterSessions("a-secret-of-the-deployment")
    text = sessions.make(*LAN, HASH, now=MADE)
    version, body, signature = text.split(".")
    longer = base64.urlsafe_b64encode(b'["HCM-Q1","1","lan",99999999999]').decode()
    numbers = base64.urlsafe_b64encode(b"[1,2,3,4]").decode()
    boolean = base64.urlsafe_b64encode(b'["a","b","c",true]').decode()
    mapping = base64.urlsafe_b64encode(b"{}").decode()
    for bad in ("", "c1", "c1..", f"c2.{body}.{signature}", f"{version}.{longer}.{signature}",
                f"{version}.{body}.{signature[:-1]}", f"{version}.{body}.{signature}é",
                f"{version}.!!!.{signature}", "c1." + "A" * MAXIMUM_SESSION_LENGTH + ".x",
                f"{version}.{numbers}.x", f"{version}.{boolean}.x", f"{version}.{mapping}.x"):
        assert sessions.check(bad, *LAN, HASH, now=MADE) is not None, bad
    # The password hash is under the signature, never in the string.
    assert "scrypt" not in base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
