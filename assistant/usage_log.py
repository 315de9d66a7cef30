"""Every answered question, in the records database: what feedback points at and what the
admins' numbers are counted from.

A row holds the question, the checked answer and its citations, whether it was refused, the
generator, the timings, the settings that shaped it, the signed-in user (if any) and where it
was asked (chat, cli, api). Never a password: nothing of the sign-in but the user's name.

Example:
    >>> from sqlalchemy import create_engine
    >>> log = UsageLog(create_engine("sqlite://"))
    >>> answer_id = log.record(answer, channel="cli")  # doctest: +SKIP
    >>> log.stats().questions  # doctest: +SKIP
    1
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Boolean, Column, Engine, MetaData, String, Table, Text, select
from sqlalchemy.exc import SQLAlchemyError

from assistant.answering.answer import Answer
from assistant.catalog import now_iso

log = logging.getLogger(__name__)

_metadata = MetaData()
_answers = Table(
    "assistant_answers",
    _metadata,
    Column("answer_id", String, primary_key=True),
    Column("asked_at", String, nullable=False, index=True),
    Column("user", String, nullable=True),
    Column("channel", String, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("refused", Boolean, nullable=False),
    Column("generator", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("citations", Text, nullable=False),  # JSON: ask --json's citations
    Column("timings", Text, nullable=False),  # JSON: milliseconds by step
    Column("settings", Text, nullable=False),  # JSON: the settings that shaped the answer
)


@dataclass(frozen=True)
class LoggedAnswer:
    """One answered question as the log keeps it."""

    answer_id: str
    asked_at: str
    user: str | None
    channel: str
    question: str
    answer: str
    refused: bool
    generator: str
    kind: str
    citations: list[dict]
    timings: dict
    settings: dict

    @property
    def cited_documents(self) -> list[str]:
        return list(dict.fromkeys(c["doc_id"] for c in self.citations))

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class UsageStats:
    """What ``assistant stats`` prints: counts, refusals, times and the documents cited."""

    questions: int
    refused: int
    first_token_p50_ms: float | None
    first_token_p95_ms: float | None
    total_p50_ms: float | None
    total_p95_ms: float | None
    by_generator: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    most_cited: list[tuple[str, int]] = field(default_factory=list)
    thumbs_up: int = 0
    thumbs_down: int = 0

    @property
    def refusal_rate(self) -> float | None:
        return self.refused / self.questions if self.questions else None

    def as_dict(self) -> dict:
        return {**{name: getattr(self, name) for name in self.__dataclass_fields__},
                "most_cited": [{"doc_id": d, "citations": n} for d, n in self.most_cited],
                "refusal_rate": self.refusal_rate}


class UsageLog:
    """Writes and reads the answers log; ``settings``: what shaped the answers it records."""

    def __init__(self, engine: Engine, settings: dict | None = None) -> None:
        self._engine = engine
        self._settings = json.dumps(settings or {})
        _metadata.create_all(engine)

    def record(self, answer: Answer, user: str | None = None, channel: str = "chat") -> str | None:
        """Logs a checked answer; returns its id (what feedback on it names), or ``None``
        when the records database can't be written: the reader still gets the answer."""
        answer_id = uuid.uuid4().hex[:12]
        try:
            with self._engine.begin() as connection:
                connection.execute(_answers.insert().values(
                    answer_id=answer_id, asked_at=now_iso(), user=user, channel=channel,
                    question=answer.question, answer=answer.answer, refused=answer.refused,
                    generator=answer.generator, kind=answer.kind,
                    citations=json.dumps([c.as_dict() for c in answer.citations]),
                    timings=json.dumps(answer.timings), settings=self._settings,
                ))
        except SQLAlchemyError as error:
            log.warning("answer not logged: the records database failed (%s)", error)
            return None
        return answer_id

    def get(self, answer_id: str) -> LoggedAnswer | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(_answers).where(_answers.c.answer_id == answer_id)).mappings().first()
        return _logged(row) if row is not None else None

    def get_many(self, answer_ids: list[str]) -> dict[str, LoggedAnswer]:
        """The logged answers among ``answer_ids``, by id."""
        query = select(_answers).where(_answers.c.answer_id.in_(set(answer_ids)))
        with self._engine.connect() as connection:
            return {row["answer_id"]: _logged(row)
                    for row in connection.execute(query).mappings()}

    def since(self, when: str | None = None) -> list[LoggedAnswer]:
        """The answers logged at or after ``when`` (an ISO date or time), oldest first."""
        query = select(_answers).order_by(_answers.c.asked_at)
        if when:
            query = query.where(_answers.c.asked_at >= when)
        with self._engine.connect() as connection:
            return [_logged(row) for row in connection.execute(query).mappings()]

    def stats(self, when: str | None = None, ratings: tuple[int, int] = (0, 0),
              top: int = 5) -> UsageStats:
        """Counts and times of the answers since ``when``; ``ratings``: (up, down)."""
        answers = self.since(when)
        first = [a.timings["first_token_ms"] for a in answers if "first_token_ms" in a.timings]
        total = [a.timings["total_ms"] for a in answers if "total_ms" in a.timings]
        cited = Counter(doc for a in answers for doc in a.cited_documents)
        return UsageStats(
            questions=len(answers), refused=sum(a.refused for a in answers),
            first_token_p50_ms=_percentile(first, 50), first_token_p95_ms=_percentile(first, 95),
            total_p50_ms=_percentile(total, 50), total_p95_ms=_percentile(total, 95),
            by_generator=dict(Counter(a.generator for a in answers)),
            by_channel=dict(Counter(a.channel for a in answers)),
            most_cited=cited.most_common(top), thumbs_up=ratings[0], thumbs_down=ratings[1],
        )


def answers_per_day(answers: list[LoggedAnswer]) -> list[dict]:
    """Rows for the usage chart: per day, the answers given and the questions refused."""
    days: dict[str, Counter] = {}
    for a in answers:
        days.setdefault(a.asked_at[:10], Counter())["refused" if a.refused else "answered"] += 1
    return [{"day": day, "outcome": outcome, "questions": counts[outcome]}
            for day, counts in sorted(days.items()) for outcome in ("answered", "refused")]


def _percentile(values: list[float], q: int) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def _logged(row) -> LoggedAnswer:
    return LoggedAnswer(
        answer_id=row["answer_id"], asked_at=row["asked_at"], user=row["user"],
        channel=row["channel"], question=row["question"], answer=row["answer"],
        refused=bool(row["refused"]), generator=row["generator"], kind=row["kind"],
        citations=json.loads(row["citations"]), timings=json.loads(row["timings"]),
        settings=json.loads(row["settings"]),
    )
