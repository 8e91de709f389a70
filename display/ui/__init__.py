"""The display's PySide6 side: the only modules of the app (with display.voice.qt_player) that
import Qt. Screen state lives in the Qt-free ``display.board``."""
