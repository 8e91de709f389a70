"""A plain HTTP client for the web pages' tests: cookies kept, redirects followed (or not),
forms posted, run in a thread so a test's event loop (and its server) keeps going."""

from __future__ import annotations

import asyncio
import copy
import http.cookiejar
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from server.security import hash_password
from support.servers import site_config

MANAGER_PASSWORD = "quan-ly-123"
MANAGER_HASH = hash_password(MANAGER_PASSWORD, salt=b"manager-salt-001")


def with_accounts(config: dict[str, object], *extra_sites: str) -> dict[str, object]:
    """``config`` with three web accounts: ``giamdoc`` manages its first site, ``quantri``
    administers it, ``tinh`` sees and administers every site (all with
    :data:`MANAGER_PASSWORD`)."""
    sites = config["sites"]
    assert isinstance(sites, list)
    config["accounts"] = [
        {"user": "giamdoc", "full_name": "Trần Minh Đức", "password_hash": MANAGER_HASH,
         "role": "manager", "sites": [sites[0]["code"], *extra_sites]},
        {"user": "tinh", "full_name": "Lê Thị Hạnh", "password_hash": MANAGER_HASH,
         "role": "province"},
        {"user": "quantri", "full_name": "Phạm Văn Tín", "password_hash": MANAGER_HASH,
         "role": "admin", "sites": [sites[0]["code"]]},
    ]
    return config


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *arguments: object, **options: object) -> None:
        return None


@dataclass
class Answer:
    status: int
    url: str
    body: str
    headers: dict[str, str]


@dataclass
class WebClient:
    """One browser-like visitor of ``base`` (an ``http://host:port``, or ``https://`` with
    ``context`` trusting the server's CA)."""

    base: str
    cookies: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)
    context: ssl.SSLContext | None = None

    async def get(self, path: str, follow: bool = True) -> Answer:
        return await asyncio.to_thread(self._open, path, None, follow, {})

    async def post(self, path: str, fields: dict[str, str], follow: bool = True,
                   headers: dict[str, str] | None = None) -> Answer:
        body = urllib.parse.urlencode(fields).encode()
        return await asyncio.to_thread(self._open, path, body, follow, headers or {})

    async def sign_in(self, user: str = "giamdoc", password: str = MANAGER_PASSWORD,
                      next_page: str = "/manage") -> Answer:
        form = await self.get(f"/manage/sign-in?next={urllib.parse.quote(next_page)}")
        return await self.post("/manage/sign-in", {"csrf": form_token(form.body),
                                                   "next": next_page, "user": user,
                                                   "password": password})

    def cookie(self, name: str) -> str | None:
        return next((item.value for item in self.cookies if item.name == name), None)

    def _open(self, path: str, data: bytes | None, follow: bool,
              headers: dict[str, str]) -> Answer:
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPCookieProcessor(self.cookies)]
        if self.context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=self.context))
        if not follow:
            handlers.append(_NoRedirect())
        opener = urllib.request.build_opener(*handlers)
        request = urllib.request.Request(self.base + path, data=data, headers=headers,
                                         method="POST" if data is not None else "GET")
        try:
            with opener.open(request, timeout=20) as response:
                return Answer(response.status, response.url, response.read().decode("utf-8"),
                              dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.url or "", error.read().decode("utf-8"),
                          dict(error.headers))


def form_token(page: str) -> str:
    """The CSRF token of the (first) form on ``page``."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


OTHER_SITE = "xa-test"
# 08:00 in Hồ Chí Minh City, a weekday morning.
MORNING = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def two_sites() -> dict[str, Any]:
    """The test site and a second one (a commune) that manager giamdoc does not see."""
    config = site_config()
    other = copy.deepcopy(config["sites"][0])
    other["code"] = OTHER_SITE
    other["name_vi"] = "Bộ phận Một cửa xã thử nghiệm"
    other["name_en"] = "Test commune"
    other["tokens"] = [{"name": "kiosk", "role": "kiosk", "token": "xa-kiosk-token-0001"}]
    config["sites"].append(other)
    for service in config["sites"][0]["services"]:
        if service["code"] == "HT":
            service["target_wait_minutes"] = 10  # within a web session's 30 idle minutes
    return with_accounts(config)


def big_site(code: str = "hcc-lon") -> dict[str, Any]:
    """A provincial centre at its largest: 60 services in 12 fields, 70 counters in two
    zones each serving four services, an officer per counter, and a kiosk token."""
    config = site_config()
    site = config["sites"][0]
    site.update(code=code, name_vi="Trung tâm Phục vụ hành chính công tỉnh (70 quầy)",
                name_en="Provincial centre (70 counters)")
    site["fields"] = [{"code": f"F{index:02d}", "name_vi": f"Lĩnh vực {index}"}
                      for index in range(12)]
    site["number_groups"] = []
    site["services"] = [
        {"code": f"S{index:02d}", "name_vi": f"Thủ tục hành chính số {index}",
         "field": f"F{index % 12:02d}",
         "numbers": f"{1000 * (index + 1)}-{1000 * (index + 1) + 999}"}
        for index in range(60)]
    site["zones"] = [{"code": "T1", "name_vi": "Tầng 1"}, {"code": "T2", "name_vi": "Tầng 2"}]
    site["counters"] = [
        {"code": f"Q{index:02d}", "name": f"Quầy {index}", "zone": "T1" if index <= 35 else "T2",
         "services": [f"S{(index * 4 + offset) % 60:02d}" for offset in range(4)]}
        for index in range(1, 71)]
    site["officers"] = [{"user": f"cb{index:02d}", "full_name": f"Cán bộ số {index}",
                         "password_hash": MANAGER_HASH} for index in range(1, 71)]
    site["tokens"] = [{"name": "kiosk", "role": "kiosk", "token": "big-kiosk-token-0001"}]
    return with_accounts(config)


async def admin_page(browser: Any, http_url: str, path: str = "/admin",
                     user: str = "quantri", width: int = 1366,
                     height: int = 900) -> tuple[Any, list[str]]:
    """A Playwright page signed in to the administration pages at ``path``, and the list
    the page's console errors and warnings and script errors are gathered in."""
    page = await browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(f"{http_url}/manage/sign-in?next={urllib.parse.quote(path)}")
    await page.fill("#user", user)
    await page.fill("#password", MANAGER_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"**{path}")
    return page, problems
