"""Printer URLs: one string in the settings picks and configures the transport.

================================================  ============================================
URL                                               transport
================================================  ============================================
``usb://04b8:0e15``                               USB printer by vendor:product id (hex);
                                                  options ``in_ep``, ``out_ep``, ``timeout``
``serial:///dev/ttyUSB0?baudrate=19200``          serial port (``serial://COM3`` on Windows);
                                                  options ``baudrate``, ``bytesize``,
                                                  ``parity`` (N/E/O/M/S), ``stopbits``
                                                  (1/1.5/2), ``rtscts``, ``xonxoff``,
                                                  ``dsrdtr``, ``timeout``
``loop://``                                       pyserial loop-back port (tests); same options
``tcp://192.0.2.10:9100``                         network printer, raw port (default 9100);
                                                  option ``timeout``
``file:///var/spool/qms/printer.bin``             appends every job to a file
``virtual:///var/lib/qms/virtual-printer``        renders every job to a numbered PNG (demo,
                                                  tests); option ``width`` (dots)
================================================  ============================================

``timeout`` is in seconds. Booleans are ``1``/``0``, ``true``/``false``, ``yes``/``no``,
``on``/``off``. :func:`parse_printer_url` only parses (nothing is opened), so settings can be
checked at start-up; every error names the part of the URL that is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from urllib.request import url2pathname

from hardware.printer.errors import PrinterUrlError

SUPPORTED_SCHEMES = ("usb", "serial", "loop", "tcp", "file", "virtual")
"""URL schemes :func:`parse_printer_url` accepts."""

DEFAULT_TCP_PORT = 9100


@dataclass(frozen=True)
class UsbAddress:
    """A USB printer. Endpoints default to the usual ESC/POS printer endpoints."""

    vendor_id: int
    product_id: int
    in_endpoint: int = 0x82
    out_endpoint: int = 0x01
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class SerialAddress:
    """A serial printer. ``port`` is a device name or a pyserial URL such as ``loop://``."""

    port: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    rtscts: bool = False
    xonxoff: bool = False
    dsrdtr: bool = False
    timeout_seconds: float = 2.0


@dataclass(frozen=True)
class TcpAddress:
    """A network printer's raw TCP port."""

    host: str
    port: int = DEFAULT_TCP_PORT
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class FileAddress:
    """A file that receives every job's bytes, appended."""

    path: Path


@dataclass(frozen=True)
class VirtualAddress:
    """A folder where the virtual printer writes ``job-NNNNNN.png`` and ``.bin`` files."""

    directory: Path
    width_dots: int | None = None


PrinterAddress = UsbAddress | SerialAddress | TcpAddress | FileAddress | VirtualAddress
"""Any parsed printer URL."""

_USB_IDS = re.compile(r"^(?:0x)?([0-9a-fA-F]{1,4}):(?:0x)?([0-9a-fA-F]{1,4})$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_printer_url(url: str) -> PrinterAddress:
    """Parse a printer URL (see the module docstring) into an address.

    Raises:
        PrinterUrlError: the URL is malformed; the message quotes the URL and names the part
            (scheme, vendor:product, host, port, path, option name or option value).
    """
    if not isinstance(url, str) or not url.strip():
        raise PrinterUrlError(f"printer URL is empty; expected one of {_scheme_list()}")
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise PrinterUrlError(f"printer URL {text!r} cannot be parsed: {error}") from error
    scheme = parts.scheme.lower()
    if not scheme or "://" not in text:
        raise PrinterUrlError(
            f"printer URL {text!r} has no scheme; expected one of {_scheme_list()}"
        )
    if scheme not in SUPPORTED_SCHEMES:
        raise PrinterUrlError(
            f"printer URL {text!r}: scheme {scheme!r} is not supported; "
            f"expected one of {_scheme_list()}"
        )
    if parts.fragment:
        raise PrinterUrlError(f"printer URL {text!r}: unexpected fragment '#{parts.fragment}'")
    options = _options(text, parts.query)
    if scheme == "usb":
        return _usb(text, parts.netloc, parts.path, options)
    if scheme in ("serial", "loop"):
        return _serial(text, scheme, parts.netloc, parts.path, options)
    if scheme == "tcp":
        return _tcp(text, parts.hostname, parts.netloc, parts.path, options)
    if scheme == "file":
        return FileAddress(path=_local_path(text, parts.netloc, parts.path, options, "file"))
    width = _take_optional_int(text, options, "width", minimum=8)
    directory = _local_path(text, parts.netloc, parts.path, options, "directory")
    return VirtualAddress(directory=directory, width_dots=width)


def _usb(text: str, netloc: str, path: str, options: dict[str, str]) -> UsbAddress:
    match = _USB_IDS.match(netloc)
    if match is None:
        raise PrinterUrlError(
            f"printer URL {text!r}: vendor:product {netloc!r} must be two hex numbers "
            "like usb://04b8:0e15"
        )
    if path not in ("", "/"):
        raise PrinterUrlError(f"printer URL {text!r}: unexpected path {path!r} after the ids")
    address = UsbAddress(
        vendor_id=int(match.group(1), 16),
        product_id=int(match.group(2), 16),
        in_endpoint=_take_int(text, options, "in_ep", 0x82, minimum=0x81, maximum=0x8F),
        out_endpoint=_take_int(text, options, "out_ep", 0x01, minimum=0x01, maximum=0x0F),
        timeout_seconds=_take_timeout(text, options, 5.0),
    )
    _no_leftovers(text, options)
    return address


def _serial(
    text: str, scheme: str, netloc: str, path: str, options: dict[str, str]
) -> SerialAddress:
    if scheme == "loop":
        if netloc or path not in ("", "/"):
            raise PrinterUrlError(f"printer URL {text!r}: write loop:// with nothing after it")
        port = "loop://"
    else:
        if netloc and path:
            raise PrinterUrlError(
                f"printer URL {text!r}: device part {netloc + path!r} is ambiguous; write "
                "serial:///dev/ttyUSB0 (three slashes) for a device path or serial://COM3"
            )
        port = netloc or path
        if not port:
            raise PrinterUrlError(
                f"printer URL {text!r} names no serial device, e.g. serial:///dev/ttyUSB0"
            )
    parity = options.pop("parity", "N").upper()
    if parity not in ("N", "E", "O", "M", "S"):
        raise PrinterUrlError(
            f"printer URL {text!r}: option parity={parity!r} must be one of N, E, O, M, S"
        )
    stopbits_text = options.pop("stopbits", "1")
    if stopbits_text not in ("1", "1.5", "2"):
        raise PrinterUrlError(
            f"printer URL {text!r}: option stopbits={stopbits_text!r} must be 1, 1.5 or 2"
        )
    address = SerialAddress(
        port=port,
        baudrate=_take_int(text, options, "baudrate", 9600, minimum=50),
        bytesize=_take_int(text, options, "bytesize", 8, minimum=5, maximum=8),
        parity=parity,
        stopbits=float(stopbits_text),
        rtscts=_take_bool(text, options, "rtscts"),
        xonxoff=_take_bool(text, options, "xonxoff"),
        dsrdtr=_take_bool(text, options, "dsrdtr"),
        timeout_seconds=_take_timeout(text, options, 2.0),
    )
    _no_leftovers(text, options)
    return address


def _tcp(
    text: str, hostname: str | None, netloc: str, path: str, options: dict[str, str]
) -> TcpAddress:
    if not hostname:
        raise PrinterUrlError(f"printer URL {text!r} names no host, e.g. tcp://192.0.2.10:9100")
    if "@" in netloc:
        raise PrinterUrlError(f"printer URL {text!r}: user names are not supported in the host")
    port_text = netloc.rsplit("]", 1)[-1].partition(":")[2]
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise PrinterUrlError(
                f"printer URL {text!r}: port {port_text!r} must be a number 1..65535"
            )
        port = int(port_text)
    else:
        port = DEFAULT_TCP_PORT
    if path not in ("", "/"):
        raise PrinterUrlError(f"printer URL {text!r}: unexpected path {path!r} after the port")
    address = TcpAddress(
        host=hostname, port=port, timeout_seconds=_take_timeout(text, options, 5.0)
    )
    _no_leftovers(text, options)
    return address


def _local_path(text: str, netloc: str, path: str, options: dict[str, str], what: str) -> Path:
    if netloc not in ("", "localhost"):
        raise PrinterUrlError(
            f"printer URL {text!r}: {netloc!r} is read as a host; an absolute {what} path "
            "needs three slashes, e.g. file:///var/spool/out.bin"
        )
    if not path or path == "/":
        raise PrinterUrlError(f"printer URL {text!r} names no {what} path")
    _no_leftovers(text, options)
    return Path(url2pathname(path))


def _options(text: str, query: str) -> dict[str, str]:
    options: dict[str, str] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as error:
        raise PrinterUrlError(f"printer URL {text!r}: query {query!r} is malformed") from error
    for name, value in pairs:
        key = name.lower()
        if key in options:
            raise PrinterUrlError(f"printer URL {text!r}: option {name!r} is given twice")
        options[key] = value
    return options


def _take_int(
    text: str,
    options: dict[str, str],
    name: str,
    default: int,
    *,
    minimum: int,
    maximum: int | None = None,
) -> int:
    value = _take_optional_int(text, options, name, minimum=minimum, maximum=maximum)
    return default if value is None else value


def _take_optional_int(
    text: str,
    options: dict[str, str],
    name: str,
    *,
    minimum: int,
    maximum: int | None = None,
) -> int | None:
    if name not in options:
        return None
    raw = options.pop(name)
    try:
        value = int(raw, 0)
    except ValueError as error:
        raise PrinterUrlError(
            f"printer URL {text!r}: option {name}={raw!r} is not a whole number"
        ) from error
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        raise PrinterUrlError(f"printer URL {text!r}: option {name}={raw!r} must be {bounds}")
    return value


def _take_timeout(text: str, options: dict[str, str], default: float) -> float:
    if "timeout" not in options:
        return default
    raw = options.pop("timeout")
    try:
        value = float(raw)
    except ValueError as error:
        raise PrinterUrlError(
            f"printer URL {text!r}: option timeout={raw!r} is not a number of seconds"
        ) from error
    if not 0 < value <= 3600:
        raise PrinterUrlError(
            f"printer URL {text!r}: option timeout={raw!r} must be > 0 and <= 3600 seconds"
        )
    return value


def _take_bool(text: str, options: dict[str, str], name: str) -> bool:
    if name not in options:
        return False
    raw = options.pop(name)
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise PrinterUrlError(f"printer URL {text!r}: option {name}={raw!r} must be 1 or 0")


def _no_leftovers(text: str, options: dict[str, str]) -> None:
    if options:
        names = ", ".join(sorted(options))
        raise PrinterUrlError(f"printer URL {text!r}: unknown option(s) {names}")


def _scheme_list() -> str:
    return ", ".join(f"{scheme}://" for scheme in SUPPORTED_SCHEMES)
