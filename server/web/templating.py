"""The Jinja2 environment of the web pages: autoescaping on, templates from the package.

Filters turn values into what a Vietnamese reader expects: dates dd/mm/yyyy and times in the
site's time zone, durations in minutes. Pages are answered with :func:`page`, which adds
``Cache-Control: no-store`` (they show live or personal figures).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse


def _local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%H:%M")


def _local_date(day: date | datetime | None) -> str:
    return "" if day is None else day.strftime("%d/%m/%Y")


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds")


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else str(math.floor(seconds / 60))


def _elapsed(since: datetime | None, now: datetime) -> str:
    """How long since ``since``: ``m:ss``, or ``h:mm:ss`` past an hour (the page's script
    keeps it ticking)."""
    if since is None:
        return ""
    seconds = max(0, math.floor((now - since).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + " %"


ENVIRONMENT = Environment(
    loader=PackageLoader("server.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a name a template misspells is an error, not a blank
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.filters.update(local_time=_local_time, local_date=_local_date, iso=_iso,
                           minutes=_minutes, percent=_percent, elapsed=_elapsed)


def render(template: str, **context: Any) -> str:
    """``template`` rendered with ``context``."""
    return ENVIRONMENT.get_template(template).render(**context)


def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """An HTML answer of ``template``; never cached (live figures, personal pages)."""
    return HTMLResponse(render(template, **context), status_code=status_code,
                        headers={"cache-control": "no-store"})
