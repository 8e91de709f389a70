"""The display application: QApplication, fonts, board, widget, voice and controller."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut

from display.board import Board
from display.settings import DisplaySettings
from display.ui.board_widget import BoardWidget
from display.ui.controller import DisplayController
from display.ui.fonts import load_fonts
from display.ui.qt_application import GuiThreadCollector, qt_application, quit_on_stop_signals
from display.voice import (
    AnnouncementQueue,
    AnnouncementRenderer,
    AudioSink,
    FolderSink,
    VoiceError,
)

__all__ = ["build_display", "run"]

logger = logging.getLogger(__name__)

APPLICATION_NAME = "qms-display"


def build_display(settings: DisplaySettings) -> DisplayController:
    """Board, widget, announcer and controller; not started.

    The announcer plays through Qt Multimedia, or writes WAV files into
    ``settings.audio_folder`` when that is set; there is none with ``--no-sound``.
    Needs a QApplication. Raises VoiceError when the voice pack cannot be used.
    """
    load_fonts()
    board = Board(settings.board)
    widget = BoardWidget(board)
    announcer: AnnouncementQueue | None = None
    if settings.voice is not None:
        renderer = AnnouncementRenderer.from_settings(settings.voice)
        announcer = AnnouncementQueue(renderer, _audio_sink(settings, widget),
                                      max_pending=settings.voice.max_pending)
    return DisplayController(settings.connection, board, widget, announcer,
                             profile=settings.profile, voice=settings.voice)


def _audio_sink(settings: DisplaySettings, widget: BoardWidget) -> AudioSink:
    if settings.audio_folder is not None:
        logger.info("announcements are written to %s, not played", settings.audio_folder)
        return FolderSink(settings.audio_folder)
    from display.voice.qt_player import QtAudioSink

    return QtAudioSink(widget)


def run(settings: DisplaySettings) -> int:
    """Show the display until the window is closed, Ctrl+Q, or SIGINT/SIGTERM; exit status."""
    app = qt_application(APPLICATION_NAME)
    try:
        controller = build_display(settings)
    except VoiceError as error:
        print(f"qms display: voice: {error}", file=sys.stderr)
        return 2
    widget = controller.widget
    QShortcut(QKeySequence("Ctrl+Q"), widget, app.quit)
    QShortcut(QKeySequence(Qt.Key.Key_F11), widget,
              lambda: widget.showNormal() if widget.isFullScreen() else widget.showFullScreen())
    if settings.windowed:
        widget.resize(*settings.size)
        if settings.position is not None:
            widget.move(*settings.position)
        widget.show()
    else:
        widget.setCursor(Qt.CursorShape.BlankCursor)
        widget.showFullScreen()
    wakeup = quit_on_stop_signals(app)
    garbage = GuiThreadCollector()
    garbage.start()
    controller.start()
    try:
        status = app.exec()
    finally:
        wakeup.stop()
        controller.stop()
        garbage.stop()
    logger.info("display stopped")
    return int(status)
