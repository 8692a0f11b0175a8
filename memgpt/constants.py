"""Numbers that shape the agent's behaviour. Values follow the original MemGPT 0.2 era."""

DEFAULT_PRESET = "memgpt_chat"
DEFAULT_PERSONA = "sam_pov"
DEFAULT_HUMAN = "basic"
DEFAULT_MODEL = "gpt-4"
DEFAULT_CONTEXT_WINDOW = 8192

CORE_MEMORY_PERSONA_CHAR_LIMIT = 2000
CORE_MEMORY_HUMAN_CHAR_LIMIT = 2000

FIRST_MESSAGE_ATTEMPTS = 10
MESSAGE_SUMMARY_WARNING_FRAC = 0.75  # memory-pressure alert above this share of the window
MESSAGE_SUMMARY_TRUNC_TOKEN_FRAC = 0.75  # eviction keeps this share of the queue's tokens
MESSAGE_SUMMARY_TRUNC_KEEP_N_LAST = 3
SUMMARY_WORD_LIMIT = 100

FUNCTION_RETURN_CHAR_LIMIT = 3000
MAX_PAUSE_HEARTBEATS = 360  # minutes
RETRIEVAL_QUERY_DEFAULT_PAGE_SIZE = 5
ARCHIVAL_SEARCH_TOP_K = 100
MAX_CHAINED_STEPS = 20  # heartbeats in a row per user event before we stop the chain

# Prefix for texts the system (not the user) puts in user-role messages.
NON_USER_MSG_PREFIX = "[This is an automated system message hidden from the user] "

EMBEDDING_CHUNK_SIZE = 300  # tokens

# Replies the LLM may produce besides its answer: we reserve room for them in the window.
RESERVED_COMPLETION_TOKENS = 1024

# Eviction cuts the queue to this share of the room below the warning line. Each approach to the
# limit costs two calls (the alert round and the summary); freeing ~70% buys many turns per pair,
# close to what the original got from keeping ~25%, while the newest turns stay in view.
EVICTION_KEEP_FRAC = 0.3
MAX_SUMMARY_CALLS_PER_STEP = 6  # summariser calls one step may cause, whatever it has to fold
MIN_CONVERSATION_TOKENS = 512  # the queue's room never planned below this (a few normal turns)

# Bounds on the work one reply can cause.
MAX_TOOL_CALLS_PER_REPLY = 8  # the rest are answered as Failed, with a note
MAX_ARGUMENT_CHARS = 20_000  # arguments of one call (a core-memory block is far smaller)
MAX_QUERY_CHARS = 1_000  # a search query longer than this is cut: no search needs more
EMPTY_REPLY_RETRIES = 2  # an empty reply is asked for again this often, then reported

# -- Names 0.1/0.2-era scripts import (values as the original had them) ---------------------
DEFAULT_MEMGPT_MODEL = DEFAULT_MODEL
CLI_WARNING_PREFIX = "Warning: "
MESSAGE_SUMMARY_WARNING_TOKENS = 7000  # 0.1.x fixed threshold; the agent now uses the fraction above
MESSAGE_CHATGPT_FUNCTION_MODEL = "gpt-3.5-turbo"
MESSAGE_CHATGPT_FUNCTION_SYSTEM_MESSAGE = "You are a helpful assistant. Keep your responses short and concise."
JSON_ENSURE_ASCII = False
JSON_LOADS_STRICT = False
# Context windows the original knew by name (memgpt.llm.context_window_for knows many more).
LLM_MAX_TOKENS = {
    "DEFAULT": 8192,
    "gpt-4": 8192,
    "gpt-4-0613": 8192,
    "gpt-4-0314": 8192,
    "gpt-4-32k": 32768,
    "gpt-4-32k-0613": 32768,
    "gpt-4-32k-0314": 32768,
    "gpt-4-1106-preview": 128000,
    "gpt-3.5-turbo": 4096,
    "gpt-3.5-turbo-0613": 4096,
    "gpt-3.5-turbo-0301": 4096,
    "gpt-3.5-turbo-16k": 16385,
    "gpt-3.5-turbo-16k-0613": 16385,
    "gpt-3.5-turbo-1106": 16385,
}


def __getattr__(name: str) -> str:
    """`MEMGPT_DIR` (the original's ~/.memgpt): our config folder, read when asked so MEMGPT_HOME counts."""
    if name == "MEMGPT_DIR":
        from memgpt import paths

        return str(paths.config_dir())
    raise AttributeError(f"module 'memgpt.constants' has no attribute {name!r}")
