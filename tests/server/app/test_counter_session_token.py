"""The counter session string alone (server.app.counter_sessions): made for one site,
counter and officer under one password hash, until it expires, and unforgeable."""

from __future__ import annotations

import base64

from server.app.counter_sessions import MAXIMUM_SESSION_LENGTH, CounterSession, CounterSessions

HASH = "scrypt$16384$8$1$c2FsdA==$aGFzaA=="
LAN = CounterSession("HCM-Q1", "1", "lan", 1_000)


def test_a_session_is_taken_for_its_counter_and_officer_until_it_expires() -> None:
    sessions = CounterSessions("a-secret-of-the-deployment")
    text = sessions.make(LAN, HASH)
    assert sessions.read(text) == LAN
    assert sessions.check(text, LAN, HASH, now=999.0) is None
    # Another process of the deployment (same secret) takes it too.
    assert CounterSessions("a-secret-of-the-deployment").check(text, LAN, HASH, 999.0) is None
    assert sessions.check(text, LAN, HASH, now=1_000.0) == "it has expired"


def test_a_session_is_refused_elsewhere_or_after_a_password_change() -> None:
    sessions = CounterSessions("a-secret-of-the-deployment")
    text = sessions.make(LAN, HASH)
    for other in (CounterSession("HCM-Q3", "1", "lan", 0), CounterSession("HCM-Q1", "2", "lan", 0),
                  CounterSession("HCM-Q1", "1", "minh", 0)):
        assert sessions.check(text, other, HASH, 0.0) == \
            "it was made for another counter or officer"
    assert "password was changed" in (sessions.check(text, LAN, HASH + "x", 0.0) or "")
    assert "forged" in (CounterSessions("another-deployment-secret").check(
        text, LAN, HASH, 0.0) or "")


def test_a_forged_or_mangled_session_is_refused_not_crashed_on() -> None:
    sessions = CounterSessions("a-secret-of-the-deployment")
    text = sessions.make(LAN, HASH)
    version, body, signature = text.split(".")
    longer = base64.urlsafe_b64encode(b'["HCM-Q1","1","lan",99999999999]').decode()
    numbers = base64.urlsafe_b64encode(b"[1,2,3,4]").decode()
    boolean = base64.urlsafe_b64encode(b'["a","b","c",true]').decode()
    mapping = base64.urlsafe_b64encode(b"{}").decode()
    for bad in ("", "c1", "c1..", f"c2.{body}.{signature}", f"{version}.{longer}.{signature}",
                f"{version}.{body}.{signature[:-1]}", f"{version}.{body}.{signature}é",
                f"{version}.!!!.{signature}", "c1." + "A" * MAXIMUM_SESSION_LENGTH + ".x",
                f"{version}.{numbers}.x", f"{version}.{boolean}.x", f"{version}.{mapping}.x"):
        assert sessions.check(bad, LAN, HASH, 0.0) is not None, bad
    # The password hash is under the signature, never in the string.
    assert "scrypt" not in base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
