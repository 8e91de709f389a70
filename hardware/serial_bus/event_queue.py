"""The device side of reliable event delivery: a bounded queue of sequenced events.

A device keeps an event at the head of its queue, and sends it in answer to every POLL, until a
POLL acknowledges that event's sequence number. A lost reply is therefore re-sent, and the
master recognises a re-sent copy by its unchanged sequence number. After a power cycle the
queue restarts at sequence 0; POWER_UP (see device.py) makes the master forget the old numbers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from .messages import DeviceEvent
from .protocol import SEQUENCE_MODULUS

DEFAULT_EVENT_CAPACITY = 16


class EventQueue:
    """Bounded FIFO of device events with sequence numbers 0, 1, ... 255, 0, ...

    The first event after construction or :meth:`clear` gets sequence 0.
    """

    def __init__(self, capacity: int = DEFAULT_EVENT_CAPACITY) -> None:
        if not 1 <= capacity < SEQUENCE_MODULUS // 2:
            raise ValueError(f"capacity must be in 1..{SEQUENCE_MODULUS // 2 - 1}")
        self._capacity = capacity
        self._events: deque[DeviceEvent] = deque()
        self._next_sequence = 0

    def __len__(self) -> int:
        return len(self._events)

    @property
    def capacity(self) -> int:
        """Most events held at once."""
        return self._capacity

    def push(self, build: Callable[[int], DeviceEvent]) -> DeviceEvent | None:
        """Build an event with the next sequence number and queue it.

        Returns the queued event, or None (and consumes no sequence number) if the queue is full.
        """
        if len(self._events) >= self._capacity:
            return None
        event = build(self._next_sequence)
        self._next_sequence = (self._next_sequence + 1) % SEQUENCE_MODULUS
        self._events.append(event)
        return event

    def answer_poll(self, acknowledge: int | None) -> DeviceEvent | None:
        """Drop the head if ``acknowledge`` is its sequence, then return the (new) head, if any."""
        if self._events and acknowledge == self._events[0].sequence:
            self._events.popleft()
        return self._events[0] if self._events else None

    def clear(self) -> None:
        """Forget every event and restart sequence numbers at 0 (as after a power cycle)."""
        self._events.clear()
        self._next_sequence = 0
