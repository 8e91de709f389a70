"""The first-run window of the desktop apps (kiosk, counter terminal, lobby display): started
with no options and nothing stored, an app asks for the server's address and an enrolment
code instead of failing for want of a token.

It enrols exactly as ``qms ROLE --enrol CODE --server ADDRESS`` does
(server.protocol.enrolment_client): the request runs on a thread of its own, so the window
stays alive while the server answers, and a refusal is shown in the server's own words. On
success the settings are stored and the window closes; the app then starts from them. A
server with a private CA's certificate needs that CA's file (the optional third line), as
``--ca-file`` does; it is stored with the settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from server.protocol import enrolment_client
from server.protocol.enrolment_client import DeviceSettings, EnrolmentError

Enrol = Callable[[str | None, str, str, str | None], DeviceSettings]

_NAMES = {"kiosk": "ki-ốt / kiosk", "counter": "máy tính quầy / counter terminal",
          "display": "màn hình sảnh / lobby display"}


class FirstRunDialog(QDialog):
    """Asks the server's address and the code, enrols ``role`` and stores its settings;
    :attr:`stored` holds them once it worked (the dialog is then accepted)."""

    _answered = Signal(object)

    def __init__(self, role: str, environment: Mapping[str, str],
                 enrol: Enrol = enrolment_client.enrol, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self._environment = environment
        self._enrol = enrol
        self.stored: DeviceSettings | None = None
        self.setWindowTitle("QMS — đăng ký thiết bị / enrol this device")
        self.setMinimumWidth(520)
        title = QLabel(f"<b>Đăng ký {_NAMES.get(role, role)}</b>")
        hint = QLabel("Nhập địa chỉ máy chủ và mã đăng ký do quản trị viên tạo trên trang "
                      "Thiết bị.<br>Enter the server's address and the enrolment code the "
                      "administrator made on the Devices page.")
        hint.setWordWrap(True)
        self.server_input = QLineEdit()
        self.server_input.setPlaceholderText("http://10.0.0.5:8765")
        self.code_input = QLineEdit()
        self.code_input.setPlaceholderText("ABCD-2345")
        self.code_input.setMaxLength(200)  # the QR's address fits too
        self.ca_input = QLineEdit()
        self.ca_input.setPlaceholderText("(https, CA riêng / private CA) /etc/qms/ca.pem")
        form = QFormLayout()
        form.addRow("Máy chủ / server", self.server_input)
        form.addRow("Mã / code", self.code_input)
        form.addRow("Tệp CA / CA file", self.ca_input)
        self.status = QLabel("")
        self.status.setObjectName("firstRunStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.enrol_button = QPushButton("Đăng ký / Enrol")
        self.enrol_button.setDefault(True)
        self.enrol_button.clicked.connect(self.submit)
        quit_button = QPushButton("Thoát / Quit")
        quit_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(quit_button)
        buttons.addWidget(self.enrol_button)
        layout = QVBoxLayout(self)
        for widget in (title, hint):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._answered.connect(self._take_answer, Qt.ConnectionType.QueuedConnection)

    def submit(self) -> None:
        """Enrol with what was typed (on a thread; the answer comes back to this one)."""
        server = self.server_input.text().strip() or None
        code = self.code_input.text().strip()
        ca_file = self.ca_input.text().strip() or None
        if not code:
            self.status.setText("Nhập mã đăng ký. / Enter the enrolment code.")
            return
        self.enrol_button.setEnabled(False)
        self.status.setText("Đang đăng ký… / Enrolling…")

        def work() -> None:
            try:
                answer: DeviceSettings | str = self._enrol(server, code, self.role, ca_file)
            except EnrolmentError as error:
                answer = str(error)
            self._answered.emit(answer)

        threading.Thread(target=work, name="first-run-enrol", daemon=True).start()

    def _take_answer(self, answer: DeviceSettings | str) -> None:
        self.enrol_button.setEnabled(True)
        if isinstance(answer, str):
            self.status.setText(f"Không đăng ký được / not enrolled: {answer}")
            self.adjustSize()  # a reason of several lines (an untrusted certificate) in full
            return
        if answer.role != self.role:
            self.status.setText(f"Mã này dành cho {answer.role} / this code is for a "
                                f"{answer.role}")
            return
        try:
            enrolment_client.save(answer, enrolment_client.settings_path(self.role,
                                                                         self._environment))
        except OSError as error:
            self.status.setText(f"Không lưu được / could not store the settings: {error}")
            return
        self.stored = answer
        self.accept()


def first_run(role: str, environment: Mapping[str, str]) -> bool:
    """Show the first-run window (a QApplication must exist); True once enrolled."""
    dialog = FirstRunDialog(role, environment)
    dialog.exec()
    return dialog.stored is not None
