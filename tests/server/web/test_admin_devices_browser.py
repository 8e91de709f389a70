"""The device list and an enrolment code in Chromium: devices connected and not, the
version they report, a printer low on paper, one revoked in the browser (confirmed, cut off,
then refused and listed so), and a code with its QR code, which a phone's reader decodes to
the enrolment address. No console error (the pages' CSP allows no inline style or script).
Images are saved to the test's folder, and to ``$QMS_SCREENSHOT_DIR`` when set;
docs/images/admin-devices.png and admin-enrol-code.png are made with

    QMS_SCREENSHOT_DIR=docs/images .venv/bin/python -m pytest \
        tests/server/web/test_admin_devices_browser.py
"""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
from pathlib import Path

import zxingcpp
from PIL import Image
from playwright.async_api import Browser, Page
from support.servers import DISPLAY_TOKEN, KIOSK_TOKEN, SITE
from support.web import admin_page

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient

WAIT_MS = 15_000


def keep(image: Path) -> None:
    target = os.environ.get("QMS_SCREENSHOT_DIR")
    if target:
        shutil.copy(image, Path(target) / image.name)


async def shot(page: Page, folder: Path, name: str) -> Path:
    image = folder / name
    await page.screenshot(path=str(image), full_page=True)
    keep(image)
    return image


async def add_token(server: RunningServer, name: str, token: str) -> None:
    configuration = server.service.configuration
    document = copy.deepcopy(configuration.document)
    site = next(item for item in document["sites"] if item["code"] == SITE)
    site["tokens"].append({"name": name, "role": "kiosk", "token": token, "zone": "T1",
                           "paper_width": 58})
    await configuration.change(document, "test", "a second kiosk", confirmed=True)


async def test_the_device_list_and_an_enrolment_code(server: RunningServer, browser: Browser,
                                                     tmp_path: Path) -> None:
    await add_token(server, "Ki-ốt sảnh B", "second-kiosk-token-01")
    kiosk = ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, None, version="0.1.0")
    display = ProtocolClient(server.ws_url, "display", DISPLAY_TOKEN, None, version="0.1.0")
    second = ProtocolClient(server.ws_url, "kiosk", "second-kiosk-token-01", None,
                            version="0.0.9")
    await kiosk.connect()
    await display.connect()
    await second.connect()
    try:
        await kiosk.request("device_status", device="kiosk/printer", kind="printer",
                            status="paper_near_end", message="Sắp hết giấy")
        page, problems = await admin_page(browser, server.http_url,
                                          f"/admin/site/{SITE}/devices", width=1366,
                                          height=768)
        rows = page.locator("tr.device")
        assert await rows.count() == 5
        kiosk_row = page.locator('tr[data-device="kiosk"]')
        assert await kiosk_row.get_attribute("data-state") == "connected"
        assert "0.1.0" in await kiosk_row.inner_text()
        assert "Sắp hết giấy" in await kiosk_row.locator("td.health").inner_text()
        bridge_row = page.locator('tr[data-device="bridge"]')
        assert await bridge_row.get_attribute("data-state") == "offline"

        # Revoked in the browser: confirmed, then cut off and refused.
        await page.locator('tr[data-device="Ki-ốt sảnh B"] button.revoke').click()
        await page.wait_for_selector("form.confirm", timeout=WAIT_MS)
        await page.click("form.confirm button[type=submit]")
        await page.wait_for_url(f"**/admin/site/{SITE}/devices?saved=*", timeout=WAIT_MS)
        await asyncio.wait_for(second.closed.wait(), 10)
        refused = ProtocolClient(server.ws_url, "kiosk", "second-kiosk-token-01", None)
        try:
            await refused.connect()
        except Exception as error:  # noqa: BLE001 - the refusal is what is looked for
            assert "not a device token" in str(error)
        else:
            raise AssertionError("a revoked token was let in")
        finally:
            await refused.close()
        await page.reload()
        revoked = page.locator('tr[data-device="Ki-ốt sảnh B"]')
        assert await revoked.get_attribute("data-state") == "revoked"
        assert "bị từ chối 1 lần" in await revoked.inner_text()
        await shot(page, tmp_path, "admin-devices.png")

        # An enrolment code for the kiosk, with its QR code.
        await page.locator('tr[data-device="kiosk"] button.enrol').click()
        await page.wait_for_selector("#enrol-code", timeout=WAIT_MS)
        code = await page.inner_text("#enrol-code")
        url = await page.inner_text("#enrol-url")
        assert url == f"{server.http_url}/enrol?code={code}"
        qr = page.locator(".qr-box svg")
        box = await qr.bounding_box()
        assert box is not None and box["width"] >= 150
        image = await shot(page, tmp_path, "admin-enrol-code.png")
        decoded = zxingcpp.read_barcodes(Image.open(image))
        assert [item.text for item in decoded] == [url]
        assert problems == [], problems
        await page.close()
    finally:
        for client in (kiosk, display, second):
            await client.close()
