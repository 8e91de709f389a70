"""Slowing password guessing (pure bookkeeping, clock moved by hand)."""

from __future__ import annotations

from server.app.throttle import SignInPolicy, SignInThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: SignInThrottle, times: int, account: str = "lan",
         address: str = "10.0.0.9") -> None:
    for _ in range(times):
        throttle.failed(account, address)


def test_three_free_failures_then_a_doubling_wait_then_a_lock() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    fail(throttle, 3)
    assert throttle.wait_seconds("lan", "10.0.0.9") == 0
    waits = []
    for _ in range(6):
        fail(throttle, 1)
        waits.append(throttle.wait_seconds("lan", "10.0.0.9"))
    assert waits == [1, 2, 4, 8, 16, 32]
    fail(throttle, 1)  # the tenth failure: locked
    assert throttle.wait_seconds("lan", "10.0.0.9") == 15 * 60
    clock.now += 15 * 60
    assert throttle.wait_seconds("lan", "10.0.0.9") == 0


def test_the_officer_at_her_own_counter_is_not_locked_out_by_a_guesser_elsewhere() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    throttle.succeeded("lan", "10.0.0.1")  # her counter's machine, known from yesterday
    fail(throttle, 10, address="10.0.0.66")  # someone else guesses from another machine
    assert throttle.wait_seconds("lan", "10.0.0.66") == 15 * 60
    assert throttle.wait_seconds("lan", "10.0.0.1") == 0
    # A machine the account never used waits on the account's own count.
    assert throttle.wait_seconds("lan", "10.0.0.7") > 0


def test_one_address_guessing_many_accounts_is_slowed_then_locked() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    for index in range(9):
        throttle.failed(f"user{index}", "10.0.0.66")
    assert throttle.wait_seconds("someone-new", "10.0.0.66") == 0
    throttle.failed("user9", "10.0.0.66")
    assert throttle.wait_seconds("someone-new", "10.0.0.66") == 1
    for index in range(20):
        throttle.failed(f"other{index}", "10.0.0.66")
    assert throttle.wait_seconds("someone-new", "10.0.0.66") == 15 * 60
    assert throttle.wait_seconds("someone-new", "10.0.0.5") == 0


def test_failures_are_forgotten_and_a_success_clears_them() -> None:
    clock = Clock()
    throttle = SignInThrottle(clock)
    fail(throttle, 5)
    assert throttle.wait_seconds("lan", "10.0.0.9") > 0
    clock.now += 61 * 60
    assert throttle.wait_seconds("lan", "10.0.0.9") == 0
    fail(throttle, 1)
    assert throttle.wait_seconds("lan", "10.0.0.9") == 0  # counting starts again
    throttle.succeeded("lan", "10.0.0.9")
    fail(throttle, 3)
    assert throttle.wait_seconds("lan", "10.0.0.9") == 0


def test_memory_stays_bounded_whatever_names_are_tried() -> None:
    throttle = SignInThrottle(Clock(), SignInPolicy(max_keys=100))
    for index in range(5000):
        throttle.failed(f"made-up-{index}", f"10.1.{index // 250}.{index % 250}")
    assert len(throttle._records) <= 100
