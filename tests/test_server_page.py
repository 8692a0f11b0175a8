"""The chat page in a real headless Chromium (Debian's, driven by Selenium; no browser download)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fake_llm import echo_user, send_message, tool_call
from tests.test_server_support import TOKEN, serve_fixture  # noqa: F401  (the `serve` fixture)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def browser(tmp_path):
    if not CHROMIUM.exists() or not (CHROMEDRIVER.exists() or shutil.which("chromedriver")):
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_chat_page_streams_a_reply_and_shows_memory(serve, configured, fake_llm, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    fake_llm.default = echo_user()
    configured.llm.stream = True  # the agent's model streams: the page gets the reply piece by piece
    configured.save()
    server = serve()
    with server.http() as http:
        assert http.post("/api/agents", json={"name": "pia", "human_text": "Name: Pia"}).status_code == 201
        # The first reply is verified (it must be a send_message), so say hello before scripting more.
        assert http.post("/api/agents/pia/messages", json={"message": "hello"}).json()["messages"]
    wait = WebDriverWait(browser, 20)
    browser.get(f"{server.url}/?token={TOKEN}")  # the link the server prints; swapped for a cookie
    wait.until(ec.text_to_be_present_in_element((By.ID, "agent"), "pia"))
    wait.until(ec.text_to_be_present_in_element((By.ID, "memory"), "Name: Pia"))
    used_before = int(browser.find_element(By.CSS_SELECTOR, "#tokens tr[data-key=used] td.n").text)

    # The reply edits core memory too: the panel must show it after the turn.
    fake_llm.script(
        tool_call(
            "core_memory_append",
            {"name": "human", "content": "Likes: kites", "request_heartbeat": True},
            content="Worth remembering.",
        ),
        send_message("Kites are great!", thought="Now answer."),
    )
    box = browser.find_element(By.ID, "input")
    box.send_keys("I like kites")
    browser.find_element(By.ID, "send").click()
    try:
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#log .msg.assistant:last-child"), "Kites"))
    except Exception:
        pytest.fail("no reply on the page; it shows:\n" + browser.find_element(By.TAG_NAME, "body").text)
    user_lines = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#log .msg.user")]
    assert user_lines[-1] == "I like kites"
    wait.until(ec.text_to_be_present_in_element((By.ID, "memory"), "Likes: kites"))
    used_after = int(browser.find_element(By.CSS_SELECTOR, "#tokens tr[data-key=used] td.n").text)
    assert used_after > used_before

    thought = browser.find_element(By.XPATH, "//div[contains(@class,'thought') and text()='Now answer.']")
    assert not thought.is_displayed()  # inner thoughts are hidden until asked for
    browser.find_element(By.ID, "show-thoughts").click()
    assert thought.is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "#log .msg.function")  # the memory edit is shown too

    # A reload shows the conversation again (from the agent's context).
    browser.refresh()
    wait.until(ec.text_to_be_present_in_element((By.ID, "log"), "Kites are great!"))
