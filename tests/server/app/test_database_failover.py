"""Database failover: the PostgreSQL primary fails, its synchronous standby is promoted, and a
``qms server`` carries on through a multi-host URL, losing no acknowledged ticket.

Two real PostgreSQL clusters in a temporary directory, run as the ``postgres`` system user
(PostgreSQL refuses to run as root, and tests run as root in CI): a primary with
``synchronous_standby_names`` naming the standby, and the standby made with
``pg_basebackup -R``, streaming from it. One real ``qms server`` process reaches them through
``postgresql://qms:qms@127.0.0.1:P1,127.0.0.1:P2/qms?target_session_attrs=read-write``, and
two kiosk apps' own connections (``kiosk.connection``) press one number after another at two
sites. Then:

* the primary is stopped hard (``pg_ctl stop -m immediate``: its processes die at once, as
  in a crash). While there is no primary the server stays up, logs the outage once, answers
  ``/health`` 503 ``no_database_primary`` (``qms status``: no database primary), still says
  hello with the site's snapshot (read from memory), and refuses an ``issue`` at once with
  ``unavailable`` (not a hang, not ``internal``);
* the standby is promoted (``pg_ctl promote``). The server finds it by itself: each site is
  taken again with a new fencing epoch and read back from the database, the kiosks' presses
  (kept and sent again with the same ``request_key``) are answered, and the kiosks go on;
* at the end, in the promoted database: every ticket a kiosk was given is there under its
  press, and nothing else; no number twice, no gap in numbers or ``seq``; the server's log
  holds no traceback.

``fsync`` is off in both clusters: the test kills processes, not the machine, so the
operating system's cache keeps what was written either way, and the shared machine is
spared the disk flushes. Skipped (with the reason) without PostgreSQL's server binaries or
the ``postgres`` user; ``.ci/run`` installs both.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from support.pressing_kiosk import PressingKiosk
from support.server_processes import ROOT, Logs, ServerProcess, site_codes, token
from support.servers import free_port

from server.protocol.client import ProtocolClient, RequestFailed

STANDBY_NAME = "qms_standby"
# From the promotion to each site taken again, and to the kiosks' next tickets.
RECOVERY_LIMIT_SECONDS = 15.0
# An issue while there is no primary is refused within this.
REFUSAL_LIMIT_SECONDS = 3.0


def postgres_binaries() -> Path:
    """The newest PostgreSQL server binaries (Debian's versioned folders), or a skip."""
    found = sorted((path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")
                    if path.parent.parent.name.isdigit()),
                   key=lambda path: int(path.parent.name))
    for folder in reversed(found):
        if all((folder / tool).exists() for tool in ("initdb", "pg_basebackup", "psql")):
            return folder
    pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) are not "
                "installed under /usr/lib/postgresql (Debian: apt-get install postgresql)")


def as_postgres() -> list[str]:
    """The prefix that runs a PostgreSQL tool as the ``postgres`` user when the test runs as
    root (PostgreSQL refuses root), or nothing when it does not."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("the tests run as root and there is no 'postgres' system user to run "
                    "PostgreSQL as (Debian's postgresql package creates it)")
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("runuser (util-linux) is missing: cannot run PostgreSQL as 'postgres'")
    return [runuser, "-u", "postgres", "--"]


class Cluster:
    """One PostgreSQL cluster in ``folder`` on 127.0.0.1:``port``."""

    def __init__(self, binaries: Path, prefix: list[str], root: Path, name: str) -> None:
        self.binaries = binaries
        self.prefix = prefix
        self.root = root
        self.folder = root / name
        self.log = root / f"{name}.log"
        self.port = free_port()

    def run(self, tool: str, *arguments: str) -> str:
        finished = subprocess.run([*self.prefix, str(self.binaries / tool), *arguments],
                                  capture_output=True, text=True, cwd=self.root, timeout=120,
                                  check=False)
        if finished.returncode != 0:
            raise AssertionError(f"{tool} {' '.join(arguments)} failed "
                                 f"({finished.returncode}): {finished.stderr}{self.log_tail()}")
        return finished.stdout

    def log_tail(self) -> str:
        try:
            return "\n" + "\n".join(self.log.read_text("utf-8", "replace").splitlines()[-20:])
        except OSError:
            return ""

    def configure(self, settings: Mapping[str, str]) -> None:
        """Append ``settings`` to ``postgresql.auto.conf`` (later lines win)."""
        lines = "".join(f"{name} = '{value}'\n" for name, value in settings.items())
        subprocess.run([*self.prefix, "sh", "-c",
                        f"cat >> '{self.folder}/postgresql.auto.conf'"],
                       input=lines, text=True, check=True, cwd=self.root, timeout=30)

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.folder), "-l", str(self.log), "-w", "-t", "60",
                 "start")

    def sql(self, statement: str) -> str:
        return self.run("psql", "-h", str(self.root), "-p", str(self.port), "-U", "postgres",
                        "-d", "postgres", "-qtAX", "-c", statement).strip()

    def stop(self, mode: str) -> None:
        self.run("pg_ctl", "-D", str(self.folder), "-m", mode, "-w", "stop")


def cluster_settings(port: int, root: Path) -> dict[str, str]:
    return {"port": str(port), "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(root), "fsync": "off",
            "shared_buffers": "16MB", "max_connections": "40", "max_wal_senders": "4"}


@pytest.fixture
def replicated() -> Iterator[tuple[Cluster, Cluster]]:
    """A primary with a synchronous standby, both running; stopped and removed afterwards."""
    binaries = postgres_binaries()
    prefix = as_postgres()
    root = Path(tempfile.mkdtemp(prefix="qms-failover-"))
    if prefix:
        shutil.chown(root, "postgres", "postgres")
    primary = Cluster(binaries, prefix, root, "primary")
    standby = Cluster(binaries, prefix, root, "standby")
    started: list[Cluster] = []
    try:
        primary.run("initdb", "-D", str(primary.folder), "-U", "postgres", "--auth=trust",
                    "--no-sync", "-E", "UTF8", "--locale=C")
        primary.configure(cluster_settings(primary.port, root))
        primary.start()
        started.append(primary)
        primary.sql("CREATE ROLE qms LOGIN PASSWORD 'qms'")
        primary.sql("CREATE DATABASE qms OWNER qms")
        primary.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U",
                    "postgres", "-D", str(standby.folder), "-R", "-X", "stream",
                    "--checkpoint=fast", "--no-sync")
        # The standby streams under the name the primary waits for; once promoted it has no
        # standby of its own, so it must not wait for one (else every commit would hang).
        standby.configure({**cluster_settings(standby.port, root),
                           "primary_conninfo": f"host=127.0.0.1 port={primary.port} "
                                               f"user=postgres application_name={STANDBY_NAME}",
                           "synchronous_standby_names": ""})
        standby.start()
        started.append(standby)
        # From now on a commit is acknowledged once the standby has it too (and until it
        # streams, every commit waits: nothing to wait for here).
        primary.sql(f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
        primary.sql("ALTER SYSTEM SET synchronous_commit = 'on'")
        primary.sql("SELECT pg_reload_conf()")
        yield primary, standby
    finally:
        for cluster in started:
            with contextlib.suppress(AssertionError):  # stopped by the test already
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def health(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def qms_status(url: str) -> tuple[int, dict[str, Any]]:
    """``qms status --json`` on the database at ``url``: its exit status and document."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "status", "--db", url, "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=str(ROOT))
    output, errors = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    assert output, errors.decode()
    return process.returncode, json.loads(output)


def database_facts(url: str, sites: Sequence[str]) -> dict[str, dict[str, Any]]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    facts = {}
    try:
        with engine.connect() as connection:
            for site in sites:
                tickets = connection.execute(text(
                    "SELECT request_key, number, sequence FROM tickets WHERE site = :site"),
                    {"site": site}).all()
                seqs = connection.execute(text(
                    "SELECT seq FROM events WHERE site = :site ORDER BY seq"),
                    {"site": site}).scalars().all()
                row = connection.execute(text(
                    "SELECT seq, owner_epoch FROM sites WHERE code = :site"),
                    {"site": site}).one()
                facts[site] = {"tickets": {key: number for key, number, _ in tickets},
                               "sequences": sorted(sequence for _, _, sequence in tickets),
                               "seqs": [int(seq) for seq in seqs], "seq": int(row.seq),
                               "epoch": int(row.owner_epoch)}
    finally:
        engine.dispose()
    return facts


async def test_the_primary_fails_and_the_standby_is_promoted_under_load(
        replicated: tuple[Cluster, Cluster], tmp_path: Path) -> None:
    primary, standby = replicated
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    sites = site_codes(2)
    logs = Logs()
    url = (f"postgresql://qms:qms@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/qms"
           "?target_session_attrs=read-write")
    server = ServerProcess("P0", tmp_path / "server", sites, [], url, logs)
    kiosks = {site: PressingKiosk(site, server.ws_url, loop, tmp_path / f"tickets-{site}",
                               reconnect_max_seconds=1.0, answer_seconds=60.0)
              for site in sites}
    stop = asyncio.Event()
    pressing: list[asyncio.Task[None]] = []
    try:
        await server.start()
        first_epochs = {site: (await logs.takeover(site, 0.0, timeout=20)).epoch
                        for site in sites}
        for kiosk in kiosks.values():
            kiosk.connection.start()
            pressing.append(loop.create_task(kiosk.press_until(stop)))
        for kiosk in kiosks.values():
            await kiosk.tickets_after(0.0, 10, timeout=20)
        # Those commits were acknowledged once the standby had them.
        assert await asyncio.to_thread(
            primary.sql, "SELECT sync_state FROM pg_stat_replication WHERE application_name = "
            f"'{STANDBY_NAME}'") == "sync"

        # The primary dies.
        mark = len(logs.lines)
        await asyncio.to_thread(primary.stop, "immediate")
        stopped_at = time.monotonic()
        await logs.line("P0", r"no database primary", after=mark, timeout=10)
        noticed_at = time.monotonic()
        # While there is none: up, saying so, serving reads, refusing writes at once.
        status, body = await asyncio.to_thread(health, server.public_url)
        assert (status, body) == (503, {"status": "no_database_primary"})
        probe = ProtocolClient(server.ws_url, "kiosk", token("kiosk", sites[0]), sites[0])
        hello = await asyncio.wait_for(probe.connect(), 10)
        assert hello["state"]["site"]["code"] == sites[0]
        snapshot = await asyncio.wait_for(probe.request("snapshot"), REFUSAL_LIMIT_SECONDS)
        assert snapshot["state"]["site"]["code"] == sites[0]
        asked_at = time.monotonic()
        with pytest.raises(RequestFailed) as refused:
            await asyncio.wait_for(probe.request("issue", service="HT",
                                                 request_key="probe-during-outage"),
                                   REFUSAL_LIMIT_SECONDS)
        refusal_seconds = time.monotonic() - asked_at
        assert refused.value.code == "unavailable", refused.value
        assert "no primary" in refused.value.message
        await probe.close()
        code, document = await qms_status(url)
        assert (code, document["error"]) == (2, "no database primary"), document
        assert server.process is not None and server.process.returncode is None

        # The standby is promoted: the server finds it and takes its sites again.
        promoted_at = time.monotonic()
        await asyncio.to_thread(standby.run, "pg_ctl", "-D", str(standby.folder), "-w",
                                "promote")
        retaken = {site: await logs.takeover(site, promoted_at,
                                             timeout=RECOVERY_LIMIT_SECONDS)
                   for site in sites}
        for site in sites:
            assert retaken[site].epoch > first_epochs[site]
        resumed = {site: await kiosks[site].tickets_after(promoted_at, 5,
                                                          timeout=RECOVERY_LIMIT_SECONDS)
                   for site in sites}
        await logs.line("P0", r"the database has a primary again", after=mark, timeout=10)
        status, body = await asyncio.to_thread(health, server.public_url)
        assert (status, body) == (200, {"status": "ok"})
        code, document = await qms_status(url)
        assert code == 0, document
        assert {item["code"]: item["owner"] for item in document["sites"]} == {
            site: server.public_url for site in sites}

        stop.set()
        await asyncio.gather(*pressing)
        facts = await asyncio.to_thread(
            database_facts, f"postgresql://qms:qms@127.0.0.1:{standby.port}/qms", sites)
        for site in sites:
            kiosk, stored = kiosks[site], facts[site]
            # Every ticket given is in the promoted database under its press; nothing else
            # is (a press whose commit was in doubt was sent again and got that ticket).
            assert stored["tickets"] == kiosk.confirmed
            numbers = list(kiosk.confirmed.values())
            assert len(set(numbers)) == len(numbers)
            assert stored["sequences"] == list(range(1, len(numbers) + 1))
            assert stored["seqs"] == list(range(1, stored["seq"] + 1))
            assert stored["epoch"] == retaken[site].epoch
        own_lines = [line for name, line in logs.lines if name == "P0"]
        assert not [line for line in own_lines if "Traceback" in line], own_lines
        outage_logs = [line for line in own_lines if "no database primary (" in line]
        assert len(outage_logs) == 1, outage_logs
    finally:
        stop.set()
        for task in pressing:
            task.cancel()
        for kiosk in kiosks.values():
            await asyncio.to_thread(kiosk.connection.stop)
        await server.stop()
    print(f"\ndatabase failover ({time.monotonic() - started:.1f} s in all): the outage "
          f"noticed {(noticed_at - stopped_at) * 1000:.0f} ms after the primary stopped; an "
          f"issue refused in {refusal_seconds * 1000:.0f} ms; after the promotion, sites "
          "taken again in " + ", ".join(f"{(item.at - promoted_at) * 1000:.0f} ms"
                                        for item in retaken.values())
          + ", the kiosks' next tickets in " + ", ".join(
              f"{(at - promoted_at) * 1000:.0f} ms" for at in resumed.values())
          + "; " + ", ".join(f"{site}: {len(kiosks[site].confirmed)} tickets"
                             for site in sites))
