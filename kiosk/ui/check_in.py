"""The check-in keypad: "Nhập mã lịch hẹn" with eight boxes for the code, big keys for the
code's 32 characters, "Xóa", "Xóa hết" and "Nhận số".

The page only shows the model (:meth:`CheckInPage.show_model`) and reports presses through
its signals; the typed code lives in the model.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.models.check_in_texts import CheckInTexts
from kiosk.models.scan import CODE_ALPHABET, CODE_LENGTH

KEY_ROWS = 4
"""The 32 keys in rows of 8: A-H, J-Q, R-Y, Z and the digits."""


def _button(name: str, parent: QWidget, text: str = "") -> QPushButton:
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    return button


class CheckInPage(QWidget):
    """See the module docstring.

    Signals:
        typed(str): a key's character.
        erased, cleared, confirmed, back: the other buttons.
    """

    typed = Signal(str)
    erased = Signal()
    cleared = Signal()
    confirmed = Signal()
    back = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.layout_spacing = layout

        top = QHBoxLayout()
        top.setSpacing(30)
        self.back_button = QPushButton(self)
        self.back_button.setObjectName("backButton")
        self.back_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.title = QLabel(self)
        self.title.setObjectName("pageTitle")
        self.title.setWordWrap(True)
        top.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.title, 1)
        layout.addLayout(top)
        # Keys have a largest height (theme): on a tall screen the spare height goes above and
        # below the code and keypad rather than into keys a hand's length tall.
        layout.addStretch(1)

        boxes = QHBoxLayout()
        boxes.addStretch(1)
        self.boxes: list[QLabel] = []
        for position in range(CODE_LENGTH):
            if position == CODE_LENGTH // 2:
                dash = QLabel("–", self)
                dash.setObjectName("codeDash")
                boxes.addWidget(dash)
            box = QLabel(self)
            box.setObjectName("codeBox")
            box.setAlignment(Qt.AlignmentFlag.AlignCenter)
            boxes.addWidget(box)
            self.boxes.append(box)
        boxes.addStretch(1)
        layout.addLayout(boxes)

        self.hint = QLabel(self)
        self.hint.setObjectName("checkInHint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.hint)

        self.keys: dict[str, QPushButton] = {}
        grid = QGridLayout()
        self.key_grid = grid
        per_row = len(CODE_ALPHABET) // KEY_ROWS
        for index, character in enumerate(CODE_ALPHABET):
            key = _button("keyButton", self, character)
            key.clicked.connect(lambda _checked=False, c=character: self.typed.emit(c))
            grid.addWidget(key, index // per_row, index % per_row)
            self.keys[character] = key
        layout.addLayout(grid, 8)

        actions = QHBoxLayout()
        self.action_row = actions
        self.erase_button = _button("secondaryButton", self)
        self.clear_button = _button("secondaryButton", self)
        self.confirm_button = _button("primaryButton", self)
        for button in (self.erase_button, self.clear_button, self.confirm_button):
            # As tall as their text and padding need: the keys take the height.
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        actions.addWidget(self.erase_button, 1)
        actions.addWidget(self.clear_button, 1)
        actions.addWidget(self.confirm_button, 2)
        layout.addLayout(actions)
        layout.addStretch(1)

        self.back_button.clicked.connect(self.back)
        self.erase_button.clicked.connect(self.erased)
        self.clear_button.clicked.connect(self.cleared)
        self.confirm_button.clicked.connect(self.confirmed)

    def set_spacing(self, spacing: int) -> None:
        """The gaps between rows and keys."""
        self.layout_spacing.setSpacing(spacing)
        self.key_grid.setSpacing(spacing)
        self.action_row.setSpacing(spacing)

    def show_model(self, words: CheckInTexts, back: str, typed: str, enabled: bool,
                   complete: bool) -> None:
        """Show the ``typed`` code; keys work while ``enabled`` and the code is not full;
        "Nhận số" once it is ``complete``."""
        self.back_button.setText(back)
        self.title.setText(words.enter_code)
        self.hint.setText(words.enter_code_hint)
        for position, box in enumerate(self.boxes):
            box.setText(typed[position] if position < len(typed) else "")
            box.setProperty("current", position == len(typed))
            box.style().unpolish(box)
            box.style().polish(box)
        full = len(typed) >= CODE_LENGTH
        for key in self.keys.values():
            key.setEnabled(enabled and not full)
        self.erase_button.setText(words.erase)
        self.clear_button.setText(words.clear)
        self.erase_button.setEnabled(bool(typed))
        self.clear_button.setEnabled(bool(typed))
        self.confirm_button.setText(words.confirm)
        self.confirm_button.setEnabled(complete)
