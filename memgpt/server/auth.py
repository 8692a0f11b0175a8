"""Who may talk to the server: a bearer token on every request, or loopback-only with --no-auth.

The agents hold a person's memories, so even on loopback the default is a token (any local
process or web page could otherwise read and rewrite them). The token is generated on first
start and kept 0600 in the config dir. Browsers cannot add an Authorization header to a page
load, so `/?token=...` (the URL printed at start) swaps the token for an HttpOnly, SameSite=Strict
cookie; cookie-authenticated requests that change something must also come from the page's own
origin, which keeps other sites from riding on the cookie (CSRF).

Without auth (loopback only), requests must still name a loopback Host: a web page cannot reach
the server through DNS rebinding (a hostile name that resolves to 127.0.0.1).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import secrets
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from memgpt import paths

COOKIE = "memgpt_token"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def token_file() -> Path:
    return paths.config_dir() / "server_token"


def load_or_create_token() -> tuple[str, bool]:
    """The stored token, or a new one written 0600; returns (token, created)."""
    path = token_file()
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token, False
    from memgpt.fileio import atomic_write_text

    token = "mgpt-" + secrets.token_urlsafe(32)
    atomic_write_text(path, token + "\n", mode=0o600)
    os.chmod(path, 0o600)
    return token, True


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (a hostname other than localhost is not trusted)."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[: host_header.find("]") + 1]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class AuthMiddleware:
    """Plain ASGI middleware (no buffering), so streamed responses pass straight through."""

    def __init__(self, app: Any, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.token is None:
            if _host_name(headers.get("host", "")).lower() not in LOOPBACK_NAMES:
                await _reply(send, 403, {"error": _err("This server only answers requests for a loopback host.")})
                return
            await self.app(scope, receive, send)
            return
        if self._bearer_ok(headers) or self._cookie_ok(scope, headers):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = (query.get("token") or [""])[0]
        if scope["path"] == "/" and given and hmac.compare_digest(given, self.token):
            cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
            await _reply(send, 303, None, extra=[(b"location", b"/"), (b"set-cookie", cookie.encode())])
            return
        if scope["path"] == "/" and scope["method"] == "GET":
            await _reply_html(send, 401, _LOGIN_PAGE)
            return
        await _reply(
            send,
            401,
            {"error": _err("Missing or wrong API token: send `Authorization: Bearer <token>`.", "invalid_api_key")},
            extra=[(b"www-authenticate", b"Bearer")],
        )

    def _bearer_ok(self, headers: dict[str, str]) -> bool:
        value = headers.get("authorization", "")
        scheme, _, given = value.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), self.token or "")

    def _cookie_ok(self, scope: dict[str, Any], headers: dict[str, str]) -> bool:
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:
            return False
        morsel = cookies.get(COOKIE)
        if morsel is None or not hmac.compare_digest(morsel.value, self.token or ""):
            return False
        if scope["method"] in SAFE_METHODS:
            return True
        origin = headers.get("origin")
        return origin is None or origin.split("://", 1)[-1] == headers.get("host")


def _err(message: str, code: str | None = None) -> dict[str, Any]:
    return {"message": message, "type": "authentication_error", "param": None, "code": code}


async def _reply(send: Any, status: int, body: Any, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    data = b"" if body is None else json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": data})


async def _reply_html(send: Any, status: int, html: str) -> None:
    data = html.encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


_LOGIN_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>memgpt server: sign in</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 4em auto">
<h1>memgpt server</h1>
<p>Open the link <code>memgpt server</code> printed when it first started, or paste the token
(kept in <code>server_token</code> in the memgpt config folder; <code>memgpt folder</code> shows where).</p>
<form method="get" action="/"><input name="token" type="password" size="40" autofocus>
<button type="submit">Sign in</button></form>
</body></html>
"""
