"""A kiosk enrolled with a code, end to end (offscreen Qt, a real server): the code made on
the administration pages, ``qms kiosk --enrol`` run as a real command with its own
XDG_CONFIG_HOME, the kiosk started from the stored settings with no options, online with its
menu; its profile changed on the administration pages (paper width, zone, language) applied
by the running kiosk; revoked, and refused from then on (the device list says so)."""

from __future__ import annotations

import asyncio
import os
import re
import stat
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from support.servers import KIOSK_TOKEN, SITE, site_config
from support.web import WebClient, form_token, with_accounts

from hardware.printer import PaperWidth
from kiosk.models.status import ConnectionState
from kiosk.models.texts import Language
from kiosk.settings import parse_arguments
from kiosk.ui.app import KioskApp, build_kiosk
from server.app.serve import RunningServer
from server.config import Settings, parse_settings

Until = Callable[..., Awaitable[None]]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings() -> Settings:
    """The test site with accounts and a second zone whose one counter serves HT only."""
    config = site_config()
    site = config["sites"][0]
    site["zones"].append({"code": "T2", "name_vi": "Tầng 2"})
    site["counters"].append({"code": "4", "name": "Quầy 4", "zone": "T2", "services": ["HT"]})
    return parse_settings(with_accounts(config))


async def administrator(server: RunningServer) -> WebClient:
    client = WebClient(server.http_url)
    answer = await client.sign_in(user="quantri", next_page="/admin")
    assert answer.status == 200, answer.body[:300]
    return client


async def enrolment_code(client: WebClient, device: str) -> str:
    page = await client.get(f"/admin/site/{SITE}/devices")
    answer = await client.post(f"/admin/site/{SITE}/tokens/{device}/enrol",
                               {"csrf": form_token(page.body)})
    found = re.search(r'<code id="enrol-code">([A-Z0-9-]+)</code>', answer.body)
    assert answer.status == 200 and found, answer.body[:500]
    return found.group(1)


async def change_profile(client: WebClient, device: str, **profile: str) -> None:
    page = await client.get(f"/admin/site/{SITE}/tokens/{device}")
    answer = await client.post(f"/admin/site/{SITE}/tokens/{device}",
                               {"csrf": form_token(page.body), **profile})
    assert answer.status == 200 and "saved=" in answer.url, answer.body[:800]


async def run_qms(*arguments: str, environment: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *arguments, cwd=ROOT, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def paper(kiosk: KioskApp) -> PaperWidth:
    return kiosk.printer.paper


def language(kiosk: KioskApp) -> Language:
    return kiosk.model.language


def device_row(page: str, name: str) -> str:
    found = re.search(rf'<tr class="device[^"]*" data-device="{name}".*?</tr>', page, re.S)
    assert found, page[:2000]
    return found.group(0)


async def test_a_kiosk_enrolled_with_a_code_follows_its_profile_until_revoked(
        server: RunningServer, until: Until, tmp_path: Path, qapp: Any) -> None:
    admin = await administrator(server)
    code = await enrolment_code(admin, "kiosk")
    config_home = tmp_path / "config"
    environment = {**os.environ, "XDG_CONFIG_HOME": str(config_home), "QT_QPA_PLATFORM":
                   "offscreen"}
    environment.pop("QMS_KIOSK_TOKEN", None)
    status, out, err = await run_qms("kiosk", "--enrol", code, "--server", server.http_url,
                                     environment=environment)
    assert status == 0, err
    stored = config_home / "qms" / "kiosk.toml"
    assert f"Stored in {stored}" in out and f"server:  {server.ws_url}" in out
    assert KIOSK_TOKEN not in out and KIOSK_TOKEN not in err
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert KIOSK_TOKEN in stored.read_text("utf-8")
    # The same code again: refused, and nothing is overwritten.
    status, out, err = await run_qms("kiosk", "--enrol", code, "--server", server.http_url,
                                     environment=environment)
    assert status == 2 and "already used" in err

    # No options: everything from the stored settings.
    settings, _ = parse_arguments([], {"XDG_CONFIG_HOME": str(config_home)}, tmp_path)
    assert (settings.server_url, settings.token, settings.site) == (
        server.ws_url, KIOSK_TOKEN, SITE)
    assert settings.printer_url == f"virtual://{(tmp_path / 'data' / 'tickets').as_posix()}"
    kiosk = build_kiosk(settings)
    kiosk.window.resize(1080, 1920)
    kiosk.window.show()
    kiosk.start()
    try:
        await run_enrolled_kiosk(server, admin, kiosk, until)
    finally:
        kiosk.stop_widgets()
        await asyncio.to_thread(kiosk.stop_workers)


async def run_enrolled_kiosk(server: RunningServer, admin: WebClient, kiosk: KioskApp,
                             until: Until) -> None:
    model = kiosk.model
    await until(lambda: model.connection is ConnectionState.ONLINE and model.can_issue
                and model.catalogue is not None, "the kiosk online with its menu")
    assert model.catalogue is not None
    assert {service.code for service in model.catalogue.services} == {"DD-NOP", "DD-TRA", "HT"}
    page = await admin.get(f"/admin/site/{SITE}/devices")
    row = device_row(page.body, "kiosk")
    assert 'data-state="connected"' in row and "0.1.0" in row and "127.0.0.1" in row

    # Paper width, zone and language changed on the administration pages: applied live.
    assert paper(kiosk) is PaperWidth.MM80
    await change_profile(admin, "kiosk", paper_width="58", zone="T2", language="en")
    await until(lambda: paper(kiosk) is PaperWidth.MM58, "the paper width applied")
    await until(lambda: model.catalogue is not None
                and {service.code for service in model.catalogue.services} == {"HT"},
                "the menu of zone T2 only")
    assert kiosk.controller.zone == "T2"
    assert language(kiosk) is Language.ENGLISH
    # Taken back: the kiosk's own settings again.
    await change_profile(admin, "kiosk")
    await until(lambda: paper(kiosk) is PaperWidth.MM80
                and model.catalogue is not None and len(model.catalogue.services) == 3
                and language(kiosk) is Language.VIETNAMESE, "the kiosk's own settings again")

    # Revoked: cut off at once, refused when it tries again, and listed so.
    page = await admin.get(f"/admin/site/{SITE}/tokens/kiosk")
    answer = await admin.post(f"/admin/site/{SITE}/tokens/kiosk/delete",
                              {"csrf": form_token(page.body), "confirmed": "1",
                               "back": "devices"})
    assert answer.status == 200
    await until(lambda: model.connection is ConnectionState.OFFLINE, "the kiosk cut off")
    contacts = server.service.devices.of_site(SITE)
    contact = next(item for item in contacts if item.name == "kiosk")
    await until(lambda: contact.refusals > 0, "the revoked kiosk refused", timeout=20)
    page = await admin.get(f"/admin/site/{SITE}/devices")
    row = device_row(page.body, "kiosk")
    assert 'data-state="revoked"' in row
    assert "bị từ chối" in row and "127.0.0.1" in row
    assert model.connection is ConnectionState.OFFLINE


async def test_the_first_run_window_enrols_with_a_typed_code(
        server: RunningServer, until: Until, tmp_path: Path, qapp: Any) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from display.ui.first_run import FirstRunDialog
    from server.protocol.enrolment_client import first_run_wanted, load

    environment = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    assert first_run_wanted("kiosk", [], environment, "QMS_KIOSK_TOKEN")
    assert not first_run_wanted("kiosk", ["--windowed"], environment)
    assert not first_run_wanted("kiosk", [], {**environment, "QMS_KIOSK_TOKEN": "t"},
                                "QMS_KIOSK_TOKEN")
    code = await enrolment_code(await administrator(server), "kiosk")
    dialog = FirstRunDialog("kiosk", environment)
    dialog.show()
    QTest.keyClicks(dialog.server_input, server.http_url)
    QTest.keyClicks(dialog.code_input, "ABCD-EFGH")
    QTest.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
    await until(lambda: "no such enrolment code" in dialog.status.text(), "the refusal shown")
    assert dialog.isVisible() and dialog.stored is None
    dialog.code_input.clear()
    QTest.keyClicks(dialog.code_input, code.lower())
    QTest.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
    await until(lambda: dialog.stored is not None, "enrolled")
    assert not dialog.isVisible()
    stored = load("kiosk", environment)
    assert stored is not None and stored.token == KIOSK_TOKEN
    assert not first_run_wanted("kiosk", [], environment, "QMS_KIOSK_TOKEN")
