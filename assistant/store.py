"""Opens the vector store: the only module that knows how Chroma is reached.

Chroma is always handed our own embedding function (through LangChain's ``Chroma``,
which embeds before writing and querying), so Chroma's default embedding function,
which downloads a model on first use, is never called. Telemetry is off.

Example:
    >>> from assistant.settings import Settings
    >>> from assistant.store import load_embeddings, open_vector_store
    >>> settings = Settings(data_dir="/tmp/x")
    >>> store = open_vector_store(settings, load_embeddings(settings))  # doctest: +SKIP
    >>> store.similarity_search("London", k=2)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from langchain_huggingface import HuggingFaceEmbeddings

from assistant.settings import Settings


@lru_cache(maxsize=4)
def _load_model(model_path: str, batch_size: int) -> HuggingFaceEmbeddings:
    from transformers.utils import logging as transformers_logging

    # Its per-tensor loading bar is noise in CLI output and logs.
    transformers_logging.disable_progress_bar()
    return HuggingFaceEmbeddings(
        model_name=model_path,
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size},
    )


class LocalEmbeddings(Embeddings):
    """A sentence-transformers model loaded from a local folder on first use.

    Lazy so that commands that end up embedding nothing (an unchanged re-ingest, a
    listing) don't pay the model's load time; one model is shared per process.
    """

    def __init__(self, model_path: Path, batch_size: int) -> None:
        self.model_path = model_path
        self.batch_size = batch_size

    @property
    def model(self) -> HuggingFaceEmbeddings:
        return _load_model(str(self.model_path), self.batch_size)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.model.embed_query(text)


def load_embeddings(settings: Settings) -> LocalEmbeddings:
    """The embedding model named by the settings (the bundled one by default)."""
    return LocalEmbeddings(settings.resolved_embedding_model_path(), settings.embedding_batch_size)


def open_client(settings: Settings) -> chromadb.ClientAPI:
    """Chroma's HTTP client when ``chroma_url`` is set, else the embedded one in the data dir."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlsplit(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(
                f"ASSISTANT_CHROMA_URL must look like http://host:port, not {settings.chroma_url!r}"
            )
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https", settings=chroma_settings,
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def open_vector_store(settings: Settings, embeddings: Embeddings) -> Chroma:
    """The collection of chunks: on the Chroma server, or under ``settings.chroma_dir``."""
    client = open_client(settings)
    return Chroma(
        collection_name=settings.collection,
        embedding_function=embeddings,
        client=client,
        collection_metadata={"hnsw:space": "cosine"},
    )


def read_all(vector_store: Chroma, field: str, page_size: int = 20_000) -> Iterator[tuple[str, Any]]:
    """Every chunk's id with one stored field (``"documents"`` or ``"metadatas"``).

    Read in pages: a Chroma server answers a million chunks in one response badly.
    """
    offset = 0
    while True:
        page = vector_store.get(include=[field], limit=page_size, offset=offset)
        yield from zip(page["ids"], page[field])
        offset += len(page["ids"])
        if len(page["ids"]) < page_size:
            return
