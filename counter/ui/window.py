"""The officer's window: a login page and a work page, both drawn from the model.

Every update from the connection goes through :meth:`CounterWindow.apply_update` into the
Qt-free :class:`~counter.models.CounterScreenModel`, then :meth:`CounterWindow.redraw` draws the
model. A key or button asks the model for the request (None when the action is not enabled
now) and hands it to ``submit``; nothing here blocks or waits for the server.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from counter.models import (
    ACTION_PHRASES,
    SHORTCUTS,
    CounterScreenModel,
    NoticeKind,
    Page,
)
from counter.requests import Action, ActionRequest, ClientRequest
from counter.settings import Language
from counter.texts import Phrase, translate
from counter.ui.dialogs import (
    CallNumberDialog,
    PasswordDialog,
    PauseDialog,
    TransferDialog,
    TransferKind,
)
from counter.ui.rating_screen import RatingScreen
from counter.ui.style import (
    NOTICE_ERROR_STYLE,
    NOTICE_INFO_STYLE,
    PASSWORD_BUTTON_STYLE,
    STYLE_SHEET,
    action_button_style,
)
from counter.updates import Update

ACTION_GRID: tuple[tuple[Action, ...], ...] = (
    (Action.CALL_NEXT, Action.RECALL, Action.CALL_NUMBER),
    (Action.START, Action.NO_SHOW, Action.FINISH),
    (Action.TRANSFER, Action.PAUSE, Action.RESUME),
)
WAITING_COLUMNS = (Phrase.NUMBER, Phrase.SERVICE, Phrase.PRIORITY, Phrase.WAITED)


def _label(name: str, text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    return label


def _restyle(widget: QWidget, name: str) -> None:
    """Give ``widget`` the style-sheet name ``name`` and re-apply the style if it changed."""
    if widget.objectName() == name:
        return
    widget.setObjectName(name)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def _panel() -> QFrame:
    frame = QFrame()
    frame.setObjectName("panel")
    return frame


class CounterWindow(QMainWindow):
    """The counter terminal's main window.

    ``submit`` sends a request (the connection's :meth:`submit`); ``clock`` gives the local
    time (injected so tests control it).
    """

    def __init__(self, model: CounterScreenModel, submit: Callable[[ClientRequest], None],
                 clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.model = model
        self._submit = submit
        self._clock = clock
        self.setStyleSheet(STYLE_SHEET)
        self.setMinimumSize(1280, 720)
        self.dialog: QDialog | None = None
        self.rating_screen = RatingScreen(model, self.rate)
        self.rating_screen.setStyleSheet(STYLE_SHEET)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._build_header())
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        notice_box = QVBoxLayout()
        notice_box.setContentsMargins(16, 10, 16, 0)
        notice_box.addWidget(self.notice)
        layout.addLayout(notice_box)
        self.pages = QStackedWidget()
        self.login_page = self._build_login_page()
        self.work_page = self._build_work_page()
        self.pages.addWidget(self.login_page)
        self.pages.addWidget(self.work_page)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.shortcuts: dict[Action, QShortcut] = {}
        for action, keys in SHORTCUTS.items():
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda action=action: self.trigger(action))
            self.shortcuts[action] = shortcut
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.redraw()

    # --- building --------------------------------------------------------------------------

    def _build_header(self) -> QWidget:
        header = QWidget()
        header.setObjectName("header")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(header)
        row.setContentsMargins(16, 8, 16, 8)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.site_name = _label("siteName")
        self.counter_title = _label("counterTitle")
        titles.addWidget(self.site_name)
        titles.addWidget(self.counter_title)
        row.addLayout(titles, 1)
        self.connection_label = _label("connectionOnline")
        row.addWidget(self.connection_label)
        self.language_button = QPushButton()
        self.language_button.setObjectName("languageButton")
        self.language_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.language_button.clicked.connect(self.switch_language)
        row.addSpacing(16)
        row.addWidget(self.language_button)
        return header

    def _build_login_page(self) -> QWidget:
        page = QWidget()
        page.setObjectName("loginPage")
        outer = QVBoxLayout(page)
        outer.addStretch(1)
        box = QFrame()
        box.setObjectName("loginBox")
        box.setFixedWidth(520)
        form_layout = QVBoxLayout(box)
        form_layout.setContentsMargins(32, 28, 32, 28)
        form_layout.setSpacing(12)
        self.login_title = _label("loginTitle")
        self.login_subtitle = _label("ticketDetail")
        form_layout.addWidget(self.login_title)
        form_layout.addWidget(self.login_subtitle)
        form = QFormLayout()
        form.setVerticalSpacing(12)
        self.counter_choice = QComboBox()
        # The preferred counter (the profile's, else the PC's own) the choice last followed:
        # a new one is selected, else what the officer picked stays.
        self._followed_preference: str | None = None
        self.user_field = QLineEdit()
        self.password_field = QLineEdit()
        self.password_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.counter_caption = QLabel()
        self.user_caption = QLabel()
        self.password_caption = QLabel()
        form.addRow(self.counter_caption, self.counter_choice)
        form.addRow(self.user_caption, self.user_field)
        form.addRow(self.password_caption, self.password_field)
        form_layout.addLayout(form)
        self.login_button = QPushButton()
        self.login_button.setObjectName("loginButton")
        self.login_button.clicked.connect(self.log_in)
        self.password_field.returnPressed.connect(self.log_in)
        self.user_field.returnPressed.connect(self.password_field.setFocus)
        form_layout.addWidget(self.login_button)
        centre = QHBoxLayout()
        centre.addStretch(1)
        centre.addWidget(box)
        centre.addStretch(1)
        outer.addLayout(centre)
        outer.addStretch(2)
        return page

    def _build_work_page(self) -> QWidget:
        page = QWidget()
        page.setObjectName("workPage")
        columns = QHBoxLayout(page)
        columns.setContentsMargins(16, 12, 16, 16)
        columns.setSpacing(16)
        columns.addWidget(self._build_ticket_panel(), 5)
        side = QVBoxLayout()
        side.setSpacing(16)
        side.addWidget(self._build_waiting_panel(), 3)
        side.addWidget(self._build_figures_panel(), 2)
        columns.addLayout(side, 4)
        return page

    def _build_ticket_panel(self) -> QWidget:
        panel = _panel()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(20, 14, 20, 16)
        layout.setSpacing(6)
        top = QHBoxLayout()
        self.ticket_title = _label("panelTitle")
        self.counter_state = _label("ticketDetail")
        top.addWidget(self.ticket_title)
        top.addStretch(1)
        top.addWidget(self.counter_state)
        layout.addLayout(top)
        number_row = QHBoxLayout()
        self.ticket_number = _label("ticketNumber")
        self.ticket_status = _label("ticketStatus")
        number_row.addWidget(self.ticket_number)
        number_row.addSpacing(12)
        number_row.addWidget(self.ticket_status, 0, Qt.AlignmentFlag.AlignVCenter)
        number_row.addStretch(1)
        layout.addLayout(number_row)
        self.ticket_service = _label("ticketService")
        self.ticket_service.setWordWrap(True)
        self.priority_mark = _label("priorityMark")
        self.ticket_detail = _label("ticketDetail")
        layout.addWidget(self.ticket_service)
        layout.addWidget(self.priority_mark)
        layout.addWidget(self.ticket_detail)
        layout.addStretch(1)
        case_row = QHBoxLayout()
        self.case_caption = QLabel()
        self.case_code = QLineEdit()
        self.case_code.setMaxLength(64)
        case_row.addWidget(self.case_caption)
        case_row.addWidget(self.case_code, 1)
        layout.addLayout(case_row)
        grid = QGridLayout()
        grid.setSpacing(10)
        self.action_buttons: dict[Action, QPushButton] = {}
        for row, actions in enumerate(ACTION_GRID):
            for column, action in enumerate(actions):
                grid.addWidget(self._action_button(action), row, column)
        layout.addLayout(grid)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        # The officer's own password, beside log out: not a counter action, no shortcut.
        self.password_button = QPushButton()
        self.password_button.setObjectName("actionButton")
        self.password_button.setStyleSheet(PASSWORD_BUTTON_STYLE)
        self.password_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.password_button.setMinimumWidth(180)
        self.password_button.clicked.connect(self.open_password_dialog)
        bottom.addWidget(self.password_button)
        logout = self._action_button(Action.LOG_OUT)
        logout.setMinimumWidth(180)
        bottom.addWidget(logout)
        layout.addLayout(bottom)
        return panel

    def _action_button(self, action: Action) -> QPushButton:
        button = QPushButton()
        button.setObjectName("actionButton")
        button.setStyleSheet(action_button_style(action))
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda _checked=False, action=action: self.trigger(action))
        self.action_buttons[action] = button
        return button

    def _build_waiting_panel(self) -> QWidget:
        panel = _panel()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(14, 12, 14, 12)
        self.waiting_title = _label("panelTitle")
        layout.addWidget(self.waiting_title)
        self.waiting_table = QTableWidget(0, len(WAITING_COLUMNS))
        self.waiting_table.verticalHeader().setVisible(False)
        self.waiting_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.waiting_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.waiting_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.waiting_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.waiting_table)
        self.waiting_empty = _label("ticketDetail")
        layout.addWidget(self.waiting_empty)
        return panel

    def _build_figures_panel(self) -> QWidget:
        panel = _panel()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(14, 12, 14, 12)
        self.figures_title = _label("panelTitle")
        layout.addWidget(self.figures_title)
        self.figures_grid = QGridLayout()
        self.figures_grid.setHorizontalSpacing(16)
        self.figure_labels: list[tuple[QLabel, QLabel]] = []
        for row in range(6):
            caption, value = _label("figureLabel"), _label("figureValue")
            value.setWordWrap(True)
            self.figures_grid.addWidget(caption, row, 0)
            self.figures_grid.addWidget(value, row, 1)
            self.figure_labels.append((caption, value))
        self.figures_grid.setColumnStretch(1, 1)
        layout.addLayout(self.figures_grid)
        layout.addStretch(1)
        return panel

    # --- input -----------------------------------------------------------------------------

    def apply_update(self, update: Update) -> None:
        """Slot for the connection's updates (on the GUI thread)."""
        had_ticket = self.model.counter.ticket if self.model.counter is not None else None
        self.model.apply(update, self._clock())
        ticket = self.model.counter.ticket if self.model.counter is not None else None
        if had_ticket is not None and (ticket is None or ticket.id != had_ticket.id):
            self.case_code.clear()
        self.redraw()

    def tick(self) -> None:
        """Once a second: waiting times, the rating countdown."""
        self.model.tick(self._clock())
        self.redraw()

    def log_in(self) -> None:
        code = self.counter_choice.currentData()
        request = self.model.request_login(str(code or ""), self.user_field.text(),
                                           self.password_field.text())
        if request is not None:
            self._submit(request)
        self.redraw()

    def trigger(self, action: Action) -> None:
        """A key or button for ``action``: send it, or open its dialog first."""
        if action not in self.model.enabled_actions() or self.dialog is not None:
            return
        if action is Action.TRANSFER:
            self._open_transfer()
        elif action is Action.PAUSE:
            self._open_pause()
        elif action is Action.CALL_NUMBER:
            self._open_call_number()
        elif action is Action.FINISH:
            case_code = self.case_code.text().strip() or None
            self._send(ActionRequest(Action.FINISH, case_code=case_code))
        else:
            self._send(ActionRequest(action))

    def _send(self, request: ActionRequest) -> None:
        accepted = self.model.request_action(request)
        if accepted is not None:
            self._submit(accepted)
        self.redraw()

    def _open_transfer(self) -> None:
        counter = self.model.counter
        if counter is None or counter.ticket is None:
            return
        dialog = TransferDialog(self, counter.ticket.number, self.model.transfer_targets(),
                                self.model.language)

        def accepted() -> None:
            choice = dialog.chosen()
            if choice is None:
                return
            if choice.kind is TransferKind.SERVICE:
                self._send(ActionRequest(Action.TRANSFER, service=choice.code))
            else:
                self._send(ActionRequest(Action.TRANSFER, target_counter=choice.code))

        self._open(dialog, accepted)

    def _open_pause(self) -> None:
        dialog = PauseDialog(self, self.model.language)
        self._open(dialog, lambda: self._send(ActionRequest(Action.PAUSE,
                                                            reason=dialog.chosen())))

    def _open_call_number(self) -> None:
        dialog = CallNumberDialog(self, self.model.language)

        def accepted() -> None:
            number = dialog.chosen()
            if number is not None:
                self._send(ActionRequest(Action.CALL_NUMBER, number=number))

        self._open(dialog, accepted)

    def open_password_dialog(self) -> None:
        """The change-password button: ask for the current and the new password."""
        if not self.model.may_change_password() or self.dialog is not None:
            return
        dialog = PasswordDialog(self, self.model.language, self.model.password_change_problem)

        def accepted() -> None:
            request = self.model.request_password_change(*dialog.chosen())
            if request is not None:
                self._submit(request)
            self.redraw()

        self._open(dialog, accepted)

    def _open(self, dialog: QDialog, on_accept: Callable[[], None]) -> None:
        self.dialog = dialog
        dialog.accepted.connect(on_accept)
        dialog.finished.connect(self._dialog_closed)
        dialog.open()

    def _dialog_closed(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    def rate(self, score: int) -> None:
        """The citizen pressed a label on the rating screen."""
        request = self.model.request_rating(score, self._clock())
        if request is not None:
            self._submit(request)
        self.redraw()

    def switch_language(self) -> None:
        self.model.set_language(Language.ENGLISH if self.model.language is Language.VIETNAMESE
                                else Language.VIETNAMESE)
        self.redraw()

    # --- drawing ---------------------------------------------------------------------------

    def redraw(self) -> None:
        """Draw the whole window from the model."""
        model = self.model
        language = model.language
        now = self._clock()
        self.setWindowTitle(translate(Phrase.APP_TITLE, language))
        site = model.site
        self.site_name.setText("" if site is None else
                               (site.name if language is Language.VIETNAMESE else site.name_en))
        counter = model.counter
        if model.page is Page.WORK and counter is not None:
            officer = counter.officer_name or counter.officer or ""
            self.counter_title.setText(f"{counter.name} — {officer}")
        else:
            self.counter_title.setText(translate(Phrase.APP_TITLE, language))
        self.connection_label.setText(f"● {model.connection_text()}")
        _restyle(self.connection_label, "connectionOnline" if model.online
                 else "connectionOffline")
        self.language_button.setText(translate(Phrase.SWITCH_LANGUAGE, language))
        self._render_notice()
        if model.page is Page.LOGIN:
            self.pages.setCurrentWidget(self.login_page)
            self._render_login()
        else:
            self.pages.setCurrentWidget(self.work_page)
            self._render_work(now)
        self.rating_screen.redraw(now)

    def _render_notice(self) -> None:
        notice = self.model.notice
        if notice is None:
            self.notice.setVisible(False)
            return
        name = "noticeError" if notice.kind is NoticeKind.ERROR else "noticeInfo"
        if self.notice.objectName() != name:
            self.notice.setObjectName(name)
            self.notice.setStyleSheet(NOTICE_ERROR_STYLE if notice.kind is NoticeKind.ERROR
                                      else NOTICE_INFO_STYLE)
        self.notice.setText(notice.text)
        self.notice.setToolTip(notice.detail)
        self.notice.setVisible(True)

    def _render_login(self) -> None:
        model = self.model
        language = model.language
        self.login_title.setText(translate(Phrase.LOGIN_TITLE, language))
        self.login_subtitle.setText(translate(Phrase.LOGIN_SUBTITLE, language))
        self.counter_caption.setText(translate(Phrase.COUNTER, language))
        self.user_caption.setText(translate(Phrase.USER, language))
        self.password_caption.setText(translate(Phrase.PASSWORD, language))
        self.login_button.setText(translate(Phrase.LOG_IN, language))
        self.login_button.setEnabled(model.online and model.pending is None)
        choices = model.counter_choices()
        current = [(str(self.counter_choice.itemData(index)), self.counter_choice.itemText(index))
                   for index in range(self.counter_choice.count())]
        preference = model.preferred_counter
        # A new preference (the profile changed on the server) is selected at once; otherwise
        # the counter the officer picked stays picked.
        newly_preferred = preference if preference != self._followed_preference else None
        if list(choices) != current:
            selected = newly_preferred or self.counter_choice.currentData() or preference or (
                model.counter.code if model.counter is not None else None)
            self.counter_choice.clear()
            for code, name in choices:
                self.counter_choice.addItem(name, code)
        else:
            selected = newly_preferred
        index = self.counter_choice.findData(selected) if selected is not None else -1
        if index >= 0:
            self.counter_choice.setCurrentIndex(index)
        if choices:  # with no list yet, the preference is followed once there is one
            self._followed_preference = preference

    def _render_work(self, now: datetime) -> None:
        model = self.model
        language = model.language
        self.ticket_title.setText(translate(Phrase.CURRENT_TICKET, language))
        self.counter_state.setText(model.counter_status_text())
        panel = model.ticket_panel(now)
        if panel is None:
            _restyle(self.ticket_number, "ticketNumberIdle")
            self.ticket_number.setText(translate(Phrase.NO_TICKET, language))
            for label in (self.ticket_status, self.ticket_service, self.priority_mark,
                          self.ticket_detail):
                label.setVisible(False)
        else:
            _restyle(self.ticket_number, "ticketNumber")
            self.ticket_number.setText(panel.number)
            self.ticket_status.setText(panel.status)
            self.ticket_service.setText(f"{translate(Phrase.SERVICE, language)}: {panel.service}")
            self.priority_mark.setText(panel.priority)
            _restyle(self.priority_mark, "priorityMark" if panel.is_priority
                     else "ticketDetail")
            self.ticket_detail.setText(
                f"{translate(Phrase.WAITED, language)}: {panel.waited}    "
                f"{translate(Phrase.CALLS, language)}: {panel.calls}")
            for label in (self.ticket_status, self.ticket_service, self.priority_mark,
                          self.ticket_detail):
                label.setVisible(True)
        self.case_caption.setText(translate(Phrase.CASE_CODE, language))
        self.case_code.setPlaceholderText(translate(Phrase.CASE_CODE_HINT, language))
        enabled = model.enabled_actions()
        for action, button in self.action_buttons.items():
            text = translate(ACTION_PHRASES[action], language)
            keys = SHORTCUTS.get(action)
            button.setText(f"{text}  ({keys})" if keys else text)
            button.setEnabled(action in enabled)
        self.password_button.setText(translate(Phrase.CHANGE_PASSWORD, language))
        self.password_button.setEnabled(model.may_change_password())
        self._render_waiting(now)
        self._render_figures()

    def _render_waiting(self, now: datetime) -> None:
        language = self.model.language
        rows = self.model.waiting_rows(now)
        self.waiting_title.setText(translate(Phrase.WAITING_TITLE, language, count=len(rows)))
        self.waiting_table.setHorizontalHeaderLabels(
            [translate(phrase, language) for phrase in WAITING_COLUMNS])
        self.waiting_table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            for column, text in enumerate((row.number, row.service, row.priority, row.waited)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if row.priority:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.waiting_table.setItem(index, column, item)
        self.waiting_empty.setText(translate(Phrase.NOBODY_WAITING, language))
        self.waiting_empty.setVisible(not rows)

    def _render_figures(self) -> None:
        self.figures_title.setText(translate(Phrase.FIGURES_TITLE, self.model.language))
        for (caption, value), (label, text) in zip(self.figure_labels, self.model.figure_rows(),
                                                   strict=True):
            caption.setText(label)
            value.setText(text)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.timer.stop()
        self.rating_screen.close()
        super().closeEvent(event)
