"""``qms audit export`` while the server runs, its CSV read back, its own run recorded, bad
options refused with nothing written; ``qms config import`` recorded with what it changed."""

from __future__ import annotations

import asyncio
import csv
import json
import stat
from pathlib import Path

import pytest
from support.audit import audit_rows
from support.servers import ADMIN_TOKEN, SITE, site_config
from support.web import OTHER_SITE

from server.app.serve import RunningServer
from server.audit.command import main as audit_main
from server.config.toml_writer import toml_text
from server.ops.configuration import main as config_main
from server.protocol.client import ProtocolClient


async def test_export_writes_the_entries_of_the_range_and_is_recorded(
    server: RunningServer, database_path: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    for site in (SITE, OTHER_SITE):
        async with ProtocolClient(server.ws_url, "admin", ADMIN_TOKEN, site) as admin:
            await admin.request("issue", service="HT", request_key="one")
    database = f"sqlite:///{database_path}"
    out = tmp_path / "nhat-ky.csv"
    status = await asyncio.to_thread(audit_main, [
        "export", "--from", "23/11/2026", "--to", "2026-11-23", "--site", SITE,
        "--out", str(out), "--db", database])
    assert status == 0, capsys.readouterr().err
    assert "1 entries" in capsys.readouterr().out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text("utf-8")
    assert text.startswith("\ufeff")
    [line] = list(csv.DictReader(text[1:].splitlines()))
    assert (line["Mã trung tâm"], line["Mã hành động"], line["Kênh"],
            line["Thời gian"][:10]) == (SITE, "ticket.issue", "admin", "23/11/2026")
    assert ADMIN_TOKEN not in text
    # Without --site: every entry of the day (the exports are recorded at the real time, not
    # the test's day).
    everything = tmp_path / "all.csv"
    assert await asyncio.to_thread(audit_main, [
        "export", "--from", "2026-11-23", "--to", "2026-11-23", "--out", str(everything),
        "--db", database]) == 0
    codes = [row["Mã hành động"] for row in
             csv.DictReader(everything.read_text("utf-8")[1:].splitlines())]
    assert codes == ["ticket.issue", "ticket.issue"]
    exported = audit_rows(database_path, "audit.export")
    assert [(row["actor_kind"], row["channel"], row["target"]) for row in exported] == [
        ("system", "cli", "nhat-ky.csv"), ("system", "cli", "all.csv")]
    assert json.loads(exported[0]["after"])["entries"] == 1
    # A day outside the range: an empty file (its header only).
    empty = tmp_path / "empty.csv"
    assert await asyncio.to_thread(audit_main, [
        "export", "--from", "2026-11-24", "--to", "2026-11-30", "--out", str(empty),
        "--db", database]) == 0
    assert len(empty.read_text("utf-8").splitlines()) == 1


BAD_OPTIONS = [
    (["--from", "2026-11-23", "--to", "2026-11-01"], "--to: 2026-11-01 is before --from"),
    (["--from", "31/02/2026", "--to", "2026-11-01"], "--from: '31/02/2026' is not a day"),
    (["--from", "2026-11-01", "--to", "2026-11-23", "--site", "khong-co"],
     "--site: 'khong-co' is not a site"),
    (["--from", "2026-11-01", "--to", "2026-11-23", "--action", "ticket.explode"],
     "--action: 'ticket.explode' is no action code"),
    (["--from", "2026-11-01", "--to", "2026-11-23", "--out-dir-missing"],
     "--out: the folder"),
]


async def test_bad_options_are_refused_and_nothing_is_written(
    server: RunningServer, database_path: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    for options, message in BAD_OPTIONS:
        out = tmp_path / "audit.csv"
        if "--out-dir-missing" in options:
            options = options[:-1]
            out = tmp_path / "no-such-folder" / "audit.csv"
        status = await asyncio.to_thread(audit_main, [
            "export", *options, "--out", str(out), "--db", f"sqlite:///{database_path}"])
        assert status == 2, options
        assert message in capsys.readouterr().err, options
        assert not out.exists() and not list(tmp_path.glob(".audit.csv*"))
    assert audit_rows(database_path, "audit.export") == []


def test_a_configuration_import_is_recorded_with_what_it_changed(tmp_path: Path) -> None:
    database = tmp_path / "qms.sqlite3"
    config = site_config()
    first = tmp_path / "centre.toml"
    first.write_text(toml_text(config), "utf-8")
    assert config_main(["import", str(first), "--db", f"sqlite:///{database}", "--yes"]) == 0
    config["sites"][0]["notice"] = "Nghỉ Tết từ 15/2"
    second = tmp_path / "centre-2.toml"
    second.write_text(toml_text(config), "utf-8")
    assert config_main(["import", str(second), "--db", f"sqlite:///{database}",
                        "--yes"]) == 0
    seeded, changed = audit_rows(database, "config.import")
    assert (seeded["actor_kind"], seeded["channel"], seeded["target"]) == (
        "system", "cli", "centre.toml")
    assert json.loads(seeded["after"])[f"sites/{SITE}"]["tokens"][0]["token"] == (
        "(ẩn / hidden)")
    assert (changed["site"], changed["target"]) == (SITE, "centre-2.toml")
    assert json.loads(changed["after"]) == {f"sites/{SITE}/notice": "Nghỉ Tết từ 15/2",
                                            "version": 2}
    text = "".join(str(value) for row in (seeded, changed) for value in row.values())
    assert "token-0001" not in text and "scrypt" not in text
