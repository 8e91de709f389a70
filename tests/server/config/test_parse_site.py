"""One site checked alone, as the administration's forms edit it: the loader's rules, keys
relative to the site, and the rest of the deployment (SiteContext) for codes and tokens."""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from typing import Any

import pytest

from server.config import ConfigError, Problem, SiteContext, parse_settings, parse_site
from server.config.models import SiteModel

Change = Callable[[dict[str, Any]], object]

# The loader test's valid file (one ward, one admin token) and its cases are the reference.
# Imported by name at run time: mypy knows test modules by their file names only.
_loader_test: Any = importlib.import_module("tests.server.config.test_loader")
BASE: dict[str, Any] = _loader_test.BASE
ADMIN_TOKEN: str = _loader_test.ADMIN_TOKEN
KIOSK_TOKEN: str = _loader_test.KIOSK_TOKEN
CASES: list[tuple[str, Change, str, tuple[str, ...]]] = _loader_test.CASES
SECRET_CASES: list[tuple[str, Change, str, str, tuple[str, ...]]] = _loader_test.SECRET_CASES


def site_table(change: Change | None = None) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    if change is not None:
        change(data)
    result: dict[str, Any] = data["sites"][0]
    return result


# Every case of the loader test that breaks the first site alone.
SITE_CASES = [(name, change, key.removeprefix("sites[0]."), words)
              for name, change, key, words in CASES if key.startswith("sites[0].")]
SITE_SECRET_CASES = [(name, change, key.removeprefix("sites[0]."), secret, words)
                     for name, change, key, secret, words in SECRET_CASES
                     if key.startswith("sites[0].") and "admin" not in name]


def test_the_cases_cover_the_site() -> None:
    assert len(SITE_CASES) >= 50


@pytest.mark.parametrize(("change", "key", "words"), [case[1:] for case in SITE_CASES],
                         ids=[case[0] for case in SITE_CASES])
def test_a_site_alone_gets_the_loaders_reason_with_its_own_keys(
    change: Change, key: str, words: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_site(site_table(change))
    error = caught.value
    assert error.key == key, str(error)
    for word in words:
        # A reason that names another key names it relative to the site too.
        assert word.replace("sites[0].", "") in error.reason, (word, error.reason)


@pytest.mark.parametrize(("change", "key", "secret", "words"),
                         [case[1:] for case in SITE_SECRET_CASES],
                         ids=[case[0] for case in SITE_SECRET_CASES])
def test_a_site_alone_never_shows_a_secret(
    change: Change, key: str, secret: str, words: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_site(site_table(change))
    assert caught.value.key == key
    assert secret not in str(caught.value)
    for word in words:
        assert word.replace("sites[0].", "") in caught.value.reason


def test_a_valid_site_is_the_one_the_loader_makes() -> None:
    assert parse_site(site_table()) == parse_settings(copy.deepcopy(BASE)).sites[0]


def test_the_reason_names_a_key_of_the_site_relative_to_it() -> None:
    table = site_table()
    table["counters"][1]["services"] = ["DD", "XX"]
    with pytest.raises(ConfigError) as caught:
        parse_site(table)
    assert (caught.value.key, caught.value.reason) == ("counters[1].services[1]",
                                                       "no service 'XX'")


# --- the rest of the deployment ----------------------------------------------------------


def deployment_with_commune() -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    commune = copy.deepcopy(data["sites"][0])
    commune["code"] = "commune"
    commune["tokens"] = [{"name": "Ki-ốt xã", "role": "kiosk", "token": "commune-kiosk-000001"}]
    data["sites"].append(commune)
    return data


def test_the_context_is_the_rest_of_the_deployment() -> None:
    settings = parse_settings(deployment_with_commune())
    context = SiteContext.around(settings, "ward")
    assert context.site_codes == {"commune": "sites[1].code"}
    assert context.tokens == {ADMIN_TOKEN: "server.admin_tokens[0]",
                              "commune-kiosk-000001": "sites[1].tokens[0].token"}
    assert SiteContext.around(settings).site_codes.keys() == {"ward", "commune"}


def test_an_edited_site_keeps_its_own_code_and_tokens() -> None:
    settings = parse_settings(deployment_with_commune())
    table = site_table()
    table["name_vi"] = "UBND Phường Một"
    site = parse_site(table, SiteContext.around(settings, "ward"))
    assert site.name_vi == "UBND Phường Một"


def test_a_new_site_may_not_take_another_sites_code() -> None:
    settings = parse_settings(deployment_with_commune())
    table = site_table()
    table["code"] = "commune"
    table["tokens"] = []
    with pytest.raises(ConfigError) as caught:
        parse_site(table, SiteContext.around(settings))
    assert caught.value.key == "code"
    assert "appears twice (also at sites[1].code)" in caught.value.reason


@pytest.mark.parametrize(("token", "elsewhere"), [
    ("commune-kiosk-000001", "sites[1].tokens[0].token"),
    (ADMIN_TOKEN, "server.admin_tokens[0]"),
])
def test_a_site_may_not_take_a_token_used_elsewhere(token: str, elsewhere: str) -> None:
    settings = parse_settings(deployment_with_commune())
    table = site_table()
    table["tokens"].append({"name": "Ki-ốt 2", "role": "kiosk", "token": token})
    with pytest.raises(ConfigError) as caught:
        parse_site(table, SiteContext.around(settings, "ward"))
    assert caught.value.key == "tokens[1].token"
    assert f"is the same token as {elsewhere}" in caught.value.reason
    assert token not in str(caught.value)
    assert KIOSK_TOKEN not in str(caught.value)


# --- every problem at once, for a form ------------------------------------------------------


def test_every_problem_of_the_values_is_listed() -> None:
    table = site_table()
    table["rating_window_seconds"] = 0
    table["counters"][0]["order"] = "random"
    table["services"][1]["expected_minutes"] = "mười"
    table["tokens"][0]["token"] = "short"
    with pytest.raises(ConfigError) as caught:
        parse_site(table)
    error = caught.value
    assert set(error.problems) == {
        Problem("rating_window_seconds", "must be at least 1, got 0"),
        Problem("services[1].expected_minutes", "must be a number, got 'mười'"),
        Problem("counters[0].order", "must be preference or arrival, got 'random'"),
        Problem("tokens[0].token", "must be at least 12 characters"),
    }
    assert (error.key, error.reason) == error.problems[0]
    assert all("short" not in reason for _, reason in error.problems)


def test_a_problem_alone_is_its_own_list() -> None:
    error = ConfigError("server.port", "must be at most 65535, got 70000")
    assert error.problems == (("server.port", "must be at most 65535, got 70000"),)


def test_the_schema_marks_the_secrets_for_a_form() -> None:
    properties = SiteModel.model_json_schema()["$defs"]
    assert properties["TokenModel"]["properties"]["token"]["secret"] is True
    assert properties["OfficerModel"]["properties"]["password_hash"]["secret"] is True
    assert "secret" not in properties["TokenModel"]["properties"]["name"]


def test_a_document_that_is_not_a_table() -> None:
    posted: Any = "x"  # what a broken client might send in place of a table
    with pytest.raises(ConfigError) as caught:
        parse_site(posted)
    assert (caught.value.key, caught.value.reason) == ("", "must be a table, got 'x'")
