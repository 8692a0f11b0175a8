"""Postgres URIs: which one to use, the password kept apart, and a form that is safe to print.

Plain `urllib` (no psycopg import), so `memgpt configure` and `open_storage` on SQLite never load
the driver. The password never goes to config.json: `split_password` takes it out of what the user
typed, `with_password` puts it back at connect time from the credentials file (0600).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from memgpt.errors import ConfigError

ENV_URI = "MEMGPT_PG_URI"
SCHEMES = ("postgresql", "postgres")


def check_uri(uri: str) -> str:
    """The URI stripped of spaces, or a ConfigError saying what a Postgres URI looks like."""
    uri = uri.strip()
    if urlsplit(uri).scheme.lower() not in SCHEMES:
        raise ConfigError(
            f"{redact(uri)!r} is not a PostgreSQL URI. Give one like postgresql://user:password@host:5432/dbname "
            "(a unix socket: postgresql://user@/dbname?host=/var/run/postgresql)."
        )
    return uri


def split_password(uri: str) -> tuple[str, str | None]:
    """(the URI without its password, the password or None)."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri, None
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(unquote(user), safe='')}@{host}" if user else host
    return urlunsplit(parts._replace(netloc=netloc)), unquote(parts.password)


def with_password(uri: str, password: str | None) -> str:
    """The URI with this password, unless it already carries one (a URI from the environment wins)."""
    parts = urlsplit(uri)
    if not password or parts.password is not None:
        return uri
    user, _, host = parts.netloc.rpartition("@")
    if not user:
        return uri  # no user: libpq's defaults (PGUSER, .pgpass) decide, a password alone means nothing
    netloc = f"{user}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def redact(uri: str) -> str:
    """The URI with any password replaced by `***`: the only form memgpt ever prints or logs."""
    try:
        parts = urlsplit(uri)
        if parts.password is None:
            return uri
        user, _, host = parts.netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "<unparseable URI>"


def describe(uri: str) -> str:
    """`host:port/dbname` for messages: names the server without user or password."""
    try:
        parts = urlsplit(uri)
        query = dict(p.partition("=")[::2] for p in parts.query.split("&") if p)
        host = parts.hostname or unquote(query.get("host", "")) or "localhost (unix socket)"
        port = f":{parts.port}" if parts.port else ""
        db = parts.path.lstrip("/") or query.get("dbname", "")
        return f"{host}{port}/{db}" if db else f"{host}{port}"
    except ValueError:
        return "<unparseable URI>"


def configured_backend(config: Any = None) -> str:
    """"postgres" when MEMGPT_PG_URI is set or the config chose it, else "sqlite"."""
    if os.environ.get(ENV_URI):
        return "postgres"
    storage = getattr(config, "storage", None)
    kinds = {getattr(storage, "recall_storage_type", "sqlite"), getattr(storage, "archival_storage_type", "local")}
    if "postgres" not in kinds:
        return "sqlite"
    if kinds != {"postgres"}:
        raise ConfigError(
            "The config keeps recall in one backend and archival memory in another; memgpt stores both in the "
            "same place. Run `memgpt configure --storage postgres` (or `--storage sqlite`)."
        )
    return "postgres"


def configured_uri(config: Any = None) -> str:
    """MEMGPT_PG_URI, else the config's URI with the password from the credentials file."""
    env = os.environ.get(ENV_URI)
    if env:
        return check_uri(env)
    uri = getattr(getattr(config, "storage", None), "postgres_uri", None)
    if not uri:
        raise ConfigError(
            "Postgres storage is selected but no server is configured. Run "
            "`memgpt configure --storage postgres --postgres-uri postgresql://user@host/dbname`, or set MEMGPT_PG_URI."
        )
    from memgpt.config import Credentials

    return with_password(check_uri(uri), Credentials.load().postgres_password)
