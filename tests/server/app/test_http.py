"""HTTP on the WebSocket's port."""

from __future__ import annotations

import asyncio
import json
import urllib.request

from server.app.serve import RunningServer


def _get(url: str) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, json.loads(response.read())


async def test_health_answers_on_the_same_port(server: RunningServer) -> None:
    status, body = await asyncio.to_thread(_get, server.http_url + "/health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"
    sites = body["sites"]
    assert isinstance(sites, list)
    assert [site["code"] for site in sites] == ["hcc-test"]
