"""20 chat sessions at once through gradio_client against a real `assistant serve`.

Each session asks its own question, then a short follow-up that the chat reads with that
session's conversation ("Searched for: <its own first question> …"); meanwhile another
session uploads a document. Quoting answers keep it quick; the model adds nothing here.
"""

from __future__ import annotations

import html
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.harness import serve_library
from evals.datasets import load_gold
from tests.conftest import DOCUMENTS_DIR

pytestmark = pytest.mark.slow

SESSIONS = 20


@pytest.fixture(scope="module")
def chat_url(tmp_path_factory):
    with serve_library(tmp_path_factory.mktemp("concurrent") / "data", [DOCUMENTS_DIR]) as url:
        yield url


def _text(messages: list[dict]) -> str:
    return "\n".join(str(m["content"]) for m in messages)


def _chat(url: str, questions: list[str]) -> list[str]:
    """One session asking ``questions`` in turn; the chat's HTML after each."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    shown = []
    for question in questions:
        messages, _ = client.predict(question, [], "extractive", 6, api_name="/chat")
        shown.append(_text(messages))
    return shown


def test_twenty_sessions_get_their_own_answers_while_a_document_is_uploaded(chat_url, files):
    from gradio_client import Client, handle_file

    firsts = [q.question for q in load_gold().questions if q.answerable][:SESSIONS]
    assert len(set(firsts)) == SESSIONS
    note = files.text("upload-during-chat.md", "---\ntitle: Uploaded mid-chat\n---\n"
                      "The Hillingdon pilot opened a night pharmacy in 2019.\n")
    with ThreadPoolExecutor(SESSIONS + 1) as pool:
        chats = [pool.submit(_chat, chat_url, [first, "Who said so?"]) for first in firsts]
        upload = pool.submit(Client(chat_url, verbose=False).predict, [handle_file(str(note))],
                             api_name="/upload")
        results = [chat.result(timeout=600) for chat in chats]
        report = upload.result(timeout=600)[0]
    assert "added as" in report
    for first, (answer, follow_up) in zip(firsts, results):
        for shown in (answer, follow_up):
            assert "pa-done" in shown and "pa-error" not in shown
        # The follow-up was read with this session's question, and no other session's.
        understood = follow_up.split('class="pa-understood"')[1].split("</div>")[0]
        assert html.escape(first) in understood
        assert not any(html.escape(other) in understood for other in firsts if other != first)
    uploaded = _chat(chat_url, ["Which pilot opened a night pharmacy?"])[0]
    assert "Hillingdon" in uploaded and "pa-refusal" not in uploaded
