"""What readers say about answers: a thumbs up or down, a comment, a correction — and the
corrections an editor promotes into questions the eval runs (``--dataset feedback``).

Feedback names a logged answer (:mod:`assistant.usage_log`); a rating on an answer the log
doesn't hold is refused. Comments and corrections are plain text, bounded, and shown as
text wherever they appear.

Example:
    >>> from sqlalchemy import create_engine
    >>> engine = create_engine("sqlite://")
    >>> store = FeedbackStore(engine, UsageLog(engine))
    >>> store.give("no-such-answer", liked=False)
    Traceback (most recent call last):
    ...
    assistant.feedback.FeedbackError: No answer 'no-such-answer' in the log: it was never recorded, or the records database was reset. Ask the question again and rate the new answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    update,
)

from assistant.catalog import now_iso
from assistant.usage_log import LoggedAnswer, UsageLog

MAX_NOTE_CHARS = 4000

_metadata = MetaData()
_feedback = Table(
    "assistant_feedback",
    _metadata,
    Column("feedback_id", String, primary_key=True),
    Column("answer_id", String, nullable=False, index=True),
    Column("rating", Integer, nullable=False),  # +1 up, -1 down
    Column("comment", Text, nullable=False, default=""),
    Column("correction", Text, nullable=False, default=""),
    Column("user", String, nullable=True),
    Column("given_at", String, nullable=False),
    Column("promoted_at", String, nullable=True),
    Column("should_refuse", Integer, nullable=False, default=0),
)


class FeedbackError(ValueError):
    """Feedback that can't be stored or promoted; ``str()`` says why and what to do."""


@dataclass(frozen=True)
class Feedback:
    """One rating, with the answer it is about."""

    feedback_id: str
    rating: int
    comment: str
    correction: str
    user: str | None
    given_at: str
    promoted_at: str | None
    should_refuse: bool
    answer: LoggedAnswer

    def as_dict(self) -> dict:
        """``feedback list --json``'s entry: the rating, the question, answer and citations."""
        a = self.answer
        return {
            "id": self.feedback_id, "rating": "up" if self.rating > 0 else "down",
            "comment": self.comment, "correction": self.correction, "user": self.user,
            "given_at": self.given_at, "promoted": self.promoted_at is not None,
            "promoted_at": self.promoted_at, "should_refuse": self.should_refuse,
            "answer_id": a.answer_id, "question": a.question, "answer": a.answer,
            "refused": a.refused, "citations": a.citations, "generator": a.generator,
            "kind": a.kind, "timings": a.timings, "settings": a.settings,
            "asked_at": a.asked_at,
        }


class FeedbackStore:
    """Stores ratings and promotes corrections, beside the answers log."""

    def __init__(self, engine: Engine, log: UsageLog, max_note_chars: int = MAX_NOTE_CHARS):
        self._engine = engine
        self._log = log
        self.max_note_chars = max_note_chars
        _metadata.create_all(engine)

    def give(
        self, answer_id: str, liked: bool, user: str | None = None, comment: str = "",
        correction: str = "",
    ) -> Feedback:
        """Rates a logged answer (again: the reader's latest rating of it replaces theirs)."""
        answer = self._log.get(answer_id)
        if answer is None:
            raise FeedbackError(
                f"No answer '{answer_id}' in the log: it was never recorded, or the records "
                "database was reset. Ask the question again and rate the new answer.")
        comment, correction = self._checked(comment, "comment"), self._checked(
            correction, "correction")
        with self._engine.begin() as connection:
            mine = select(_feedback.c.feedback_id).where(
                _feedback.c.answer_id == answer_id,
                _feedback.c.user.is_(None) if user is None else _feedback.c.user == user)
            feedback_id = connection.execute(mine).scalar()
            values = {"rating": 1 if liked else -1, "comment": comment,
                      "correction": correction, "given_at": now_iso()}
            if feedback_id is None:
                feedback_id = uuid.uuid4().hex[:10]
                connection.execute(_feedback.insert().values(
                    feedback_id=feedback_id, answer_id=answer_id, user=user, **values))
            else:
                connection.execute(update(_feedback).where(
                    _feedback.c.feedback_id == feedback_id).values(**values))
        return self.get(feedback_id)

    def amend(self, feedback_id: str, comment: str = "", correction: str = "") -> Feedback:
        """Adds a comment or correction to a rating already given."""
        if self.get(feedback_id) is None:
            raise FeedbackError(f"No feedback '{feedback_id}'; rate the answer first.")
        values = {"comment": self._checked(comment, "comment"),
                  "correction": self._checked(correction, "correction")}
        with self._engine.begin() as connection:
            connection.execute(update(_feedback).where(
                _feedback.c.feedback_id == feedback_id).values(**values))
        return self.get(feedback_id)

    def get(self, feedback_id: str) -> Feedback | None:
        found = self._rows(_feedback.c.feedback_id == feedback_id)
        return found[0] if found else None

    def since(self, when: str | None = None) -> list[Feedback]:
        """Feedback given at or after ``when`` (an ISO date or time), oldest first."""
        return self._rows(_feedback.c.given_at >= when) if when else self._rows()

    def promoted(self) -> list[Feedback]:
        return self._rows(_feedback.c.promoted_at.is_not(None))

    def counts(self, when: str | None = None) -> tuple[int, int]:
        """(thumbs up, thumbs down) since ``when``, counted by the database."""
        query = select(_feedback.c.rating, func.count()).group_by(_feedback.c.rating)
        if when:
            query = query.where(_feedback.c.given_at >= when)
        with self._engine.connect() as connection:
            counted = dict(connection.execute(query).all())
        return counted.get(1, 0), counted.get(-1, 0)

    def promote(self, feedback_id: str, should_refuse: bool = False) -> Feedback:
        """Makes a thumbs-down's correction a question ``eval --dataset feedback`` asks: the
        answer must restate the correction (or, with ``should_refuse``, refuse)."""
        feedback = self.get(feedback_id)
        if feedback is None:
            raise FeedbackError(f"No feedback '{feedback_id}'; `assistant feedback list` "
                                "shows the ids.")
        if feedback.rating > 0:
            raise FeedbackError(f"Feedback '{feedback_id}' is a thumbs-up: only an answer "
                                "marked wrong becomes a test question.")
        if not feedback.correction.strip() and not should_refuse:
            raise FeedbackError(
                f"Feedback '{feedback_id}' has no correction, so there is nothing to test the "
                "answer against. Add one in the chat, or pass --should-refuse if the documents "
                "don't answer the question.")
        with self._engine.begin() as connection:
            connection.execute(update(_feedback).where(
                _feedback.c.feedback_id == feedback_id).values(
                    promoted_at=now_iso(), should_refuse=int(should_refuse)))
        return self.get(feedback_id)

    def _checked(self, note: str, what: str) -> str:
        note = (note or "").strip()
        if len(note) > self.max_note_chars:
            raise FeedbackError(
                f"The {what} is {len(note):,} characters long; the limit is "
                f"{self.max_note_chars:,}. Shorten it (the answer and its sources are already "
                "kept with the feedback).")
        return note

    def _rows(self, *where) -> list[Feedback]:
        query = select(_feedback).where(*where).order_by(_feedback.c.given_at)
        with self._engine.connect() as connection:
            rows = list(connection.execute(query).mappings())
        answers = self._log.get_many([row["answer_id"] for row in rows])
        found = []
        for row in rows:
            if (answer := answers.get(row["answer_id"])) is not None:
                found.append(Feedback(
                    feedback_id=row["feedback_id"], rating=row["rating"],
                    comment=row["comment"], correction=row["correction"], user=row["user"],
                    given_at=row["given_at"], promoted_at=row["promoted_at"],
                    should_refuse=bool(row["should_refuse"]), answer=answer))
        return found
