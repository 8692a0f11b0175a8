"""`memgpt server`: the same agents over HTTP (optional extra: `pip install 'pymemgpt[server]'`).

- `app.py`: the ASGI app (`create_app`), error mapping, the chat page and its static files.
- `openai_api.py`: `/v1/chat/completions` and `/v1/models` (the model name picks the agent).
- `rest.py`: `/api/...` for agents, core memory, archival, recall, data sources, token budget.
- `workers.py`: one thread and one queue per agent (one writer; the CLI's agent lock is held).
- `bridge.py`: awaiting jobs and streaming their events from the event loop.
- `auth.py`: bearer token (or cookie for the chat page); loopback-only `--no-auth`.
"""
