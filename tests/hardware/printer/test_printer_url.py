"""Printer URLs: each scheme parses, and each mistake is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.printer.errors import PrinterError, PrinterUrlError
from hardware.printer.printer_url import (
    FileAddress,
    SerialAddress,
    TcpAddress,
    UsbAddress,
    VirtualAddress,
    parse_printer_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("usb://04b8:0e15", UsbAddress(vendor_id=0x04B8, product_id=0x0E15)),
        (
            "USB://0x0416:0x5011?in_ep=0x81&out_ep=3&timeout=2.5",
            UsbAddress(0x0416, 0x5011, in_endpoint=0x81, out_endpoint=3, timeout_seconds=2.5),
        ),
        ("serial:///dev/ttyUSB0", SerialAddress(port="/dev/ttyUSB0")),
        (
            "serial:///dev/ttyS1?baudrate=19200&parity=e&stopbits=2&rtscts=1&timeout=1",
            SerialAddress(
                port="/dev/ttyS1",
                baudrate=19200,
                parity="E",
                stopbits=2.0,
                rtscts=True,
                timeout_seconds=1.0,
            ),
        ),
        ("serial://COM3?baudrate=9600", SerialAddress(port="COM3")),
        ("loop://", SerialAddress(port="loop://")),
        ("loop://?baudrate=115200", SerialAddress(port="loop://", baudrate=115200)),
        ("tcp://192.0.2.10:9100", TcpAddress(host="192.0.2.10", port=9100)),
        ("tcp://printer.local", TcpAddress(host="printer.local", port=9100)),
        ("tcp://[::1]:9101/?timeout=0.5", TcpAddress(host="::1", port=9101, timeout_seconds=0.5)),
        ("file:///var/spool/out.bin", FileAddress(path=Path("/var/spool/out.bin"))),
        ("file://localhost/tmp/x.bin", FileAddress(path=Path("/tmp/x.bin"))),
        ("virtual:///tmp/tickets", VirtualAddress(directory=Path("/tmp/tickets"))),
        (
            "virtual:///tmp/tickets?width=384",
            VirtualAddress(directory=Path("/tmp/tickets"), width_dots=384),
        ),
    ],
)
def test_valid_urls(url: str, expected: object) -> None:
    assert parse_printer_url(url) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "empty"),
        ("/dev/usb/lp0", "no scheme"),
        ("lpt1", "no scheme"),
        ("http://printer:9100", "scheme 'http' is not supported"),
        ("usb://04b8", "vendor:product '04b8'"),
        ("usb://zz:0e15", "vendor:product 'zz:0e15'"),
        ("usb://04b8:0e15/extra", "unexpected path '/extra'"),
        ("usb://04b8:0e15?in_ep=7", "in_ep='7' must be 129..143"),
        ("serial://", "names no serial device"),
        ("serial://dev/ttyUSB0", "three slashes"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "baudrate='fast' is not a whole number"),
        ("serial:///dev/ttyUSB0?parity=X", "parity='X'"),
        ("serial:///dev/ttyUSB0?stopbits=3", "stopbits='3'"),
        ("serial:///dev/ttyUSB0?rtscts=maybe", "rtscts='maybe'"),
        ("serial:///dev/ttyUSB0?speed=9600", "unknown option.*speed"),
        ("serial:///dev/ttyUSB0?baudrate=1&baudrate=2", "'baudrate' is given twice"),
        ("loop://somewhere", "loop:// with nothing after it"),
        ("tcp://", "names no host"),
        ("tcp://printer:http", "port 'http'"),
        ("tcp://printer:70000", "port '70000'"),
        ("tcp://printer:9100/queue", "unexpected path '/queue'"),
        ("tcp://printer:9100?timeout=0", "timeout='0'"),
        ("tcp://printer:9100?timeout=soon", "timeout='soon'"),
        ("tcp://printer:9100#top", "fragment"),
        ("file://", "names no file path"),
        ("file://tmp/out.bin", "'tmp' is read as a host"),
        ("virtual://", "names no directory path"),
        ("virtual:///tmp/x?width=2", "width='2' must be >= 8"),
        ("virtual:///tmp/x?colour=red", "unknown option.*colour"),
    ],
)
def test_bad_urls_name_the_problem(url: str, problem: str) -> None:
    with pytest.raises(PrinterUrlError, match=problem) as caught:
        parse_printer_url(url)
    assert isinstance(caught.value, PrinterError)
    if url:
        assert repr(url) in str(caught.value) or "no scheme" in str(caught.value)
