"""Common behaviour of every bus device model (sans-I/O): addressing, POLL, GET_STATUS, NAK.

A device model is what firmware implements: it takes each frame heard on the bus and returns
the frame to answer with, or None when it must stay silent.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

from .errors import FrameError, PayloadError
from .event_queue import DEFAULT_EVENT_CAPACITY, EventQueue
from .framing import Frame
from .messages import (
    Ack,
    AckPowerUp,
    DeviceEvent,
    DeviceMessage,
    GetStatus,
    MasterMessage,
    Nak,
    Poll,
    PowerUp,
    Status,
    decode_master_message,
)
from .protocol import DeviceType, NakReason, is_device_address

logger = logging.getLogger(__name__)


class DeviceModel(ABC):
    """Base class of the LED board, keypad and rating pad models.

    Contract of :meth:`handle`:
    * frames for another address, and device-to-master frames, are ignored (None);
    * a broadcast frame is executed but never answered (POLL and GET_STATUS are ignored there);
    * after construction (power-up) and :meth:`restart`, POLL is answered with POWER_UP (its
      acknowledge field ignored) until ACK_POWER_UP arrives; then POLL is answered with the
      head of the event queue (dropped first if the POLL acknowledges it) or ACK;
    * GET_STATUS is answered with STATUS, ACK_POWER_UP with ACK;
    * a bad payload is answered with NAK INVALID_PAYLOAD, a command the device does not
      implement with NAK UNSUPPORTED_COMMAND.
    Models are not thread-safe; the caller serialises access.
    """

    device_type: ClassVar[DeviceType]

    def __init__(
        self,
        address: int,
        *,
        firmware_major: int = 1,
        firmware_minor: int = 0,
        event_capacity: int = DEFAULT_EVENT_CAPACITY,
    ) -> None:
        if not is_device_address(address):
            raise FrameError(f"0x{address:02X} is not a device address (0x01..0xF7)")
        self._address = address
        self._firmware_major = firmware_major
        self._firmware_minor = firmware_minor
        self._events = EventQueue(event_capacity)
        self._announcing_power_up = True

    @property
    def address(self) -> int:
        """The bus address this device answers to."""
        return self._address

    @property
    def announcing_power_up(self) -> bool:
        """True from power-up until the master sends ACK_POWER_UP."""
        return self._announcing_power_up

    @property
    def pending_events(self) -> int:
        """Events queued and not yet acknowledged by the master."""
        return len(self._events)

    def restart(self) -> None:
        """Simulate a power cycle: reset the state, clear the events, announce POWER_UP."""
        self._reset_state()
        self._events.clear()
        self._announcing_power_up = True

    def handle(self, frame: Frame, now: float) -> Frame | None:
        """Process one frame heard on the bus at time ``now`` (seconds, any monotonic origin).

        Returns the reply frame, or None if the device must not answer.
        """
        if frame.command.is_reply:
            return None
        if frame.is_broadcast:
            self._handle_broadcast(frame, now)
            return None
        if frame.address != self._address:
            return None
        return self._reply(frame, now).to_frame(self._address)

    def _handle_broadcast(self, frame: Frame, now: float) -> None:
        try:
            message = decode_master_message(frame)
        except PayloadError as error:
            logger.debug("device 0x%02X ignored a bad broadcast: %s", self._address, error)
            return
        if not isinstance(message, Poll | GetStatus | AckPowerUp):
            self._apply(message, now)

    def _reply(self, frame: Frame, now: float) -> DeviceMessage:
        try:
            message = decode_master_message(frame)
        except PayloadError as error:
            logger.debug("device 0x%02X refused %s: %s", self._address, frame.command.name, error)
            return Nak(NakReason.INVALID_PAYLOAD)
        if isinstance(message, Poll):
            if self._announcing_power_up:
                return self._power_up()
            event = self._events.answer_poll(message.acknowledge)
            return Ack() if event is None else event
        if isinstance(message, AckPowerUp):
            self._announcing_power_up = False
            return Ack()
        if isinstance(message, GetStatus):
            return Status(
                device_type=self.device_type,
                firmware_major=self._firmware_major,
                firmware_minor=self._firmware_minor,
                queued_events=len(self._events),
            )
        return self._apply(message, now)

    def _queue_event(self, build: Callable[[int], DeviceEvent]) -> bool:
        """Queue the event ``build(sequence)``; False if the queue is full (event dropped)."""
        return self._events.push(build) is not None

    def _power_up(self) -> PowerUp:
        return PowerUp(
            device_type=self.device_type,
            firmware_major=self._firmware_major,
            firmware_minor=self._firmware_minor,
        )

    @abstractmethod
    def _apply(self, message: MasterMessage, now: float) -> DeviceMessage:
        """Execute a device-specific command; return ACK, or NAK UNSUPPORTED_COMMAND."""

    @abstractmethod
    def _reset_state(self) -> None:
        """Return the device-specific state to its power-up value."""
