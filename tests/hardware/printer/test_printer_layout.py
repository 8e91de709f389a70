"""Ticket wording: labels, numbers, dates, validation."""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hardware.printer.errors import PrinterError, TicketContentError
from hardware.printer.layout import Language, PaperWidth, TicketContent, ticket_text

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def test_paper_widths_in_dots() -> None:
    assert PaperWidth.MM58.dots == 384
    assert PaperWidth.MM80.dots == 576


def test_vietnamese_labels(content: TicketContent) -> None:
    text = ticket_text(content)
    assert text.number_label == "Số thứ tự"
    assert text.number == "A012"
    assert text.details == (
        "Số người đang chờ trước bạn: 7",
        "Thời gian chờ dự kiến: khoảng 25 phút",
        "Quầy phục vụ: Quầy 1, Quầy 3",
        "Ngày 22/11/2025 08:05",
    )
    assert text.scan_hint == "Quét mã để theo dõi lượt"
    assert text.priority_label == "Ưu tiên: Người cao tuổi"


def test_english_labels(content: TicketContent) -> None:
    english = dataclasses.replace(content, language=Language.ENGLISH, counters=("Counter 2",))
    text = ticket_text(english)
    assert text.number_label == "Queue number"
    assert text.details == (
        "People waiting ahead of you: 7",
        "Estimated wait: about 25 minutes",
        "Service counter: Counter 2",
        "Issued 22/11/2025 08:05",
    )
    assert text.scan_hint == "Scan to follow your turn"


@pytest.mark.parametrize(
    ("eta", "vietnamese", "english"),
    [
        (None, "Thời gian chờ dự kiến: chưa xác định", "Estimated wait: not yet known"),
        (0, "Thời gian chờ dự kiến: dưới 1 phút", "Estimated wait: less than 1 minute"),
        (1, "Thời gian chờ dự kiến: khoảng 1 phút", "Estimated wait: about 1 minute"),
        (90, "Thời gian chờ dự kiến: khoảng 90 phút", "Estimated wait: about 90 minutes"),
    ],
)
def test_estimated_wait(
    content: TicketContent, eta: int | None, vietnamese: str, english: str
) -> None:
    assert ticket_text(dataclasses.replace(content, eta_minutes=eta)).details[1] == vietnamese
    english_content = dataclasses.replace(content, eta_minutes=eta, language="en")  # type: ignore[arg-type]
    assert ticket_text(english_content).details[1] == english


def test_no_counter_open_is_printed_instead_of_a_count(content: TicketContent) -> None:
    unknown = dataclasses.replace(content, people_ahead=None, eta_minutes=None)
    assert ticket_text(unknown).details[:2] == (
        "Chưa có quầy mở cho thủ tục này",
        "Thời gian chờ dự kiến: chưa xác định",
    )
    english = dataclasses.replace(unknown, language=Language.ENGLISH)
    assert ticket_text(english).details[:2] == (
        "No counter open for this procedure yet",
        "Estimated wait: not yet known",
    )


def test_date_is_printed_in_the_issue_time_zone(content: TicketContent) -> None:
    utc = dataclasses.replace(content, issued_at=datetime(2025, 1, 2, 23, 30, tzinfo=UTC))
    assert ticket_text(utc).details[-1] == "Ngày 02/01/2025 23:30"
    local = dataclasses.replace(content, issued_at=utc.issued_at.astimezone(HANOI))
    assert ticket_text(local).details[-1] == "Ngày 03/01/2025 06:30"


def test_no_counter_line_without_counters(content: TicketContent) -> None:
    details = ticket_text(dataclasses.replace(content, counters=())).details
    assert not any(line.startswith("Quầy") for line in details)
    assert len(details) == 3


def test_text_is_normalised_to_nfc(content: TicketContent) -> None:
    decomposed = unicodedata.normalize("NFD", "Đăng ký  khai\tsinh")
    ticket = dataclasses.replace(content, service_name=decomposed, footer="a\n\n b  c ")
    assert ticket.service_name == "Đăng ký khai sinh"
    assert ticket.footer == "a\nb c"
    assert ticket.language is Language.VIETNAMESE


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"centre_name": " "}, "centre_name"),
        ({"service_name": ""}, "service_name"),
        ({"number": ""}, "number"),
        ({"status_url": ""}, "status_url"),
        ({"status_url": "https://x.vn/vé"}, "status_url"),
        ({"people_ahead": -1}, "people_ahead"),
        ({"people_ahead": True}, "people_ahead"),
        ({"eta_minutes": -5}, "eta_minutes"),
        ({"issued_at": datetime(2025, 1, 1, 8, 0)}, "issued_at"),
        ({"counters": ["Quầy 1"]}, "counters"),
        ({"counters": ("",)}, "counters"),
        ({"priority_label": ""}, "priority_label"),
        ({"language": "fr"}, "language"),
    ],
)
def test_invalid_content_names_the_field(
    content: TicketContent, change: dict[str, object], field: str
) -> None:
    with pytest.raises(TicketContentError, match=field) as caught:
        dataclasses.replace(content, **change)  # type: ignore[arg-type]
    assert isinstance(caught.value, PrinterError)
    assert isinstance(caught.value, ValueError)
