"""An audit entry and who made it (pure: no I/O, no clock reads).

An entry says **who** (:class:`Actor`: the kind of person or thing, the user name or device
label, the device and the channel it came through, the peer's address, the counter it acted
at), **what** (a stable :class:`Action` code, its target, the values before and after for
a change), **when** (aware UTC), **where** (the site, or none for what belongs to no one
site, such as a web sign-in) and **how it ended** (:class:`AuditOutcome`, with the error code
of a refusal). Before and after are JSON text made by :mod:`server.audit.redaction`, which
keeps secrets out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Column sizes (server.store.tables.AuditRow): longer values are cut, never refused.
ACTOR_LIMIT = 64
DEVICE_LIMIT = 200
ADDRESS_LIMIT = 64
TARGET_LIMIT = 200
# What a web sign-in or a counter login records for a name that matches no account or
# officer: people sometimes type their password into the name field.
UNKNOWN_USER = "(không rõ / unknown)"


class ActorKind(StrEnum):
    """Who acted: an officer at a counter, an administrator (a web account that
    administers, or an admin token's connection), a manager (a web account that only
    sees), a device (a token's connection with no officer behind it), or the system."""

    OFFICER = "officer"
    ADMINISTRATOR = "administrator"
    MANAGER = "manager"
    DEVICE = "device"
    SYSTEM = "system"


class Channel(StrEnum):
    """What the action came through: a device token's connection of that role, the web
    pages, a ``qms`` command, or the server itself."""

    COUNTER = "counter"
    BRIDGE = "bridge"
    ADMIN = "admin"
    KIOSK = "kiosk"
    DISPLAY = "display"
    WEB = "web"
    CLI = "cli"
    SERVER = "server"


class AuditOutcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"


class Action(StrEnum):
    """The stable codes of what is recorded (docs/audit.md lists them)."""

    TICKET_ISSUE = "ticket.issue"
    TICKET_CALL_NEXT = "ticket.call_next"
    TICKET_CALL = "ticket.call"
    TICKET_RECALL = "ticket.recall"
    TICKET_START = "ticket.start"
    TICKET_NO_SHOW = "ticket.no_show"
    TICKET_FINISH = "ticket.finish"
    TICKET_TRANSFER = "ticket.transfer"
    TICKET_CANCEL = "ticket.cancel"
    TICKET_RATE = "ticket.rate"
    COUNTER_LOGIN = "counter.login"
    COUNTER_LOGOUT = "counter.logout"
    COUNTER_PAUSE = "counter.pause"
    COUNTER_RESUME = "counter.resume"
    SIGN_IN_OK = "sign_in.ok"
    SIGN_IN_FAILED = "sign_in.failed"
    SIGN_OUT = "sign_out"
    PASSWORD_CHANGE = "password.change"
    CONFIG_CHANGE = "config.change"
    CONFIG_RESTORE = "config.restore"
    CONFIG_IMPORT = "config.import"
    DEVICE_ADD = "device.add"
    DEVICE_REVOKE = "device.revoke"
    DEVICE_CONNECT = "device.connect"
    DEVICE_ENROL_CODE = "device.enrol_code"
    DEVICE_ENROL = "device.enrol"
    FEEDBACK_ANSWER = "feedback.answer"
    FEEDBACK_EXPORT = "feedback.export"
    REPORT_DOWNLOAD = "report.download"
    AUDIT_EXPORT = "audit.export"


ACTION_NAMES: dict[Action, tuple[str, str]] = {
    Action.TICKET_ISSUE: ("Cấp số (hệ thống đặt lịch)", "Ticket issued (booking system)"),
    Action.TICKET_CALL_NEXT: ("Gọi số tiếp theo", "Call next"),
    Action.TICKET_CALL: ("Gọi số chỉ định", "Call a given number"),
    Action.TICKET_RECALL: ("Gọi lại", "Recall"),
    Action.TICKET_START: ("Bắt đầu phục vụ", "Start service"),
    Action.TICKET_NO_SHOW: ("Vắng mặt", "No-show"),
    Action.TICKET_FINISH: ("Kết thúc phục vụ", "Finish"),
    Action.TICKET_TRANSFER: ("Chuyển quầy/thủ tục", "Transfer"),
    Action.TICKET_CANCEL: ("Hủy số", "Cancel a ticket"),
    Action.TICKET_RATE: ("Nhập đánh giá", "Rating entered"),
    Action.COUNTER_LOGIN: ("Đăng nhập quầy", "Counter login"),
    Action.COUNTER_LOGOUT: ("Đăng xuất quầy", "Counter logout"),
    Action.COUNTER_PAUSE: ("Tạm dừng quầy", "Counter paused"),
    Action.COUNTER_RESUME: ("Mở lại quầy", "Counter resumed"),
    Action.SIGN_IN_OK: ("Đăng nhập", "Signed in"),
    Action.SIGN_IN_FAILED: ("Đăng nhập thất bại", "Failed sign-in"),
    Action.SIGN_OUT: ("Đăng xuất", "Signed out"),
    Action.PASSWORD_CHANGE: ("Đổi mật khẩu", "Password changed"),
    Action.CONFIG_CHANGE: ("Thay đổi cấu hình", "Configuration changed"),
    Action.CONFIG_RESTORE: ("Khôi phục phiên bản cấu hình", "Configuration restored"),
    Action.CONFIG_IMPORT: ("Nhập cấu hình từ tệp", "Configuration imported"),
    Action.DEVICE_ADD: ("Thêm thiết bị (mã truy cập)", "Device token added"),
    Action.DEVICE_REVOKE: ("Thu hồi thiết bị", "Device revoked"),
    Action.DEVICE_CONNECT: ("Thiết bị kết nối", "Device connection"),
    Action.DEVICE_ENROL_CODE: ("Tạo mã đăng ký thiết bị", "Enrolment code made"),
    Action.DEVICE_ENROL: ("Đăng ký thiết bị bằng mã", "Device enrolled"),
    Action.FEEDBACK_ANSWER: ("Xử lý góp ý", "Feedback answered"),
    Action.FEEDBACK_EXPORT: ("Tải góp ý (CSV)", "Feedback downloaded"),
    Action.REPORT_DOWNLOAD: ("Tải báo cáo", "Report downloaded"),
    Action.AUDIT_EXPORT: ("Tải nhật ký kiểm tra", "Audit log downloaded"),
}

ACTOR_KIND_NAMES: dict[ActorKind, tuple[str, str]] = {
    ActorKind.OFFICER: ("Cán bộ", "Officer"),
    ActorKind.ADMINISTRATOR: ("Quản trị", "Administrator"),
    ActorKind.MANAGER: ("Quản lý", "Manager"),
    ActorKind.DEVICE: ("Thiết bị", "Device"),
    ActorKind.SYSTEM: ("Hệ thống", "System"),
}


def action_name(code: str, english: bool = False) -> str:
    """The name of action ``code`` in the page's language (the code itself when unknown:
    an entry written by a newer release)."""
    try:
        names = ACTION_NAMES[Action(code)]
    except ValueError:
        return code
    return names[1] if english else names[0]


def actor_kind_name(code: str, english: bool = False) -> str:
    try:
        names = ACTOR_KIND_NAMES[ActorKind(code)]
    except ValueError:
        return code
    return names[1] if english else names[0]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts and from where: ``name`` the user name or device label, ``device`` the
    device token's label it came through (none for the web), ``channel`` how, ``address``
    the peer's IP address, ``counter`` the counter it acted at (counter actions)."""

    kind: ActorKind
    name: str
    channel: Channel
    address: str | None = None
    device: str | None = None
    counter: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log (``before``/``after``: JSON text, or ``None``)."""

    at: datetime
    site: str | None
    actor: Actor
    action: str
    target: str | None = None
    before: str | None = None
    after: str | None = None
    outcome: AuditOutcome = AuditOutcome.OK
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry read back, with its row number (the order entries were written in)."""

    id: int
    entry: AuditEntry
