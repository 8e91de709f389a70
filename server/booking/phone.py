"""Vietnamese phone numbers, the one rule for them: read as typed, kept in one form, shown
masked (pure: no I/O).

- A **mobile** number (bookings, one-time codes by SMS: :func:`normalise_phone`) is ``0``
  and 9 digits, the second one 3, 5, 7, 8 or 9 (Vietnam's mobile ranges since the 2018
  renumbering; 11-digit ``01x`` numbers are gone).
- A **landline** (a feedback's contact may be one: :func:`normalise_contact_phone`) is
  ``02`` and 9 digits: the area code and the subscriber's number (``024 3822 1234``).
- As typed: spaces, dots, dashes and brackets are dropped; ``+84``, ``0084`` or ``84`` in
  front of the number without its ``0`` stand for the ``0``. Nothing else is read: letters,
  other scripts' digits, another country's code are refused, each with its reason.
- Kept as the national form ``0912345678``; shown (logs, pages) as ``091****678``.
"""

from __future__ import annotations

import re

# Longer text is no phone number, however many separators it has; refused before it is read.
TYPED_LIMIT = 32
MOBILE_PREFIXES = ("03", "05", "07", "08", "09")

_SEPARATORS = re.compile(r"[\s.\-()]")
_DIGITS = re.compile(r"[0-9]+")
_MOBILE = re.compile(r"0[35789][0-9]{8}")
_LANDLINE = re.compile(r"02[0-9]{9}")


class PhoneError(ValueError):
    """Text that is not a phone number of the kind asked for; ``str()`` is the reason in
    English, ``message_vi`` and ``message_en`` say it to a citizen."""

    def __init__(self, message_en: str, message_vi: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_vi = message_vi


def normalise_phone(text: str) -> str:
    """The mobile number ``text`` holds, as ``0912345678``; :class:`PhoneError` (a
    ``ValueError``) says why when it holds none."""
    digits = _national_digits(text)
    if _MOBILE.fullmatch(digits):
        return digits
    if _LANDLINE.fullmatch(digits):
        raise PhoneError("is a landline number; give a mobile number, which can receive SMS",
                         "là số máy bàn; vui lòng nhập số di động để nhận tin nhắn")
    if len(digits) != 10:
        raise PhoneError(f"a mobile number has 10 digits (0 and 9 more), this has "
                         f"{len(digits)}",
                         f"số di động gồm 10 chữ số (số 0 và 9 số tiếp theo), số đã nhập có "
                         f"{len(digits)}")
    raise PhoneError("is not a Vietnamese mobile number (they start with 03, 05, 07, 08 or 09)",
                     "không phải số di động Việt Nam (bắt đầu bằng 03, 05, 07, 08 hoặc 09)")


def normalise_contact_phone(text: str) -> str:
    """The mobile or landline number ``text`` holds, as ``0912345678`` or ``02438221234``;
    :class:`PhoneError` says why when it holds neither."""
    digits = _national_digits(text)
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    raise PhoneError("is not a Vietnamese phone number (a mobile number has 10 digits and "
                     "starts with 03, 05, 07, 08 or 09; a landline has 11 and starts with 02)",
                     "không phải số điện thoại Việt Nam (số di động gồm 10 chữ số, bắt đầu "
                     "bằng 03, 05, 07, 08 hoặc 09; số máy bàn gồm 11 chữ số, bắt đầu bằng 02)")


def mask_phone(phone: str) -> str:
    """``0912345678`` as shown where a number need not be read whole: ``091****678``.

    Meant for a normalised number; any other text is masked the same way (its first and
    last three characters kept, only when it is at least seven long), so a log line never
    fails for want of a valid number."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 6) + phone[-3:]


def _national_digits(text: str) -> str:
    """``text``'s digits in the national form (``0`` for the country code), separators
    dropped; the length is not checked yet."""
    if len(text) > TYPED_LIMIT:
        raise PhoneError(f"is too long for a phone number (at most {TYPED_LIMIT} characters)",
                         f"quá dài so với một số điện thoại (tối đa {TYPED_LIMIT} ký tự)")
    cleaned = _SEPARATORS.sub("", text.strip())
    if not cleaned:
        raise PhoneError("is empty: give a phone number such as 0912 345 678",
                         "chưa nhập: vui lòng nhập số điện thoại, ví dụ 0912 345 678")
    plus = cleaned.startswith("+")
    digits = cleaned[1:] if plus else cleaned
    if not _DIGITS.fullmatch(digits):
        raise PhoneError("may hold only digits, with +84, spaces, dots or dashes if you like",
                         "chỉ gồm chữ số (có thể có +84, dấu cách, dấu chấm, gạch ngang)")
    if plus or digits.startswith("00"):
        international = digits if plus else digits[2:]
        if not international.startswith("84"):
            raise PhoneError("only Vietnamese numbers (+84) are taken",
                             "chỉ nhận số điện thoại Việt Nam (+84)")
        # "+84 (0) 912 345 678": the national 0 kept after the country code.
        national = international[2:]
        return national if national.startswith("0") else "0" + national
    # 84 and a number without its 0 (84 912 345 678): a mobile's 11 digits or a landline's 12.
    if digits.startswith("84") and len(digits) in (11, 12) and digits[2] != "0":
        return "0" + digits[2:]
    return digits
