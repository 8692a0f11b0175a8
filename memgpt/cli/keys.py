"""`memgpt keys set|list|remove`: API keys, one per endpoint, in the 0600 credentials file.

A key is stored under the endpoint it was given for and sent only there (`Credentials.key_for`),
so an OpenAI key never reaches a hosted open-model endpoint the user tries next. Keys are typed at
a hidden prompt or read from stdin, so they stay out of shell history; `list` shows them masked.
"""

from __future__ import annotations

import os
import sys

import typer

from memgpt.cli.app import app

keys_app = typer.Typer(help="API keys per endpoint (stored 0600, shown masked).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

ENDPOINT_HELP = "Endpoint URL (e.g. https://api.together.xyz/v1), or a provider name (openai, vllm...)."


def resolve_endpoint(endpoint: str) -> str:
    """A URL as given; a provider name means the configured endpoint of that provider, else its default."""
    from memgpt.config import DEFAULT_ENDPOINTS, MemGPTConfig
    from memgpt.errors import ConfigError

    if endpoint.startswith(("http://", "https://")):
        return endpoint
    if endpoint not in DEFAULT_ENDPOINTS or not DEFAULT_ENDPOINTS[endpoint]:
        names = ", ".join(n for n, url in DEFAULT_ENDPOINTS.items() if url)
        raise ConfigError(f"{endpoint!r} is neither an http(s):// URL nor a provider name ({names}).")
    config = MemGPTConfig.load() if MemGPTConfig.exists() else MemGPTConfig()
    if endpoint != "openai" and config.llm.model_endpoint_type == endpoint:
        return config.llm.model_endpoint
    return DEFAULT_ENDPOINTS[endpoint]


def _read_key(endpoint: str) -> str:
    if sys.stdin.isatty():
        return typer.prompt(f"API key for {endpoint}", hide_input=True).strip()
    return sys.stdin.readline().strip()


@keys_app.command("set")
def set_key(
    endpoint: str = typer.Argument(..., help=ENDPOINT_HELP),
    key: str = typer.Argument(None, help="The key; omit it to type it at a hidden prompt or pipe it in."),
) -> None:
    """Store the key for one endpoint (it is sent to that host only)."""
    from memgpt.cli.output import console, print_error
    from memgpt.config import Credentials, mask_key

    url = resolve_endpoint(endpoint)
    value = (key or _read_key(url)).strip()
    if not value:
        print_error("No key given (pass it, type it at the prompt, or pipe it in).")
        raise typer.Exit(2)
    creds = Credentials.load()
    stored = creds.set_key(url, value)
    path = creds.save()
    console().print(f"🔑 Saved the key {mask_key(value)} for {stored} to {path} (readable only by you).", markup=False)


@keys_app.command("remove")
def remove_key(endpoint: str = typer.Argument(..., help=ENDPOINT_HELP)) -> None:
    """Forget the key of one endpoint."""
    from memgpt.cli.output import console
    from memgpt.config import Credentials, normalize_endpoint
    from memgpt.errors import NotFoundError

    url = resolve_endpoint(endpoint)
    creds = Credentials.load()
    if not creds.remove_key(url):
        stored = ", ".join(creds.keys) or "none"
        raise NotFoundError(f"No key is stored for {normalize_endpoint(url)} (stored: {stored}).")
    creds.save()
    console().print(f"Removed the key for {normalize_endpoint(url)}.", markup=False)


@keys_app.command("list")
def list_keys(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Show which endpoints have a key (masked), from the file and from the environment."""
    from memgpt.cli.output import print_records
    from memgpt.config import DEFAULT_ENDPOINTS, OPENAI_ENDPOINT, Credentials, mask_key, provider_env_var

    creds = Credentials.load()
    records = [{"endpoint": url, "key": mask_key(key), "source": "credentials file"} for url, key in creds.keys.items()]
    if os.environ.get("OPENAI_API_KEY"):
        records.append(
            {"endpoint": OPENAI_ENDPOINT, "key": mask_key(os.environ["OPENAI_API_KEY"]), "source": "OPENAI_API_KEY"}
        )
    for provider in DEFAULT_ENDPOINTS:
        var = provider_env_var(provider)
        if os.environ.get(var):
            records.append({"endpoint": f"any {provider} endpoint", "key": mask_key(os.environ[var]), "source": var})
    if creds.azure_key:
        records.append(
            {"endpoint": creds.azure_endpoint or "Azure", "key": mask_key(creds.azure_key), "source": "azure_key"}
        )
    print_records("API keys", records, ["endpoint", "key", "source"], as_json)
