"""The report's charts as SVG text, for the web pages to put inline.

Pure strings: no script, no font or file from anywhere (the system's sans-serif), no
``style`` attribute (presentation attributes only, so a page's Content-Security-Policy
without ``'unsafe-inline'`` shows them as they are). Every text is XML-escaped; each chart
has a ``<title>`` and ``role="img"`` with an ``aria-label`` for screen readers. The chart
scales to its container (``viewBox``, width 100 %). Vietnamese, or English (``english=True``:
the pages' English switch).
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from server.reports.model import HourCount, WaitBucket, WeekSatisfaction
from server.reports.texts import count_text, decimal_text

WIDTH = 640
HEIGHT = 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 40, 48
ARRIVALS_COLOUR = "#2f6db5"
CALLS_COLOUR = "#f28e2b"
WAITING_COLOUR = "#59a14f"
RATE_COLOUR = "#b6263b"
_GRID = "#d9d9d9"
_TEXT = "#333333"

# Every word the charts write, in Vietnamese and in English.
_WORDS = {
    "hours_title": ("Lượt lấy số và lượt gọi theo giờ", "Arrivals and calls by hour"),
    "arrivals": ("Lấy số", "Arrivals"),
    "calls": ("Được gọi", "Calls"),
    "hour_axis": ("Giờ trong ngày", "Hour of day"),
    "waiting_title": ("Phân bố thời gian chờ", "Waiting-time distribution"),
    "minutes": ("phút", "min"),
    "waiting_axis": ("Thời gian chờ (phút)", "Waiting time (minutes)"),
    "weeks_title": ("Tỷ lệ hài lòng theo tuần (QĐ 766)", "Satisfaction by week (QĐ 766)"),
    "week_of": ("Tuần từ", "Week of"),
    "week_axis": ("Tuần (bắt đầu thứ Hai)", "Week (starting on Monday)"),
    "empty": ("Chưa có số liệu", "No figures yet"),
}


def _word(name: str, english: bool) -> str:
    return _WORDS[name][1 if english else 0]


def hourly_chart_svg(hours: Sequence[HourCount], title: str | None = None,
                     english: bool = False) -> str:
    """Arrivals and calls per hour of the day, side by side."""
    peak = max((max(item.arrivals, item.calls) for item in hours), default=0)
    scale = _Scale(peak, english)
    width = (WIDTH - _LEFT - _RIGHT) / max(len(hours), 1)
    parts = [*scale.grid()]
    arrivals, calls = _word("arrivals", english), _word("calls", english)
    for index, item in enumerate(hours):
        left = _LEFT + index * width
        bar = width * 0.38
        for offset, value, colour, name in ((0.1, item.arrivals, ARRIVALS_COLOUR, arrivals),
                                            (0.5, item.calls, CALLS_COLOUR, calls)):
            parts.append(_bar(left + width * offset, bar, scale.y(value), colour,
                              f"{item.hour:02d}:00 {name.lower()}: "
                              f"{count_text(value, english)}"))
        parts.append(_text(left + width / 2, HEIGHT - _BOTTOM + 16, f"{item.hour:02d}",
                           anchor="middle"))
    parts.append(_text(WIDTH / 2, HEIGHT - 8, _word("hour_axis", english), anchor="middle"))
    parts += _legend(((ARRIVALS_COLOUR, arrivals), (CALLS_COLOUR, calls)))
    return _svg(title or _word("hours_title", english), parts, empty=not hours,
                english=english)


def waiting_chart_svg(buckets: Sequence[WaitBucket], title: str | None = None,
                      english: bool = False) -> str:
    """Served tickets per waiting-time bucket (minutes)."""
    scale = _Scale(max((bucket.count for bucket in buckets), default=0), english)
    width = (WIDTH - _LEFT - _RIGHT) / max(len(buckets), 1)
    parts = [*scale.grid()]
    for index, bucket in enumerate(buckets):
        left = _LEFT + index * width
        parts.append(_bar(left + width * 0.15, width * 0.7, scale.y(bucket.count),
                          WAITING_COLOUR, f"{bucket.label} {_word('minutes', english)}: "
                                          f"{count_text(bucket.count, english)}"))
        parts.append(_text(left + width / 2, HEIGHT - _BOTTOM + 16, bucket.label,
                           anchor="middle"))
    parts.append(_text(WIDTH / 2, HEIGHT - 8, _word("waiting_axis", english), anchor="middle"))
    return _svg(title or _word("waiting_title", english), parts,
                empty=not any(bucket.count for bucket in buckets), english=english)


def satisfaction_chart_svg(weeks: Sequence[WeekSatisfaction], title: str | None = None,
                           english: bool = False) -> str:
    """The QĐ 766 satisfaction rate of each week, 0-100 %, as a line with its points."""
    rated = [week for week in weeks if week.satisfaction_rate is not None]
    plot_height = HEIGHT - _TOP - _BOTTOM
    parts = []
    for percent in range(0, 101, 20):
        y = HEIGHT - _BOTTOM - plot_height * percent / 100
        parts.append(_line(_LEFT, y, WIDTH - _RIGHT, y, _GRID))
        parts.append(_text(_LEFT - 6, y + 4, f"{percent} %", anchor="end"))
    step = (WIDTH - _LEFT - _RIGHT) / max(len(rated), 1)
    points = []
    for index, week in enumerate(rated):
        assert week.satisfaction_rate is not None
        x = _LEFT + step * (index + 0.5)
        y = HEIGHT - _BOTTOM - plot_height * week.satisfaction_rate
        points.append((x, y))
        label = decimal_text(week.satisfaction_rate * 100, english) + " %"
        tip = f"{_word('week_of', english)} {week.week_start:%d/%m/%Y}: {label}"
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{RATE_COLOUR}">'
                     f"<title>{escape(tip)}</title></circle>")
        parts.append(_text(x, y - 9, label, anchor="middle"))
        parts.append(_text(x, HEIGHT - _BOTTOM + 16, f"{week.week_start:%d/%m}",
                           anchor="middle"))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.insert(0, f'<polyline points="{path}" fill="none" stroke="{RATE_COLOUR}" '
                        'stroke-width="2"/>')
    parts.append(_text(WIDTH / 2, HEIGHT - 8, _word("week_axis", english), anchor="middle"))
    return _svg(title or _word("weeks_title", english), parts, empty=not rated,
                english=english)


class _Scale:
    """A vertical axis from 0 to a round number at or above ``peak``."""

    def __init__(self, peak: int, english: bool) -> None:
        self.top = _round_up(peak)
        self.english = english

    def y(self, value: float) -> float:
        """The height of a bar of ``value`` in pixels."""
        return (HEIGHT - _TOP - _BOTTOM) * value / self.top

    def grid(self) -> list[str]:
        parts = []
        for index in range(5):
            value = self.top * index / 4
            y = HEIGHT - _BOTTOM - self.y(value)
            parts.append(_line(_LEFT, y, WIDTH - _RIGHT, y, _GRID))
            text = count_text(int(value), self.english) if value == int(value) \
                else f"{value:g}" if self.english else f"{value:g}".replace(".", ",")
            parts.append(_text(_LEFT - 6, y + 4, text, anchor="end"))
        return parts


def _round_up(peak: int) -> int:
    """1, 2, 4 or 5 times a power of ten, at least ``peak`` (and 4 when there is nothing),
    so that the four grid steps are round numbers."""
    if peak <= 0:
        return 4
    power = 1
    while power * 10 <= peak:
        power *= 10
    for factor in (1, 2, 4, 5, 10):
        if factor * power >= peak:
            return factor * power
    return 10 * power


def _bar(x: float, width: float, height: float, colour: str, tip: str) -> str:
    y = HEIGHT - _BOTTOM - height
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'fill="{colour}"><title>{escape(tip)}</title></rect>')


def _line(x1: float, y1: float, x2: float, y2: float, colour: str) -> str:
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{colour}" stroke-width="1"/>')


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11,
          bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"'
            f'{weight} fill="{_TEXT}">{escape(text)}</text>')


def _legend(items: Sequence[tuple[str, str]]) -> list[str]:
    parts = []
    x = WIDTH - _RIGHT - 200
    for colour, name in items:
        parts.append(f'<rect x="{x}" y="10" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(x + 16, 20, name))
        x += 100
    return parts


def _svg(title: str, parts: Sequence[str], empty: bool, english: bool) -> str:
    body = list(parts)
    if empty:
        body = [_text(WIDTH / 2, HEIGHT / 2, _word("empty", english), anchor="middle",
                      size=14)]
    axis = _line(_LEFT, HEIGHT - _BOTTOM, WIDTH - _RIGHT, HEIGHT - _BOTTOM, _TEXT)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="100%" role="img" aria-label={quoteattr(title)} '
            f'font-family="sans-serif">'
            f"<title>{escape(title)}</title>"
            f"{_text(_LEFT, 22, title, size=14, bold=True)}"
            f"{''.join(body)}{axis}</svg>")
