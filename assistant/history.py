"""A signed-in user's conversations, kept in the records database across restarts, and
exported as Markdown with each citation a footnote quoting its passage.

A conversation is saved as the chat shows it (its messages, sources included, so that a
reopened answer's ``[n]`` still opens its passage), with the turns a follow-up question
reads and the ids of its logged answers (:mod:`assistant.usage_log`), from which the
export takes each answer's text and citations. Only its owner lists, opens, renames,
deletes or exports it. Without sign-in nothing is kept beyond the browser session.

Example:
    >>> from sqlalchemy import create_engine
    >>> history = ConversationStore(create_engine("sqlite://"))
    >>> cid = history.save("amira", None, "Who chairs Lewisham CCG?", [], [], {})
    >>> [c.title for c in history.list("amira")], history.list("rita")
    (['Who chairs Lewisham CCG?'], [])
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import Column, Engine, MetaData, String, Table, Text, delete, select, update

from assistant.catalog import now_iso
from assistant.spans import cited_page
from assistant.usage_log import UsageLog

MAX_TITLE_CHARS = 120

_metadata = MetaData()
_conversations = Table(
    "assistant_conversations",
    _metadata,
    Column("conversation_id", String, primary_key=True),
    Column("user", String, nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
    Column("messages", Text, nullable=False),  # JSON: the chat's messages as shown
    Column("turns", Text, nullable=False),  # JSON: [[role, text], …] for follow-ups
    Column("answer_ids", Text, nullable=False),  # JSON: {message index: logged answer id}
)
_MARKER = re.compile(r"\[(\d+)\]")


class HistoryError(ValueError):
    """A conversation that can't be found or renamed; ``str()`` says why."""


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    user: str
    title: str
    created_at: str
    updated_at: str
    messages: list[dict]
    turns: list[list[str]]
    answer_ids: dict[int, str]

    def as_dict(self) -> dict:
        """``history list --json``'s entry."""
        return {"id": self.conversation_id, "user": self.user, "title": self.title,
                "created_at": self.created_at, "updated_at": self.updated_at,
                "questions": sum(role == "user" for role, _ in self.turns)}


class ConversationStore:
    """Saves, lists, reopens, renames, deletes and exports users' conversations."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        _metadata.create_all(engine)

    def save(
        self, user: str, conversation_id: str | None, first_question: str,
        messages: list[dict], turns: list[list[str]], answer_ids: dict[int, str],
    ) -> str:
        """Creates (``conversation_id`` None, titled by its first question) or updates the
        user's conversation; returns its id."""
        values = {"messages": json.dumps(messages), "turns": json.dumps(turns),
                  "answer_ids": json.dumps({str(k): v for k, v in answer_ids.items()}),
                  "updated_at": now_iso()}
        with self._engine.begin() as connection:
            if conversation_id is not None:
                changed = connection.execute(update(_conversations).where(
                    _conversations.c.conversation_id == conversation_id,
                    _conversations.c.user == user).values(**values)).rowcount
                if changed:
                    return conversation_id
            conversation_id = uuid.uuid4().hex[:10]
            connection.execute(_conversations.insert().values(
                conversation_id=conversation_id, user=user,
                title=_title(first_question), created_at=values["updated_at"], **values))
        return conversation_id

    def list(self, user: str) -> list[Conversation]:
        """The user's conversations, the latest first."""
        return self._rows(_conversations.c.user == user)

    def get(self, user: str, conversation_id: str) -> Conversation | None:
        found = self._rows(_conversations.c.user == user,
                           _conversations.c.conversation_id == conversation_id)
        return found[0] if found else None

    def rename(self, user: str, conversation_id: str, title: str) -> Conversation:
        if not title.strip():
            raise HistoryError("A conversation's title can't be empty.")
        with self._engine.begin() as connection:
            changed = connection.execute(update(_conversations).where(
                _conversations.c.user == user,
                _conversations.c.conversation_id == conversation_id).values(
                    title=_title(title))).rowcount
        if not changed:
            raise HistoryError(f"No conversation '{conversation_id}' of {user}.")
        return self.get(user, conversation_id)

    def delete(self, user: str, conversation_id: str) -> bool:
        with self._engine.begin() as connection:
            return bool(connection.execute(delete(_conversations).where(
                _conversations.c.user == user,
                _conversations.c.conversation_id == conversation_id)).rowcount)

    def _rows(self, *where) -> list[Conversation]:
        query = select(_conversations).where(*where).order_by(
            _conversations.c.updated_at.desc())
        with self._engine.connect() as connection:
            return [
                Conversation(
                    conversation_id=row["conversation_id"], user=row["user"],
                    title=row["title"], created_at=row["created_at"],
                    updated_at=row["updated_at"], messages=json.loads(row["messages"]),
                    turns=json.loads(row["turns"]),
                    answer_ids={int(k): v for k, v in json.loads(row["answer_ids"]).items()},
                )
                for row in connection.execute(query).mappings()
            ]


def as_markdown(conversation: Conversation, log: UsageLog) -> str:
    """The conversation as Markdown: each question, its answer with every ``[n]`` a
    footnote, and the footnotes giving the document, page or section, and the cited
    passage quoted as the document has it."""
    lines = [f"# {conversation.title}", "",
             f"*{conversation.user}, {conversation.created_at[:10]}; exported {now_iso()[:10]}"
             " from the policy assistant.*", ""]
    notes: list[str] = []
    answers = log.get_many(list(dict.fromkeys(conversation.answer_ids.values())))
    for answer_id in dict.fromkeys(conversation.answer_ids.values()):
        if (answer := answers.get(answer_id)) is None:
            continue
        by_marker = {c["marker"]: c for c in answer.citations}
        labels: dict[int, int] = {}

        def footnote(match: re.Match, by_marker=by_marker, labels=labels) -> str:
            marker = int(match.group(1))
            if marker not in by_marker:
                return match.group(0)
            if marker not in labels:
                labels[marker] = len(notes) + 1
                notes.append(_footnote(labels[marker], by_marker[marker]))
            return f"[^{labels[marker]}]"

        lines += [f"**Q:** {answer.question}", "", _MARKER.sub(footnote, answer.answer), ""]
    return "\n".join(lines + notes) + "\n"


def _footnote(label: int, citation: dict) -> str:
    where = ", ".join(part for part in (
        f"*{citation['title']}*",
        cited_page(citation["page"], citation.get("scanned", False)) if citation.get("page") else "",
        citation.get("section") or "") if part)
    # The cited sentences, verbatim (a sentence never spans a line); else the passage.
    quoted = " … ".join(h["text"] for h in citation.get("highlights") or []) or " ".join(
        citation["text"].split())
    return f"[^{label}]: {where}: “{quoted}”"


def _title(text: str) -> str:
    title = " ".join(text.split())
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"
