"""Private by default (issue 13 §4): nothing memgpt creates is readable by group or others.

The commands run with umask 000, the worst a user could have, so the modes come from memgpt and
not from a kind umask.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from memgpt import paths
from tests.conftest import run_memgpt
from tests.fake_llm import echo_user


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _too_open(root: Path) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            st = path.lstat()
            if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
                found.append(f"{path.relative_to(root)} {oct(st.st_mode & 0o777)}")
    if os.stat(root).st_mode & 0o077:
        found.append(f". {oct(os.stat(root).st_mode & 0o777)}")
    return found


def test_every_file_memgpt_creates_is_private(open_umask, tmp_path, fake_llm, spawn_memgpt) -> None:
    home = tmp_path / "fresh_home"  # created by memgpt itself
    env = {"MEMGPT_HOME": str(home), "MEMGPT_RETRY_BASE_DELAY": "0.001"}
    configured = run_memgpt(
        "configure",
        "--model-endpoint-type",
        "openai-compatible",
        "--model-endpoint",
        fake_llm.url,
        "--model",
        "gpt-4",
        "--api-key",
        "sk-for-the-fake",
        env=env,
    )
    assert configured.returncode == 0, configured.stderr
    fake_llm.default = echo_user()
    export = home / "exports" / "chat.txt"
    chat = run_memgpt("run", "--agent", "p", "--first", "--debug", input=f"hello\n/savechat {export}\n", env=env)
    assert chat.returncode == 0, chat.stderr
    assert "contains your conversation text" in chat.stderr
    doc = tmp_path / "doc.md"
    doc.write_text("# Notes\n\nSome words worth remembering about parrots.\n" * 20)
    loaded = run_memgpt("load", "file", "--name", "notes", str(doc), env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert run_memgpt("attach", "--agent", "p", "--data-source", "notes", env=env).returncode == 0
    child = spawn_memgpt("run", "--agent", "p", "--first", env=env)  # a terminal session: prompt history
    child.expect(">")
    child.sendline("/exit")
    child.expect(pexpect.EOF)

    created = {p.relative_to(home).as_posix() for p in home.rglob("*")}
    for expected in ("config.json", "credentials.json", "memgpt.db", "logs/memgpt.log", "prompt_history"):
        assert expected in created, sorted(created)
    assert any(p.startswith("locks/") for p in created) and any(p.startswith("indexes/") for p in created)
    assert export.is_file()
    assert _too_open(home) == []


def test_loose_files_are_repaired_at_start_with_a_note(configured, memgpt_home) -> None:
    paths.ensure_dirs()
    db = paths.database_file()
    assert run_memgpt("list", "agents").returncode == 0  # creates the database
    os.chmod(db, 0o644)
    os.chmod(paths.locks_dir(), 0o755)
    result = run_memgpt("list", "agents")
    assert result.returncode == 0
    assert "Note: made 2 memgpt files private" in result.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o600 and stat.S_IMODE(paths.locks_dir().stat().st_mode) == 0o700
    assert "Note:" not in run_memgpt("list", "agents").stderr  # once repaired, nothing to say


def test_repair_leaves_foreign_files_alone(memgpt_home) -> None:
    """A MEMGPT_HOME that also holds other things (the user's own files) only has memgpt's narrowed."""
    other = memgpt_home / "my_photos"
    other.mkdir()
    os.chmod(other, 0o755)
    (memgpt_home / "config.json").write_text("{}")
    os.chmod(memgpt_home / "config.json", 0o644)
    fixed = paths.repair_permissions()
    assert memgpt_home / "config.json" in fixed
    assert stat.S_IMODE(other.stat().st_mode) == 0o755
