"""A MemGPT agent that answers from documents: load a folder once, attach it, ask about it.

Usage: python autogen_docs_agent.py FOLDER "question"
"""

import sys

import autogen
from _llm import llm_config

from memgpt.autogen.memgpt_agent import create_memgpt_autogen_agent_from_config

folder, question = sys.argv[1], sys.argv[2]
librarian = create_memgpt_autogen_agent_from_config(
    "librarian",
    llm_config=llm_config(),
    preset="memgpt_docs",
    human_input_mode="NEVER",
    system_message="I answer questions from the documents in my archival memory and say where each answer comes from.",
)
librarian.load_and_attach("examples_docs", "directory", input_dir=folder, recursive=True)
user = autogen.UserProxyAgent("user", human_input_mode="NEVER", code_execution_config=False)
try:
    user.initiate_chat(librarian, message=question, max_turns=1)
finally:
    librarian.close()
