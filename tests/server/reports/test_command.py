"""``qms report``: the file, or one line naming the option, exit status 2 and no file; run
beside a live server on the same database."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.app.serve import start_server
from server.config import load_settings
from server.protocol.client import ProtocolClient
from server.reports import command

ROOT = Path(__file__).resolve().parents[3]


def main(argv: list[str]) -> int:
    """The command in this process, without making the test process nicer."""
    return command.main(argv, yield_processor=False)


ADMIN_TOKEN = "report-admin-token-01"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "centre.toml"
    path.write_text(CONFIG, "utf-8")
    return path


CONFIG = """
[server]
secret = "report-test-secret-0123"
admin_tokens = ["report-admin-token-01"]

[[sites]]
code = "hcc"
name_vi = "Trung tâm thử nghiệm"
target_wait_minutes = 30
[[sites.fields]]
code = "F1"
name_vi = "Đất đai"
[[sites.fields]]
code = "F2"
name_vi = "Hộ tịch"
[[sites.services]]
code = "S1"
name_vi = "Nộp hồ sơ đất đai"
field = "F1"
numbers = "A###"
target_wait_minutes = 10
[[sites.services]]
code = "S2"
name_vi = "Nhận kết quả đất đai"
field = "F1"
numbers = "B###"
[[sites.services]]
code = "S3"
name_vi = "Đăng ký khai sinh"
field = "F2"
numbers = "C###"
[[sites.zones]]
code = "Z"
name_vi = "Tầng 1"
[[sites.counters]]
code = "C1"
name = "Quầy 1"
zone = "Z"
services = ["S1", "S2"]
[[sites.counters]]
code = "C2"
name = "Quầy 2"
zone = "Z"
services = ["S3"]

[[sites]]
code = "p1"
name_vi = "Phường 1"
[[sites.fields]]
code = "F1"
name_vi = "Đất đai"
[[sites.services]]
code = "S1"
name_vi = "Nộp hồ sơ"
field = "F1"
numbers = "A###"
[[sites.zones]]
code = "Z"
name_vi = "Một cửa"
[[sites.counters]]
code = "C1"
name = "Quầy 1"
zone = "Z"
services = ["S1"]
"""


def test_a_workbook_and_a_csv(report_database: str, config_file: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    workbook = tmp_path / "report.xlsx"
    assert main(["--from", "2026-11-02", "--to", "03/11/2026", "--site", "hcc", "--by",
                 "service", "--format", "xlsx", "--out", str(workbook), "--config",
                 str(config_file), "--db", report_database]) == 0
    assert "wrote" in capsys.readouterr().out
    assert load_workbook(workbook)["Theo dịch vụ"]["C5"].value == 9  # the total's tickets
    table = tmp_path / "hours.csv"  # the format from the extension
    assert main(["--from", "2026-11-02", "--to", "2026-11-03", "--site", "hcc", "--site", "p1",
                 "--by", "hour", "--out", str(table), "--config", str(config_file),
                 "--db", report_database]) == 0
    lines = table.read_text("utf-8-sig").splitlines()
    assert lines[0].startswith("Giờ,Khung giờ,Số phiếu đã cấp")
    assert lines[-1].startswith(",Tổng cộng,10,")


@pytest.mark.parametrize(("options", "message"), [
    (["--from", "30/11/2026", "--to", "01/11/2026"],
     "qms report: --to: 01/11/2026 is before the first day 30/11/2026"),
    (["--from", "01/01/2026", "--to", "02/01/2027"],
     "qms report: --to: the range 01/01/2026-02/01/2027 is longer than a year"),
    (["--from", "01/11/2026", "--to", "30/11/2026", "--site", "hcm"],
     "qms report: --site: no site 'hcm' (known: hcc, p1)"),
    (["--from", "01/11/2026", "--to", "31/11/2026"],
     "qms report: --to: '31/11/2026' is not a day of the calendar"),
])
def test_bad_input_exits_2_with_one_line_and_no_file(
        report_database: str, config_file: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], options: list[str], message: str) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    assert main([*options, "--out", str(folder / "r.xlsx"), "--config", str(config_file),
                 "--db", report_database]) == 2
    error = capsys.readouterr().err
    assert error.startswith(message) and error.count("\n") == 1
    assert list(folder.iterdir()) == []


def test_a_missing_database_or_directory(config_file: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str],
                                         report_database: str) -> None:
    common = ["--from", "01/11/2026", "--to", "30/11/2026", "--config", str(config_file)]
    assert main([*common, "--out", str(tmp_path / "r.xlsx"), "--db",
                 f"sqlite:///{tmp_path / 'none.sqlite3'}"]) == 2
    assert "qms report: --db: no database file at" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite3").exists()  # not created by looking
    assert main([*common, "--out", str(tmp_path / "missing" / "r.xlsx"), "--db",
                 report_database]) == 2
    assert "qms report: --out: no directory" in capsys.readouterr().err


async def test_the_qms_command_runs_beside_a_live_server(config_file: Path,
                                                        tmp_path: Path) -> None:
    database = tmp_path / "live.sqlite3"
    url = f"sqlite:///{database}"
    settings = load_settings(config_file)
    running = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
    try:
        async with ProtocolClient(running.ws_url, "admin", ADMIN_TOKEN, "hcc",
                                  subscribe=[]) as admin:
            for press in range(3):
                await admin.request("issue", service="S1", request_key=f"k{press}")
            today = running.service.sites["hcc"].committed.business_date
            out = tmp_path / "today.csv"
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "server.cli", "report", "--from", f"{today:%d/%m/%Y}",
                "--to", f"{today:%d/%m/%Y}", "--site", "hcc", "--out", str(out),
                "--config", str(config_file), "--db", url, cwd=ROOT,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            output, errors = await process.communicate()
            assert process.returncode == 0, errors.decode()
            assert output.decode().startswith("qms report: wrote")
            # Three tickets issued, none served yet: all "in progress".
            assert out.read_text("utf-8-sig").splitlines()[-1].startswith(",Tổng cộng,3,0,0,0,3,")
            # The server goes on as before.
            ticket = (await admin.request("issue", service="S1", request_key="after"))["ticket"]
            assert ticket["number"] == "A004"
    finally:
        await running.stop()
