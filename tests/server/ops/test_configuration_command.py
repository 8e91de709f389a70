"""``qms config export`` and ``qms config import`` as real processes, around a real ``qms
server`` on the demo configuration: a change made in the pages is exported, imported into a
new database, exported again the same, and served; bad files, a running server and changes
that would break today's queue are refused with the reason, and nothing is saved."""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from support.web import WebClient, form_token

from server.protocol.client import ProtocolClient

DEMO_CONFIG = Path(__file__).resolve().parents[3] / "server" / "config" / "demo.toml"
DEMO_SITE = "hcc-tinh"
DEMO_KIOSK_TOKEN = "demo-kiosk-token-0001"
DEMO_PASSWORD = "demo1234"


def http_url(ws_url: str) -> str:
    return ws_url.replace("ws://", "http://").removesuffix("/ws")


def body(exported: str) -> str:
    """The export without its header comments (they say when it was made)."""
    return "\n".join(line for line in exported.splitlines() if not line.startswith("#"))


async def add_service(ws_url: str, code: str) -> None:
    """Sign in as the demo's administrator and add service ``code`` served at counter Q01."""
    client = WebClient(http_url(ws_url))
    signed = await client.sign_in(user="quantri", password=DEMO_PASSWORD, next_page="/admin")
    assert signed.status == 200, signed.body[:300]
    path = f"/admin/site/{DEMO_SITE}/services/new"
    form = await client.get(path)
    saved = await client.post(path, {"csrf": form_token(form.body), "code": code,
                                     "name_vi": "Chứng thực chữ ký", "field": "TP",
                                     "numbers": "Z###", "served_by": "Q01"})
    reasons = re.findall(r'class="(?:error|impact[^"]*)"[^>]*>([^<]*)<', saved.body)
    assert "saved=2" in saved.url, reasons


async def test_export_import_round_trip_and_the_server_runs_on_the_import(
    qms: Any, tmp_path: Path
) -> None:
    first = f"sqlite:///{tmp_path / 'one' / 'qms.sqlite3'}"
    server = await qms.server(first, tmp_path / "one")
    await add_service(server.ws_url, "CK")
    await server.stop()

    exported = tmp_path / "centre.toml"
    status, _, errors = await qms.run("config", "export", "--config", DEMO_CONFIG,
                                      "--db", first, "--out", exported)
    assert status == 0, errors
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600  # tokens and password hashes
    text = exported.read_text("utf-8")
    assert text.startswith("# QMS configuration version 2, by quantri at ")
    document = tomllib.loads(text)
    assert "server" in document
    site = next(item for item in document["sites"] if item["code"] == DEMO_SITE)
    assert "CK" in {service["code"] for service in site["services"]}

    second = f"sqlite:///{tmp_path / 'two' / 'qms.sqlite3'}"
    status, output, errors = await qms.run("config", "import", exported, "--config",
                                           DEMO_CONFIG, "--db", second)
    assert status == 0, errors
    assert "as configuration version 1" in output
    status, again, errors = await qms.run("config", "export", "--config", DEMO_CONFIG,
                                          "--db", second)
    assert status == 0, errors
    assert body(again) == body(text)
    assert "# QMS configuration version 1, by import by " in again

    # The server on the second database runs on the import, not on the demo file.
    served = await qms.server(second, tmp_path / "two")
    async with ProtocolClient(served.ws_url, "kiosk", DEMO_KIOSK_TOKEN, DEMO_SITE) as kiosk:
        ticket = (await kiosk.request("issue", service="CK", request_key="k"))["ticket"]
    assert ticket["number"] == "Z001"


async def test_import_is_refused_while_a_server_runs_and_for_a_bad_file(
    qms: Any, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'qms.sqlite3'}"
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO_CONFIG.read_text("utf-8").replace('numbers = "A###"',
                                                          'numbers = "A##X"', 1), "utf-8")
    status, _, errors = await qms.run("config", "import", bad, "--config", DEMO_CONFIG,
                                      "--db", url)
    assert status == 2
    assert "configuration error: sites[0]." in errors and "A##X" in errors

    server = await qms.server(url, tmp_path)
    status, _, errors = await qms.run("config", "import", DEMO_CONFIG, "--config",
                                      DEMO_CONFIG, "--db", url)
    assert status == 2
    assert "most likely a running qms server" in errors and "then import" in errors
    await server.stop()
    status, _, errors = await qms.run("config", "import", DEMO_CONFIG, "--config",
                                      DEMO_CONFIG, "--db", url, "--dry-run")
    assert status == 0, errors


async def test_an_import_that_would_break_the_day_is_refused_one_that_shows_asks(
    qms: Any, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'qms.sqlite3'}"
    server = await qms.server(url, tmp_path)
    async with ProtocolClient(server.ws_url, "kiosk", DEMO_KIOSK_TOKEN, DEMO_SITE) as kiosk:
        await kiosk.request("issue", service="DD-NOP", request_key="waiting")
    await server.stop()
    document = tomllib.loads(DEMO_CONFIG.read_text("utf-8"))
    site = next(item for item in document["sites"] if item["code"] == DEMO_SITE)

    without = tmp_path / "without.toml"
    from server.config.toml_writer import toml_text

    removed = {**site, "services": [item for item in site["services"]
                                    if item["code"] != "DD-NOP"],
               "counters": [{**counter, "services": [code for code in counter["services"]
                                                     if code != "DD-NOP"]}
                            for counter in site["counters"]]}
    without.write_text(toml_text({**document, "sites": [
        removed if item is site else item for item in document["sites"]]}), "utf-8")
    status, output, errors = await qms.run("config", "import", without, "--config",
                                           DEMO_CONFIG, "--db", url, "--yes")
    assert status == 2, (output, errors)
    assert f"refused: {DEMO_SITE}: services[DD-NOP]" in errors
    assert "1 people wait for DD-NOP" in errors

    renumbered = tmp_path / "renumbered.toml"
    groups = [{**group, "numbers": "8001-8999"} if group["code"] == "dat-dai" else group
              for group in site.get("number_groups", [])]
    assert groups != site.get("number_groups", []), "the demo's land group is 'dat-dai'"
    renumbered.write_text(toml_text({**document, "sites": [
        {**item, "number_groups": groups} if item is site else item
        for item in document["sites"]]}), "utf-8")
    status, _, errors = await qms.run("config", "import", renumbered, "--config", DEMO_CONFIG,
                                      "--db", url)
    assert status == 1, errors
    assert "changes: " in errors and "will be 8002" in errors
    status, output, errors = await qms.run("config", "import", renumbered, "--config",
                                           DEMO_CONFIG, "--db", url, "--yes",
                                           "--comment", "dải số mới cho đất đai")
    assert status == 0, errors
    assert "as configuration version 2" in output
