"""The ticket status page a citizen opens from the QR code on the ticket (HTML rendering).

Vietnamese first, English second; no outside fonts or scripts: it must load on any phone on
the centre's Wi-Fi. The page is drawn whole by the server, so it says everything without a
script; its one script (``/static/status.js``, same origin) then keeps it live over the
WebSocket as a ``citizen`` connection, changing the parts it names by id in place. Without
scripts, the page reloads itself every 20 seconds while the ticket waits or is being called
(the refresh sits inside ``<noscript>``, so a page with its script never reloads under a
citizen). Once served it offers the satisfaction scale (one rating per ticket): the form is
on the page from the start, hidden until then, so the live page shows it without a reload.

The script's words come in a JSON block of the page (:data:`SCRIPT_TEXTS`): one wording for
the page and the script, and no inline script for the Content-Security-Policy to refuse.
"""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

from server.config.settings import SiteSettings

REFRESH_SECONDS = 20
STYLESHEET = "/static/status.css"
SCRIPT = "/static/status.js"

STATUS_TEXT = {
    "waiting": ("Đang chờ đến lượt", "Waiting for your turn"),
    "transferred": ("Đã chuyển, đang chờ đến lượt", "Transferred, waiting for your turn"),
    "called": ("Mời quý khách đến quầy", "Please go to the counter"),
    "serving": ("Đang được phục vụ", "Being served"),
    "done": ("Đã hoàn thành", "Completed"),
    "no_show": ("Đã gọi nhưng không có mặt", "Called but not present"),
    "cancelled": ("Phiếu đã hủy", "Ticket cancelled"),
}

NO_COUNTER = "chưa có quầy mở cho thủ tục này / no counter open for this procedure yet"
ETA_UNKNOWN = "chưa xác định / not known yet"
ETA = "khoảng {n} phút / about {n} min"

SCRIPT_TEXTS: dict[str, Any] = {
    "status": STATUS_TEXT,
    "noCounter": NO_COUNTER,
    "etaUnknown": ETA_UNKNOWN,
    "eta": ETA,
    "alertsOn": "Đã bật âm báo / Alerts on",
    "expired": ("Phiếu đã hết hạn", "Ticket expired"),
    # The connection's state, under the card (none while it is being opened).
    "state": {
        "live": ("Đang cập nhật trực tiếp", "Updating live"),
        "lost": ("Mất kết nối, đang kết nối lại…", "Connection lost, reconnecting…"),
        "gone": ("Phiếu không còn theo dõi được: phiếu chỉ có giá trị trong ngày cấp.",
                 "This ticket can no longer be followed: a ticket is valid on the day it "
                 "was issued."),
    },
}
"""What status.js says, in both languages (its ``TEXTS``)."""

_WAITING = ("waiting", "transferred")
_AT_COUNTER = ("called", "serving")


def render_status_page(
    site: SiteSettings | None,
    ticket: dict[str, Any] | None,
    rated_score: int | None,
    rate_action: str,
    note: str | None = None,
    rating_key: str | None = None,
    waiting: int | None = None,
) -> str:
    """The page for ``ticket`` (a wire ticket object, with its ``track``), or a "not found"
    page when ``None`` (``site`` may then be ``None`` too: a process that serves no site).

    ``rated_score`` is the ticket's rating if it has one; ``rate_action`` the URL the rating
    form posts to; ``note`` a line to show on top (the answer to a rating just sent).
    ``rating_key``: the valid key of the ticket's QR link, which the rating form sends back;
    without it (the code typed by hand, a link shared from a screen) the page only shows the
    status and asks to scan the QR code to rate. ``waiting``: how many wait for the ticket's
    procedure now (the row is left out when not given).
    """
    title = escape(site.name_vi) if site is not None else "QMS"
    if ticket is None or site is None:
        body = ('<div class="card"><p class="status">Không tìm thấy phiếu</p>'
                '<p class="en">Ticket not found. Tickets are kept for the day they were '
                'issued.</p></div>')
        return _page(title, body, refresh=False, live=False)
    status = str(ticket["status"])
    status_vi, status_en = STATUS_TEXT.get(status, (status, status))
    track = str(ticket.get("track") or "")
    in_queue = status in _WAITING
    counter_name = str(ticket.get("counter_name") or "")
    counter_shown = status in _AT_COUNTER and bool(counter_name)
    parts = [f'<div class="card status-{escape(status)}" id="ticket-page" '
             f'data-track="{escape(track)}" data-status="{escape(status)}" '
             f'data-call-count="{int(ticket.get("call_count") or 0)}">'
             f'<div class="en">Số thứ tự / Ticket number</div>'
             f'<div class="number">{escape(str(ticket["number"]))}</div>'
             f'<div>{escape(str(ticket["service_name"]))}</div>'
             f'<div class="en">{escape(str(ticket.get("service_name_en") or ""))}</div>'
             f'<p class="status"><span id="status-vi">{status_vi}</span><br>'
             f'<span class="en" id="status-en">{status_en}</span></p>'
             f'<div class="counter" id="counter"{_hidden(not counter_shown)}>'
             f'{escape(counter_name if counter_shown else "")}</div>']
    ahead = (str(ticket.get("ahead", 0)) if ticket.get("ahead_known", True) else NO_COUNTER)
    eta = ticket.get("eta_minutes")
    rows = [_row("issued", "Giờ lấy số / Issued", _time(ticket.get("issued_at")), True),
            _row("ahead", "Số người trước bạn / Ahead", ahead, in_queue),
            _row("eta", "Thời gian chờ dự kiến / Estimated wait",
                 ETA.replace("{n}", str(eta)) if eta is not None else ETA_UNKNOWN, in_queue)]
    if waiting is not None:
        rows.append(_row("waiting", "Đang chờ thủ tục này / Waiting for this procedure",
                         str(waiting), in_queue))
    parts.append("<dl>" + "".join(rows) + "</dl>")
    # The live parts: hidden until the script shows them (nothing there works without it).
    parts.append('<p class="live-state" id="live-state" hidden><span id="live-state-vi">'
                 '</span><br><span class="en" id="live-state-en"></span></p>'
                 '<button type="button" class="alerts" id="alerts" hidden>Bật âm báo'
                 '<br><span class="en">Turn on alerts</span></button>'
                 '<p class="alerts-done" id="alerts-done"></p>')
    if note:
        parts.append(f'<p class="note">{escape(note)}</p>')
    parts.append(f'<div id="rating"{_hidden(status != "done")}>'
                 f'{_rating_block(site, rated_score, rate_action, rating_key)}</div>')
    parts.append("</div>")
    # The citizens' feedback form (server.web.feedback), this ticket filled in.
    feedback = f"/gop-y?site={quote(site.code)}&t={quote(track)}"
    parts.append(f'<p class="feedback"><a href="{escape(feedback)}">Góp ý, phản ánh, kiến '
                 f'nghị<br><span class="en">Feedback and suggestions</span></a></p>')
    return _page(title, "".join(parts), refresh=status in (*_WAITING, "called"), live=True)


def _hidden(hidden: bool) -> str:
    return " hidden" if hidden else ""


def _row(name: str, label: str, value: str, shown: bool) -> str:
    # A group of dt and dd (display: contents), shown and hidden as one.
    return (f'<div data-row="{name}"{_hidden(not shown)}><dt>{escape(label)}</dt>'
            f"<dd id='{name}'>{escape(value)}</dd></div>")


def _rating_block(site: SiteSettings, rated_score: int | None, rate_action: str,
                  rating_key: str | None) -> str:
    if rated_score is not None:
        label = site.rating_label(rated_score)
        shown = f"{label.label_vi} / {label.label_en}" if label else str(rated_score)
        return (f'<p class="note">Cảm ơn quý khách đã đánh giá: {escape(shown)}<br>'
                '<span class="en">Thank you for your rating.</span></p>')
    if rating_key is None:
        return ('<p class="note">Quét mã QR trên phiếu của quý khách để đánh giá.<br>'
                '<span class="en">Scan the QR code on your ticket to rate the service.'
                '</span></p>')
    buttons = "".join(
        f'<button name="score" value="{label.score}">{escape(label.label_vi)}'
        f'<br><span class="en">{escape(label.label_en)}</span></button>'
        for label in site.rating_scale)
    return (f'<p class="status">Quý khách hài lòng với dịch vụ?<br>'
            f'<span class="en">How satisfied are you with the service?</span></p>'
            f'<form method="post" action="{escape(rate_action)}">'
            f'<input type="hidden" name="k" value="{escape(rating_key)}">{buttons}</form>')


def _time(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return datetime.fromisoformat(value).strftime("%H:%M %d/%m/%Y")


def _script_texts() -> str:
    # Inside <script type="application/json">: "<" escaped so no text can close the block.
    return json.dumps(SCRIPT_TEXTS, ensure_ascii=False).replace("<", "\\u003c")


def _page(title: str, body: str, refresh: bool, live: bool) -> str:
    refresh_tag = (f'<noscript><meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
                   f'</noscript>' if refresh else "")
    script = (f'<script type="application/json" id="status-texts">{_script_texts()}</script>'
              f'<script src="{SCRIPT}" defer></script>' if live else "")
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'{refresh_tag}<title>{title}</title><link rel="stylesheet" href="{STYLESHEET}">'
            f'<link rel="icon" href="/favicon.ico">'
            f"{script}</head>"
            f"<body><main><h1>{title}</h1>{body}</main></body></html>")
