# ruff: noqa: F401, E501, I001  (the tutorial as people copied it: unused imports and all)
"""The MemGPT 0.1-era AutoGen + local LLM tutorial, unchanged: it runs on this memgpt as it was written.

Point `api_base` at your OpenAI-compatible server (this is the only line to edit). The MemGPT coder
is stored as `MemGPT_coder`: run the script again, or `memgpt run --agent MemGPT_coder`, and it
remembers. See docs/autogen.md, "Coming from MemGPT 0.1/0.2".
"""

import os
import autogen
import memgpt.autogen.memgpt_agent as memgpt_autogen
import memgpt.autogen.interface as autogen_interface
import memgpt.agent as agent
import memgpt.system as system
import memgpt.utils as utils
import memgpt.presets as presets
import memgpt.constants as constants
import memgpt.personas.personas as personas
import memgpt.humans.humans as humans
from memgpt.persistence_manager import InMemoryStateManager, InMemoryStateManagerWithPreloadedArchivalMemory, InMemoryStateManagerWithEmbeddings, InMemoryStateManagerWithFaiss
import openai

config_list = [{"api_type": "open_ai", "api_base": "http://localhost:5001/v1", "api_key": "NULL"}]
llm_config = {"config_list": config_list, "seed": 42}
user_proxy = autogen.UserProxyAgent(
    name="User_proxy", system_message="A human admin.",
    code_execution_config={"last_n_messages": 2, "work_dir": "groupchat"},
    human_input_mode="TERMINATE",
    default_auto_reply="You are going to figure all out by your own. "
    "Work by yourself, the user won't reply until you output `TERMINATE` to end the conversation.")
interface = autogen_interface.AutoGenInterface()
persistence_manager = InMemoryStateManager()
persona = "I am a 10x engineer, trained in Python. I was the first engineer at Uber."
human = "Im a team manager at this company"
memgpt_agent = presets.use_preset(presets.DEFAULT_PRESET, model='gpt-4', persona=persona, human=human,
                                  interface=interface, persistence_manager=persistence_manager, agent_config=llm_config)
coder = memgpt_autogen.MemGPTAgent(name="MemGPT_coder", agent=memgpt_agent)
groupchat = autogen.GroupChat(agents=[user_proxy, coder], messages=[], max_round=12)
manager = autogen.GroupChatManager(groupchat=groupchat, llm_config=llm_config)
user_proxy.initiate_chat(manager, message="Write a Function to print Numbers 1 to 10")
