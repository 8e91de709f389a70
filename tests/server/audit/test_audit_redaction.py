"""What an audit entry may keep (pure): secrets hidden, long numbers masked, a configuration
change as the paths it changed, bounded size; and the per-address allowance of refusals."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from server.audit.journal import ADDRESSES_KEPT, REFUSAL_BURST, RefusalAllowance
from server.audit.redaction import (
    CHANGED,
    HIDDEN,
    JSON_LIMIT,
    configuration_changes,
    encoded,
    masked_text,
    redacted,
)


def test_phone_and_id_card_numbers_keep_their_last_three_digits_only() -> None:
    assert masked_text("gọi 0912 345 678 nhé") == "gọi *******678 nhé"
    assert masked_text("+84.912.345.678") == "********678"
    assert masked_text("CCCD 001203004567") == "CCCD *********567"
    # Short numbers, days and times are no one's number.
    for kept in ("quầy 12, số 1001", "23/11/2026 08:00", "2026-11-23T08:00:00+07:00",
                 "hcc-test:20261123:1001"):
        assert masked_text(kept) == kept


@given(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=15).map("".join),
       st.sampled_from(["", " ", ".", "-"]))
def test_no_run_of_nine_digits_survives(digits: str, separator: str) -> None:
    text = "số " + separator.join(digits[index:index + 3]
                                  for index in range(0, len(digits), 3))
    masked = masked_text(text)
    assert masked.endswith(digits[-3:])
    assert sum(character.isdigit() for character in masked) == 3


def test_secret_keys_are_hidden_wherever_they_are() -> None:
    value: dict[str, Any] = {
        "name": "kiosk", "token": "abc-secret-token", "password_hash": "scrypt$...",
        "officers": [{"user": "lan", "password": "mat-khau"}], "empty": {"token": ""},
        "case_code": "000.00.12.H42-261123-0007"}
    assert redacted(value) == {
        "name": "kiosk", "token": HIDDEN, "password_hash": HIDDEN,
        "officers": [{"user": "lan", "password": HIDDEN}], "empty": {"token": ""},
        "case_code": "000.00.12.H42-261123-0007"}


def test_a_configuration_change_is_the_paths_it_changed() -> None:
    before = {"sites": [{"code": "hcc", "notice": "", "services": [
        {"code": "HT", "name_vi": "Khai sinh"}, {"code": "DD", "name_vi": "Đất đai"}],
        "tokens": [{"name": "kiosk", "role": "kiosk", "token": "old-token-1"}],
        "officers": [{"user": "lan", "password_hash": "hash-1"}]}],
        "accounts": [{"user": "giamdoc", "role": "manager", "password_hash": "hash-2"}]}
    after = json.loads(json.dumps(before))
    site = after["sites"][0]
    site["notice"] = "Nghỉ Tết"
    site["services"] = [{"code": "HT", "name_vi": "Khai sinh, kết hôn"},
                        {"code": "CT", "name_vi": "Chứng thực"}]
    site["tokens"][0]["token"] = "new-token-2"
    site["officers"][0]["password_hash"] = "hash-3"
    old, new, sites = configuration_changes(before, after)
    assert sites == {"hcc"}
    assert old == {"sites/hcc/notice": "",
                   "sites/hcc/services/HT/name_vi": "Khai sinh",
                   "sites/hcc/services/DD": {"code": "DD", "name_vi": "Đất đai"},
                   "sites/hcc/services/CT": None,
                   "sites/hcc/tokens/kiosk/token": HIDDEN,
                   "sites/hcc/officers/lan/password_hash": HIDDEN}
    assert new == {"sites/hcc/notice": "Nghỉ Tết",
                   "sites/hcc/services/HT/name_vi": "Khai sinh, kết hôn",
                   "sites/hcc/services/DD": None,
                   "sites/hcc/services/CT": {"code": "CT", "name_vi": "Chứng thực"},
                   "sites/hcc/tokens/kiosk/token": CHANGED,
                   "sites/hcc/officers/lan/password_hash": CHANGED}
    # An account's change belongs to no site; a new site is one path, its tokens hidden.
    later = json.loads(json.dumps(after))
    later["accounts"][0]["role"] = "admin"
    later["sites"].append({"code": "xa", "tokens": [{"name": "k", "token": "xa-token-3"}]})
    old, new, sites = configuration_changes(after, later)
    assert sites == {"xa"}
    assert old == {"accounts/giamdoc/role": "manager", "sites/xa": None}
    assert new["sites/xa"] == {"code": "xa", "tokens": [{"name": "k", "token": HIDDEN}]}
    for secret in ("old-token-1", "new-token-2", "hash-1", "hash-3", "xa-token-3"):
        assert secret not in json.dumps([old, new])


def test_a_huge_value_is_kept_as_its_paths() -> None:
    value = {f"sites/hcc/services/S{index:03d}": "x" * 200 for index in range(200)}
    text = encoded(value)
    assert text is not None and len(text) < JSON_LIMIT
    kept = json.loads(text)
    assert kept["truncated"] is True and kept["paths"][0] == "sites/hcc/services/S000"
    assert encoded(None) is None


def test_refusals_are_recorded_up_to_a_share_per_address() -> None:
    now = [0.0]
    allowance = RefusalAllowance(lambda: now[0])
    assert all(allowance.take("10.0.0.9") for _ in range(REFUSAL_BURST))
    assert not allowance.take("10.0.0.9")
    assert allowance.take("10.0.0.10")  # another address has its own share
    now[0] += 3.0  # 20 a minute: one more after three seconds
    assert allowance.take("10.0.0.9") and not allowance.take("10.0.0.9")
    for index in range(5000):  # the addresses remembered stay bounded
        allowance.take(f"10.1.{index // 250}.{index % 250}")
    assert len(allowance) == ADDRESSES_KEPT
