"""Command-line settings of ``qms kiosk``, the entry point, and the controller's glue."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from hardware.printer import PaperWidth
from kiosk.connection import DeviceReport
from kiosk.controller import KioskController
from kiosk.errors import SettingsError
from kiosk.main import main
from kiosk.models.screens import KioskModel, Screen
from kiosk.models.status import ConnectionState, PrinterCondition
from kiosk.models.texts import Language
from kiosk.printing import PrinterReport, PrintJob
from kiosk.settings import KioskSettings, default_printer_url, parse_arguments

HERE = Path("/srv/kiosk")


def parse(*arguments: str, environment: Mapping[str, str] | None = None) -> KioskSettings:
    settings, _level = parse_arguments(arguments, environment or {}, HERE)
    return settings


def test_defaults() -> None:
    settings = parse("--token", "t-1")
    assert settings.server_url == "ws://127.0.0.1:8765/ws"
    assert settings.site is None  # the server finds the site from the device token
    assert parse("--token", "t-1", "--site", "hcc-tinh").site == "hcc-tinh"
    assert settings.printer_url == "virtual:///srv/kiosk/data/tickets"
    assert settings.paper is PaperWidth.MM80
    assert settings.language is Language.VIETNAMESE
    assert settings.full_screen and settings.idle_seconds == 30
    assert settings.printer_device == "kiosk-1/printer"


def test_every_option() -> None:
    settings, level = parse_arguments(
        ["--server", "wss://qms.example/ws", "--token", "t-1", "--site", "ubnd-phuong-1",
         "--printer", "tcp://192.0.2.10:9100", "--paper", "58", "--lang", "en", "--windowed",
         "--size", "1080x1920", "--idle-seconds", "45", "--ticket-seconds", "6",
         "--kiosk-name", "kiosk-2", "--one-level-max-services", "5",
         "--printer-poll-seconds", "0", "--log-level", "DEBUG"], {}, HERE)
    assert (settings.server_url, settings.site, settings.printer_url) == (
        "wss://qms.example/ws", "ubnd-phuong-1", "tcp://192.0.2.10:9100")
    assert (settings.paper, settings.language, settings.full_screen, settings.window_size) == (
        PaperWidth.MM58, Language.ENGLISH, False, (1080, 1920))
    assert (settings.idle_seconds, settings.ticket_seconds, settings.kiosk_name) == (
        45, 6, "kiosk-2")
    assert (settings.one_level_max_services, settings.printer_poll_seconds, level) == (
        5, 0, "DEBUG")


def test_token_from_the_environment() -> None:
    assert parse(environment={"QMS_KIOSK_TOKEN": "from-env"}).token == "from-env"


@pytest.mark.parametrize(("arguments", "message"), [
    ((), "--token is required"),
    (("--token", "t", "--server", "http://x/ws"), "expected a ws:// or wss:// URL"),
    (("--token", "t", "--printer", "lpt://1"), "--printer: .*scheme 'lpt'"),
    (("--token", "t", "--idle-seconds", "0"), "--idle-seconds must be > 0"),
    (("--token", "t", "--size", "big"), "--size 'big'"),
])
def test_bad_options_are_named(arguments: tuple[str, ...], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse(*arguments)


def test_main_reports_a_bad_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--token", "t", "--server", "http://x/ws"]) == 2
    assert "qms kiosk: --server 'http://x/ws'" in capsys.readouterr().err


def test_default_printer_is_beside_the_demo_database(tmp_path: Path) -> None:
    assert default_printer_url(tmp_path) == f"virtual://{(tmp_path / 'data/tickets').as_posix()}"


class FakeServer:
    def __init__(self) -> None:
        self.issued: list[tuple[str, str, str | None]] = []
        self.reports: list[DeviceReport] = []
        self.refreshes = 0

    def issue(self, request_key: str, service: str, priority: str | None,
              birth_date: str | None = None) -> None:
        self.issued.append((request_key, service, priority))

    def check_in(self, request_key: str, code: str, birth_date: str | None = None) -> None:
        raise AssertionError("no check-in in these tests")

    def find_bookings(self, lookup_id: str, id_number: str) -> None:
        raise AssertionError("no lookup in these tests")

    def report_device(self, report: DeviceReport) -> None:
        self.reports.append(report)

    def refresh_snapshot(self) -> None:
        self.refreshes += 1


class FakePrinter:
    def __init__(self) -> None:
        self.jobs: list[PrintJob] = []

    def submit(self, job: PrintJob) -> None:
        self.jobs.append(job)


def controller_with_menu() -> tuple[KioskController, FakeServer, FakePrinter]:
    settings = KioskSettings(server_url="ws://127.0.0.1:1/ws", token="t", site="hcc-test",
                             printer_url="virtual:///tmp/unused", kiosk_name="kiosk-9",
                             one_level_max_services=0)
    model = KioskModel(clock=lambda: 0.0, new_request_key=lambda: "key-1", idle_seconds=30,
                       ticket_seconds=10)
    server, printer = FakeServer(), FakePrinter()
    controller = KioskController(settings, model, server, printer)
    state: dict[str, Any] = {
        "site": {"code": "hcc-test", "name": "Trung tâm"},
        "fields": [{"code": "TP", "name": "Tư pháp"}],
        "services": [{"code": "HT", "name": "Khai sinh", "field": "TP", "kind": "other",
                      "waiting": 0, "eta_minutes": None, "open_counters": 0}],
    }
    controller.connection_changed(ConnectionState.ONLINE, state)
    return controller, server, printer


def test_printer_changes_are_reported_to_the_server_in_vietnamese() -> None:
    controller, server, _printer = controller_with_menu()
    controller.printer_changed(PrinterReport(PrinterCondition.PAPER_OUT, "paper_out", True))
    controller.printer_changed(PrinterReport(PrinterCondition.OK, "ready", True))
    assert server.reports == [
        DeviceReport("kiosk-9/printer", "printer", "paper_out",
                     "Máy in hết giấy. Vui lòng báo cán bộ hướng dẫn."),
        DeviceReport("kiosk-9/printer", "printer", "ok", "ready"),
    ]


def test_confirmed_ticket_goes_to_the_printer_once() -> None:
    controller, server, printer = controller_with_menu()
    controller.choose_field("TP")
    controller.choose_service("HT")
    assert server.issued == [("key-1", "HT", None)]
    ticket = {"id": "hcc-test:20261122:A001", "number": "A001", "service": "HT",
              "service_name": "Khai sinh", "ahead": 0, "eta_minutes": None,
              "issued_at": "2026-11-22T08:00:00+07:00", "track_url": "http://x/t/1"}
    controller.issue_confirmed("key-1", ticket)
    controller.issue_confirmed("key-1", ticket)
    assert [job.ticket_id for job in printer.jobs] == ["hcc-test:20261122:A001"]
    assert printer.jobs[0].content.service_name == "Khai sinh"


def test_an_unreadable_ticket_is_not_printed() -> None:
    controller, _server, printer = controller_with_menu()
    controller.choose_field("TP")
    controller.choose_service("HT")
    controller.issue_confirmed("key-1", {"id": "x"})
    assert printer.jobs == [] and controller.model.screen is Screen.REFUSED
