"""Slowing down password guessing: per account and address, per address, per account.

Every failed sign-in counts against three keys:

- the account *from that address*: after :attr:`SignInPolicy.free_failures` failures each
  further attempt must wait twice as long as the one before (1 s, 2 s, 4 s ... up to
  :attr:`SignInPolicy.longest_delay_seconds`), and after :attr:`SignInPolicy.lock_failures`
  the pair is locked for :attr:`SignInPolicy.lock_seconds`;
- the address, whatever account it tries (one machine trying many accounts), with the same
  steps at :attr:`SignInPolicy.address_scale` times the counts;
- the account from anywhere, delayed the same way but never locked, and not at all from an
  address where the account has signed in before: whoever guesses from elsewhere cannot lock
  the officer out of their own counter.

An attempt made while a key must wait is refused without checking the password (so it costs
the server nothing and teaches the guesser nothing). A success clears the account's keys and
remembers the address as one the account uses. Failures are forgotten after
:attr:`SignInPolicy.forget_seconds` without a new one. Pure bookkeeping with an injected
clock: the callers log and answer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """How hard guessing is made; the defaults suit a counter or a manager's sign-in page."""

    free_failures: int = 3
    longest_delay_seconds: float = 60.0
    lock_failures: int = 10
    lock_seconds: float = 15 * 60.0
    address_scale: int = 3
    forget_seconds: float = 60 * 60.0
    # Keys kept at most (an attacker choosing account names must not grow memory forever).
    max_keys: int = 10_000


@dataclass(slots=True)
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    blocked_until: float = 0.0


@dataclass
class SignInThrottle:
    """Counts failures and says how long an attempt must still wait."""

    clock: Callable[[], float]
    policy: SignInPolicy = field(default_factory=SignInPolicy)
    _records: OrderedDict[tuple[str, ...], _Record] = field(default_factory=OrderedDict)
    _known_addresses: dict[str, set[str]] = field(default_factory=dict)

    def wait_seconds(self, account: str, address: str) -> float:
        """Seconds before ``account`` may try again from ``address`` (0: it may now)."""
        now = self.clock()
        keys = [("pair", account, address), ("address", address)]
        if address not in self._known_addresses.get(account, ()):
            keys.append(("account", account))
        waits = [self._record(key, now).blocked_until - now for key in keys]
        return max(0.0, *waits)

    def failed(self, account: str, address: str) -> int:
        """Record a failed attempt; returns how many failures in a row the pair has."""
        now = self.clock()
        policy = self.policy
        pair = self._fail(("pair", account, address), now, policy.free_failures,
                          policy.lock_failures)
        self._fail(("address", address), now, policy.free_failures * policy.address_scale,
                   policy.lock_failures * policy.address_scale)
        self._fail(("account", account), now, policy.free_failures * policy.address_scale,
                   None)
        self._prune(now)
        return pair

    def succeeded(self, account: str, address: str) -> None:
        """A right password: the account's failures are forgotten, the address trusted."""
        self._records.pop(("pair", account, address), None)
        self._records.pop(("account", account), None)
        addresses = self._known_addresses.setdefault(account, set())
        if len(addresses) < 16:  # an officer uses a few machines; keep it bounded
            addresses.add(address)

    def _record(self, key: tuple[str, ...], now: float) -> _Record:
        record = self._records.get(key)
        if record is None or now - record.last_failure > self.policy.forget_seconds:
            return _Record()
        return record

    def _fail(self, key: tuple[str, ...], now: float, free: int, lock: int | None) -> int:
        record = self._record(key, now)
        record.failures += 1
        record.last_failure = now
        if lock is not None and record.failures >= lock:
            record.blocked_until = now + self.policy.lock_seconds
        elif record.failures > free:
            delay = min(2.0 ** (record.failures - free - 1), self.policy.longest_delay_seconds)
            record.blocked_until = now + delay
        self._records[key] = record
        self._records.move_to_end(key)
        return record.failures

    def _prune(self, now: float) -> None:
        """Drop forgotten records, then the oldest ones beyond :attr:`SignInPolicy.max_keys`."""
        while self._records:
            key, record = next(iter(self._records.items()))
            stale = now - record.last_failure > self.policy.forget_seconds
            if not stale and len(self._records) <= self.policy.max_keys:
                break
            del self._records[key]
