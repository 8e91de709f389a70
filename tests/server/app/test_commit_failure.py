"""A commit that fails leaves nothing behind: no number is lost, none is duplicated; a writer
process that goes away stops the server instead of guessing what it wrote."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

from support.servers import KIOSK_TOKEN, SITE, table_counts

from server.app.serve import RunningServer
from server.protocol.client import ProtocolClient, RequestFailed

# A real refusal inside the writer's transaction, as a full disk would give: SQLite aborts
# the statement, the writer rolls the whole batch back and answers with the error.
REFUSE_KEY_B = """
CREATE TRIGGER refuse_b BEFORE INSERT ON tickets WHEN NEW.request_key = 'b'
BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END
"""


def run_sql(database_path: Path, sql: str) -> None:
    with sqlite3.connect(database_path) as connection:
        connection.execute(sql)


async def test_failed_commit_refuses_the_press_and_reuses_the_number(
    server: RunningServer, database_path: Path
) -> None:
    async with ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
        first = (await kiosk.request("issue", service="HT", request_key="a"))["ticket"]
        run_sql(database_path, REFUSE_KEY_B)
        try:
            await kiosk.request("issue", service="HT", request_key="b")
            raise AssertionError("the failed commit was reported as a success")
        except RequestFailed as error:
            assert error.code == "internal"
        assert table_counts(database_path)["tickets"] == 1
        run_sql(database_path, "DROP TRIGGER refuse_b")
        retry = (await kiosk.request("issue", service="HT", request_key="b"))["ticket"]
        assert (first["number"], retry["number"]) == ("A001", "A002")
        snapshot = await kiosk.request("snapshot")
        assert snapshot["seq"] == 2
    assert server.service.failed is not None and not server.service.failed.done()
    counts = table_counts(database_path)
    assert (counts["tickets"], counts["events"]) == (2, 2)


async def test_a_lost_writer_process_refuses_writes_and_fails_the_server(
    server: RunningServer, database_path: Path
) -> None:
    async with ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
        await kiosk.request("issue", service="HT", request_key="a")
        writer_pid = server.service.writer.pid
        assert writer_pid is not None and writer_pid != os.getpid()
        os.kill(writer_pid, signal.SIGKILL)
        for key in ("b", "c"):  # the one that met the dead process, and one after it
            try:
                await kiosk.request("issue", service="HT", request_key=key)
                raise AssertionError("a press was answered with no writer to save it")
            except RequestFailed as error:
                assert error.code == "internal"
        assert server.service.failed is not None
        reason = await server.service.failed
        assert "exited" in reason
    assert table_counts(database_path)["tickets"] == 1
