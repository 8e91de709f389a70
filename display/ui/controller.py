"""Wires the display together on the Qt GUI thread: connection -> board -> widget and voice.

:class:`ConnectionBridge` hands the connection thread's messages to the GUI thread (a queue and
a socket-pair wake-up), so every message reaches :class:`DisplayController` on the GUI thread,
in the order sent. The controller applies it to the board, asks the widget to
repaint and submits each call to the announcement queue (in order; the queue never cuts one
off). Nothing here blocks: network I/O is on the connection thread, audio in Qt Multimedia.

Timers (GUI thread, none of them polls the server): the clock (each second, which also turns
the board stale after ``stale_after_seconds`` without a connection) and the flash (twice per
flash period while a call flashes).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

from display.announcing import announcement_for
from display.board import Banner, Board, BoardUpdate
from display.connection import (
    ConnectionMessage,
    ConnectionSettings,
    DisplayConnection,
    EventReceived,
    SnapshotReceived,
)
from display.errors import MalformedMessageError
from display.profile import DisplayProfile
from display.ui.board_widget import BoardWidget, Region
from display.voice import AnnouncementQueue, AnnouncementRenderer, VoiceError, VoiceSettings

__all__ = ["ConnectionBridge", "DisplayController"]

logger = logging.getLogger(__name__)


class ConnectionBridge(QObject):
    """Hands messages from the connection thread to the GUI thread, in order.

    ``deliver`` (any thread) puts the message on a queue and writes one byte to a socket pair;
    a QSocketNotifier on the GUI thread wakes up, reads the bytes and passes every queued
    message to ``handler``. The connection thread makes no Qt call at all (PySide6 6.12's
    ``Signal.emit`` from a Python thread mis-counts references; pyproject pins <6.12), and a
    full socket buffer only means a wake-up is already pending.
    """

    def __init__(self, handler: Callable[[ConnectionMessage], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handler = handler
        self._messages: queue.SimpleQueue[ConnectionMessage] = queue.SimpleQueue()
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    def deliver(self, message: ConnectionMessage) -> None:
        """Queue ``message`` for the GUI thread (thread-safe, never blocks)."""
        self._messages.put(message)
        with contextlib.suppress(BlockingIOError, InterruptedError):
            self._writer.send(b"\0")

    def close(self) -> None:
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while self._reader.recv(4096):
                pass
        while True:
            try:
                message = self._messages.get_nowait()
            except queue.Empty:
                return
            self._handler(message)


ConnectionFactory = Callable[[ConnectionSettings, Callable[[ConnectionMessage], None]],
                             DisplayConnection]


class DisplayController(QObject):
    """Runs one lobby display (see the module docstring).

    ``announcer`` is None for a silent display. ``clock`` must be the clock the widget uses.
    Callables in ``message_listeners`` are called with each message after it has been applied
    (tests and the bench wait on them).
    """

    def __init__(
        self,
        connection_settings: ConnectionSettings,
        board: Board,
        widget: BoardWidget,
        announcer: AnnouncementQueue | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        connection_factory: ConnectionFactory = DisplayConnection,
        profile: DisplayProfile | None = None,
        voice: VoiceSettings | None = None,
    ) -> None:
        super().__init__()
        # The server's profile (zone, voice pack) applied over these; None: not followed.
        self.profile = profile
        self._voice = voice
        self.pack: Path | None = voice.pack_directory if voice is not None else None
        self.board = board
        self.widget = widget
        self.announcer = announcer
        self._clock = clock
        self.message_listeners: list[Callable[[ConnectionMessage], None]] = []
        self.bridge = ConnectionBridge(self._on_message, self)
        self.connection = connection_factory(connection_settings, self.bridge.deliver)
        self._banner = board.banner(clock())
        self._second_timer = QTimer(self)
        self._second_timer.setSingleShot(True)
        self._second_timer.timeout.connect(self._on_second)
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(max(50, round(board.settings.flash_period_seconds * 500)))
        self._flash_timer.timeout.connect(self._on_flash)

    def start(self) -> None:
        """Connect (on the connection thread) and start the clock."""
        self.board.set_connection(self.board.status, self._clock())
        self.connection.start()
        self._on_second()

    def stop(self) -> None:
        """Stop the timers and the connection (waits for its thread)."""
        self._second_timer.stop()
        self._flash_timer.stop()
        self.connection.stop()
        self.bridge.close()

    # --- messages ----------------------------------------------------------------------------

    def _on_message(self, message: ConnectionMessage) -> None:
        now = self._clock()
        update = BoardUpdate()
        if isinstance(message, EventReceived):
            update = self.board.apply_event(message.event, now)
        elif isinstance(message, SnapshotReceived):
            if message.device is not None:
                self._apply_profile(message.device)
            try:
                update = self.board.apply_snapshot(message.state, message.seq, now,
                                                   message.replayed, message.announce_replayed)
            except MalformedMessageError as error:
                logger.error("unusable snapshot at seq %d: %s", message.seq, error)
        elif self.board.set_connection(message.status, now):
            update = BoardUpdate(changed=True)
        if update.changed:
            self.widget.refresh()
        if update.calls and self.board.flashing(now):
            self._flash_timer.start()
        if self.announcer is not None:
            for call in update.calls:
                self.announcer.submit(announcement_for(call))
        if update.snapshot_needed:
            self.connection.request_snapshot()
        self._banner = self.board.banner(now)
        for listener in self.message_listeners:
            listener(message)

    def _apply_profile(self, device: Mapping[str, Any]) -> None:
        """Follow the display's profile: its zone (the snapshot that came with it is drawn
        for that zone) and its voice pack (the next announcement on)."""
        if self.profile is None:
            return
        zone = self.profile.zone_for(device)
        if zone != self.board.settings.zone:
            logger.info("profile: zone %s", zone or "(every zone)")
            self.board.settings = replace(self.board.settings, zone=zone)
        pack = self.profile.pack_for(device)
        if pack is None or pack == self.pack or self._voice is None or self.announcer is None:
            return
        try:
            renderer = AnnouncementRenderer.from_settings(
                replace(self._voice, pack_directory=pack))
        except VoiceError as error:
            logger.error("profile: voice pack %s cannot be used (keeping %s): %s", pack,
                         self.pack, error)
            self.pack = pack  # not tried again until the profile names another one
            return
        logger.info("profile: voice pack %s", pack)
        self.pack = pack
        self.announcer.use_renderer(renderer)

    # --- timers ------------------------------------------------------------------------------

    def _on_second(self) -> None:
        now = self._clock()
        banner = self.board.banner(now)
        if banner is not self._banner:
            self._banner = banner
            if banner is Banner.CONNECTION_LOST:
                logger.warning("no connection for %.0f s: showing 'Mất kết nối'",
                               self.board.settings.stale_after_seconds)
            self.widget.refresh()
        else:
            self.widget.refresh_region(Region.HEADER)
        # Wake just after the next whole second, or when the board turns stale if sooner.
        wall = time.time()
        delay = 1.0 - (wall % 1.0) + 0.005
        stale_at = self.board.stale_at()
        if stale_at is not None and stale_at > now:
            delay = min(delay, stale_at - now + 0.005)
        self._second_timer.start(max(1, round(delay * 1000)))

    def _on_flash(self) -> None:
        now = self._clock()
        if not self.board.flashing(now):
            self._flash_timer.stop()
        self.widget.refresh()
