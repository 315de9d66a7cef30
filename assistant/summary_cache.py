"""Summaries already made, in the records database: one per document version and recipe.

A row is keyed by the document, its version (bytes and splitter) and the recipe (generator,
model, settings); writing a new version's summary drops the document's older ones, so a
changed document never reads back a summary of its old text.

Example:
    >>> from sqlalchemy import create_engine
    >>> cache = SummaryCache(create_engine("sqlite://"))
    >>> cache.put("d", "v1", "extractive", {"text": "…"})
    >>> cache.get("d", "v1", "extractive"), cache.get("d", "v2", "extractive")
    ({'text': '…'}, None)
"""

from __future__ import annotations

import json

from sqlalchemy import Column, Engine, MetaData, String, Table, Text, and_, or_, select

from assistant.catalog import now_iso

_metadata = MetaData()
_summaries = Table(
    "assistant_summaries",
    _metadata,
    Column("doc_id", String, primary_key=True),
    Column("recipe", String, primary_key=True),
    Column("version", String, nullable=False),
    Column("payload", Text, nullable=False),
    Column("made_at", String, nullable=False),
)


class SummaryCache:
    """Reads and writes cached summaries (JSON payloads) beside the catalog."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        _metadata.create_all(engine)

    def get(self, doc_id: str, version: str, recipe: str) -> dict | None:
        query = select(_summaries.c.payload).where(
            _summaries.c.doc_id == doc_id, _summaries.c.recipe == recipe,
            _summaries.c.version == version)
        with self._engine.connect() as connection:
            payload = connection.execute(query).scalar()
        return json.loads(payload) if payload is not None else None

    def put(self, doc_id: str, version: str, recipe: str, payload: dict) -> None:
        stale = and_(_summaries.c.doc_id == doc_id,
                     or_(_summaries.c.version != version, _summaries.c.recipe == recipe))
        with self._engine.begin() as connection:
            connection.execute(_summaries.delete().where(stale))
            connection.execute(_summaries.insert().values(
                doc_id=doc_id, recipe=recipe, version=version, payload=json.dumps(payload),
                made_at=now_iso()))
