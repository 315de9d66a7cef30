"""Follow-up questions made standalone, so that retrieval understands them without the chat.

"What is her other job?" after "Who is NHS England's London director?" is searched as a
question about that director. The generator rewrites it when it can (the language model);
otherwise, or when its rewrite is unusable or its server is down, the previous question is
put in front of the follow-up, which keyword search handles well.

Example:
    >>> from assistant.answering.extractive import ExtractiveGenerator
    >>> FollowUpRewriter().standalone(
    ...     "What is her other job?", [("user", "Who is the London director?")],
    ...     ExtractiveGenerator())
    'Who is the London director? What is her other job?'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answering.answer import QuestionError
from assistant.answering.generator import Generator

_FOLLOW_UP = re.compile(
    r"\b(he|she|it|they|them|his|her|hers|its|their|theirs|this|that|these|those|there|then|"
    r"him|the same|the other|which one)\b|^(and|but|so|also|why|how about|what about)\b",
    re.IGNORECASE,
)


def history_pairs(history: Sequence) -> list[tuple[str, str]]:
    """(role, text) pairs from Gradio-style message dicts or (role, text) tuples."""
    pairs = []
    for turn in history or []:
        try:
            role, content = (turn["role"], turn["content"]) if isinstance(turn, dict) else turn
        except (KeyError, TypeError, ValueError):
            raise QuestionError(
                "The history must be a list of [role, text] pairs, e.g. "
                '[["user", "Who leads NHS London?"], ["assistant", "…"]].') from None
        if isinstance(content, str) and content.strip():
            pairs.append((str(role), content))
    return pairs


class FollowUpRewriter:
    """Decides whether a question follows up on the conversation, and rewrites it if so."""

    def standalone(self, question: str, history: Sequence, generator: Generator) -> str:
        """The question as retrieval should search it."""
        turns = history_pairs(history)
        asked_before = [text for role, text in turns if role == "user"]
        if not asked_before or not (_FOLLOW_UP.search(question) or len(question.split()) < 4):
            return question
        try:
            rewritten = generator.rewrite(question, turns)
        except Exception:  # the model server is down: the answer reports that itself
            rewritten = None
        return rewritten or f"{asked_before[-1]} {question}"
