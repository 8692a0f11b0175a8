"""0.1-era `memgpt.personas.personas`: persona texts by name (the texts are in `personas/`)."""
