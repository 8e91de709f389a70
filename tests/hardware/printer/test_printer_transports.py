"""Transports: real sockets on 127.0.0.1, pyserial loop://, files, and the virtual printer."""

from __future__ import annotations

import importlib.util
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from hardware.printer.errors import (
    EscposRenderError,
    PrinterConnectionError,
    PrinterDriverMissingError,
    PrinterNotReadyError,
    PrinterTimeoutError,
    PrinterUrlError,
    StatusReplyError,
)
from hardware.printer.escpos_bytes import ticket_bytes
from hardware.printer.layout import PaperWidth, TicketContent
from hardware.printer.printer_url import UsbAddress, parse_printer_url
from hardware.printer.render import render_escpos
from hardware.printer.status import (
    PrinterFault,
    PrinterStatus,
    status_reply_bytes,
    status_request_bytes,
)
from hardware.printer.transports import (
    FileTransport,
    SerialTransport,
    TcpTransport,
    UsbTransport,
    open_printer,
)
from hardware.printer.virtual import VirtualPrinter

WAIT = 10.0  # seconds; an upper bound for events that normally take milliseconds


class FakeNetworkPrinter:
    """A TCP server on 127.0.0.1, port 0, that handles one connection per ``handler`` call."""

    def __init__(self, handler: Callable[[socket.socket], None], connections: int = 1) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(WAIT)
        self.port: int = self.listener.getsockname()[1]
        self.handler = handler
        self.connections = connections
        self.done = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            for _ in range(self.connections):
                connection, _address = self.listener.accept()
                with connection:
                    connection.settimeout(WAIT)
                    self.handler(connection)
        except OSError as error:  # surfaced by the test through self.errors
            self.errors.append(error)
        finally:
            self.done.set()

    def close(self) -> None:
        self.listener.close()
        self.thread.join(WAIT)


def receive_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def serve() -> Iterator[Callable[..., FakeNetworkPrinter]]:
    servers: list[FakeNetworkPrinter] = []

    def start(handler: Callable[[socket.socket], None], connections: int = 1) -> FakeNetworkPrinter:
        server = FakeNetworkPrinter(handler, connections)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_network_printer_receives_exactly_the_job(
    content: TicketContent, serve: Callable[..., FakeNetworkPrinter]
) -> None:
    received: list[bytes] = []
    server = serve(lambda connection: received.append(receive_all(connection)), connections=2)
    job = ticket_bytes(content, PaperWidth.MM80)
    with open_printer(f"tcp://127.0.0.1:{server.port}?timeout=5") as printer:
        assert isinstance(printer, TcpTransport)
        printer.write(job)
        printer.write(b"\x1b@second")
    assert server.done.wait(WAIT)
    assert server.errors == []
    assert received == [job, b"\x1b@second"]


@pytest.mark.parametrize(
    "status",
    [
        PrinterStatus(),
        PrinterStatus(online=False, paper_out=True),
        PrinterStatus(online=False, cover_open=True),
        PrinterStatus(paper_near_end=True),
    ],
)
def test_network_printer_status(
    status: PrinterStatus, serve: Callable[..., FakeNetworkPrinter]
) -> None:
    requests: list[bytes] = []

    def answer(connection: socket.socket) -> None:
        request = b""
        while len(request) < len(status_request_bytes()):
            request += connection.recv(64)
        requests.append(request)
        for byte in status_reply_bytes(status):  # one byte per packet, as printers do
            connection.sendall(bytes((byte,)))

    server = serve(answer)
    printer = open_printer(f"tcp://127.0.0.1:{server.port}")
    assert printer.status() == status
    assert server.done.wait(WAIT)
    assert requests == [status_request_bytes()]


def test_network_printer_silent_on_status_times_out(
    serve: Callable[..., FakeNetworkPrinter],
) -> None:
    release = threading.Event()
    server = serve(lambda connection: release.wait(WAIT))
    printer = open_printer(f"tcp://127.0.0.1:{server.port}?timeout=0.2")
    try:
        with pytest.raises(PrinterTimeoutError, match="no status reply"):
            printer.status()
    finally:
        release.set()
    assert server.done.wait(WAIT)


def test_network_printer_garbage_reply(serve: Callable[..., FakeNetworkPrinter]) -> None:
    server = serve(lambda connection: connection.sendall(b"HTTP"))
    printer = open_printer(f"tcp://127.0.0.1:{server.port}")
    with pytest.raises(StatusReplyError, match="byte 0"):
        printer.status()


def test_network_printer_unreachable() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    printer = open_printer(f"tcp://127.0.0.1:{port}?timeout=2")
    with pytest.raises(PrinterConnectionError, match=f"127.0.0.1:{port}.*cannot connect"):
        printer.write(b"\x1b@")
    printer.close()
    with pytest.raises(PrinterConnectionError, match="closed"):
        printer.write(b"\x1b@")


def test_serial_loop_writes_the_bytes(content: TicketContent) -> None:
    job = ticket_bytes(content, PaperWidth.MM58)
    printer = open_printer("loop://?baudrate=115200&timeout=0.5")
    assert isinstance(printer, SerialTransport)
    port = printer._open()  # the loop port gives back what was written
    echoed = bytearray()
    complete = threading.Event()

    def read_back() -> None:  # the loop buffer is small: drain it while writing
        while len(echoed) < len(job):
            chunk = port.read(len(job) - len(echoed))
            if not chunk:
                break
            echoed.extend(chunk)
        complete.set()

    reader = threading.Thread(target=read_back, daemon=True)
    reader.start()
    printer.write(job)
    assert complete.wait(WAIT)
    reader.join(WAIT)
    assert bytes(echoed) == job
    printer.close()
    printer.close()
    with pytest.raises(PrinterConnectionError, match="closed"):
        printer.write(b"x")


def test_serial_status_reads_the_reply() -> None:
    printer = open_printer("loop://?timeout=0.5")
    # The loop port answers the request with the request itself: not a status reply.
    with pytest.raises(StatusReplyError, match="0x10"):
        printer.status()
    printer.close()


def test_serial_port_that_does_not_exist() -> None:
    printer = open_printer("serial:///dev/qms-no-such-port")
    with pytest.raises(PrinterConnectionError, match="qms-no-such-port"):
        printer.write(b"x")


def test_file_transport_appends(tmp_path: Path) -> None:
    target = tmp_path / "printer.bin"
    printer = open_printer(target.as_uri())
    assert isinstance(printer, FileTransport)
    printer.write(b"\x1b@one")
    printer.write(b"\x1b@two")
    assert printer.status() is None
    assert target.read_bytes() == b"\x1b@one\x1b@two"
    missing = open_printer((tmp_path / "no" / "such" / "dir.bin").as_uri())
    with pytest.raises(PrinterConnectionError, match="cannot append"):
        missing.write(b"x")


def test_virtual_printer_renders_numbered_pngs(content: TicketContent, tmp_path: Path) -> None:
    folder = tmp_path / "virtual"
    printer = open_printer(f"{folder.as_uri().replace('file:', 'virtual:')}")
    assert isinstance(printer, VirtualPrinter)
    job = ticket_bytes(content, PaperWidth.MM58)
    printer.write(job)
    printer.write(job)
    assert [entry.number for entry in printer.jobs] == [1, 2]
    first = printer.jobs[0]
    assert first.png_path == folder / "job-000001.png"
    assert first.bin_path.read_bytes() == job
    with Image.open(first.png_path) as image:
        assert image.width == PaperWidth.MM58.dots
        decoded = [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]
    assert decoded == [content.status_url]
    # A new printer on the same folder continues the numbering.
    again = VirtualPrinter(folder)
    again.write(job)
    assert again.jobs[0].number == 3


def test_virtual_printer_simulates_faults(content: TicketContent, tmp_path: Path) -> None:
    printer = VirtualPrinter(tmp_path)
    assert printer.status() == PrinterStatus()
    paper_out = PrinterStatus(online=False, paper_out=True)
    printer.simulate(paper_out)
    assert printer.status() == paper_out
    with pytest.raises(PrinterNotReadyError, match="paper_out") as caught:
        printer.write(ticket_bytes(content, PaperWidth.MM80))
    assert caught.value.status.faults == (PrinterFault.OFFLINE, PrinterFault.PAPER_OUT)
    assert printer.jobs == ()
    assert list(tmp_path.iterdir()) == []
    printer.simulate(PrinterStatus(paper_near_end=True))
    printer.write(ticket_bytes(content, PaperWidth.MM80))
    assert len(printer.jobs) == 1


def test_virtual_printer_fault_during_a_job(content: TicketContent, tmp_path: Path) -> None:
    printer = VirtualPrinter(tmp_path)
    paper_out = PrinterStatus(online=False, paper_out=True)
    printer.fault_during_next_job(paper_out, printed_share=0.4)
    assert printer.status() == PrinterStatus()  # nothing wrong until the job runs
    job = ticket_bytes(content, PaperWidth.MM80)
    printer.write(job)  # accepted, as a printer takes the bytes before the paper ends
    assert printer.status() == paper_out
    torn = printer.jobs[0]
    assert not torn.complete
    assert torn.bin_path.read_bytes() == job
    with Image.open(torn.png_path) as image:
        full_height = render_escpos(job).image.height
        assert image.height == round(full_height * 0.4)
        assert zxingcpp.read_barcodes(image.convert("L")) == []  # the QR never came out
    with pytest.raises(PrinterNotReadyError):
        printer.write(job)
    printer.simulate(PrinterStatus())
    printer.write(job)
    assert [entry.complete for entry in printer.jobs] == [False, True]
    assert printer.jobs[1].rendered.image.height == full_height
    with pytest.raises(ValueError, match="must be a fault"):
        printer.fault_during_next_job(PrinterStatus(paper_near_end=True))
    with pytest.raises(ValueError, match="printed_share"):
        printer.fault_during_next_job(paper_out, printed_share=1.5)


def test_virtual_printer_rejects_bytes_it_cannot_render(tmp_path: Path) -> None:
    printer = VirtualPrinter(tmp_path)
    with pytest.raises(EscposRenderError, match="byte offset 2"):
        printer.write(b"\x1b@\x1b{\x00")
    assert (tmp_path / "job-000001.bin").read_bytes() == b"\x1b@\x1b{\x00"
    printer.close()
    with pytest.raises(PrinterConnectionError, match="closed"):
        printer.write(b"\x1b@")


@pytest.mark.skipif(importlib.util.find_spec("usb") is not None, reason="pyusb is installed here")
def test_usb_without_pyusb_is_a_clear_error() -> None:
    with pytest.raises(PrinterDriverMissingError, match="pyusb"):
        open_printer("usb://04b8:0e15")


def test_unknown_scheme_is_a_url_error() -> None:
    with pytest.raises(PrinterUrlError, match="'lpd' is not supported"):
        open_printer("lpd://printer/queue")


class FakeUsbPrinter:
    """A USB printer on a fake bus: what it printed, the status it reports, and whether it is
    plugged in. :meth:`device` makes the handle :class:`UsbTransport` claims (a
    :class:`UsbDevice`, as python-escpos's ``Usb`` is)."""

    def __init__(self, status: PrinterStatus, *, one_byte_per_read: bool = False) -> None:
        self.status = status
        self.one_byte_per_read = one_byte_per_read
        self.answers_status = True
        self.plugged_in = True
        self.written: list[bytes] = []
        self.handles: list[FakeUsbDevice] = []

    def device(self, address: UsbAddress) -> FakeUsbDevice:
        self.handles.append(FakeUsbDevice(self, address))
        return self.handles[-1]


class FakeUsbDevice:
    """One claim of a :class:`FakeUsbPrinter`: ``open``, ``close``, ``_raw``, ``_read``."""

    def __init__(self, printer: FakeUsbPrinter, address: UsbAddress) -> None:
        self.printer = printer
        self.address = address
        self.opened = 0
        self.closed = 0
        self.answer = b""

    def open(self) -> None:
        if not self.printer.plugged_in:
            from escpos.exceptions import DeviceNotFoundError

            raise DeviceNotFoundError("USB device not found")
        self.opened += 1

    def close(self) -> None:
        self.closed += 1

    def _raw(self, msg: bytes) -> None:
        if not self.printer.plugged_in:
            raise OSError(19, "No such device (it may have been disconnected)")
        self.printer.written.append(msg)
        if msg == status_request_bytes() and self.printer.answers_status:
            self.answer += status_reply_bytes(self.printer.status)

    def _read(self) -> bytes:
        if not self.answer:
            raise TimeoutError("Operation timed out")  # pyusb's USBTimeoutError is an OSError
        size = 1 if self.printer.one_byte_per_read else 16
        answer, self.answer = self.answer[:size], self.answer[size:]
        return answer


def usb_transport(url: str, printer: FakeUsbPrinter) -> UsbTransport:
    address = parse_printer_url(url)
    assert isinstance(address, UsbAddress)
    return UsbTransport(address, url=url, device_factory=printer.device)


def test_usb_printer_receives_exactly_the_job(content: TicketContent) -> None:
    fake = FakeUsbPrinter(PrinterStatus())
    printer = usb_transport("usb://04b8:0e15?in_ep=0x81&out_ep=0x02", fake)
    assert fake.handles == []  # nothing is claimed before the first use
    job = ticket_bytes(content, PaperWidth.MM80)
    printer.write(job)
    printer.write(b"\x1b@second")
    (device,) = fake.handles
    address = device.address
    assert (address.vendor_id, address.product_id) == (0x04B8, 0x0E15)
    assert (address.in_endpoint, address.out_endpoint) == (0x81, 0x02)
    assert fake.written == [job, b"\x1b@second"]
    assert device.opened == 1
    printer.close()
    printer.close()
    assert device.closed == 1
    with pytest.raises(PrinterConnectionError, match="closed"):
        printer.write(b"x")


@pytest.mark.parametrize("one_byte_per_read", [False, True])
@pytest.mark.parametrize("status", [
    PrinterStatus(),
    PrinterStatus(online=False, paper_out=True),
    PrinterStatus(online=False, cover_open=True),
    PrinterStatus(paper_near_end=True),
])
def test_usb_printer_status(status: PrinterStatus, one_byte_per_read: bool) -> None:
    fake = FakeUsbPrinter(status, one_byte_per_read=one_byte_per_read)
    printer = usb_transport("usb://04b8:0e15", fake)
    assert printer.status() == status
    assert fake.written == [status_request_bytes()]


def test_usb_printer_unplugged_and_plugged_in_again() -> None:
    fake = FakeUsbPrinter(PrinterStatus())
    printer = usb_transport("usb://04b8:0e15", fake)
    printer.write(b"\x1b@")
    fake.plugged_in = False
    with pytest.raises(PrinterConnectionError, match="USB write failed"):
        printer.write(b"\x1b@")
    assert fake.handles[0].closed == 1  # released after the failure
    with pytest.raises(PrinterConnectionError, match="cannot open"):
        printer.status()
    fake.plugged_in = True
    fake.status = PrinterStatus(online=False, paper_out=True)
    assert printer.status() == fake.status  # claimed afresh
    assert [handle.opened for handle in fake.handles] == [1, 0, 1]


def test_usb_printer_that_does_not_answer_status() -> None:
    fake = FakeUsbPrinter(PrinterStatus())
    fake.answers_status = False
    printer = usb_transport("usb://04b8:0e15", fake)
    with pytest.raises(PrinterConnectionError, match="USB status failed"):
        printer.status()
    assert fake.handles[0].closed == 1


class PtySerialPrinter:
    """A serial printer at the far end of a pseudo-terminal (``os.openpty``): a thread reads
    what the transport writes, as a printer's command parser would, answers each
    ``DLE EOT n`` at once with the status byte ``n`` of :attr:`status`, skips the data of
    ``GS v 0`` rasters (which may contain 10 04 by chance), and notes each job's cut.
    ``after_cut`` is the status it reports once a job is cut (the paper ran out)."""

    def __init__(self, status: PrinterStatus, after_cut: PrinterStatus | None = None) -> None:
        self.status = status
        self.after_cut = after_cut
        self.requests: list[int] = []
        self.cuts = 0
        self.received = bytearray()
        self.master, self.slave = os.openpty()
        self.port = os.ttyname(self.slave)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _read(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            data += os.read(self.master, count - len(data))
        self.received.extend(data)
        return data

    def _run(self) -> None:
        try:
            while True:
                (byte,) = self._read(1)
                if byte == 0x10:  # DLE
                    if self._read(1) == b"\x04":  # EOT n: answer at once
                        (request,) = self._read(1)
                        self.requests.append(request)
                        os.write(self.master, status_reply_bytes(self.status)[request - 1:
                                                                               request])
                elif byte == 0x1D:  # GS
                    (command,) = self._read(1)
                    if command == ord("v"):
                        header = self._read(6)  # "0", m, xL, xH, yL, yH
                        self._read((header[2] + 256 * header[3]) * (header[4] + 256 * header[5]))
                    elif command == ord("V"):
                        (mode,) = self._read(1)
                        if mode in (65, 66):
                            self._read(1)
                        self.cuts += 1
                        if self.after_cut is not None:
                            self.status = self.after_cut
        except OSError:  # the far end closed: the pty is gone
            return

    def close(self) -> None:
        os.close(self.slave)
        self.thread.join(WAIT)
        os.close(self.master)


@pytest.fixture
def pty_printer() -> Iterator[Callable[..., PtySerialPrinter]]:
    made: list[PtySerialPrinter] = []

    def make(status: PrinterStatus, after_cut: PrinterStatus | None = None) -> PtySerialPrinter:
        made.append(PtySerialPrinter(status, after_cut))
        return made[-1]

    yield make
    for printer in made:
        printer.close()


@pytest.mark.parametrize("status", [
    PrinterStatus(),
    PrinterStatus(online=False, paper_out=True),
    PrinterStatus(online=False, cover_open=True),
    PrinterStatus(online=False, cover_open=True, paper_out=True),
    PrinterStatus(paper_near_end=True),
])
def test_serial_status_over_a_pty(status: PrinterStatus,
                                  pty_printer: Callable[..., PtySerialPrinter]) -> None:
    fake = pty_printer(status)
    printer = open_printer(f"serial://{fake.port}?baudrate=19200&timeout=5")
    assert isinstance(printer, SerialTransport)
    got = printer.status()
    assert got == status
    assert (got.paper_out, got.cover_open) == (status.paper_out, status.cover_open)
    assert fake.requests == [1, 2, 3, 4]
    printer.close()


def test_serial_paper_out_during_a_job_over_a_pty(
        content: TicketContent, pty_printer: Callable[..., PtySerialPrinter]) -> None:
    fake = pty_printer(PrinterStatus(), after_cut=PrinterStatus(online=False, paper_out=True))
    printer = open_printer(f"serial://{fake.port}?baudrate=115200&timeout=5")
    assert isinstance(printer, SerialTransport)
    assert printer.status() == PrinterStatus()
    job = ticket_bytes(content, PaperWidth.MM58)
    printer.write(job)
    after = printer.status()  # written and flushed: the printer has the job, then answers
    assert after.paper_out and not after.online
    assert after.faults == (PrinterFault.OFFLINE, PrinterFault.PAPER_OUT)
    assert fake.cuts == 1
    assert bytes(fake.received) == status_request_bytes() + job + status_request_bytes()
    printer.close()
