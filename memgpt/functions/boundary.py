"""Where the tools that reach outside memory may go: allowed folders and public (or allowed) hosts.

The model decides what these tools are called with, and what it reads can be steered by a web page
or a document, so the limits are checked here, on resolved paths and resolved addresses, and not
left to the model:

* Files: inside `tools.allowed_dirs` (plus the agent's own entry in `tools.agent_dirs`), or the
  workspace folder under the data dir when none is set. `..` is refused; paths are resolved
  (symlinks followed) before the check, so a link pointing out of an allowed folder does not get
  out. Secrets (`~/.ssh`, `~/.gnupg`, cloud credentials, memgpt's own database and keys) are refused
  even inside an allowed folder. A write outside asks the person at the terminal (a callback the
  CLI installs); with no one to ask it is refused.
* HTTP: every hop's host is resolved and each address must be public, unless the host is listed in
  `tools.http_allowed_hosts`; the connection goes to the address that was checked (no second DNS
  lookup to rebind), redirects are followed by hand and checked the same way, the body is capped at
  `tools.http_max_bytes` and the whole exchange at `tools.http_timeout` seconds.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from memgpt import paths
from memgpt.functions.context import FunctionError

MAX_REDIRECTS = 5
SECRET_NAMES = {".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".netrc", ".pgpass", ".git-credentials"}
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
}

# Set by the CLI in a terminal: (path) -> whether the person allows this write outside the folders.
_confirm_write: Callable[[Path], bool] | None = None


def set_write_confirmation(callback: Callable[[Path], bool] | None) -> None:
    global _confirm_write
    _confirm_write = callback


@dataclass
class ToolPolicy:
    folders: list[Path]
    allowed_hosts: list[str] = field(default_factory=list)
    timeout: float = 30.0
    max_bytes: int = 1_000_000


def policy(agent_name: str | None = None) -> ToolPolicy:
    """The saved config's limits (defaults when there is no config or it cannot be read)."""
    from memgpt.config import MemGPTConfig, ToolsConfig
    from memgpt.errors import ConfigError

    try:
        tools = MemGPTConfig.load().tools
    except ConfigError:
        tools = ToolsConfig()
    listed = [*tools.allowed_dirs, *tools.agent_dirs.get(agent_name or "", [])]
    folders = [Path(d).expanduser().resolve() for d in listed] or [paths.make_private_dir(paths.workspace_dir())]
    return ToolPolicy(folders, list(tools.http_allowed_hosts), tools.http_timeout, tools.http_max_bytes)


# -- files ---------------------------------------------------------------------------------------


def _is_secret(path: Path) -> bool:
    if any(part in SECRET_NAMES for part in path.parts):
        return True
    workspace = paths.workspace_dir().resolve()
    ours = [paths.config_dir().resolve(), paths.data_dir().resolve()]
    return any(path.is_relative_to(d) for d in ours) and not path.is_relative_to(workspace)


def check_file(filename: str, agent_name: str | None = None, write: bool = False) -> Path:
    """The resolved path of `filename` if the tools may use it; FunctionError (what the model reads) if not.
    A relative name is taken inside the first allowed folder."""
    if not filename.strip():
        raise FunctionError("Give a file name.")
    rules = policy(agent_name)
    given = Path(filename.strip()).expanduser()
    if ".." in given.parts:
        raise FunctionError(f"{filename!r}: paths with '..' are not allowed; give the path inside an allowed folder.")
    resolved = (given if given.is_absolute() else rules.folders[0] / given).resolve()
    if _is_secret(resolved):
        raise FunctionError(f"{filename!r} holds credentials or memgpt's own data; file tools may not use it.")
    if any(resolved.is_relative_to(folder) for folder in rules.folders):
        return resolved
    folders = ", ".join(str(f) for f in rules.folders)
    if write and _confirm_write is not None and _confirm_write(resolved):
        return resolved
    how = "the user declined the write" if write and _confirm_write is not None else "it is outside them"
    raise FunctionError(
        f"{filename!r} ({resolved}) is not in the folders file tools may use ({folders}): {how}. "
        "The user can allow a folder with `memgpt configure --allow-dir PATH`."
    )


# -- HTTP ----------------------------------------------------------------------------------------


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why this address is off limits by default, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global or ip.is_multicast:
        return "not a public address"
    return None


def _allowed(entry: str, host: str, port: int, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    entry = entry.strip().lower()
    if entry in (host, f"{host}:{port}", str(ip), f"{ip}:{port}"):
        return True
    try:
        return ip in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


def vet(url: str, rules: ToolPolicy) -> tuple[str, int, str]:
    """(host, port, address to connect to) for a URL the tool may fetch; FunctionError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FunctionError(f"{url!r}: only http:// and https:// URLs with a host can be fetched.")
    host = parts.hostname.lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FunctionError(f"The host {host} could not be resolved ({exc}).") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    for ip in addresses:
        why = _refusal(ip)
        if why and not any(_allowed(e, host, port, ip) for e in rules.allowed_hosts):
            raise FunctionError(
                f"Refused {url}: {host} is {why} ({ip}). Requests to the user's own machine and network "
                "need the user's permission: `tools.http_allowed_hosts` in the memgpt config."
            )
    return host, port, str(addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever DNS says a second time."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass
class Answer:
    status: int
    url: str
    headers: dict[str, str]
    body: bytes
    truncated: bool = False


def _read_capped(response: http.client.HTTPResponse, sock: socket.socket | None, rules: ToolPolicy, deadline: float):
    chunks: list[bytes] = []
    size = 0
    while size <= rules.max_bytes:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        if sock is not None:
            sock.settimeout(left)
        chunk = response.read(min(65536, rules.max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    return body[: rules.max_bytes], len(body) > rules.max_bytes


def fetch(method: str, url: str, data: bytes | None, agent_name: str | None = None) -> Answer:
    """One request, redirects followed by hand (each hop vetted), within the policy's caps."""
    rules = policy(agent_name)
    deadline = time.monotonic() + rules.timeout
    for _hop in range(MAX_REDIRECTS + 1):
        host, port, address = vet(url, rules)
        parts = urlsplit(url)
        pinned = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
        left = deadline - time.monotonic()
        if left <= 0:
            break
        conn = pinned(host, port, address, timeout=left)
        headers = {"User-Agent": "memgpt", "Accept-Encoding": "identity"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(method, target, body=data, headers=headers)
            response = conn.getresponse()
            location = response.getheader("Location")
            if response.status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                    method, data = "GET", None
                continue
            body, truncated = _read_capped(response, conn.sock, rules, deadline)
            return Answer(response.status, url, dict(response.getheaders()), body, truncated)
        except TimeoutError:
            raise FunctionError(f"The request to {url} took longer than {rules.timeout:g} s and was stopped.") from None
        except (OSError, http.client.HTTPException) as exc:
            raise FunctionError(f"The request to {url} failed: {exc}") from None
        finally:
            conn.close()
    raise FunctionError(f"The request to {url} was stopped: more than {MAX_REDIRECTS} redirects or out of time.")


__all__ = ["Answer", "ToolPolicy", "check_file", "fetch", "policy", "set_write_confirmation", "vet"]
