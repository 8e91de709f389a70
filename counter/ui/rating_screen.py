"""The citizen-facing rating screen: one big button per label of the configured scale.

Shown (on a second monitor when there is one) while the model holds a rating prompt; every
press goes through the model, which accepts one rating per ticket within the window.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from counter.models import CounterScreenModel, RatingPrompt, RatingStage
from counter.texts import Phrase, translate
from counter.ui.style import RATING_COLOURS


class RatingScreen(QWidget):
    """Renders ``model.rating``; ``on_score(score)`` is called when a label is pressed."""

    def __init__(self, model: CounterScreenModel, on_score: Callable[[int], None]) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setObjectName("ratingScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._model = model
        self._on_score = on_score
        self._ticket_id: str | None = None
        self.title = QLabel()
        self.title.setObjectName("ratingTitle")
        self.title.setWordWrap(True)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ticket = QLabel()
        self.ticket.setObjectName("ratingTicket")
        self.ticket.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.remaining = QLabel()
        self.remaining.setObjectName("ratingRemaining")
        self.remaining.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel()
        self.message.setObjectName("ratingMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.buttons: dict[int, QPushButton] = {}
        self._button_row = QHBoxLayout()
        self._button_row.setSpacing(18)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.setSpacing(16)
        layout.addWidget(self.title)
        layout.addWidget(self.ticket)
        layout.addStretch(1)
        layout.addLayout(self._button_row)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.remaining)
        self.resize(1000, 560)

    def _rebuild_buttons(self) -> None:
        for button in self.buttons.values():
            self._button_row.removeWidget(button)
            button.deleteLater()
        self.buttons = {}
        for index, label in enumerate(self._model.rating_labels()):
            button = QPushButton(label.text(self._model.language))
            button.setObjectName("ratingButton")
            colour = RATING_COLOURS[min(index, len(RATING_COLOURS) - 1)]
            button.setStyleSheet(
                f"QPushButton#ratingButton:enabled {{ background: {colour}; }}")
            button.clicked.connect(lambda _checked=False, score=label.score:
                                   self._on_score(score))
            self._button_row.addWidget(button, 1)
            self.buttons[label.score] = button

    def redraw(self, now: datetime) -> None:
        """Show, update or hide the screen from ``model.rating``."""
        prompt = self._model.rating
        if prompt is None:
            if self.isVisible():
                self.hide()
            self._ticket_id = None
            return
        if prompt.ticket_id != self._ticket_id or len(self.buttons) != len(
                self._model.rating_labels()):
            self._ticket_id = prompt.ticket_id
            self._rebuild_buttons()
        self._fill(prompt, now)
        if not self.isVisible():
            self._place()

    def _fill(self, prompt: RatingPrompt, now: datetime) -> None:
        language = self._model.language
        self.setWindowTitle(translate(Phrase.RATING_TITLE, language))
        self.title.setText(translate(Phrase.RATING_TITLE, language))
        self.ticket.setText(translate(Phrase.RATING_TICKET, language, number=prompt.number))
        labels = {item.score: item.text(language) for item in self._model.rating_labels()}
        for score, button in self.buttons.items():
            button.setText(labels.get(score, str(score)))
            button.setEnabled(prompt.stage is RatingStage.OPEN)
        message = {
            RatingStage.OPEN: "",
            RatingStage.SENDING: translate(Phrase.RATING_SENDING, language),
            RatingStage.THANKED: translate(Phrase.RATING_THANKS, language),
            RatingStage.EXPIRED: translate(Phrase.RATING_EXPIRED, language),
            RatingStage.REFUSED: prompt.message,
        }[prompt.stage]
        self.message.setText(message)
        self.message.setVisible(bool(message))
        self.remaining.setText(translate(Phrase.RATING_REMAINING, language,
                                         seconds=prompt.seconds_left(now))
                               if prompt.stage is RatingStage.OPEN else "")

    def _place(self) -> None:
        screens = QGuiApplication.screens()
        if len(screens) > 1:
            # The second monitor faces the citizen.
            self.setGeometry(screens[1].geometry())
            self.showFullScreen()
        else:
            self.show()
