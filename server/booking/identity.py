"""A CCCD number (the chip ID card's 12 digits) and a birth date, checked (pure).

The 12 digits (Thông tư 07/2016/TT-BCA, Thông tư 59/2021/TT-BCA) are: the province of
birth registration (3 digits, one of the 63 codes below), the century and sex (1 digit:
0/1 born 1900-1999, 2/3 2000-2099; 4-9 for later centuries, which nobody alive holds), the
last two digits of the year of birth (2), and 6 digits of the person's own. A number that
breaks this structure is refused before anything counts it; one that keeps it is not
proved to exist (only the national population database knows that).
"""

from __future__ import annotations

import re
from datetime import date

CCCD_LENGTH = 12
_DIGITS = re.compile(r"[0-9]{12}")
_SEPARATORS = re.compile(r"[\s.\-]")

PROVINCE_CODES = frozenset({
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019",
    "020", "022", "024", "025", "026", "027", "030", "031", "033", "034", "035", "036",
    "037", "038", "040", "042", "044", "045", "046", "048", "049", "051", "052", "054",
    "056", "058", "060", "062", "064", "066", "067", "068", "070", "072", "074", "075",
    "077", "079", "080", "082", "083", "084", "086", "087", "089", "091", "092", "093",
    "094", "095", "096",
})
"""The 63 provinces' codes of the CCCD (Hà Nội 001 ... Cà Mau 096); a card keeps the code
of where its holder's birth was registered."""

OLDEST_BIRTH_YEAR = 1900


def cccd_problem(text: str, today: date) -> str | None:
    """Why ``text`` (spaces, dots and dashes allowed between digits) is not a CCCD number,
    as a text key (``err_cccd_digits``, ``err_cccd_province``, ``err_cccd_century``,
    ``err_cccd_year``), or ``None`` when it is one."""
    digits = normal_cccd(text)
    if digits is None:
        return "err_cccd_digits"
    if digits[:3] not in PROVINCE_CODES:
        return "err_cccd_province"
    century = digits[3]
    if century not in "0123":
        return "err_cccd_century"
    year = (1900 if century in "01" else 2000) + int(digits[4:6])
    if year > today.year:
        return "err_cccd_year"
    return None


def normal_cccd(text: str) -> str | None:
    """The 12 ASCII digits ``text`` holds (separators dropped), or ``None``."""
    if len(text) > 40:
        return None
    digits = _SEPARATORS.sub("", text)
    return digits if _DIGITS.fullmatch(digits) else None


def masked_cccd(digits: str) -> str:
    """A CCCD number as a page may show it: ``001*******89``."""
    return digits[:3] + "*" * 7 + digits[-2:]


def age_on(birth: date, today: date) -> int:
    """Whole years of age on ``today`` of a person born on ``birth``."""
    years = today.year - birth.year
    if (today.month, today.day) < (birth.month, birth.day):
        years -= 1
    return years
