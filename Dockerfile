# The QMS server in a container, for IT teams who run containers (docs/install.md).
# Built and run with compose.yaml beside it (PostgreSQL in its own container). Written with
# care but not built on the machine the project is developed on (no container engine runs
# there): tests/server/ops/test_deployment_files.py checks only that what it names exists.
#
# Debian 12 (bookworm) underneath, so its postgresql-client (15) matches compose.yaml's
# postgres:15 for `qms backup` (pg_dump must not be older than the server).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump/pg_restore for qms backup / qms restore.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# The server's own user; its data (secret, logs, backups) in a volume.
RUN useradd --system --user-group --uid 10001 --home-dir /var/lib/qms --shell /usr/sbin/nologin qms \
    && mkdir -p /var/lib/qms /etc/qms \
    && chown qms:qms /var/lib/qms

WORKDIR /opt/qms/source
COPY pyproject.toml README.md ./
COPY server ./server
COPY kiosk ./kiosk
COPY counter ./counter
COPY display ./display
COPY hardware ./hardware
# The server role and the PostgreSQL driver only: no Qt (docs/install.md, "Extras").
RUN pip install ".[server,postgres]" && rm -rf /opt/qms/source

WORKDIR /var/lib/qms
USER qms
VOLUME ["/var/lib/qms"]
EXPOSE 8765

# /health answers 200 {"status":"ok"} while the server works, 503 when it has failed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8765/health', timeout=4).status == 200 else 1)"]

# The configuration is mounted at /etc/qms/centre.toml; it needs public_url (the address
# phones reach for the tickets' QR codes), since the server listens on every interface.
ENTRYPOINT ["qms"]
CMD ["server", "--config", "/etc/qms/centre.toml", "--data-dir", "/var/lib/qms", "--host", "0.0.0.0", "--port", "8765"]
