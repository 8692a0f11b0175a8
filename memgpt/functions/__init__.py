"""Functions the LLM calls to manage its memory, and the schemas it sees for them."""
