"""The bus side of the bridge: one thread owns the serial port and the :class:`BusMaster`.

Each round polls every mapped device once, feeds the outcome to its :class:`DeviceHealth`,
and hands new events, POWER_UPs and health changes to ``on_input`` (called on this thread;
it must not block). Commands queued with :meth:`BusWorker.send` (from any thread) go out
between polls, in order; commands for a device that is offline are dropped, since the device is
brought up to date when it answers again. A failed port (an adapter pulled out) counts as a
miss for every device and is opened again after ``port_retry_seconds``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable

from hardware.bridge.core import BusCommand, BusInput, DeviceReplied, HealthChanged
from hardware.serial_bus import (
    Ack,
    BusError,
    BusMaster,
    BusPort,
    DeviceHealth,
    DeviceState,
    PortError,
)

logger = logging.getLogger(__name__)


class BusWorker:
    """Polls ``addresses`` on the port from ``open_port`` in a thread (see the module doc)."""

    def __init__(
        self,
        open_port: Callable[[], BusPort],
        addresses: Iterable[int],
        on_input: Callable[[BusInput], None],
        *,
        poll_interval: float,
        reply_timeout: float,
        offline_after_misses: int,
        port_retry_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open_port = open_port
        self._addresses = tuple(addresses)
        self._on_input = on_input
        self._poll_interval = poll_interval
        self._reply_timeout = reply_timeout
        self._port_retry_seconds = port_retry_seconds
        self._clock = clock
        self._health = {address: DeviceHealth(offline_after_misses)
                        for address in self._addresses}
        self._commands: queue.SimpleQueue[BusCommand] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._port: BusPort | None = None
        self._master: BusMaster | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bridge-bus", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop polling, close the port and wait up to ``timeout`` for the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def send(self, commands: Iterable[BusCommand]) -> None:
        """Queue commands for the bus (thread-safe); they go out before the next poll."""
        for command in commands:
            self._commands.put(command)
        self._wake.set()

    def health(self, address: int) -> DeviceState:
        return self._health[address].state

    # --- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                round_started = self._clock()
                # Cleared before the round: a command queued during it starts the next at once.
                self._wake.clear()
                try:
                    self._poll_round()
                except PortError as error:
                    self._port_failed(error)
                    continue
                rest = self._poll_interval - (self._clock() - round_started)
                if rest > 0:
                    self._wake.wait(rest)
        finally:
            self._close_port()

    def _poll_round(self) -> None:
        master = self._ensure_master()
        for address in self._addresses:
            if self._stopping.is_set():
                return
            self._send_queued(master)
            reply = master.poll(address)
            now = self._clock()
            health = self._health[address]
            change = health.record_miss(now) if reply is None else health.record_reply(now)
            if change is not None:
                self._on_input(HealthChanged(address, change))
            if reply is not None and not isinstance(reply, Ack):
                self._on_input(DeviceReplied(address, reply))
        self._send_queued(master)

    def _send_queued(self, master: BusMaster) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            if self._health.get(command.address) is not None \
                    and self._health[command.address].state is DeviceState.OFFLINE:
                logger.debug("0x%02X is offline; not sending %s", command.address,
                             type(command.message).__name__)
                continue
            try:
                master.send(command.address, command.message)
            except PortError:
                raise
            except BusError as error:
                logger.warning("%s", error)

    def _ensure_master(self) -> BusMaster:
        if self._master is None:
            self._port = self._open_port()
            self._master = BusMaster(self._port, reply_timeout=self._reply_timeout,
                                     clock=self._clock)
            logger.info("bus port open; polling %s",
                        ", ".join(f"0x{address:02X}" for address in self._addresses))
        return self._master

    def _port_failed(self, error: PortError) -> None:
        logger.error("bus port failed: %s; trying again in %.1f s", error,
                     self._port_retry_seconds)
        self._close_port()
        now = self._clock()
        for address, health in self._health.items():
            change = health.record_miss(now)
            if change is not None:
                self._on_input(HealthChanged(address, change))
        self._stopping.wait(self._port_retry_seconds)

    def _close_port(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except (OSError, BusError) as error:
                logger.debug("closing the bus port: %s", error)
        self._port = None
        self._master = None
