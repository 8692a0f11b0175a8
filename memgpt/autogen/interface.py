"""Collects a memgpt agent's events into the reply an AutoGen conversation sees.

By default the reply is only what the agent sent with send_message, as a person would see it;
inner thoughts, function calls and the incoming messages can be included for debugging.
"""

from __future__ import annotations

from typing import Any

from memgpt.interface import AgentEvent


class AutoGenInterface:
    def __init__(
        self,
        message_list: list[str] | None = None,
        fancy: bool = False,
        show_user_message: bool = False,
        show_inner_thoughts: bool = False,
        show_function_outputs: bool = False,
        debug: bool = False,
        forward_to: Any = None,
    ) -> None:
        self.forward_to = forward_to  # another interface that sees every event too (e.g. a console)
        self.message_list = message_list if message_list is not None else []
        self.fancy = fancy
        self.show_user_message = show_user_message
        self.show_inner_thoughts = show_inner_thoughts
        self.show_function_outputs = show_function_outputs
        self.debug = debug

    def reset_message_list(self) -> None:
        self.message_list.clear()

    def emit(self, event: AgentEvent) -> None:
        if self.forward_to is not None:
            self.forward_to.emit(event)
        if self.debug:
            print(f"{event.kind} :: {event.text}")
        kind = event.kind
        if kind == "assistant_message":
            self.message_list.append(f"🤖 {event.text}" if self.fancy else event.text)
        elif kind == "inner_thought" and self.show_inner_thoughts:
            self.message_list.append(f"💭 {event.text}" if self.fancy else f"[inner thoughts] {event.text}")
        elif kind == "function_result" and self.show_function_outputs:
            status = "OK" if event.data.get("status") == "OK" else "error"
            self.message_list.append(f"[function - {status}] {event.data.get('name')}: {event.text}")
        elif kind == "user_message" and self.show_user_message:
            self.message_list.append(f"[user] {event.text}")

    def reply(self) -> str:
        return "\n".join(self.message_list)
