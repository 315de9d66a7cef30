"""The chat, for real: `assistant serve` in a subprocess, driven by headless Debian chromium.

Slow and browser-marked; `make test` and CI run them. Questions here were written for
these tests, not taken from the gold set.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from assistant.harness import launch_chromium, run_assistant, serve_chat
from tests.conftest import DOCUMENTS_DIR

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ANSWER_WAIT_MS = 240_000  # the bound for a local-model answer on two cores
QUICK = "Quotes from the documents only (no model, instant)"


@pytest.fixture(scope="module")
def chat_env(tmp_path_factory, local_model_path) -> dict[str, str]:
    """The served chat's settings, for CLI commands on the same data dir."""
    data_dir = tmp_path_factory.mktemp("chat") / "data"
    return {"ASSISTANT_DATA_DIR": str(data_dir),
            "ASSISTANT_MODELS_DIR": str(local_model_path.parent)}


@pytest.fixture(scope="module")
def chat_url(chat_env):
    run_assistant({**os.environ, **chat_env}, "ingest", str(DOCUMENTS_DIR))
    log = os.path.join(os.path.dirname(chat_env["ASSISTANT_DATA_DIR"]), "serve.log")
    with serve_chat(chat_env, Path(log)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, chat_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    # Not "networkidle": Gradio keeps a connection open.
    opened.goto(chat_url, wait_until="domcontentloaded")
    opened.wait_for_selector("#question textarea", timeout=60_000)
    yield opened
    context.close()


def use_quotes(page: Page) -> None:
    page.get_by_text("Answer settings").click()
    page.get_by_label(QUICK).check()


def ask(page: Page, question: str):
    """Types the question, waits for the checked answer; returns its message element."""
    done = page.locator(".pa-done")
    before = done.count()
    page.fill("#question textarea", question)
    page.click("#ask")
    expect(done).to_have_count(before + 1, timeout=ANSWER_WAIT_MS)
    return done.last


def documents_text() -> str:
    return "".join(p.read_text(encoding="utf-8") for p in DOCUMENTS_DIR.glob("*.md"))


def test_a_new_question_gets_a_cited_answer_from_the_local_model(page):
    answer = ask(page, "Whose other job as chief nursing officer might eat into her London role?")
    assert "Cummings" in answer.inner_text()
    assert answer.locator(".pa-cite").count() >= 1
    # Answered by the model itself, not the quoting fallback (which shows a notice).
    assert page.locator(".pa-notice").count() == 0
    # The sources came first: their block sits above the answer.
    sources = page.locator(".pa-sources").last
    assert sources.bounding_box()["y"] < answer.bounding_box()["y"]


def test_a_citation_opens_its_passage_with_the_cited_sentence_highlighted(page):
    use_quotes(page)
    answer = ask(page, "Which body operates independently in the regions?")
    answer.locator(".pa-cite").first.click()
    panel = page.locator("#pa-citation")
    expect(panel).to_be_visible()
    text = documents_text()
    assert panel.locator(".pa-title").inner_text() in text
    highlighted = panel.locator("mark").first.inner_text()
    assert highlighted and highlighted in text
    # Closing it leaves the chat where it was.
    panel.locator(".pa-close").click()
    expect(panel).to_be_hidden()
    assert page.locator(".pa-done").count() == 1


def test_a_refusal_looks_different_and_cites_nothing(page):
    use_quotes(page)
    answer = ask(page, "What did the Bristol integrated care board decide about dentistry in 2031?")
    assert "pa-refusal" in answer.get_attribute("class")
    assert answer.locator(".pa-cite").count() == 0


def test_a_follow_up_uses_the_conversation_and_new_conversation_clears_it(page):
    use_quotes(page)
    ask(page, "Who is NHS England's interim London director?")
    follow_up = ask(page, "What is her other job?")
    assert "chief nursing officer" in follow_up.inner_text()
    page.click("#new-conversation")
    expect(page.locator(".pa-done")).to_have_count(0)


def test_markup_in_a_question_is_shown_as_text_and_never_run(page):
    use_quotes(page)
    question = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> Who is Ms Rainsberry?'
    ask(page, question)
    assert page.evaluate("window.pwned") is None
    assert "<script>window.pwned = 1</script>" in page.locator(".pa-question").last.inner_text()


def test_an_empty_question_says_what_to_do(page):
    answer = ask(page, "   ")
    assert "pa-error" in answer.get_attribute("class")
    assert "empty" in answer.inner_text()


def _upload(page: Page, path, outcome: str) -> str:
    """Uploads the file and waits for the report line saying ``outcome`` about it."""
    page.get_by_role("tab", name="Library").click()
    report = page.locator("#library-report")
    page.locator("#upload input[type=file]").set_input_files(str(path))
    # The line names the file and what happened; while the upload runs, the old line stays.
    expect(report).to_contain_text(re.compile(rf"{re.escape(path.name)}: {outcome}"),
                                   timeout=120_000)
    return report.inner_text()


def _library_text(page: Page) -> str:
    page.get_by_role("tab", name="Library").click()
    table = page.locator("#library-table")
    expect(table).to_contain_text("Dave West")
    return table.inner_text()


def test_an_uploaded_document_is_answerable_until_it_is_removed(page, files):
    title = "Ealing dental access pilot"
    path = files.text(
        "ealing-dental.md",
        f"---\ntitle: {title}\nauthor: Test Author\n---\n\n"
        "The Ealing dental access pilot is led by Priya Okonkwo. It opened eleven evening "
        "clinics for people without an NHS dentist.\n",
    )
    _upload(page, path, "added")
    assert title in _library_text(page)
    # The same file again is recognised, not stored twice.
    _upload(page, path, "already in the library")
    assert _library_text(page).count(title) == 1

    page.get_by_role("tab", name="Ask").click()
    use_quotes(page)
    answer = ask(page, "Who leads the Ealing dental access pilot?")
    assert "Priya Okonkwo" in answer.inner_text()
    cited_passages = page.locator(".pa-passage", has_text=title)
    assert cited_passages.count() >= 1
    seen_before_removal = cited_passages.count()

    page.get_by_role("tab", name="Library").click()
    page.locator("#remove-choice input").click()
    page.get_by_role("option", name=re.compile(title)).click()
    page.click("#remove")
    expect(page.locator("#library-report")).to_contain_text("Removed")
    assert title not in _library_text(page)

    page.get_by_role("tab", name="Ask").click()
    again = ask(page, "Who leads the Ealing dental access pilot?")
    assert "Priya Okonkwo" not in again.inner_text()
    assert cited_passages.count() == seen_before_removal


def test_a_corrupt_upload_says_why_and_leaves_the_library_unchanged(page, files):
    before = _library_text(page)
    path = files.raw("broken-report.pdf", b"%PDF-1.7\n1 0 obj <<\ngarbage without an end")
    report = _upload(page, path, "not added: ")
    assert "PDF" in report
    assert _library_text(page) == before


def test_the_answering_is_callable_through_gradio_client(chat_url):
    from gradio_client import Client

    client = Client(chat_url, verbose=False)
    result = client.predict(
        "Who is NHS England's interim London director?", "extractive", 0, None, api_name="/ask"
    )
    assert "Cummings" in result["answer"] and not result["refused"]
    text = documents_text()
    assert all(c["text"] in text for c in result["citations"])
    with pytest.raises(Exception, match="empty"):
        client.predict("  ", "extractive", 0, None, api_name="/ask")


def test_a_question_asked_of_one_chosen_document_cites_only_it(page):
    use_quotes(page)
    west = "London lacks a clear, capable strategic NHS function"
    page.locator("#scope input").click()
    page.get_by_role("option", name=re.compile(re.escape(west))).click()
    page.keyboard.press("Escape")
    answer = ask(page, "Which services did NHS London redesign?")
    assert "stroke and trauma" in answer.inner_text()
    assert answer.locator(".pa-cite").count() >= 1
    titles = page.locator(".pa-sources").last.locator(".pa-title").all_text_contents()
    assert titles and set(titles) == {west}


def test_a_scoped_question_through_gradio_client_and_an_unknown_scope(chat_url):
    from gradio_client import Client

    client = Client(chat_url, verbose=False)
    listing = client.predict(
        "Who chairs Lewisham CCG?", "extractive", 0, None, None, api_name="/ask")
    clover = next(c["doc_id"] for c in listing["citations"] if c["author"] == "Ben Clover")
    scoped = client.predict(
        "Which services did NHS London redesign?", "extractive", 0, None, [clover],
        api_name="/ask")
    assert scoped["scope"] == [clover]
    assert {c["doc_id"] for c in scoped["citations"]} <= {clover}
    assert "stroke and trauma" not in scoped["answer"]
    with pytest.raises(Exception, match="no-such-doc"):
        client.predict("Who chairs Lewisham CCG?", "extractive", 0, None, ["no-such-doc"],
                       api_name="/ask")


def test_a_document_summarised_from_the_library_shows_its_cited_summary(page):
    use_quotes(page)
    west = "London lacks a clear, capable strategic NHS function"
    page.get_by_role("tab", name="Library").click()
    page.locator("#remove-choice input").click()
    page.get_by_role("option", name=re.compile(re.escape(west))).click()
    page.click("#summarise")
    summary = page.locator("#library-summary .pa-done")
    expect(summary).to_be_visible(timeout=ANSWER_WAIT_MS)
    expect(page.locator("#library-summary")).to_contain_text("sections read")
    assert "•" in summary.inner_text() and summary.locator(".pa-cite").count() >= 2
    assert set(page.locator("#library-summary .pa-title").all_text_contents()) == {west}
    summary.locator(".pa-cite").first.click()
    panel = page.locator("#pa-citation")
    expect(panel).to_be_visible()
    highlighted = panel.locator("mark").first.inner_text()
    assert highlighted and highlighted in documents_text()


def test_summarise_a_document_in_the_chat(page):
    use_quotes(page)
    answer = ask(page, "Summarise the column by Ben Clover on London health devolution")
    assert "•" in answer.inner_text() and answer.locator(".pa-cite").count() >= 2
    titles = set(page.locator(".pa-sources").last.locator(".pa-title").all_text_contents())
    assert len(titles) == 1


def test_a_thumbs_down_with_a_correction_becomes_a_question_the_eval_asks(page, chat_env):
    use_quotes(page)
    question = "Which services did NHS London redesign?"
    ask(page, question)
    page.locator("#chat").get_by_label("Dislike").last.click()
    expect(page.locator("#feedback-box").first).to_be_visible()
    page.fill("#feedback-comment textarea", "<b>Not</b> the point I asked about")
    page.fill("#feedback-correction textarea", "NHS London redesigned stroke and trauma services")
    page.click("#feedback-send")
    expect(page.locator("#feedback-status")).to_contain_text("Saved")
    env = {**os.environ, **chat_env}
    listed = json.loads(run_assistant(env, "feedback", "list", "--json").stdout)
    mine = next(f for f in listed if f["question"] == question)
    assert mine["rating"] == "down" and mine["comment"].startswith("<b>Not</b>")
    assert "stroke and trauma" in mine["answer"] and mine["citations"]
    assert all(c["text"] in documents_text() for c in mine["citations"])
    run_assistant(env, "feedback", "promote", mine["id"])
    reports = Path(chat_env["ASSISTANT_DATA_DIR"]).parent / "reports"
    ran = run_assistant(env, "eval", "--dataset", "feedback", "--no-baseline", "--json",
                        "--reports", str(reports))
    outcome = json.loads(ran.stdout)
    assert outcome["ours"]["questions"] == 1 and outcome["ours"]["fact_accuracy"] == 1.0
    # With no users everyone is an editor: the Usage tab counts it, with its chart.
    page.get_by_role("tab", name="Usage").click()
    page.click("#usage-refresh")
    # Waits for the refreshed numbers (the tab may first show those of an earlier visit).
    expect(page.locator("#usage-numbers")).to_contain_text(
        re.compile(r"thumbs up / down\s*\|?\s*\d+ / [1-9]"))
    expect(page.locator("#usage-chart")).to_be_visible()
    stats = json.loads(run_assistant(env, "stats", "--json").stdout)
    assert stats["by_channel"]["chat"] >= 1 and stats["thumbs_down"] >= 1
    assert stats["questions"] >= stats["by_channel"]["chat"]
