"""The systemd units: their text, ``systemd-analyze verify`` on them, and ``qms
install-service`` / ``uninstall-service`` as real processes (``systemctl`` itself replaced
by a recorder: no service manager runs in the test)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server.ops.service import qms_command, role_is_installed, unreachable_by_others
from server.ops.units import ServerUnits, app_unit, exec_line, server_units

DEMO_CONFIG = Path(__file__).resolve().parents[3] / "server" / "config" / "demo.toml"


def verify(directory: Path, names: list[str], user: bool = False) -> str:
    """Run ``systemd-analyze verify`` on units in ``directory``; what it complained of."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    environment = dict(os.environ)
    if user:
        # The user manager's look-up paths need a runtime folder, which a test has not.
        runtime = directory / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        environment["XDG_RUNTIME_DIR"] = str(runtime)
    finished = subprocess.run(
        [analyze, *(["--user"] if user else []), "verify", *(f"./{name}" for name in names)],
        cwd=directory, capture_output=True, text=True, env=environment, timeout=120)
    complaints = [line for line in (finished.stdout + finished.stderr).splitlines()
                  if any(name in line for name in names)]
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return "\n".join(complaints)


def write(directory: Path, units: list[Any]) -> list[str]:
    for unit in units:
        (directory / unit.name).write_text(unit.text, "utf-8")
    return [unit.name for unit in units]


def test_the_servers_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    units = server_units(ServerUnits(command=qms_command(), config=DEMO_CONFIG,
                                     backup_time="03:15", keep_backups=7))
    names = write(tmp_path, units)
    assert names == ["qms-server.service", "qms-backup.service", "qms-backup.timer"]
    assert verify(tmp_path, names) == ""
    server, backup, timer = (unit.text for unit in units)
    assert "User=qms\n" in server and "StateDirectory=qms\n" in server
    assert "Restart=on-failure\n" in server and "WantedBy=multi-user.target" in server
    assert f"ExecStart={exec_line(qms_command())} server --config {DEMO_CONFIG} " \
           "--data-dir /var/lib/qms\n" in server
    assert "Type=oneshot" in backup and "--out-dir /var/lib/qms/backups --keep 7\n" in backup
    assert "OnCalendar=*-*-* 03:15:00\n" in timer and "Persistent=true" in timer


def test_a_broken_unit_fails_the_same_check(tmp_path: Path) -> None:
    """The check bites: a unit whose program is not there, or with a mistyped key."""
    unit = server_units(ServerUnits(command=("/nonexistent/qms",), config=DEMO_CONFIG))[0]
    (tmp_path / unit.name).write_text(unit.text.replace("Restart=", "Restrat="), "utf-8")
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    finished = subprocess.run([analyze, "verify", f"./{unit.name}"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
    said = finished.stdout + finished.stderr
    assert finished.returncode != 0 and "/nonexistent/qms" in said and "Restrat" in said


@pytest.mark.parametrize("role", ["kiosk", "counter", "display", "bridge"])
def test_each_apps_user_unit_passes_verify(tmp_path: Path, role: str) -> None:
    unit = app_unit(role, qms_command(), ["--server", "ws://10.0.0.5:8765/ws", "--token",
                                          "tok 100% $HOME"])
    assert verify(tmp_path, write(tmp_path, [unit]), user=True) == ""
    assert "Restart=on-failure\n" in unit.text and unit.private
    # systemd's own quoting: the token arrives as one argument, % and $ as themselves.
    assert '--token "tok 100%% $$HOME"' in unit.text
    if role == "bridge":
        assert "WantedBy=default.target" in unit.text and "graphical" not in unit.text
    else:
        assert "PartOf=graphical-session.target" in unit.text
        assert "WantedBy=graphical-session.target" in unit.text


async def test_install_service_dry_run_prints_the_units_and_changes_nothing(
    qms: Any, tmp_path: Path
) -> None:
    status, output, errors = await qms.run(
        "install-service", "--role", "server", "--config", DEMO_CONFIG, "--unit-dir",
        tmp_path / "units", "--dry-run")
    assert status == 0, errors
    assert f"write {tmp_path / 'units' / 'qms-server.service'} (mode 0644):" in output
    assert "    ExecStart=" in output and "    OnCalendar=*-*-* 02:30:00" in output
    assert "run systemctl enable --now qms-server.service qms-backup.timer" in output
    assert "useradd --system --user-group" in output
    assert not (tmp_path / "units").exists()

    status, output, errors = await qms.run(
        "install-service", "--role", "kiosk", "--dry-run", "--", "--server",
        "ws://10.0.0.5:8765/ws", "--token", "kiosk-token-1", "--printer", "tcp://10.0.0.9")
    assert status == 0, errors
    assert "qms-kiosk.service (mode 0600)" in output
    assert "kiosk --server ws://10.0.0.5:8765/ws --token kiosk-token-1 --printer " \
           "tcp://10.0.0.9" in output
    assert "run systemctl --user enable --now qms-kiosk.service" in output


def recording_systemctl(folder: Path) -> tuple[dict[str, str], Path]:
    """An environment whose ``systemctl`` only writes down how it was called."""
    folder.mkdir()
    record = folder / "calls.txt"
    fake = folder / "systemctl"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {record}\n', "utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, record


async def test_install_and_uninstall_an_app_service(qms: Any, tmp_path: Path) -> None:
    environment, record = recording_systemctl(tmp_path / "bin")
    units = tmp_path / "units"
    status, output, errors = await qms.run(
        "install-service", "--role", "display", "--unit-dir", units, "--",
        "--server", "ws://10.0.0.5:8765/ws", "--token", "display-token-1", "--zone", "T1",
        environment=environment)
    assert status == 0, errors
    unit = units / "qms-display.service"
    assert stat.S_IMODE(unit.stat().st_mode) == 0o600  # it holds the token
    assert "--token display-token-1 --zone T1" in unit.read_text("utf-8")
    assert record.read_text("utf-8").splitlines() == [
        "--user daemon-reload", "--user enable --now qms-display.service"]
    assert "journalctl --user -u qms-display.service" in output

    status, output, errors = await qms.run("uninstall-service", "--role", "display",
                                           "--unit-dir", units, environment=environment)
    assert status == 0, errors
    assert not unit.exists()
    assert record.read_text("utf-8").splitlines()[2:] == [
        "--user disable --now qms-display.service", "--user daemon-reload"]


@pytest.mark.skipif(os.name == "nt" or os.geteuid() != 0, reason="installs as root")
async def test_install_the_server_service_as_root(qms: Any, tmp_path: Path) -> None:
    environment, record = recording_systemctl(tmp_path / "bin")
    config = tmp_path / "centre.toml"
    shutil.copy(DEMO_CONFIG, config)
    config.chmod(0o644)
    units = tmp_path / "units"
    # "nobody" exists everywhere, so no user is created; its group gets the configuration.
    status, _output, errors = await qms.run(
        "install-service", "--role", "server", "--config", config, "--user", "nobody",
        "--unit-dir", units, "--no-start", environment=environment)
    assert status == 0, errors
    assert sorted(path.name for path in units.iterdir()) == [
        "qms-backup.service", "qms-backup.timer", "qms-server.service"]
    assert "User=nobody\n" in (units / "qms-server.service").read_text("utf-8")
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    import grp

    assert config.stat().st_gid == grp.getgrnam(_group_of("nobody")).gr_gid
    assert record.read_text("utf-8").splitlines() == [
        "daemon-reload", "enable qms-server.service qms-backup.timer"]


def _group_of(user: str) -> str:
    import grp
    import pwd

    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name


async def test_install_service_refuses_what_would_not_start(qms: Any, tmp_path: Path) -> None:
    status, _output, errors = await qms.run("install-service", "--role", "server",
                                            "--dry-run")
    assert status == 2 and "--config: is required" in errors
    broken = tmp_path / "centre.toml"
    broken.write_text('[server]\nport = "tám"\n', "utf-8")
    status, _output, errors = await qms.run("install-service", "--role", "server",
                                            "--config", broken, "--dry-run")
    assert status == 2 and "server.port" in errors
    status, _output, errors = await qms.run("install-service", "--role", "counter",
                                            "--dry-run")
    assert status == 2 and "give the counter's options after --" in errors


def test_a_folder_others_cannot_enter_is_found(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    (closed / "venv" / "bin").mkdir(parents=True)
    closed.chmod(0o700)
    assert closed in unreachable_by_others([closed / "venv" / "bin" / "qms"])
    closed.chmod(0o755)
    assert closed not in unreachable_by_others([closed / "venv" / "bin" / "qms"])


def test_every_role_of_this_installation_is_complete() -> None:
    """The test environment installs every role (qms[all]): nothing is missing."""
    for role in ("server", "kiosk", "counter", "display", "bridge"):
        assert role_is_installed(role) == [], role
