"""MemGPT agents inside AutoGen conversations (`pip install 'pymemgpt[autogen]'`)."""
