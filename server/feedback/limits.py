"""How much feedback one address may send: a small token bucket per address.

Each address starts with :attr:`BucketPolicy.capacity` sends and earns one more every
:attr:`BucketPolicy.refill_seconds`, up to the capacity again. Only a feedback that is
stored takes one (a form sent back to correct a field does not), and a post while the bucket
is empty is refused before its fields are checked. Like server.app.throttle: pure
bookkeeping with an injected clock and a bounded number of addresses kept (an address whose
bucket would be full again is the same as one never seen, so it is forgotten first).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BucketPolicy:
    """Five feedbacks at once, then one every six minutes (ten an hour) per address."""

    capacity: int = 5
    refill_seconds: float = 6 * 60.0
    max_keys: int = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


@dataclass
class AddressBuckets:
    """The buckets of the addresses that sent feedback lately."""

    clock: Callable[[], float]
    policy: BucketPolicy = field(default_factory=BucketPolicy)
    _buckets: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)

    def wait_seconds(self, address: str) -> float:
        """Seconds before ``address`` may send again (0: it may now)."""
        tokens = self._tokens(address, self.clock())
        if tokens >= 1:
            return 0.0
        return (1 - tokens) * self.policy.refill_seconds

    def wait_minutes(self, address: str) -> int:
        """:meth:`wait_seconds` in whole minutes, at least 1 (what a citizen is told)."""
        return max(1, math.ceil(self.wait_seconds(address) / 60))

    def take(self, address: str) -> bool:
        """Take one send from ``address``'s bucket; ``False`` (and nothing taken) when it
        is empty."""
        now = self.clock()
        tokens = self._tokens(address, now)
        if tokens < 1:
            return False
        self._buckets[address] = _Bucket(tokens - 1, now)
        self._buckets.move_to_end(address)
        self._prune(now)
        return True

    def _tokens(self, address: str, now: float) -> float:
        bucket = self._buckets.get(address)
        if bucket is None:
            return float(self.policy.capacity)
        earned = max(0.0, now - bucket.updated) / self.policy.refill_seconds
        return min(float(self.policy.capacity), bucket.tokens + earned)

    def _prune(self, now: float) -> None:
        """Forget full buckets from the oldest on, then the oldest beyond the key limit."""
        while self._buckets:
            address = next(iter(self._buckets))
            full = self._tokens(address, now) >= self.policy.capacity
            if not full and len(self._buckets) <= self.policy.max_keys:
                break
            del self._buckets[address]
