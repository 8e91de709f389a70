"""A throwaway PostgreSQL database, for the tests and the benchmarks: made empty under a
random name, dropped afterwards. Not used by the server itself."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

DROP_ATTEMPTS = 20
DROP_RETRY_SECONDS = 0.5


@contextmanager
def scratch_postgres_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database named ``prefix`` and ten random hex digits on the server of
    ``admin_url`` (a role that may create databases); yields its URL (psycopg driver,
    password kept) and drops it afterwards, even if the body failed."""
    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        for attempt in range(DROP_ATTEMPTS):
            # Refused now and then while a backend the server runs for itself (autovacuum,
            # say) is on it, which this role may not end: it soon goes.
            try:
                with engine.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except ProgrammingError:
                if attempt == DROP_ATTEMPTS - 1:
                    raise
                time.sleep(DROP_RETRY_SECONDS)
        engine.dispose()
