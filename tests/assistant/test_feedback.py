"""The answers log and feedback on it, on real records databases: SQLite, then PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from assistant.answering.answer import Answer, Citation, Evidence
from assistant.feedback import MAX_NOTE_CHARS, FeedbackError, FeedbackStore
from assistant.settings import Settings
from assistant.spans import SourceSpan
from assistant.usage_log import UsageLog

TEXT = "NHS London's redesigns of stroke and trauma services are celebrated."


def _answer(question: str, first_token_ms: float, refused: bool = False,
            doc_id: str = "west") -> Answer:
    span = SourceSpan(doc_id, "West", "Dave West", f"{doc_id}.md", 0, len(TEXT), TEXT)
    citations = [] if refused else [Citation.of(Evidence(1, span, 1.0, []))]
    return Answer(question=question, answer="The documents don't cover this." if refused
                  else f"{TEXT} [1]", refused=refused, citations=citations,
                  generator="extractive", verification={"passed": True},
                  timings={"first_token_ms": first_token_ms, "total_ms": first_token_ms + 100})


@pytest.fixture
def engine(records_url):
    return create_engine(Settings(records_url=records_url, _env_file=None).records_db_url)


@pytest.fixture
def log(engine) -> UsageLog:
    return UsageLog(engine, {"top_k": 6})


@pytest.fixture
def feedback(engine, log) -> FeedbackStore:
    return FeedbackStore(engine, log)


def test_a_logged_answer_reads_back_whole(log):
    answer_id = log.record(_answer("Which services?", 800), user="amira", channel="cli")
    logged = log.get(answer_id)
    assert logged.question == "Which services?" and logged.user == "amira"
    assert logged.channel == "cli" and logged.settings == {"top_k": 6}
    assert logged.citations[0]["text"] == TEXT and logged.cited_documents == ["west"]
    assert logged.timings["first_token_ms"] == 800
    assert log.get("no-such-id") is None


def test_stats_count_refusals_times_and_the_documents_cited_most(log):
    for n, first in enumerate([100, 200, 300, 400]):
        log.record(_answer(f"q{n}", first, doc_id="west" if n < 3 else "clover"))
    log.record(_answer("unanswerable", 50, refused=True), channel="api")
    numbers = log.stats(ratings=(2, 1))
    assert numbers.questions == 5 and numbers.refused == 1 and numbers.refusal_rate == 0.2
    assert numbers.first_token_p50_ms == 200 and numbers.total_p50_ms == 300
    assert numbers.most_cited == [("west", 3), ("clover", 1)]
    assert numbers.by_channel == {"chat": 4, "api": 1}
    assert (numbers.thumbs_up, numbers.thumbs_down) == (2, 1)
    assert log.stats(when="2999-01-01").questions == 0


def test_an_answer_is_still_given_when_the_log_cannot_be_written(engine, log):
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE assistant_answers"))
    assert log.record(_answer("Which services?", 800)) is None


def test_feedback_keeps_the_question_answer_and_citations(log, feedback):
    answer_id = log.record(_answer("Which services?", 800))
    given = feedback.give(answer_id, liked=False, user="amira", comment="<b>wrong</b>",
                          correction="Stroke and trauma services")
    entry = given.as_dict()
    assert entry["rating"] == "down" and entry["comment"] == "<b>wrong</b>"
    assert entry["question"] == "Which services?" and entry["citations"][0]["text"] == TEXT
    assert [f.feedback_id for f in feedback.since()] == [given.feedback_id]


def test_a_reader_rating_again_replaces_their_rating_others_add_theirs(log, feedback):
    answer_id = log.record(_answer("Which services?", 800))
    first = feedback.give(answer_id, liked=False, user="amira")
    again = feedback.give(answer_id, liked=True, user="amira")
    feedback.give(answer_id, liked=False, user="bo")
    assert again.feedback_id == first.feedback_id and again.rating == 1
    assert feedback.counts() == (1, 1)


def test_feedback_on_an_answer_the_log_does_not_hold_is_refused(feedback):
    with pytest.raises(FeedbackError, match="No answer 'gone'.*Ask the question again"):
        feedback.give("gone", liked=False)
    assert feedback.since() == []


def test_a_100_kb_comment_is_refused_with_the_limit_and_nothing_is_stored(log, feedback):
    answer_id = log.record(_answer("Which services?", 800))
    with pytest.raises(FeedbackError, match=f"102,400 characters.*limit is {MAX_NOTE_CHARS:,}"):
        feedback.give(answer_id, liked=False, comment="x" * 102_400)
    assert feedback.since() == []
    given = feedback.give(answer_id, liked=False)
    with pytest.raises(FeedbackError, match="correction is 102,400"):
        feedback.amend(given.feedback_id, correction="y" * 102_400)
    assert feedback.get(given.feedback_id).correction == ""


def test_only_a_thumbs_down_with_a_correction_or_a_refusal_is_promoted(log, feedback):
    answer_id = log.record(_answer("Which services?", 800))
    liked = feedback.give(answer_id, liked=True, user="a")
    with pytest.raises(FeedbackError, match="thumbs-up"):
        feedback.promote(liked.feedback_id)
    bare = feedback.give(answer_id, liked=False, user="b")
    with pytest.raises(FeedbackError, match="no correction.*--should-refuse"):
        feedback.promote(bare.feedback_id)
    assert feedback.promote(bare.feedback_id, should_refuse=True).should_refuse
    corrected = feedback.amend(
        feedback.give(answer_id, liked=False, user="c").feedback_id, correction="Stroke")
    assert feedback.promote(corrected.feedback_id).promoted_at is not None
    assert {f.user for f in feedback.promoted()} == {"b", "c"}
    with pytest.raises(FeedbackError, match="No feedback 'nope'"):
        feedback.promote("nope")


def test_twenty_sessions_rating_at_once_lose_nothing(log, feedback):
    answer_id = log.record(_answer("Which services?", 800))
    errors = []

    def rate(n: int) -> None:
        try:
            feedback.give(answer_id, liked=n % 2 == 0, user=f"reader{n}", comment=f"note {n}")
        except Exception as error:  # collected: a thread's failure must fail the test
            errors.append(error)

    threads = [threading.Thread(target=rate, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(f.comment for f in feedback.since()) == sorted(f"note {n}" for n in range(20))


@pytest.mark.slow
def test_when_postgresql_goes_away_mid_use_answers_still_come_and_only_the_log_misses_them(
    tmp_path
):
    import pgserver

    from assistant.wiring import Parts
    from tests.conftest import DOCUMENTS_DIR

    server = pgserver.get_server(tmp_path / "pg", cleanup_mode="stop")
    parts = Parts(Settings(data_dir=tmp_path / "data", records_url=server.get_uri(),
                           _env_file=None))
    parts.library.ingest([DOCUMENTS_DIR])
    question = "Which services did NHS London redesign?"
    before = parts.chain.answer(question, generator="extractive")
    assert parts.usage_log.record(before) is not None
    server.cleanup()  # the database stops, as a failed-over or restarted server would
    after = parts.chain.answer(question, generator="extractive")
    assert "stroke and trauma" in after.answer and after.answer == before.answer
    assert parts.usage_log.record(after) is None
    with pytest.raises(SQLAlchemyError):  # the chat says so (ChatApp.rate)
        parts.feedback.give("anything", liked=True)
