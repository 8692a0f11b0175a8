"""The agent loop. See docs/architecture.md for the API the CLI and AutoGen use."""

from memgpt.agent.agent import Agent, TurnResult

__all__ = ["Agent", "TurnResult"]
