"""A service's priority groups chosen on its administration form in real headless Chromium:
"every group" shown with every box ticked, the groups ticked saved and a running kiosk told
at once (its snapshot and a refused ``issue``), the form read back as saved, "every group"
with a box unticked refused beside the field, and the English page's labels. No script or
policy error."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page
from support.servers import SITE
from support.web import admin_page, two_sites

from server.app.serve import RunningServer
from server.config import Settings, parse_settings
from server.protocol.client import RequestFailed

WAIT_MS = 10_000
FORM = f"/admin/site/{SITE}/services/HT"


@pytest.fixture
def settings() -> Settings:
    config = two_sites()
    config["sites"][0]["priority_groups"].append(
        {"code": "KT", "name_vi": "Người khuyết tật", "name_en": "People with disabilities"})
    return parse_settings(config)


async def boxes(page: Page) -> dict[str, bool]:
    found = {}
    for box in await page.locator('[data-field="priority_groups"] input[type=checkbox]').all():
        name = await box.get_attribute("name")
        assert name is not None
        found[name.removeprefix("priority_groups.")] = await box.is_checked()
    return found


async def test_the_groups_ticked_reach_a_running_kiosk(
        server: RunningServer, browser: Browser, connect: Any) -> None:
    kiosk = await connect("kiosk", subscribe=["config."])
    page, problems = await admin_page(browser, server.http_url, FORM)
    assert await page.is_checked("#field-priority_groups")  # every group: the key left out
    assert await boxes(page) == {"NCT": True, "KT": True}
    labels = await page.locator('[data-field="priority_groups"] label.inline').all_inner_texts()
    assert [label.strip() for label in labels] == [
        "Tất cả đối tượng của trung tâm (cả đối tượng thêm sau này)",
        "Chỉ các đối tượng đánh dấu dưới đây (không đánh dấu: không có)",
        "Người cao tuổi (NCT)", "Người khuyết tật (KT)"]

    await page.check("#field-priority_groups-ticked")
    await page.uncheck('input[name="priority_groups.NCT"]')
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".saved", timeout=WAIT_MS)
    await kiosk.next_event("config.changed")
    state = (await kiosk.request("snapshot"))["state"]
    assert {item["code"]: item["priority_groups"] for item in state["services"]}["HT"] == ["KT"]
    with pytest.raises(RequestFailed) as refused:
        await kiosk.request("issue", service="HT", priority="NCT", request_key="a")
    assert refused.value.code == "bad_request"
    assert (await kiosk.request("issue", service="HT", priority="KT",
                                request_key="b"))["ticket"]["priority"] == "KT"

    # Read back as saved.
    await page.goto(f"{server.http_url}{FORM}")
    assert await page.is_checked("#field-priority_groups-ticked")
    assert await boxes(page) == {"NCT": False, "KT": True}
    # None ticked: the service takes no priority group.
    await page.uncheck('input[name="priority_groups.KT"]')
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".saved", timeout=WAIT_MS)
    assert server.service.sites[SITE].settings.priority_groups_of("HT") == ()

    # "Every group" with a box left unticked: what was meant is asked, nothing saved.
    await page.goto(f"{server.http_url}{FORM}")
    version = server.service.configuration.version
    await page.check("#field-priority_groups")
    await page.check('input[name="priority_groups.KT"]')
    await page.click("form.admin-form button[type=submit]")
    await page.wait_for_selector(".field.invalid", timeout=WAIT_MS)
    reason = await page.locator('[data-field="priority_groups"] .error').inner_text()
    assert reason.startswith('Đã chọn "Tất cả" nhưng bỏ đánh dấu NCT'), reason
    assert await boxes(page) == {"NCT": False, "KT": True}  # as the administrator left them
    assert server.service.configuration.version == version

    await page.goto(f"{server.http_url}{FORM}?lang=en")
    labels = await page.locator('[data-field="priority_groups"] label').all_inner_texts()
    # A group without an English name keeps its Vietnamese one.
    assert [label.strip() for label in labels] == [
        "Priority groups it takes", "Every group of the centre (and any added later)",
        "Only the groups ticked below (none ticked: none)", "Người cao tuổi (NCT)",
        "People with disabilities (KT)"]
    # The form with errors came back as 400 (the browser notes it); nothing else went wrong.
    assert [problem for problem in problems if "status of 400" not in problem] == []
