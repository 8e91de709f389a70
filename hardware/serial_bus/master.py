"""The bus master: sends a request to one device and waits for its reply (blocking).

Meant to run in one worker thread (the hardware bridge wraps it); calls from several threads
are serialised by an internal lock so that two requests never share the bus.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import CommandRejectedError, NoReplyError, PayloadError, UnexpectedReplyError
from .framing import DecoderStatistics, Frame, FrameDecoder, encode_frame
from .messages import (
    Ack,
    AckPowerUp,
    DeviceMessage,
    KeyEvent,
    MasterMessage,
    Nak,
    Poll,
    PowerUp,
    RatingEvent,
    Status,
    decode_device_message,
)
from .port import BusPort
from .protocol import (
    BROADCAST_ADDRESS,
    DEFAULT_REPLY_TIMEOUT_SECONDS,
    MAX_ENCODED_FRAME_LENGTH,
    Command,
    frame_seconds,
)

logger = logging.getLogger(__name__)

_READ_CHUNK = 256


@dataclass(frozen=True, slots=True)
class MasterStatistics:
    """Counters since the master was created (for diagnostics)."""

    requests: int
    replies: int
    timeouts: int
    invalid_replies: int
    duplicate_events: int
    decoder: DecoderStatistics


class BusMaster:
    """Request/reply over a :class:`BusPort`.

    Contract:
    * :meth:`exchange` sends one frame and returns the first reply frame from the same address
      (frames of the other direction, such as the echo of our own request, are skipped), or
      None if none arrives within ``reply_timeout`` plus the transmission time of the request
      and of a longest reply;
    * :meth:`poll` acknowledges the last event received from the device, so each event is
      returned once even when replies are lost and re-sent, and confirms POWER_UP;
    * :meth:`send` retries a command and raises on NAK or silence.
    Raises PortError if the port fails.
    """

    def __init__(
        self,
        port: BusPort,
        *,
        reply_timeout: float = DEFAULT_REPLY_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._port = port
        self._reply_timeout = reply_timeout
        self._clock = clock
        self._decoder = FrameDecoder()
        self._lock = threading.Lock()
        self._last_sequence: dict[int, int] = {}
        self._requests = 0
        self._replies = 0
        self._timeouts = 0
        self._invalid_replies = 0
        self._duplicate_events = 0

    @property
    def statistics(self) -> MasterStatistics:
        """A snapshot of the diagnostic counters."""
        return MasterStatistics(
            requests=self._requests,
            replies=self._replies,
            timeouts=self._timeouts,
            invalid_replies=self._invalid_replies,
            duplicate_events=self._duplicate_events,
            decoder=self._decoder.statistics,
        )

    def exchange(self, request: Frame) -> Frame | None:
        """Send ``request``; return the device's reply frame, or None on timeout.

        A broadcast request is sent and None returned at once (devices never answer it).
        """
        with self._lock:
            return self._exchange(request)

    def _exchange(self, request: Frame) -> Frame | None:
        encoded = encode_frame(request)
        self._requests += 1
        self._port.discard_input()
        self._decoder.reset()
        self._port.write(encoded)
        if request.is_broadcast:
            return None
        wait = self._reply_timeout + frame_seconds(
            len(encoded) + MAX_ENCODED_FRAME_LENGTH, self._port.baudrate
        )
        reply = self._wait_for_reply(request.address, self._clock() + wait)
        if reply is None:
            self._timeouts += 1
            logger.debug("no reply from 0x%02X to %s", request.address, request.command.name)
        else:
            self._replies += 1
        return reply

    def _wait_for_reply(self, address: int, deadline: float) -> Frame | None:
        while self._clock() < deadline:
            for frame in self._decoder.feed(self._port.read(_READ_CHUNK)):
                if frame.command.is_reply and frame.address == address:
                    return frame
                logger.debug("skipped %s for 0x%02X", frame.command.name, frame.address)
        return None

    def poll(self, address: int) -> DeviceMessage | None:
        """Poll ``address``; return None if it did not answer (or answered garbage).

        Otherwise return ACK (nothing new), a new event (KEY, RATING), POWER_UP or NAK.
        A re-sent event already returned by an earlier poll is reported as ACK. On POWER_UP the
        master forgets the device's event sequence and answers ACK_POWER_UP at once (if that is
        lost, the device announces again and POWER_UP is returned again: re-send the device's
        state each time).
        """
        with self._lock:
            return self._poll(address)

    def _poll(self, address: int) -> DeviceMessage | None:
        acknowledge = self._last_sequence.get(address)
        reply = self._exchange(Poll(acknowledge=acknowledge).to_frame(address))
        if reply is None:
            return None
        try:
            message = decode_device_message(reply)
        except PayloadError as error:
            self._invalid_replies += 1
            logger.warning("invalid reply from 0x%02X to POLL: %s", address, error)
            return None
        if isinstance(message, PowerUp):
            self._last_sequence.pop(address, None)
            self._exchange(AckPowerUp().to_frame(address))
        elif isinstance(message, KeyEvent | RatingEvent):
            if acknowledge == message.sequence:
                self._duplicate_events += 1
                logger.debug("duplicate event %d from 0x%02X", message.sequence, address)
                return Ack()
            self._last_sequence[address] = message.sequence
        return message

    def forget(self, address: int) -> None:
        """Forget the last event sequence of ``address`` (e.g. after replacing the device)."""
        with self._lock:
            self._last_sequence.pop(address, None)

    def send(self, address: int, message: MasterMessage, *, attempts: int = 2) -> Ack | Status:
        """Send a command and return the device's ACK (or STATUS for GET_STATUS).

        Tries up to ``attempts`` times while the device stays silent. Raises
        :class:`NoReplyError` if it never answers, :class:`CommandRejectedError` on NAK and
        :class:`UnexpectedReplyError` for any other reply. Use :meth:`poll` for POLL and
        :meth:`broadcast` for the broadcast address.
        """
        if isinstance(message, Poll) or address == BROADCAST_ADDRESS:
            raise ValueError("send() is for commands to one device; use poll() or broadcast()")
        request = message.to_frame(address)
        with self._lock:
            for _ in range(attempts):
                reply = self._exchange(request)
                if reply is not None:
                    return self._command_result(address, message.command, reply)
        raise NoReplyError(address, message.command, attempts)

    def _command_result(self, address: int, command: Command, reply: Frame) -> Ack | Status:
        try:
            answer = decode_device_message(reply)
        except PayloadError as error:
            self._invalid_replies += 1
            raise UnexpectedReplyError(
                f"invalid reply from 0x{address:02X} to {command.name}: {error}"
            ) from error
        if isinstance(answer, Nak):
            raise CommandRejectedError(address, command, answer.reason)
        if isinstance(answer, Ack) or (
            isinstance(answer, Status) and command is Command.GET_STATUS
        ):
            return answer
        raise UnexpectedReplyError(
            f"device 0x{address:02X} answered {command.name} with {reply.command.name}"
        )

    def broadcast(self, message: MasterMessage) -> None:
        """Send ``message`` to every device; nobody answers, so delivery is not confirmed."""
        if isinstance(message, Poll):
            raise ValueError("POLL cannot be broadcast")
        self.exchange(message.to_frame(BROADCAST_ADDRESS))
