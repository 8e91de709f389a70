"""One-time codes: 6 digits good for 5 minutes and once, 5 tries, one a minute and 5 an hour
per phone, kept only as keyed hashes in a bounded memory; time from a hand-set clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from server.booking.otp import (
    CODE_LIFETIME,
    OneTimeCodes,
    OtpRefused,
    RefusalReason,
)
from server.booking.phone import PhoneError

SECRET = b"a-secret-of-the-deployment-0123456789"
PHONE = "0912345678"


class Clock:
    """A clock moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def codes(clock: Clock) -> OneTimeCodes:
    return OneTimeCodes(SECRET, clock)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_code_is_six_digits_and_works_once(codes: OneTimeCodes) -> None:
    code = codes.issue(PHONE)
    assert re.fullmatch(r"[0-9]{6}", code)
    assert codes.verify(PHONE, code)
    assert not codes.verify(PHONE, code)


def test_the_phone_may_be_written_any_way_it_is_read(codes: OneTimeCodes) -> None:
    code = codes.issue("+84 912 345 678")
    assert codes.verify("0912.345.678", f" {code[:3]} {code[3:]} ")


def test_a_code_is_bound_to_its_phone(codes: OneTimeCodes) -> None:
    code = codes.issue(PHONE)
    assert not codes.verify("0987654321", code)
    assert codes.verify(PHONE, code)


def test_a_code_expires_after_five_minutes(codes: OneTimeCodes, clock: Clock) -> None:
    first = codes.issue(PHONE)
    clock.advance(seconds=CODE_LIFETIME.total_seconds() - 1)
    assert codes.lifetime_minutes == 5
    second_phone = "0387654321"
    late = codes.issue(second_phone)
    assert codes.verify(PHONE, first)  # one second before its end
    clock.advance(seconds=CODE_LIFETIME.total_seconds())
    assert not codes.verify(second_phone, late)  # exactly at its end


def test_five_wrong_tries_kill_the_code(codes: OneTimeCodes) -> None:
    code = codes.issue(PHONE)
    for _ in range(4):
        assert not codes.verify(PHONE, wrong(code))
    assert codes.verify(PHONE, code)  # the fifth try is still a try


def test_after_five_wrong_tries_even_the_right_code_fails(codes: OneTimeCodes) -> None:
    code = codes.issue(PHONE)
    for typed in (wrong(code), "", "12345", "abcdef", "1" * 10_000):
        assert not codes.verify(PHONE, typed)
    assert not codes.verify(PHONE, code)


def test_a_new_code_replaces_the_old_one(codes: OneTimeCodes, clock: Clock) -> None:
    old = codes.issue(PHONE)
    clock.advance(seconds=60)
    new = codes.issue(PHONE)
    if new != old:  # one chance in a million that they are the same
        assert not codes.verify(PHONE, old)
    assert codes.verify(PHONE, new)


def test_a_new_code_comes_at_most_once_a_minute(codes: OneTimeCodes, clock: Clock) -> None:
    codes.issue(PHONE)
    clock.advance(seconds=15)
    with pytest.raises(OtpRefused) as caught:
        codes.issue(PHONE)
    refusal = caught.value
    assert refusal.reason is RefusalReason.TOO_SOON
    assert refusal.retry_after_seconds == 45
    assert "45 giây" in refusal.message_vi
    assert "45 seconds" in refusal.message_en
    clock.advance(seconds=44.5)
    with pytest.raises(OtpRefused) as caught:
        codes.issue(PHONE)
    assert caught.value.retry_after_seconds == 1
    assert "1 second " in caught.value.message_en
    clock.advance(seconds=0.5)
    codes.issue(PHONE)
    # Another phone is not held back.
    codes.issue("0987654321")


def test_five_codes_an_hour(codes: OneTimeCodes, clock: Clock) -> None:
    first = clock.now
    for _ in range(5):
        codes.issue(PHONE)
        clock.advance(minutes=2)
    with pytest.raises(OtpRefused) as caught:
        codes.issue(PHONE)
    refusal = caught.value
    assert refusal.reason is RefusalReason.HOURLY_LIMIT
    # The first code of the hour leaves the count at first + 1 h.
    assert refusal.retry_after_seconds == (first + timedelta(hours=1) - clock.now).seconds
    assert "50 phút" in refusal.message_vi and "5 mã" in refusal.message_vi
    assert "50 minutes" in refusal.message_en
    clock.now = first + timedelta(hours=1) - timedelta(seconds=1)
    with pytest.raises(OtpRefused):
        codes.issue(PHONE)
    clock.now = first + timedelta(hours=1)
    codes.issue(PHONE)
    with pytest.raises(OtpRefused) as caught:  # the second of the hour's five still counts
        clock.advance(minutes=1)
        codes.issue(PHONE)
    assert caught.value.reason is RefusalReason.HOURLY_LIMIT


def test_a_refusal_leaves_the_current_code_alone(codes: OneTimeCodes, clock: Clock) -> None:
    code = codes.issue(PHONE)
    with pytest.raises(OtpRefused):
        codes.issue(PHONE)
    assert codes.verify(PHONE, code)


def test_a_number_that_is_no_mobile_gets_no_code(codes: OneTimeCodes) -> None:
    with pytest.raises(PhoneError):
        codes.issue("024 3822 1234")
    assert len(codes) == 0
    assert not codes.verify("not a phone", "123456")
    assert not codes.verify(PHONE, "123456")  # no code issued


def test_only_keyed_hashes_are_kept(codes: OneTimeCodes) -> None:
    code = codes.issue(PHONE)
    kept = repr(vars(codes))  # the key, the rules' numbers and every entry
    assert "_Entry(" in kept
    assert PHONE not in kept and PHONE[1:] not in kept
    assert code not in kept
    # Another deployment's secret knows nothing of this one's codes.
    other = OneTimeCodes(b"another-deployment-secret-xxxxxxxx", codes._clock)
    assert not other.verify(PHONE, code)


def test_memory_is_bounded(clock: Clock) -> None:
    codes = OneTimeCodes(SECRET, clock, capacity=3)
    phones = ["0912000001", "0912000002", "0912000003"]
    for phone in phones:
        codes.issue(phone)
        clock.advance(minutes=10)
    with pytest.raises(OtpRefused) as caught:
        codes.issue("0912000004")
    refusal = caught.value
    assert refusal.reason is RefusalReason.BUSY
    # The first phone is forgotten an hour after its code: in 30 minutes from now.
    assert refusal.retry_after_seconds == 30 * 60
    assert "30 phút" in refusal.message_vi and "30 minutes" in refusal.message_en
    # The phones already known keep their rules; none was dropped to make room.
    clock.advance(minutes=1)
    codes.issue(phones[2])
    assert len(codes) == 3
    clock.advance(minutes=29)
    codes.issue("0912000004")
    assert len(codes) == 3


def test_phones_are_forgotten_an_hour_after_their_last_code(codes: OneTimeCodes,
                                                             clock: Clock) -> None:
    for index in range(100):
        codes.issue(f"09120{index:05d}")
    assert len(codes) == 100
    clock.advance(hours=1)
    codes.issue("0987654321")
    assert len(codes) == 1


def test_a_short_secret_is_refused(clock: Clock) -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        OneTimeCodes(b"short", clock)


def test_codes_are_spread_over_every_digit(codes: OneTimeCodes, clock: Clock) -> None:
    seen: set[str] = set()
    for index in range(300):
        seen.update(codes.issue(f"09130{index:05d}"))
    assert seen == set("0123456789")
