"""Saved conversations and their Markdown export, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine

from assistant.history import MAX_TITLE_CHARS, ConversationStore, HistoryError, as_markdown
from assistant.settings import Settings
from assistant.usage_log import UsageLog
from tests.assistant.test_feedback import TEXT, _answer


@pytest.fixture
def engine(records_url):
    return create_engine(Settings(records_url=records_url, _env_file=None).records_db_url)


@pytest.fixture
def history(engine) -> ConversationStore:
    return ConversationStore(engine)


MESSAGES = [{"role": "user", "content": "<div>Which services?</div>"},
            {"role": "assistant", "content": "<div class='pa-done'>…</div>"}]
TURNS = [["user", "Which services?"], ["assistant", f"{TEXT} [1]"]]


def test_a_conversation_is_saved_then_updated_and_reads_back_as_shown(history):
    cid = history.save("amira", None, "Which services?", MESSAGES[:1], TURNS[:1], {})
    assert history.save("amira", cid, "Which services?", MESSAGES, TURNS, {1: "a1"}) == cid
    found = history.get("amira", cid)
    assert found.messages == MESSAGES and found.turns == TURNS and found.answer_ids == {1: "a1"}
    assert found.title == "Which services?" and found.as_dict()["questions"] == 1
    assert [c.conversation_id for c in history.list("amira")] == [cid]


def test_only_its_owner_lists_opens_renames_or_deletes_a_conversation(history):
    cid = history.save("amira", None, "Which services?", MESSAGES, TURNS, {})
    assert history.list("rita") == [] and history.get("rita", cid) is None
    with pytest.raises(HistoryError, match="No conversation"):
        history.rename("rita", cid, "mine now")
    assert not history.delete("rita", cid)
    # Saving under someone else's id starts the saver's own conversation.
    assert history.save("rita", cid, "Other", MESSAGES, TURNS, {}) != cid
    assert history.rename("amira", cid, "  Stroke   services ").title == "Stroke services"
    with pytest.raises(HistoryError, match="empty"):
        history.rename("amira", cid, "   ")
    assert history.delete("amira", cid) and history.get("amira", cid) is None


def test_a_long_first_question_makes_a_bounded_title(history):
    cid = history.save("amira", None, "why " * 200, [], [], {})
    assert len(history.get("amira", cid).title) == MAX_TITLE_CHARS


def test_the_markdown_export_makes_each_citation_a_footnote_quoting_its_sentence(
    engine, history
):
    log = UsageLog(engine)
    first = log.record(_answer("Which services?", 800))
    second = log.record(_answer("And which are celebrated?", 900))
    cid = history.save("amira", None, "Which services?", MESSAGES, TURNS,
                       {1: first, 2: first, 4: second})
    markdown = as_markdown(history.get("amira", cid), log)
    assert markdown.startswith("# Which services?")
    assert "**Q:** Which services?" in markdown and "**Q:** And which are celebrated?" in markdown
    assert f"{TEXT} [^1]" in markdown and f"{TEXT} [^2]" in markdown
    notes = re.findall(r"^\[\^(\d)\]: \*West\*: “(.*)”$", markdown, flags=re.MULTILINE)
    assert notes == [("1", TEXT), ("2", TEXT)]
