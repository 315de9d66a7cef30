"""Opens the vector store: the only module that knows how Chroma is reached.

Chroma is always handed our own embedding function (through LangChain's ``Chroma``,
which embeds before writing and querying), so Chroma's default embedding function,
which downloads a model on first use, is never called. Telemetry is off.

The collection records which embedding model wrote its vectors (its metadata's
``embedder``): opened with another model it raises :class:`EmbedderMismatch` rather than
compare vectors of two models, and :func:`reembed` rewrites it with the new one.

Example:
    >>> from assistant.embedders import load_embeddings
    >>> from assistant.settings import Settings
    >>> from assistant.store import open_vector_store
    >>> settings = Settings(data_dir="/tmp/x")
    >>> store = open_vector_store(settings, load_embeddings(settings))  # doctest: +SKIP
    >>> store.similarity_search("London", k=2)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from assistant.settings import Settings

# Stores written before the embedder was recorded were all embedded with the bundled MiniLM.
LEGACY_EMBEDDER = "all-MiniLM-L6-v2"
# The collection a re-embedding writes before it replaces the original.
_REEMBEDDING_SUFFIX = "-reembedding"
_PAGE = 1000


class EmbedderMismatch(RuntimeError):
    """The store was embedded with another model than the settings name: answering from it
    would compare vectors of two models."""

    def __init__(self, stored: str, wanted: str, chunks: int, where: str) -> None:
        self.stored, self.wanted, self.chunks = stored, wanted, chunks
        super().__init__(
            f"the store {where} was embedded with {stored}, but ASSISTANT_EMBEDDER is {wanted}. "
            f"Run `assistant ingest PATH…` (or `make run`) to re-embed its {chunks:,} chunks with "
            f"{wanted}, or set ASSISTANT_EMBEDDER={stored} to use it as it is.")


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


def _identity(embeddings: Embeddings) -> str:
    """The model an ``Embeddings`` names (assistant/embedders.py); MiniLM for any other."""
    return getattr(embeddings, "identity", LEGACY_EMBEDDER)


def _where(settings: Settings) -> str:
    return f"at {settings.chroma_url}" if settings.chroma_url else f"in {settings.chroma_dir}"


def _collection(client: chromadb.ClientAPI, name: str):
    return next((c for c in client.list_collections() if c.name == name), None)


def _finish_interrupted_swap(client: chromadb.ClientAPI, name: str) -> None:
    """A re-embedding that wrote every chunk but was stopped before taking the original's
    place takes it now (an incomplete one is left to the next re-embedding to discard)."""
    pending = _collection(client, name + _REEMBEDDING_SUFFIX)
    if pending is None or not (pending.metadata or {}).get("complete"):
        return
    if _collection(client, name) is not None:
        client.delete_collection(name)
    pending.modify(name=name)


def open_vector_store(settings: Settings, embeddings: Embeddings) -> Chroma:
    """The collection of chunks: on the Chroma server, or under ``settings.chroma_dir``.

    Raises :class:`EmbedderMismatch` if its chunks were embedded by another model than
    ``embeddings`` (whose ``identity`` names it)."""
    client = open_client(settings)
    _finish_interrupted_swap(client, settings.collection)
    wanted = _identity(embeddings)
    collection = client.get_or_create_collection(
        settings.collection, metadata={"hnsw:space": "cosine", "embedder": wanted})
    stored = (collection.metadata or {}).get("embedder")
    if stored is None:
        stored = LEGACY_EMBEDDER if collection.count() else wanted
        collection.modify(metadata={"embedder": stored})
    if stored != wanted:
        raise EmbedderMismatch(stored, wanted, collection.count(), _where(settings))
    return Chroma(collection_name=settings.collection, embedding_function=embeddings, client=client)


def reembed(
    settings: Settings, embeddings: Embeddings,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Re-embeds every chunk of the store with ``embeddings``; returns how many.

    The chunks (ids, text, metadata) are copied into a new collection with new vectors,
    which then replaces the original: until then the original is untouched, so a crash
    loses nothing, and ingestion records stay valid (chunk ids don't depend on vectors).
    Call it holding the ingestion lock; returns 0 if the store already matches."""
    client = open_client(settings)
    _finish_interrupted_swap(client, settings.collection)
    original = client.get_collection(settings.collection)
    wanted = _identity(embeddings)
    if (original.metadata or {}).get("embedder") == wanted:
        return 0  # another process re-embedded it while this one waited for the lock
    pending_name = settings.collection + _REEMBEDDING_SUFFIX
    if _collection(client, pending_name) is not None:
        client.delete_collection(pending_name)  # an earlier re-embedding that was stopped
    pending = client.create_collection(
        pending_name, metadata={"hnsw:space": "cosine", "embedder": wanted})
    total = original.count()
    progress(0, total)
    for done in range(0, total, _PAGE):
        page = original.get(include=["documents", "metadatas"], limit=_PAGE, offset=done)
        pending.add(ids=page["ids"], documents=page["documents"], metadatas=page["metadatas"],
                    embeddings=embeddings.embed_documents(page["documents"]))
        progress(done + len(page["ids"]), total)
    pending.modify(metadata={"embedder": wanted, "complete": True})
    client.delete_collection(settings.collection)
    pending.modify(name=settings.collection)
    return total


def read_all(
    vector_store: Chroma, *fields: str, page_size: int = 20_000
) -> Iterator[tuple[Any, ...]]:
    """Every chunk's id with the stored fields asked for (``"documents"``, ``"metadatas"``):
    ``(id, document)``, or ``(id, document, metadata)`` for both.

    Read in pages: a Chroma server answers a million chunks in one response badly.
    """
    offset = 0
    while True:
        page = vector_store.get(include=list(fields), limit=page_size, offset=offset)
        yield from zip(page["ids"], *(page[field] for field in fields))
        offset += len(page["ids"])
        if len(page["ids"]) < page_size:
            return
