"""0.1-era `memgpt.humans.humans`: human profiles by name (the texts are in `humans/`)."""
