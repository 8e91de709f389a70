"""The ticket status page a citizen opens from the QR code on the ticket (pure HTML rendering).

Vietnamese first, English second; no scripts, no outside fonts: it must load on any phone on
the centre's Wi-Fi. While the ticket waits or is being called the page reloads itself every
20 seconds; once served it offers the satisfaction scale (one rating per ticket).
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from server.config.settings import SiteSettings

REFRESH_SECONDS = 20

_STATUS_TEXT = {
    "waiting": ("Đang chờ đến lượt", "Waiting for your turn"),
    "transferred": ("Đã chuyển, đang chờ đến lượt", "Transferred, waiting for your turn"),
    "called": ("Mời quý khách đến quầy", "Please go to the counter"),
    "serving": ("Đang được phục vụ", "Being served"),
    "done": ("Đã hoàn thành", "Completed"),
    "no_show": ("Đã gọi nhưng không có mặt", "Called but not present"),
    "cancelled": ("Phiếu đã hủy", "Ticket cancelled"),
}

STYLESHEET = "/static/status.css"


def render_status_page(
    site: SiteSettings,
    ticket: dict[str, Any] | None,
    rated_score: int | None,
    rate_action: str,
    note: str | None = None,
    rating_key: str | None = None,
) -> str:
    """The page for ``ticket`` (a wire ticket object), or a "not found" page when ``None``.

    ``rated_score`` is the ticket's rating if it has one; ``rate_action`` the URL the rating
    form posts to; ``note`` a line to show on top (the answer to a rating just sent).
    ``rating_key``: the valid key of the ticket's QR link, which the rating form sends back;
    without it (the code typed by hand, a link shared from a screen) the page only shows the
    status and asks to scan the QR code to rate.
    """
    title = escape(site.name_vi)
    if ticket is None:
        body = ('<div class="card"><p class="status">Không tìm thấy phiếu</p>'
                '<p class="en">Ticket not found. Tickets are kept for the day they were '
                'issued.</p></div>')
        return _page(title, body, refresh=False)
    status = str(ticket["status"])
    status_vi, status_en = _STATUS_TEXT.get(status, (status, status))
    parts = [f'<div class="card"><div class="en">Số thứ tự / Ticket number</div>'
             f'<div class="number">{escape(str(ticket["number"]))}</div>'
             f'<div>{escape(str(ticket["service_name"]))}</div>'
             f'<div class="en">{escape(str(ticket.get("service_name_en") or ""))}</div>'
             f'<p class="status">{status_vi}<br><span class="en">{status_en}</span></p>']
    if status in ("called", "serving") and ticket.get("counter_name"):
        parts.append(f'<div class="counter">{escape(str(ticket["counter_name"]))}</div>')
    details: list[tuple[str, str]] = [("Giờ lấy số / Issued", _time(ticket.get("issued_at")))]
    if status in ("waiting", "transferred"):
        # ``ahead_known`` false: no open counter serves it yet, so no count is a promise.
        details.append(("Số người trước bạn / Ahead", str(ticket.get("ahead", 0))
                        if ticket.get("ahead_known", True) else
                        "chưa có quầy mở cho thủ tục này / no counter open for this procedure yet"))
        eta = ticket.get("eta_minutes")
        details.append(("Thời gian chờ dự kiến / Estimated wait",
                        f"khoảng {eta} phút / about {eta} min" if eta is not None
                        else "chưa xác định / not known yet"))
    parts.append("<dl>" + "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"
                                  for label, value in details) + "</dl>")
    if note:
        parts.append(f'<p class="note">{escape(note)}</p>')
    if status == "done":
        parts.append(_rating_block(site, rated_score, rate_action, rating_key))
    parts.append("</div>")
    return _page(title, "".join(parts), refresh=status in ("waiting", "transferred", "called"))


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


def _page(title: str, body: str, refresh: bool) -> str:
    refresh_tag = (f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if refresh
                   else "")
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'{refresh_tag}<title>{title}</title><link rel="stylesheet" href="{STYLESHEET}">'
            f"</head>"
            f"<body><main><h1>{title}</h1>{body}</main></body></html>")
