"""Chat formats for the JSON-in-text wrappers: how one model family marks whose turn it is.

A model without native function calling still knows the turn markers it was fine-tuned on; a
prompt in any other format makes it ramble or answer as the user. Pure data, cheap to import
(`memgpt configure` lists these names).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChatFormat:
    name: str
    turn: str  # format string with {role} and {text}
    open_turn: str  # the start of an assistant turn, left open for the model to complete
    roles: dict[str, str]  # our roles (system, user, assistant, tool) -> the format's role names
    stop: tuple[str, ...]  # at most 4: OpenAI-compatible servers may refuse more
    description: str
    # per-role templates for formats whose turns differ by role (Mistral's [INST] ... [/INST])
    role_turns: dict[str, str] = field(default_factory=dict)

    def render_turn(self, role: str, text: str) -> str:
        return self.role_turns.get(role, self.turn).format(role=self.roles[role], text=text)


FORMATS: dict[str, ChatFormat] = {
    "chatml": ChatFormat(
        "chatml",
        "<|im_start|>{role}\n{text}<|im_end|>\n",
        "<|im_start|>assistant\n",
        {"system": "system", "user": "user", "assistant": "assistant", "tool": "user"},
        ("<|im_end|>", "<|im_start|>"),
        "ChatML (<|im_start|>): Qwen, Dolphin, OpenHermes, Yi and most fine-tunes of 2023-2025",
    ),
    "llama3": ChatFormat(
        "llama3",
        "<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>",
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
        {"system": "system", "user": "user", "assistant": "assistant", "tool": "ipython"},
        ("<|eot_id|>", "<|start_header_id|>"),
        "Llama 3.x instruct models",
    ),
    "mistral": ChatFormat(
        "mistral",
        "[INST] {text} [/INST]",
        "",
        {"system": "system", "user": "user", "assistant": "assistant", "tool": "user"},
        ("[INST]", "</s>"),
        "Mistral / Mixtral instruct ([INST] ... [/INST]), which have no system role",
        role_turns={"assistant": " {text}</s>"},
    ),
    "gemma": ChatFormat(
        "gemma",
        "<start_of_turn>{role}\n{text}<end_of_turn>\n",
        "<start_of_turn>model\n",
        {"system": "user", "user": "user", "assistant": "model", "tool": "user"},
        ("<end_of_turn>", "<start_of_turn>"),
        "Gemma instruct models (<start_of_turn>), which have no system role",
    ),
    "phi3": ChatFormat(
        "phi3",
        "<|{role}|>\n{text}<|end|>\n",
        "<|assistant|>\n",
        {"system": "system", "user": "user", "assistant": "assistant", "tool": "user"},
        ("<|end|>", "<|user|>", "<|endoftext|>"),
        "Phi-3 / Phi-3.5 instruct models",
    ),
    "zephyr": ChatFormat(
        "zephyr",
        "<|{role}|>\n{text}</s>\n",
        "<|assistant|>\n",
        {"system": "system", "user": "user", "assistant": "assistant", "tool": "user"},
        ("</s>", "<|user|>"),
        "Zephyr and other fine-tunes in its <|user|> ... </s> format",
    ),
    "airoboros": ChatFormat(
        "airoboros",
        "{role}: {text}\n",
        "ASSISTANT:",
        {"system": "SYSTEM", "user": "USER", "assistant": "ASSISTANT", "tool": "FUNCTION RETURN"},
        ("\nUSER:", "\nASSISTANT:", "\nFUNCTION RETURN:"),
        "plain USER:/ASSISTANT: format (Airoboros, Vicuna-style models of the Llama 2 era)",
    ),
}
