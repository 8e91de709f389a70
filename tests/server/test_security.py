"""Password hashing and the one rule a new password must meet (server/security.py)."""

from __future__ import annotations

import pytest

from server.security import (
    MINIMUM_PASSWORD_LENGTH,
    PasswordHashError,
    hash_password,
    password_problem,
    verify_password,
)


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("mat-khau-moi-1")
    assert stored.startswith("scrypt$")
    assert verify_password("mat-khau-moi-1", stored)
    assert not verify_password("mat-khau-moi-2", stored)
    # A fresh salt each time: the same password never gives the same hash.
    assert hash_password("mat-khau-moi-1") != stored


def test_a_malformed_hash_is_an_error_not_a_match() -> None:
    with pytest.raises(PasswordHashError):
        verify_password("x", "not-a-hash")


@pytest.mark.parametrize(("password", "user", "current", "reason"), [
    ("", "lan", None, "must have at least 8 characters"),
    ("1234567", "lan", None, "must have at least 8 characters"),
    ("        ", "lan", None, "must not be only spaces"),
    ("\t \t \t \t ", "lan", None, "must not be only spaces"),
    ("nguyenvana", "nguyenvana", None, "must not be the user name"),
    ("NguyenVanA", "nguyenvana", None, "must not be the user name"),
    (" nguyenvana ", "nguyenvana", None, "must not be the user name"),
    ("mat-khau-1", "lan", "mat-khau-1", "must differ from the current password"),
])
def test_a_weak_new_password_is_refused_with_its_reason(password: str, user: str,
                                                        current: str | None,
                                                        reason: str) -> None:
    assert password_problem(password, user, current) == reason


@pytest.mark.parametrize(("password", "user", "current"), [
    ("12345678", "lan", None),
    ("mật khẩu mới", "lan", "mat-khau-1"),  # Vietnamese letters count as one character each
    ("Mat-khau-1", "lan", "mat-khau-1"),  # another case is another password
    ("lan-lan-lan", "lan", None),  # holding the user name is not being it
])
def test_a_good_new_password_has_no_problem(password: str, user: str,
                                            current: str | None) -> None:
    assert password_problem(password, user, current) is None


def test_the_reason_never_repeats_the_password() -> None:
    for password in ("short", "nguyenvana", "mat-khau-cu-1"):
        reason = password_problem(password, "nguyenvana", "mat-khau-cu-1")
        assert reason is not None and password not in reason
    assert MINIMUM_PASSWORD_LENGTH == 8
