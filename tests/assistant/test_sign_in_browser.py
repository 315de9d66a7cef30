"""Sign-in, for real: users made with the CLI, `assistant serve`, headless Debian chromium."""

from __future__ import annotations

import os

import pytest
from gradio_client import Client
from playwright.sync_api import Page, expect, sync_playwright

from assistant.harness import launch_chromium, run_assistant, serve_chat
from tests.conftest import DOCUMENTS_DIR

pytestmark = [pytest.mark.slow, pytest.mark.browser]

READER = ("rita", "reader-pass-123")
EDITOR = ("eddie", "editor-pass-456")


@pytest.fixture(scope="module")
def chat_url(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("sign-in") / "data"
    env = {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_GENERATOR": "extractive"}
    full_env = {**os.environ, **env}
    run_assistant(full_env, "ingest", str(DOCUMENTS_DIR))
    run_assistant(full_env, "users", "add", READER[0], "--password-stdin", stdin=READER[1])
    run_assistant(full_env, "users", "add", EDITOR[0], "--role", "editor", "--password-stdin",
                  stdin=EDITOR[1])
    with serve_chat(env, data_dir.parent / "serve.log") as url:
        yield url


@pytest.fixture
def page(chat_url):
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        opened = browser.new_page()
        opened.goto(chat_url, wait_until="domcontentloaded")
        yield opened
        browser.close()


def sign_in(page: Page, name: str, password: str) -> None:
    page.get_by_label("username").fill(name)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()


def test_a_wrong_password_is_refused_and_the_chat_stays_hidden(page):
    sign_in(page, READER[0], "not-the-password")
    expect(page.get_by_text("Incorrect Credentials")).to_be_visible(timeout=30_000)
    assert page.locator("#question").count() == 0


def test_a_reader_signs_in_asks_and_sees_no_upload(page):
    sign_in(page, *READER)
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.get_by_role("tab", name="Library").click()
    expect(page.get_by_text("only editors add, change or remove documents")).to_be_visible(timeout=30_000)
    expect(page.locator("#library-table")).to_contain_text("Ben Clover")
    assert not page.locator("#upload").is_visible() and not page.locator("#remove").is_visible()


def test_an_editor_sees_the_upload(page):
    sign_in(page, *EDITOR)
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#upload")).to_be_visible(timeout=30_000)
    expect(page.locator("#remove")).to_be_visible()


def test_the_api_needs_sign_in_and_a_reader_cannot_upload(chat_url, files):
    from gradio_client import handle_file
    from gradio_client.exceptions import AuthenticationError

    with pytest.raises(AuthenticationError, match="credentials were not provided"):
        Client(chat_url, verbose=False).predict("Who leads?", "extractive", 0, None,
                                                api_name="/ask")
    reader = Client(chat_url, auth=READER, verbose=False)
    answer = reader.predict("Who is NHS England's interim London director?", "extractive", 0,
                            None, api_name="/ask")
    assert "Cummings" in answer["answer"]
    note = files.text("reader-note.md", "---\ntitle: Reader note\n---\nA note from a reader.\n")
    report = reader.predict([handle_file(str(note))], api_name="/upload")[0]
    assert "Only editors may add documents" in report
    editor = Client(chat_url, auth=EDITOR, verbose=False)
    assert "added as" in editor.predict([handle_file(str(note))], api_name="/upload")[0]


def test_a_signed_in_user_s_conversation_survives_a_restart_reopens_and_exports(
    tmp_path_factory
):
    import json
    import re

    data_dir = tmp_path_factory.mktemp("history") / "data"
    env = {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_GENERATOR": "extractive"}
    full_env = {**os.environ, **env}
    run_assistant(full_env, "ingest", str(DOCUMENTS_DIR))
    run_assistant(full_env, "users", "add", READER[0], "--password-stdin", stdin=READER[1])
    question = "Which services did NHS London redesign?"
    documents = "".join(p.read_text(encoding="utf-8") for p in DOCUMENTS_DIR.glob("*.md"))
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for serving in ("first", "after the restart"):
            with serve_chat(env, data_dir.parent / f"serve-{serving}.log") as url:
                page = browser.new_page()
                page.goto(url, wait_until="domcontentloaded")
                sign_in(page, *READER)
                page.wait_for_selector("#question textarea", timeout=60_000)
                if serving == "first":
                    page.fill("#question textarea", question)
                    page.click("#ask")
                    expect(page.locator(".pa-done")).to_have_count(1, timeout=120_000)
                    continue
                page.locator("#history").first.get_by_text("Your conversations").click()
                page.locator("#history-choice input").click()
                page.get_by_role("option", name=re.compile(re.escape(question))).click()
                page.click("#history-open")
                answer = page.locator(".pa-done")
                expect(answer).to_have_count(1, timeout=30_000)
                assert "stroke and trauma" in answer.inner_text()
                answer.locator(".pa-cite").first.click()
                panel = page.locator("#pa-citation")
                expect(panel).to_be_visible()
                assert panel.locator("mark").first.inner_text() in documents
                page.click("#history-export")
                expect(page.locator("#history-file")).to_contain_text("conversation-",
                                                                      timeout=30_000)
        browser.close()
    saved = json.loads(run_assistant(full_env, "history", "list", READER[0], "--json").stdout)
    assert [c["title"] for c in saved] == [question] and saved[0]["questions"] == 1
    markdown = run_assistant(full_env, "history", "export", saved[0]["id"], "--user",
                             READER[0]).stdout
    assert f"**Q:** {question}" in markdown and "[^1]" in markdown
    quotes = re.findall(r"^\[\^\d+\]: .*?: “(.*)”$", markdown, flags=re.MULTILINE)
    assert quotes and all(part in documents for q in quotes for part in q.split(" … "))
    assert run_assistant(full_env, "history", "export", saved[0]["id"], "--user", "eddie",
                         check=False).returncode == 1
