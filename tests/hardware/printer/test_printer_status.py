"""Real-time status: DLE EOT requests and the parsing of each fault bit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.printer.errors import StatusReplyError
from hardware.printer.status import (
    PrinterFault,
    PrinterStatus,
    parse_status_replies,
    status_reply_bytes,
    status_request_bytes,
)

HEALTHY = bytes((0x12, 0x12, 0x12, 0x12))


def test_request_asks_for_all_four_status_kinds() -> None:
    assert status_request_bytes() == b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04"


def test_healthy_printer() -> None:
    status = parse_status_replies(HEALTHY)
    assert status == PrinterStatus()
    assert status.ready
    assert status.faults == ()


def with_bits(index: int, bits: int) -> bytes:
    replies = bytearray(HEALTHY)
    replies[index] |= bits
    return bytes(replies)


@pytest.mark.parametrize(
    ("replies", "expected", "fault"),
    [
        (with_bits(0, 0x08), PrinterStatus(online=False), PrinterFault.OFFLINE),
        (with_bits(1, 0x04), PrinterStatus(cover_open=True), PrinterFault.COVER_OPEN),
        (with_bits(1, 0x20), PrinterStatus(paper_out=True), PrinterFault.PAPER_OUT),
        (with_bits(2, 0x04), PrinterStatus(mechanical_error=True), PrinterFault.MECHANICAL_ERROR),
        (with_bits(2, 0x08), PrinterStatus(cutter_error=True), PrinterFault.CUTTER_ERROR),
        (
            with_bits(2, 0x20),
            PrinterStatus(unrecoverable_error=True),
            PrinterFault.UNRECOVERABLE_ERROR,
        ),
        (
            with_bits(2, 0x40),
            PrinterStatus(auto_recoverable_error=True),
            PrinterFault.AUTO_RECOVERABLE_ERROR,
        ),
        (with_bits(3, 0x60), PrinterStatus(paper_out=True), PrinterFault.PAPER_OUT),
        (with_bits(3, 0x20), PrinterStatus(paper_out=True), PrinterFault.PAPER_OUT),
    ],
)
def test_each_fault_bit(replies: bytes, expected: PrinterStatus, fault: PrinterFault) -> None:
    status = parse_status_replies(replies)
    assert status == expected
    assert status.faults == (fault,)
    assert not status.ready


@pytest.mark.parametrize("bits", [0x0C, 0x04, 0x08])
def test_paper_near_end_is_a_warning_not_a_fault(bits: int) -> None:
    status = parse_status_replies(with_bits(3, bits))
    assert status.paper_near_end
    assert status.ready


def test_offline_with_cover_open_and_paper_out() -> None:
    status = parse_status_replies(bytes((0x1A, 0x36, 0x12, 0x72)))
    assert status.faults == (PrinterFault.OFFLINE, PrinterFault.COVER_OPEN, PrinterFault.PAPER_OUT)


@pytest.mark.parametrize(
    ("replies", "message"),
    [
        (b"", "expected 4 status bytes, got 0"),
        (HEALTHY[:3], "got 3"),
        (HEALTHY + b"\x12", "got 5"),
        (bytes((0x10, 0x12, 0x12, 0x12)), r"byte 0 .*DLE EOT 1, PRINTER.*0x10"),
        (bytes((0x12, 0x12, 0x12, 0x93)), r"byte 3 .*ROLL_PAPER.*0x93"),
    ],
)
def test_malformed_replies(replies: bytes, message: str) -> None:
    with pytest.raises(StatusReplyError, match=message):
        parse_status_replies(replies)


@settings(max_examples=100, derandomize=True, database=None)
@given(st.builds(PrinterStatus, *(st.booleans() for _ in range(8))))
def test_simulated_replies_parse_back(status: PrinterStatus) -> None:
    assert parse_status_replies(status_reply_bytes(status)) == status
