"""``[server] tls_certificate``, ``tls_key`` and ``tls_minimum_version``: read when the
configuration is loaded, so every wrong file is refused naming its key and why (never at the
first browser's handshake), the public URL follows TLS, and the export keeps them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from support.certificates import ServerFiles, TlsSetup, issue_server_certificate, tls_setup
from support.servers import site_config

from server.config import ConfigError, parse_settings
from server.config.document import settings_document
from server.config.tls import TlsVersion
from server.config.toml_writer import toml_text


@pytest.fixture
def tls(tmp_path: Path) -> TlsSetup:
    return tls_setup(tmp_path, site_config())


def refusal(config: dict[str, object]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_settings(config)
    return caught.value


def test_a_good_pair_turns_tls_on_and_makes_the_round_trip(tls: TlsSetup) -> None:
    settings = parse_settings(tls.config).server
    assert settings.tls and settings.tls_certificate == tls.files.certificate
    assert settings.tls_key == tls.files.key
    assert settings.tls_minimum_version is TlsVersion.TLS_1_2
    back = parse_settings(tomllib.loads(toml_text(settings_document(parse_settings(
        tls.config)))))
    assert back == parse_settings(tls.config)
    # Without a public URL of its own, the server's is https.
    del tls.config["server"]["public_url"]
    assert parse_settings(tls.config).server.public_url == "https://127.0.0.1:0"
    tls.config["server"]["tls_minimum_version"] = "1.3"
    assert parse_settings(tls.config).server.tls_minimum_version is TlsVersion.TLS_1_3


def test_plain_by_default() -> None:
    settings = parse_settings(site_config()).server
    assert not settings.tls and settings.tls_certificate is None
    assert parse_settings({**site_config(), "server": {"port": 0}}).server.public_url == \
        "http://127.0.0.1:0"


@pytest.mark.parametrize("given", ["tls_certificate", "tls_key"])
def test_both_files_or_neither(tls: TlsSetup, given: str) -> None:
    other = "tls_key" if given == "tls_certificate" else "tls_certificate"
    del tls.config["server"][other]
    error = refusal(tls.config)
    assert (error.key, error.reason) == (
        f"server.{other}", f"is required with {given}: TLS needs the certificate and its "
                           "private key (give both, or neither for plain HTTP)")


def test_a_missing_file_is_named(tls: TlsSetup, tmp_path: Path) -> None:
    tls.config["server"]["tls_certificate"] = str(tmp_path / "nowhere.pem")
    error = refusal(tls.config)
    assert (error.key, error.reason) == ("server.tls_certificate",
                                         f"no such file: {tmp_path / 'nowhere.pem'}")
    tls.config["server"]["tls_certificate"] = str(tmp_path)
    assert refusal(tls.config).reason == f"{tmp_path} is a folder, not a certificate file"


def test_files_that_are_not_pem_or_swapped(tls: TlsSetup, tmp_path: Path) -> None:
    der = tmp_path / "server.der"
    der.write_bytes(b"\x30\x82\x01\x0a\xff\xfe")
    tls.config["server"]["tls_certificate"] = str(der)
    error = refusal(tls.config)
    assert error.key == "server.tls_certificate" and "binary data" in error.reason
    # The key given as the certificate and the certificate as the key.
    tls.config["server"].update(tls_certificate=str(tls.files.key),
                                tls_key=str(tls.files.certificate))
    error = refusal(tls.config)
    assert (error.key, error.reason) == (
        "server.tls_certificate",
        f"{tls.files.key} holds no PEM certificate (no line with -----BEGIN CERTIFICATE-----)")


def test_a_key_that_is_not_the_certificates(tls: TlsSetup, tmp_path: Path) -> None:
    other = issue_server_certificate(tls.authority, tmp_path, stem="other")
    tls.config["server"]["tls_key"] = str(other.key)
    error = refusal(tls.config)
    assert (error.key, error.reason) == (
        "server.tls_key", f"{other.key} is not the private key of the certificate in "
                          f"{tls.files.certificate} (their public keys differ)")


def test_an_encrypted_key_is_refused_without_asking_a_passphrase(
        tls: TlsSetup, tmp_path: Path) -> None:
    locked: ServerFiles = issue_server_certificate(tls.authority, tmp_path, stem="locked",
                                                   passphrase=b"mat-khau")
    tls.config["server"].update(tls_certificate=str(locked.certificate),
                                tls_key=str(locked.key))
    error = refusal(tls.config)
    assert error.key == "server.tls_key"
    assert error.reason.startswith(f"{locked.key} is encrypted with a passphrase")


def test_the_other_values(tls: TlsSetup) -> None:
    tls.config["server"]["tls_minimum_version"] = "1.1"
    error = refusal(tls.config)
    assert (error.key, error.reason) == ("server.tls_minimum_version",
                                         "must be 1.2 or 1.3, got '1.1'")
    tls.config["server"].update(tls_minimum_version="1.2",
                                public_url="http://qms.tinh.example:8765")
    error = refusal(tls.config)
    assert error.key == "server.public_url"
    assert error.reason.startswith("must start with https:// when TLS is on")
