"""The audit log as CSV: what ``/manage/audit`` downloads and ``qms audit export`` writes.

UTF-8 with a byte-order mark (Excel reads the Vietnamese right), like the reports'; one row
per entry, in the order they were written, times as local ``dd/mm/yyyy HH:MM:SS``. A cell
that a spreadsheet would run as a formula starts with an apostrophe (OWASP's "CSV
injection"): an actor's name or a before/after value stays text. Written in batches
(:func:`csv_rows`), so a long range never sits in memory whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from server.audit.model import StoredEntry, action_name, actor_kind_name

BOM = "\ufeff"
HEADERS = ("Số", "Thời gian", "Mã trung tâm", "Người thực hiện (loại)", "Người thực hiện",
           "Thiết bị", "Kênh", "Quầy", "Địa chỉ IP", "Mã hành động", "Hành động",
           "Đối tượng", "Trước", "Sau", "Kết quả", "Mã lỗi")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_header() -> bytes:
    """The file's start: the byte-order mark and the header row."""
    return (BOM + _lines([list(HEADERS)])).encode("utf-8")


def csv_rows(entries: Iterable[StoredEntry], zone: ZoneInfo) -> bytes:
    """The rows of ``entries`` (times in ``zone``)."""
    rows = []
    for stored in entries:
        entry = stored.entry
        actor = entry.actor
        rows.append([
            str(stored.id), entry.at.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S"),
            _text(entry.site), actor_kind_name(actor.kind.value), _text(actor.name),
            _text(actor.device), actor.channel.value, _text(actor.counter),
            _text(actor.address), _text(entry.action), action_name(entry.action),
            _text(entry.target), _text(entry.before), _text(entry.after),
            "thành công" if entry.outcome.value == "ok" else "bị từ chối", _text(entry.error),
        ])
    return _lines(rows).encode("utf-8")


def _lines(rows: list[list[str]]) -> str:
    stream = io.StringIO()
    csv.writer(stream).writerows(rows)
    return stream.getvalue()


def _text(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
