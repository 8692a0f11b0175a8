"""A user proxy and a MemGPT coder. Run it twice: the coder remembers the first conversation."""

import autogen
from _llm import llm_config

from memgpt.autogen.memgpt_agent import create_memgpt_autogen_agent_from_config

coder = create_memgpt_autogen_agent_from_config(
    "MemGPT_coder",
    system_message="I am a careful Python programmer. I remember the conventions my team tells me about.",
    llm_config=llm_config(),
    human_input_mode="TERMINATE",
)
user = autogen.UserProxyAgent("user", human_input_mode="ALWAYS", code_execution_config=False)
try:
    user.initiate_chat(
        coder, message="Our team uses snake_case and type hints. Write a function that merges two dicts."
    )
finally:
    coder.close()
