"""memgpt: an LLM agent that manages its own memory like an operating system manages RAM and disk."""

__version__ = "0.4.0"

import logging as _logging

# A library configures no logging: without this, Python's last-resort handler would print memgpt's
# warnings on the stderr of any program that uses it. The CLI installs its own handlers.
_logging.getLogger("memgpt").addHandler(_logging.NullHandler())
