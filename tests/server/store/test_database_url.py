"""The database URL as given (libpq's multi-host form) and as SQLAlchemy and the writer read it."""

from __future__ import annotations

from server.store.database import describe_database, open_engines, sqlalchemy_url, writer_recipe

FAILOVER_URL = ("postgresql://qms:secret@10.0.0.9:5432,10.0.0.10:5433/qms"
                "?target_session_attrs=read-write")


def test_several_hosts_become_host_parameters() -> None:
    assert sqlalchemy_url(FAILOVER_URL) == (
        "postgresql://qms:secret@/qms?host=10.0.0.9:5432&host=10.0.0.10:5433"
        "&target_session_attrs=read-write")
    assert sqlalchemy_url("postgresql://qms@db1,db2/qms") == "postgresql://qms@/qms?host=db1&host=db2"


def test_other_urls_are_left_as_they_are() -> None:
    for url in ("postgresql://qms:secret@10.0.0.9/qms", "sqlite:////var/lib/qms/qms.sqlite3",
                "postgresql+psycopg://qms@/qms?host=a:1&host=b:2", "not a url"):
        assert sqlalchemy_url(url) == url


def test_the_writer_is_given_every_host_and_the_session_attribute() -> None:
    engines = open_engines(FAILOVER_URL)
    try:
        options = writer_recipe(engines).options
    finally:
        engines.dispose()
    assert (options["host"], options["port"]) == ("10.0.0.9,10.0.0.10", "5432,5433")
    assert options["target_session_attrs"] == "read-write"
    # A primary that vanishes is noticed; a host that does not answer is passed over.
    assert options["keepalives"] == 1 and options["connect_timeout"] == 5


def test_the_password_is_hidden_in_messages() -> None:
    described = describe_database(FAILOVER_URL)
    assert "secret" not in described and "10.0.0.10" in described
