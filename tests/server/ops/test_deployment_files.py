"""The container files (Dockerfile, compose.yaml). No container engine runs where the tests
run, so they are not built here (docs/install.md says so); these checks catch what can be
caught without one: every file the image copies exists, the commands it runs are ``qms``
commands that parse, the extras it installs exist, and the compose file is valid YAML whose
server waits for its database and keeps its data in volumes."""

from __future__ import annotations

import json
import shlex
import tomllib
from pathlib import Path
from typing import Any

import yaml

from server.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined), comments left out."""
    joined: list[str] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text("utf-8").splitlines():
        if line.lstrip().startswith("#") and not pending:
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        if pending or line.strip():
            joined.append(pending + line)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined]


def test_the_image_copies_files_that_exist_and_installs_extras_that_exist() -> None:
    steps = instructions()
    copied = [source for name, value in steps if name == "COPY"
              for source in shlex.split(value)[:-1]]
    assert copied
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    with (ROOT / "pyproject.toml").open("rb") as file:
        extras = tomllib.load(file)["project"]["optional-dependencies"]
    installs = [value for name, value in steps if name == "RUN" and "pip install" in value]
    assert installs == ['pip install ".[server,postgres]" && rm -rf /opt/qms/source']
    assert {"server", "postgres"} <= set(extras)
    # Everything COPY takes must get past .dockerignore (which ignores all but a list).
    ignore = (ROOT / ".dockerignore").read_text("utf-8").splitlines()
    for source in copied:
        assert f"!{source.rstrip('/')}" in ignore or f"!{source.rstrip('/')}/" in ignore, source


def test_the_image_runs_the_server_as_its_own_user_with_a_health_check() -> None:
    steps = dict(instructions())
    assert steps["FROM"].startswith("python:3.11-slim")
    assert steps["USER"] == "qms" and "useradd --system" in "".join(
        value for name, value in instructions() if name == "RUN")
    assert json.loads(steps["VOLUME"]) == ["/var/lib/qms"]
    assert "/health" in steps["HEALTHCHECK"]
    command = [*json.loads(steps["ENTRYPOINT"]), *json.loads(steps["CMD"])]
    assert command[0] == "qms"
    arguments = build_parser().parse_args(command[1:])
    assert (arguments.command, str(arguments.config), str(arguments.data_dir)) == (
        "server", "/etc/qms/centre.toml", "/var/lib/qms")
    assert arguments.port == int(steps["EXPOSE"])


def test_the_compose_file_starts_the_server_after_its_database() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "qms"}
    database, server = services["db"], services["qms"]
    assert database["image"].startswith("postgres:") and "healthcheck" in database
    assert server["build"] == "."
    assert server["depends_on"] == {"db": {"condition": "service_healthy"}}
    arguments = build_parser().parse_args(server["command"])
    assert arguments.command == "server" and arguments.db.startswith("postgresql://qms:")
    assert arguments.db.endswith("@db/qms")
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in server["volumes"]}
    assert mounts["/var/lib/qms"] in compose["volumes"]
    assert str(arguments.config) in mounts and str(arguments.data_dir) in mounts
    assert database["volumes"][0].split(":")[0] in compose["volumes"]
    # The image's pg_dump (Debian 12's PostgreSQL 15) must not be older than the server.
    assert database["image"] == "postgres:15"
    assert "bookworm" in dict(instructions())["FROM"]
