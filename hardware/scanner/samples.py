"""Made-up codes for the scanner emulator, the demo and tests. Nobody's real data: the names
say "test" (Thử, Mẫu) and the ID numbers end in zeros."""

from __future__ import annotations

from datetime import date

BOOKING_QR_PREFIX = "QMSB:"


def id_card_text(birth: date, *, female: bool = False, name: str = "Nguyễn Văn Thử",
                 id_number: str | None = None, old_id_number: str = "",
                 issued: date | None = None, extra_fields: tuple[str, ...] = ()) -> str:
    """A chip ID card's QR text for a made-up person born on ``birth``: unless given, the
    number's 4th to 6th digits follow the card rules (century and sex, year of birth) and
    its last six are zeros; the dates are DDMMYYYY."""
    if id_number is None:
        century_code = {19: 0, 20: 2, 21: 4, 22: 6, 18: 8}.get(birth.year // 100, 0)
        id_number = f"001{century_code + (1 if female else 0)}{birth.year % 100:02d}000000"
    issue_day = issued or date(max(birth.year + 14, 2021), 5, 10)
    fields = [id_number, old_id_number, name, f"{birth:%d%m%Y}", "Nữ" if female else "Nam",
              "Số 1 Đường Mẫu, Phường Thử Nghiệm, Hà Nội", f"{issue_day:%d%m%Y}",
              *extra_fields]
    return "|".join(fields)


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def booking_qr_text(code: str) -> str:
    """What a booking's QR holds: ``QMSB:`` and the 8-character code."""
    return f"{BOOKING_QR_PREFIX}{code.replace('-', '').upper()}"
