"""A kiosk of a province whose server has a certificate from the province's own CA (offscreen
Qt, a real server over TLS): enrolled with ``--enrol CODE --server https://... --ca-file``
(or the first-run window's CA line), it stores the CA file with its settings and goes online
over wss:// from them alone; a kiosk without the CA file stays offline, saying whose
certificate it could not trust and why, and never connects unverified."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from support.certificates import TlsSetup, tls_setup
from support.servers import KIOSK_TOKEN, SITE, site_config
from support.web import WebClient, form_token, with_accounts

from kiosk.models.status import ConnectionState
from kiosk.settings import parse_arguments
from kiosk.ui.app import build_kiosk
from server.app.serve import RunningServer, start_server
from server.config import parse_settings
from server.protocol.enrolment_client import enrol_command, load
from server.protocol.tls import client_context

Until = Callable[..., Awaitable[None]]


@pytest.fixture
def tls(tmp_path: Path) -> TlsSetup:
    return tls_setup(tmp_path, with_accounts(site_config()))


@pytest.fixture
async def tls_server(tls: TlsSetup, tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await start_server(parse_settings(tls.config), host="127.0.0.1", port=0,
                                 database_url=f"sqlite:///{tmp_path / 'qms.sqlite3'}")
    yield running
    await running.stop()


async def enrolment_code(server: RunningServer, tls: TlsSetup) -> str:
    admin = WebClient(server.http_url, context=client_context(tls.authority.certificate_path))
    assert (await admin.sign_in(user="quantri", next_page="/admin")).status == 200
    page = await admin.get(f"/admin/site/{SITE}/devices")
    answer = await admin.post(f"/admin/site/{SITE}/tokens/kiosk/enrol",
                              {"csrf": form_token(page.body)})
    assert answer.status == 200, answer.body[:300]
    return answer.body.split('<code id="enrol-code">', 1)[1].split("<", 1)[0]


async def test_an_enrolled_kiosk_trusts_the_province_ca_and_no_other(
        tls_server: RunningServer, tls: TlsSetup, until: Until, tmp_path: Path, qapp: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    ca_file = str(tls.authority.certificate_path)
    environment = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    code = await enrolment_code(tls_server, tls)
    status = await asyncio.to_thread(enrol_command, "kiosk", [
        "--enrol", code, "--server", tls_server.http_url, "--ca-file", ca_file], environment)
    assert status == 0
    stored = load("kiosk", environment)
    assert stored is not None and stored.server == tls_server.ws_url
    assert stored.ca_file == ca_file

    settings, _ = parse_arguments([], environment, tmp_path)
    assert (settings.server_url, settings.ca_file) == (tls_server.ws_url, ca_file)
    trusting = build_kiosk(settings)
    # The same kiosk's token without the CA file: the system's CAs, which never issued it.
    untrusting = build_kiosk(parse_arguments(
        ["--server", tls_server.ws_url, "--token", KIOSK_TOKEN, "--printer",
         f"virtual://{(tmp_path / 'other').as_posix()}"], {}, tmp_path)[0])
    caplog.set_level(logging.INFO, logger="kiosk.connection")
    for kiosk in (trusting, untrusting):
        kiosk.start()
    try:
        await until(lambda: trusting.model.connection is ConnectionState.ONLINE
                    and trusting.model.can_issue, "the kiosk with the CA file online")
        where = f"127.0.0.1:{tls_server.port}"
        await until(lambda: any(f"the certificate of {where} cannot be trusted" in record.message
                                for record in caplog.records), "the untrusting kiosk's reason")
        assert untrusting.model.connection is not ConnectionState.ONLINE
        reason = next(record.message for record in caplog.records
                      if "cannot be trusted" in record.message)
        assert "give the CA's certificate with --ca-file" in reason
        assert all(contact.name != "kiosk" or contact.connections <= 1
                   for contact in tls_server.service.devices.of_site(SITE))
    finally:
        for kiosk in (trusting, untrusting):
            kiosk.stop_widgets()
            await asyncio.to_thread(kiosk.stop_workers)


async def test_the_first_run_window_takes_the_ca_file(
        tls_server: RunningServer, tls: TlsSetup, until: Until, tmp_path: Path,
        qapp: Any) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from display.ui.first_run import FirstRunDialog

    environment = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    code = await enrolment_code(tls_server, tls)
    dialog = FirstRunDialog("kiosk", environment)
    dialog.show()
    QTest.keyClicks(dialog.server_input, tls_server.http_url)
    QTest.keyClicks(dialog.code_input, code)
    QTest.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
    await until(lambda: "cannot be trusted" in dialog.status.text(), "the refusal shown")
    assert f"127.0.0.1:{tls_server.port}" in dialog.status.text() and dialog.stored is None
    QTest.keyClicks(dialog.ca_input, "/etc/qms/ca.pem")
    picture = tmp_path / "first-run-ca.png"
    assert dialog.grab().save(str(picture))
    if os.environ.get("QMS_SCREENSHOT_DIR"):  # docs/images/first-run-ca.png
        shutil.copy(picture, Path(os.environ["QMS_SCREENSHOT_DIR"]) / picture.name)
    dialog.ca_input.clear()
    QTest.keyClicks(dialog.ca_input, str(tls.authority.certificate_path))
    QTest.mouseClick(dialog.enrol_button, Qt.MouseButton.LeftButton)
    await until(lambda: dialog.stored is not None, "enrolled")
    stored = load("kiosk", environment)
    assert stored is not None and stored.ca_file == str(tls.authority.certificate_path)
