"""A citizen's feedback: its categories and states, its reference code, and how a posted form
becomes a :class:`Submission` or a list of problems, each naming its field (pure: no I/O).

- **Reference code**: ten characters from an alphabet without the look-alikes 0/O/1/I (50
  bits), shown as ``XXXXX-XXXXX``; the citizen's only key to their feedback and its answer.
  Only its keyed hash is stored (HMAC-SHA-256 with the deployment's secret), so a copy of
  the database opens nobody's feedback, and a lookup compares hashes in constant time.
- **Text**: required, at most :data:`TEXT_LIMIT` characters (after NFC and ``\\r\\n`` to
  ``\\n``), no control characters but line breaks and tabs.
- **Contact**: optional; a phone number (a Vietnamese mobile or landline, read by the one rule
  of :mod:`server.booking.phone`: ``+84`` or ``0``, spaces, dots, dashes and brackets allowed
  and dropped) or an e-mail address; kept in a normal form, and only for ``[server]
  feedback_contact_days``.
- **Ticket**: optional; letters and digits as printed (``1001``, ``A012``), upper-cased;
  whether the site issued it recently is for the caller to check (the database).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from server.booking.phone import PhoneError, normalise_contact_phone

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
TEXT_LIMIT = 2000
ANSWER_LIMIT = 2000
CONTACT_LIMIT = 120
# A typed ticket number must be one the site issued within this many days (today included).
TICKET_DAYS = 7

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}")
_TICKET = re.compile(r"[A-Z0-9\-]{1,16}")
# Control characters (C0 but line feed and tab, DEL, C1), as the wire protocol refuses them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Category(StrEnum):
    """What the feedback is about."""

    ATTITUDE = "attitude"  # thái độ phục vụ
    WAITING = "waiting"  # thời gian chờ
    FACILITIES = "facilities"  # cơ sở vật chất
    PROCEDURE = "procedure"  # thủ tục
    OTHER = "other"  # khác


class State(StrEnum):
    """Where the centre is with it."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"


@dataclass(frozen=True, slots=True)
class Feedback:
    """One stored feedback, as a manager sees it (the citizen's page shows less)."""

    id: int
    code_hash: str
    site: str
    created_at: datetime
    category: Category
    text: str
    contact: str | None
    contact_erased_at: datetime | None
    ticket: str | None
    ticket_id: str | None
    language: str
    state: State
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None
    updated_at: datetime
    updated_by: str | None
    revision: int


@dataclass(frozen=True, slots=True)
class Submission:
    """A posted form that passed every check it can pass without the database."""

    site: str
    category: Category
    text: str
    contact: str | None
    ticket: str | None
    language: str


@dataclass(frozen=True, slots=True)
class Problem:
    """A refused field: ``key`` names the reason (a text key), ``values`` fill it in."""

    field: str
    key: str
    values: tuple[tuple[str, object], ...] = ()


# --- reference codes ------------------------------------------------------------------------


def new_code() -> str:
    """A fresh reference code, without the dash."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """``ABCDE23456`` as shown: ``ABCDE-23456``."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalized_code(text: str) -> str | None:
    """The code in ``text`` (any case, with or without the dash and spaces), or ``None``
    when it cannot be one."""
    if len(text) > 40:
        return None
    cleaned = "".join(text.split()).replace("-", "").upper()
    if len(cleaned) != CODE_LENGTH or any(character not in ALPHABET for character in cleaned):
        return None
    return cleaned


def code_hash(secret: str, code: str) -> str:
    """What is stored of a code: its HMAC-SHA-256 with the deployment's secret."""
    return hmac.new(secret.encode("utf-8"), b"feedback-code:" + code.encode("ascii"),
                    hashlib.sha256).hexdigest()


# --- reading the form -----------------------------------------------------------------------


def clean_text(text: str) -> str:
    """``text`` in NFC, with ``\\r\\n`` (a browser's line break) as ``\\n``, trimmed."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def normal_contact(text: str) -> str | None:
    """The phone number (``0912345678``) or e-mail address (domain in lower case) ``text``
    holds, or ``None`` when it is neither."""
    text = text.strip()
    if "@" in text:
        if len(text) > CONTACT_LIMIT or not _EMAIL.fullmatch(text):
            return None
        local, _, domain = text.rpartition("@")
        if ".." in text or local.startswith(".") or local.endswith("."):
            return None
        return f"{local}@{domain.lower()}"
    try:
        return normalise_contact_phone(text)
    except PhoneError:
        return None


def normal_ticket(text: str) -> str | None:
    """The ticket number typed (spaces dropped, upper case), or ``None`` when it cannot be
    one."""
    cleaned = "".join(text.split()).upper()
    return cleaned if _TICKET.fullmatch(cleaned) else None


def read_submission(fields: dict[str, str], sites: set[str]
                    ) -> tuple[Submission | None, list[Problem]]:
    """The submission the form's ``fields`` hold, or the problems with it (every field's
    first problem, in the form's order). ``sites``: the codes a citizen may choose."""
    problems: list[Problem] = []
    site = fields.get("site", "").strip()
    if not site:
        problems.append(Problem("site", "err_site_missing"))
    elif site not in sites:
        problems.append(Problem("site", "err_site_unknown"))
    category_text = fields.get("category", "")
    category = next((item for item in Category if item.value == category_text), None)
    if category is None:
        problems.append(Problem("category", "err_category_missing" if not category_text
                                else "err_category_unknown"))
    text = clean_text(fields.get("text", ""))
    if not text:
        problems.append(Problem("text", "err_text_missing"))
    elif len(text) > TEXT_LIMIT:
        problems.append(Problem("text", "err_text_long",
                                (("count", len(text)), ("limit", TEXT_LIMIT))))
    elif _CONTROL.search(text):
        problems.append(Problem("text", "err_control"))
    ticket_text = fields.get("ticket", "").strip()
    ticket = normal_ticket(ticket_text) if ticket_text else None
    if ticket_text and ticket is None:
        problems.append(Problem("ticket", "err_ticket_format"))
    contact_text = fields.get("contact", "").strip()
    contact = normal_contact(contact_text) if contact_text else None
    if contact_text and contact is None:
        problems.append(Problem("contact", "err_contact"))
    if problems:
        return None, problems
    assert category is not None
    language = "en" if fields.get("lang") == "en" else "vi"
    return Submission(site, category, text, contact, ticket, language), []


def read_answer(fields: dict[str, str]) -> tuple[tuple[State, str | None] | None,
                                                  list[Problem]]:
    """A manager's form: the new state and answer (``None`` when left empty), or the
    problems. An answered feedback must have an answer."""
    problems: list[Problem] = []
    state = next((item for item in State if item.value == fields.get("state", "")), None)
    if state is None:
        problems.append(Problem("state", "err_state"))
    answer = clean_text(fields.get("answer", ""))
    if len(answer) > ANSWER_LIMIT:
        problems.append(Problem("answer", "err_text_long",
                                (("count", len(answer)), ("limit", ANSWER_LIMIT))))
    elif _CONTROL.search(answer):
        problems.append(Problem("answer", "err_control"))
    elif state is State.ANSWERED and not answer:
        problems.append(Problem("answer", "err_answer_missing"))
    if problems:
        return None, problems
    assert state is not None
    return (state, answer or None), []
