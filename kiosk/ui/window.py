"""The kiosk window: a header, a banner for problems, and one page per screen.

:meth:`KioskWindow.redraw` redraws everything from the model after each change; the window
keeps no state of its own beyond the tile grids' current page.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.controller import KioskController
from kiosk.models.check_in_texts import check_in_texts, refusal_lines
from kiosk.models.scan import format_code
from kiosk.models.screens import (
    CHECK_IN_CODE,
    CHECK_IN_SCREENS,
    MENU_SCREENS,
    PendingCheckIn,
    Screen,
)
from kiosk.models.status import ConnectionState
from kiosk.models.texts import ahead_text, eta_text, refusal_message
from kiosk.models.ticket import priority_label
from kiosk.ui import theme
from kiosk.ui.check_in import CheckInPage
from kiosk.ui.tiles import TileGrid

TICK_MILLISECONDS = 250
"""How often idle time is checked."""


def _label(name: str, parent: QWidget, wrap: bool = True,
           alignment: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(wrap)
    label.setAlignment(alignment)
    return label


def _button(name: str, parent: QWidget) -> QPushButton:
    button = QPushButton(parent)
    button.setObjectName(name)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return button


class MenuPage(QWidget):
    """A menu: an optional back button and title above a :class:`TileGrid`."""

    def __init__(self, parent: QWidget, with_back: bool, max_columns: int) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.top = QWidget(self)
        top_layout = QHBoxLayout(self.top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(30)
        self.back_button = _button("backButton", self.top)
        self.title = _label("pageTitle", self.top,
                            alignment=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        top_layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignTop)
        top_layout.addWidget(self.title, 1)
        self.top.setVisible(with_back)
        self.grid = TileGrid(max_columns=max_columns, parent=self)
        layout.addWidget(self.top)
        layout.addWidget(self.grid, 1)
        self.layout_spacing = layout


class MessagePage(QWidget):
    """A big message (issuing, printing, refused) with an optional button."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.message = _label("bigMessage", self)
        self.detail = _label("message", self)
        self.button = _button("primaryButton", self)
        self.second_button = _button("secondaryButton", self)
        self.second_button.hide()
        layout.addWidget(self.message)
        layout.addWidget(self.detail)
        layout.addSpacing(40)
        buttons = QHBoxLayout()
        buttons.setSpacing(40)
        buttons.addStretch(1)
        buttons.addWidget(self.second_button)
        buttons.addWidget(self.button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(2)


class TicketPage(QWidget):
    """The confirmed ticket; also the printer-fault page (``fault`` shown, reprint button)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.number_label = _label("numberLabel", self)
        self.number = _label("number", self, wrap=False)
        self.service = _label("serviceName", self)
        self.priority = _label("priorityLabel", self)
        self.ahead = _label("detail", self)
        self.eta = _label("detail", self)
        self.fault = _label("fault", self)
        self.hint = _label("hint", self)
        self.button = _button("primaryButton", self)
        # The priority band spans the page, like the black band on the printed ticket.
        for widget in (self.number_label, self.number, self.service, self.priority, self.ahead,
                       self.eta, self.fault, self.hint):
            layout.addWidget(widget)
        layout.addSpacing(30)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)


class KioskWindow(QWidget):
    """The whole kiosk screen; see the module docstring."""

    def __init__(self, controller: KioskController) -> None:
        super().__init__()
        self.controller = controller
        self.setObjectName("kioskWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setWindowTitle("Ki-ốt lấy số thứ tự")
        self.metrics = theme.metrics_for(1080, 1920)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        self.header = QWidget(self)
        self.header.setObjectName("header")
        self.header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        header_layout = QHBoxLayout(self.header)
        self.header_layout = header_layout
        titles = QVBoxLayout()
        self.centre_name = _label("centreName", self.header,
                                  alignment=Qt.AlignmentFlag.AlignLeft)
        self.instruction = _label("instruction", self.header,
                                  alignment=Qt.AlignmentFlag.AlignLeft)
        titles.addWidget(self.centre_name)
        titles.addWidget(self.instruction)
        self.language_button = _button("languageButton", self.header)
        header_layout.addLayout(titles, 1)
        header_layout.addWidget(self.language_button, 0, Qt.AlignmentFlag.AlignVCenter)
        outer.addWidget(self.header)

        self.banner = _label("banner", self)
        self.banner.hide()
        outer.addWidget(self.banner)
        # Once an ID card was read: its masked number and the priority the age rule gives.
        self.notice = _label("notice", self)
        self.notice.hide()
        outer.addWidget(self.notice)

        self.body = QWidget(self)
        body_layout = QVBoxLayout(self.body)
        self.body_layout = body_layout
        self.stack = QStackedWidget(self.body)
        body_layout.addWidget(self.stack)
        outer.addWidget(self.body, 1)

        self.home_page = MenuPage(self.stack, with_back=False, max_columns=4)
        self.procedures_page = MenuPage(self.stack, with_back=True, max_columns=3)
        self.priority_page = MenuPage(self.stack, with_back=True, max_columns=3)
        self.message_page = MessagePage(self.stack)
        self.ticket_page = TicketPage(self.stack)
        self.check_in_page = CheckInPage(self.stack)
        self.bookings_page = MenuPage(self.stack, with_back=True, max_columns=2)
        for page in (self.home_page, self.procedures_page, self.priority_page,
                     self.message_page, self.ticket_page, self.check_in_page,
                     self.bookings_page):
            # Hidden pages must not impose their minimum size on the screen.
            page.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
            self.stack.addWidget(page)

        self.language_button.clicked.connect(controller.switch_language)
        self.home_page.grid.chosen.connect(self._home_chosen)
        self.home_page.grid.secondary_chosen.connect(controller.ask_priority)
        self.procedures_page.grid.chosen.connect(controller.choose_service)
        self.procedures_page.grid.secondary_chosen.connect(controller.ask_priority)
        self.procedures_page.back_button.clicked.connect(controller.back)
        self.priority_page.grid.chosen.connect(controller.choose_priority)
        self.priority_page.back_button.clicked.connect(controller.back)
        self.message_page.button.clicked.connect(controller.finish)
        self.message_page.second_button.clicked.connect(controller.try_again)
        self.ticket_page.button.clicked.connect(self._ticket_button)
        page = self.check_in_page
        page.typed.connect(controller.type_code)
        page.erased.connect(controller.erase_code)
        page.cleared.connect(controller.clear_code)
        page.confirmed.connect(controller.submit_code)
        page.back.connect(controller.back)
        self.bookings_page.grid.chosen.connect(controller.choose_booking)
        self.bookings_page.back_button.clicked.connect(controller.back)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MILLISECONDS)
        self.timer.timeout.connect(controller.tick)
        self.timer.start()
        controller.on_change = self.redraw
        self._apply_metrics()
        self.redraw()

    # --- actions -----------------------------------------------------------------------------

    def _home_chosen(self, code: str) -> None:
        if code == CHECK_IN_CODE:
            self.controller.open_check_in()
        elif self.controller.model.one_level:
            self.controller.choose_service(code)
        else:
            self.controller.choose_field(code)

    def _ticket_button(self) -> None:
        if self.controller.model.screen is Screen.PRINT_FAULT:
            self.controller.reprint()
        else:
            self.controller.finish()

    # --- drawing -----------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._apply_metrics()

    def _apply_metrics(self) -> None:
        metrics = theme.metrics_for(self.width(), self.height())
        if metrics == self.metrics and self.styleSheet():
            return
        self.metrics = metrics
        self.setStyleSheet(theme.stylesheet(metrics))
        margin = metrics.margin
        self.body_layout.setContentsMargins(margin, margin, margin, margin)
        self.header_layout.setContentsMargins(margin * 2, margin, margin * 2, margin)
        for page in (self.home_page, self.procedures_page, self.priority_page,
                     self.bookings_page):
            page.layout_spacing.setSpacing(metrics.spacing)
            page.grid.set_metrics(metrics)
        self.check_in_page.set_spacing(metrics.spacing)

    @property
    def current_grid(self) -> TileGrid | None:
        """The tile grid on screen, if the screen is a menu."""
        page = self.stack.currentWidget()
        return page.grid if isinstance(page, MenuPage) else None

    def redraw(self) -> None:
        """Redraw from the model."""
        model = self.controller.model
        words = model.texts
        catalogue = model.catalogue
        self.centre_name.setText(catalogue.site.name.text(model.language) if catalogue else "")
        self.language_button.setText(words.switch_language)
        check_in_words = check_in_texts(model.language)
        instruction = {
            Screen.HOME: words.choose_service if model.one_level else words.choose_field,
            Screen.PROCEDURES: words.choose_service,
            Screen.PRIORITY: words.choose_priority,
            Screen.BOOKINGS: check_in_words.choose_booking,
        }.get(model.screen, "")
        self.instruction.setText(instruction)
        self.instruction.setVisible(bool(instruction))
        reason = (model.unavailable_reason
                  if model.screen in MENU_SCREENS | CHECK_IN_SCREENS else None)
        self.banner.setText(reason or "")
        self.banner.setVisible(reason is not None)
        notice = model.person_notice() if model.screen in MENU_SCREENS else ()
        self.notice.setText("\n".join(notice))
        self.notice.setVisible(bool(notice))
        navigation = {"previous_text": words.previous_page, "next_text": words.next_page,
                      "page_text": words.page}
        screen = model.screen
        closed = model.closed_notice() if screen is Screen.HOME else None
        if closed is not None:
            self.instruction.setVisible(False)
            self._render_closed(*closed)
        elif screen is Screen.HOME:
            self.home_page.grid.set_choices(
                model.home_choices(),
                secondary_label=words.priority_button if model.one_level else "",
                **navigation)
            self.stack.setCurrentWidget(self.home_page)
        elif screen is Screen.CHECK_IN:
            self.check_in_page.show_model(check_in_words, words.back, model.typed_code,
                                          model.can_check_in, model.code_complete)
            self.stack.setCurrentWidget(self.check_in_page)
        elif screen is Screen.BOOKINGS:
            page = self.bookings_page
            page.back_button.setText(words.back)
            person = model.person
            page.title.setText(check_in_words.bookings_of_card.format(
                masked=person.masked_id if person is not None else ""))
            page.grid.set_choices(model.booking_choices(), **navigation)
            self.stack.setCurrentWidget(page)
        elif screen is Screen.PROCEDURES:
            page = self.procedures_page
            page.back_button.setText(words.back)
            page.title.setText(model.field_title())
            page.grid.set_choices(model.procedure_choices(),
                                  secondary_label=words.priority_button, **navigation)
            self.stack.setCurrentWidget(page)
        elif screen is Screen.PRIORITY:
            page = self.priority_page
            page.back_button.setText(words.back)
            page.title.setText(model.service_title())
            page.grid.set_choices(model.priority_choices(), **navigation)
            self.stack.setCurrentWidget(page)
        elif screen in (Screen.ISSUING, Screen.PRINTING, Screen.REFUSED, Screen.LOOKING_UP):
            self._render_message()
        else:
            self._render_ticket()

    def _render_closed(self, title: str, detail: str) -> None:
        """HOME while no service issues numbers: the centre is closed, and when it reopens."""
        page = self.message_page
        page.message.setText(title)
        page.detail.setText(detail)
        page.button.setVisible(False)
        page.second_button.setVisible(False)
        self.stack.setCurrentWidget(page)

    def _render_message(self) -> None:
        model = self.controller.model
        words = model.texts
        check_in_words = check_in_texts(model.language)
        page = self.message_page
        page.button.setVisible(model.screen is Screen.REFUSED)
        page.button.setText(words.done)
        refusal = model.refusal
        page.second_button.setVisible(model.screen is Screen.REFUSED and refusal is not None
                                      and refusal.typed)
        page.second_button.setText(check_in_words.try_again)
        offline = model.connection is not ConnectionState.ONLINE
        if model.screen is Screen.ISSUING and isinstance(model.pending, PendingCheckIn):
            page.message.setText(check_in_words.checking_in)
            page.detail.setText(words.issuing_offline if offline
                                else format_code(model.pending.code))
        elif model.screen is Screen.ISSUING:
            page.message.setText(words.issuing)
            page.detail.setText(words.issuing_offline if offline else model.service_title())
        elif model.screen is Screen.LOOKING_UP:
            page.message.setText(check_in_words.looking_up)
            page.detail.setText("")
        elif model.screen is Screen.PRINTING:
            page.message.setText(words.printing)
            page.detail.setText(model.ticket.number if model.ticket is not None else "")
        else:
            lines = None if refusal is None else refusal_lines(refusal, model.language)
            if lines is None:
                lines = (refusal_message(model.refusal_code or "", model.language), "")
            page.message.setText(lines[0])
            page.detail.setText(lines[1])
        self.stack.setCurrentWidget(page)

    def _render_ticket(self) -> None:
        model = self.controller.model
        words = model.texts
        ticket = model.ticket
        catalogue = model.catalogue
        if ticket is None or catalogue is None:
            return
        page = self.ticket_page
        fault = model.screen is Screen.PRINT_FAULT
        page.number_label.setText(words.your_number)
        page.number.setText(ticket.number)
        page.service.setText(ticket.service_text(model.language))
        label = priority_label(ticket, catalogue, model.language)
        page.priority.setText(label or "")
        page.priority.setVisible(label is not None)
        page.ahead.setText(ahead_text(ticket.ahead, model.language))
        wait = eta_text(ticket.eta_minutes, ticket.eta_minutes, model.language)
        page.eta.setText(words.eta_label.format(wait=wait) if wait else "")
        page.eta.setVisible(wait is not None)
        page.fault.setText(model.printer_fault_message or words.printer_error)
        page.fault.setVisible(fault)
        page.ahead.setVisible(not fault)
        page.hint.setText(words.number_kept if fault else words.take_ticket)
        if fault:
            page.button.setText(words.reprint if model.reprint_enabled
                                else words.waiting_for_printer)
            page.button.setEnabled(model.reprint_enabled)
        else:
            page.button.setText(words.done)
            page.button.setEnabled(True)
        self.stack.setCurrentWidget(page)
