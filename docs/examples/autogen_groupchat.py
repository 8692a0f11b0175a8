"""A group chat with a product manager (plain LLM agent) and a MemGPT coder with long-term memory."""

import autogen
from _llm import llm_config

from memgpt.autogen.memgpt_agent import create_memgpt_autogen_agent_from_config

user = autogen.UserProxyAgent("user", human_input_mode="TERMINATE", code_execution_config=False)
pm = autogen.AssistantAgent(
    "product_manager", system_message="You turn ideas into small, clear tasks.", llm_config=llm_config()
)
coder = create_memgpt_autogen_agent_from_config(
    "MemGPT_coder", llm_config=llm_config(), human_input_mode="NEVER", system_message="I am a senior Python engineer."
)
group = autogen.GroupChat(agents=[user, pm, coder], messages=[], max_round=12)
manager = autogen.GroupChatManager(groupchat=group, llm_config=llm_config())
try:
    user.initiate_chat(manager, message="Let's build a command-line habit tracker. Start with the data model.")
finally:
    coder.close()
