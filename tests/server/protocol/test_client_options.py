"""Command-line values every client app reads the same way."""

from __future__ import annotations

import pytest

from server.protocol.client_options import (
    OptionError,
    joined,
    websocket_url,
    websocket_urls,
    window_position,
    window_size,
)


@pytest.mark.parametrize(("text", "url"), [
    ("ws://127.0.0.1:8765/ws", "ws://127.0.0.1:8765/ws"),
    ("127.0.0.1:8765", "ws://127.0.0.1:8765/ws"),
    ("http://10.0.0.5:8765", "ws://10.0.0.5:8765/ws"),
    ("https://qms.binhan.gov.vn/", "wss://qms.binhan.gov.vn/ws"),
])
def test_a_server_address_becomes_the_protocol_endpoint(text: str, url: str) -> None:
    assert websocket_url(text) == url


@pytest.mark.parametrize("text", ["ftp://x", "ws://", ""])
def test_an_address_without_a_host_or_with_another_scheme_is_refused(text: str) -> None:
    with pytest.raises(OptionError, match="--server"):
        websocket_url(text)


def test_several_server_addresses_repeated_or_with_commas() -> None:
    assert joined(None) is None and joined([]) is None
    assert joined(["10.0.0.5:8765", " 10.0.0.6:8765,10.0.0.7:8765 "]) == \
        "10.0.0.5:8765,10.0.0.6:8765,10.0.0.7:8765"
    assert websocket_urls("10.0.0.5:8765, http://10.0.0.6:8765,,ws://10.0.0.5:8765/ws") == \
        "ws://10.0.0.5:8765/ws,ws://10.0.0.6:8765/ws"
    assert websocket_urls("ws://127.0.0.1:8765/ws") == "ws://127.0.0.1:8765/ws"


@pytest.mark.parametrize("text", ["10.0.0.5:8765,ftp://x", ",", " "])
def test_a_list_with_a_bad_address_is_refused_naming_it(text: str) -> None:
    with pytest.raises(OptionError, match="--server: not a server address"):
        websocket_urls(text)


def test_window_position_and_size() -> None:
    assert window_position("960, 0") == (960, 0)
    assert window_position("-10,20") == (-10, 20)
    assert window_size("960x540") == window_size(" 960 X 540 ") == (960, 540)


@pytest.mark.parametrize(("parse", "text", "words"), [
    (window_position, "960", "expected X,Y"),
    (window_position, "a,b", "expected X,Y"),
    (window_position, "1,2,3", "expected X,Y"),
    (window_position, "9" * 50 + ",0", "expected X,Y"),
    (window_size, "960", "expected WIDTHxHEIGHT"),
    (window_size, "100x100", "at least 200x200"),
    (window_size, "-5x300", "expected WIDTHxHEIGHT"),
])
def test_bad_window_values_are_refused_naming_the_option(parse: object, text: str,
                                                         words: str) -> None:
    assert callable(parse)
    with pytest.raises(OptionError, match=words):
        parse(text)
