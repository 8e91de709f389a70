"""Small dialogs: transfer (to a service or a counter), pause with a reason, call a number,
change the officer's password.

Each is opened window-modal with ``open()`` (never a blocking ``exec()``) and says what was
chosen through ``chosen()`` once ``accepted`` fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from counter.models import TransferTargets
from counter.settings import Language
from counter.texts import PAUSE_REASONS, Phrase, translate
from counter.ui.style import PASSWORD_PROBLEM_STYLE
from server.security import MINIMUM_PASSWORD_LENGTH


class TransferKind(StrEnum):
    SERVICE = "service"
    COUNTER = "counter"


@dataclass(frozen=True, slots=True)
class TransferChoice:
    kind: TransferKind
    code: str


def _buttons(dialog: QDialog, language: Language) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                           | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(translate(Phrase.OK, language))
    box.button(QDialogButtonBox.StandardButton.Cancel).setText(translate(Phrase.CANCEL,
                                                                         language))
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class TransferDialog(QDialog):
    """Choose a service or a counter to transfer ticket ``number`` to."""

    def __init__(self, parent: QWidget, number: str, targets: TransferTargets,
                 language: Language) -> None:
        super().__init__(parent)
        self.setObjectName("transferDialog")
        self.setWindowTitle(translate(Phrase.TRANSFER_TITLE, language, number=number))
        self.setMinimumSize(600, 560)
        self._targets = targets
        self.to_service = QRadioButton(translate(Phrase.TRANSFER_TO_SERVICE, language))
        self.to_counter = QRadioButton(translate(Phrase.TRANSFER_TO_COUNTER, language))
        group = QButtonGroup(self)
        group.addButton(self.to_service)
        group.addButton(self.to_counter)
        self.choices = QListWidget()
        self.buttons = _buttons(self, language)
        title = QLabel(translate(Phrase.TRANSFER_TITLE, language, number=number))
        title.setObjectName("panelTitle")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.to_service)
        layout.addWidget(self.to_counter)
        layout.addWidget(self.choices, 1)
        layout.addWidget(self.buttons)
        self.to_service.toggled.connect(self._fill)
        self.to_counter.toggled.connect(self._fill)
        self.choices.currentRowChanged.connect(self._update_ok)
        self.choices.itemDoubleClicked.connect(lambda _item: self.accept())
        self.to_service.setChecked(True)
        self._fill()

    @property
    def kind(self) -> TransferKind:
        return TransferKind.SERVICE if self.to_service.isChecked() else TransferKind.COUNTER

    def _fill(self) -> None:
        self.choices.clear()
        items = self._targets.services if self.kind is TransferKind.SERVICE \
            else self._targets.counters
        for code, label in items:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, code)
            self.choices.addItem(item)
        self._update_ok()

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            self.choices.currentItem() is not None)

    def select(self, kind: TransferKind, code: str) -> None:
        """Pick ``code`` in the ``kind`` list (what a click does)."""
        (self.to_service if kind is TransferKind.SERVICE else self.to_counter).setChecked(True)
        for row in range(self.choices.count()):
            if self.choices.item(row).data(Qt.ItemDataRole.UserRole) == code:
                self.choices.setCurrentRow(row)
                return
        raise KeyError(code)

    def chosen(self) -> TransferChoice | None:
        item = self.choices.currentItem()
        if item is None:
            return None
        return TransferChoice(self.kind, str(item.data(Qt.ItemDataRole.UserRole)))


class PauseDialog(QDialog):
    """Choose or type the reason for a pause (it may be left empty)."""

    def __init__(self, parent: QWidget, language: Language) -> None:
        super().__init__(parent)
        self.setObjectName("pauseDialog")
        self.setWindowTitle(translate(Phrase.PAUSE_TITLE, language))
        self.setMinimumWidth(420)
        self.reason = QComboBox()
        self.reason.setEditable(True)
        for vietnamese, english in PAUSE_REASONS:
            self.reason.addItem(vietnamese if language is Language.VIETNAMESE else english)
        layout = QVBoxLayout(self)
        self.buttons = _buttons(self, language)
        layout.addWidget(QLabel(translate(Phrase.PAUSE_REASON, language)))
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)

    def chosen(self) -> str | None:
        text = self.reason.currentText().strip()
        return text[:200] or None


class CallNumberDialog(QDialog):
    """Type the number to call."""

    def __init__(self, parent: QWidget, language: Language) -> None:
        super().__init__(parent)
        self.setObjectName("callNumberDialog")
        self.setWindowTitle(translate(Phrase.CALL_NUMBER_TITLE, language))
        self.setMinimumWidth(420)
        self.number = QLineEdit()
        self.number.setMaxLength(16)
        layout = QVBoxLayout(self)
        self.buttons = _buttons(self, language)
        layout.addWidget(QLabel(translate(Phrase.CALL_NUMBER_PROMPT, language)))
        layout.addWidget(self.number)
        layout.addWidget(self.buttons)

    def chosen(self) -> str | None:
        text = self.number.text().strip().upper()
        return text or None


PasswordCheck = Callable[[str, str, str], str | None]
"""Why (current, new, repeated new) cannot be sent, in plain words; ``None`` when they can."""


class PasswordDialog(QDialog):
    """The officer's current password, the new one and the new one again (all hidden).

    OK sends nothing while ``check`` finds a problem: the reason shows in the dialog, which
    stays open. ``check`` is the model's (the password rule is the server's own)."""

    def __init__(self, parent: QWidget, language: Language, check: PasswordCheck) -> None:
        super().__init__(parent)
        self.setObjectName("passwordDialog")
        self.setWindowTitle(translate(Phrase.CHANGE_PASSWORD_TITLE, language))
        self.setMinimumWidth(560)
        self._check = check
        self.current = self._field()
        self.new = self._field()
        self.repeat = self._field()
        title = QLabel(translate(Phrase.CHANGE_PASSWORD_TITLE, language))
        title.setObjectName("panelTitle")
        rule = QLabel(translate(Phrase.PASSWORD_RULE, language, count=MINIMUM_PASSWORD_LENGTH))
        rule.setObjectName("ticketDetail")
        rule.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setObjectName("passwordProblem")
        self.problem.setStyleSheet(PASSWORD_PROBLEM_STYLE)
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        form = QFormLayout()
        form.setVerticalSpacing(12)
        form.addRow(translate(Phrase.CURRENT_PASSWORD, language), self.current)
        form.addRow(translate(Phrase.NEW_PASSWORD, language), self.new)
        form.addRow(translate(Phrase.REPEAT_PASSWORD, language), self.repeat)
        self.buttons = _buttons(self, language)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(rule)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.current.setFocus()

    @staticmethod
    def _field() -> QLineEdit:
        field = QLineEdit()
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setMaxLength(200)
        return field

    def accept(self) -> None:
        """OK (or Enter): close only when the fields may be sent; else say why."""
        problem = self._check(*self.chosen())
        if problem is not None:
            self.problem.setText(problem)
            self.problem.setVisible(True)
            return
        super().accept()

    def chosen(self) -> tuple[str, str, str]:
        """(current, new, repeated new), as typed."""
        return self.current.text(), self.new.text(), self.repeat.text()
