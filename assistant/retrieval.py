"""Question → ranked passages: dense search in Chroma and BM25, fused by reciprocal rank.

Knows nothing of generation. The BM25 index is built from the chunks stored in Chroma and
rebuilt whenever the document catalog changes, so it stays in step with ingestion without
a restart. Acronyms of the field are expanded on the query side from ``glossary.toml``.

No cross-encoder reranker: no package on the registries we can reach ships one's weights,
and a hub download at run time is not allowed here (see the README).

Example:
    >>> retriever = HybridRetriever.from_settings(settings)  # doctest: +SKIP
    >>> [p.doc_id for p in retriever.search("Who is NHS England's London director?", k=3)]  # doctest: +SKIP
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import bm25s
import Stemmer
from bm25s.tokenization import Tokenizer
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.vectorstores import VectorStore
from pydantic import ConfigDict, PrivateAttr

from assistant.store import read_all
from ingest.catalog import Catalog

GLOSSARY_PATH = Path(__file__).with_name("glossary.toml")


@dataclass(frozen=True)
class Passage:
    """A stored chunk as retrieval returns it, with how each ranker saw it."""

    chunk_id: str
    doc_id: str
    title: str
    author: str
    source: str
    text: str
    start: int
    end: int
    score: float = 0.0
    dense_similarity: float | None = None
    dense_rank: int | None = None
    keyword_rank: int | None = None

    @classmethod
    def from_document(cls, document: Document) -> Passage:
        meta = document.metadata
        return cls(
            chunk_id=str(document.id),
            doc_id=meta["doc_id"],
            title=meta.get("title", ""),
            author=meta.get("author", ""),
            source=meta.get("source", ""),
            text=document.page_content,
            start=int(meta["start"]),
            end=int(meta["end"]),
        )

    def to_document(self) -> Document:
        metadata = {k: v for k, v in self.__dict__.items() if k not in ("chunk_id", "text")}
        return Document(page_content=self.text, metadata=metadata, id=self.chunk_id)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None, k: int = 60
) -> list[tuple[str, float]]:
    """Fuses ranked id lists: score(id) = Σ weight / (k + rank), rank counted from 1.

    >>> reciprocal_rank_fusion([["a", "b"], ["b", "c"]])[0][0]
    'b'
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


class Glossary:
    """Expands acronyms to their long form and long forms to their acronym."""

    def __init__(self, acronyms: dict[str, str]) -> None:
        self.acronyms = acronyms

    @classmethod
    def load(cls, path: Path = GLOSSARY_PATH) -> Glossary:
        with path.open("rb") as handle:
            return cls(tomllib.load(handle).get("acronyms", {}))

    def expand(self, query: str) -> str:
        """The query with the other form of every term it uses appended once.

        >>> Glossary({"STP": "sustainability and transformation partnership"}).expand("How many STPs?")
        'How many STPs? (sustainability and transformation partnership)'
        """
        additions = []
        for short, long in self.acronyms.items():
            uses_short = re.search(rf"(?<![\w/]){re.escape(short)}s?(?![\w/])", query)
            uses_long = long.lower() in query.lower()
            if uses_short and not uses_long:
                additions.append(long)
            elif uses_long and not uses_short:
                additions.append(short)
        return f"{query} ({'; '.join(additions)})" if additions else query

    def variants(self, term: str) -> list[str]:
        """The term and its other form, if the glossary knows one (case-insensitive)."""
        for short, long in self.acronyms.items():
            if term.upper().rstrip("S") == short.upper() or term.upper() == short.upper():
                return [term, long]
            if term.lower() == long.lower():
                return [term, short]
        return [term]


class KeywordIndex:
    """BM25 (bm25s, English stemming and stop words) over every chunk in the store.

    Holds only chunk ids and the index; texts stay in Chroma. Rebuilt when the catalog
    changes: while the search waits if the index is small (a new document is found at
    once), beside the old index if it is large (a million chunks take two minutes to read
    and index, and searches meanwhile use the old index rather than queue behind it).
    """

    def __init__(
        self, vector_store: VectorStore, catalog: Catalog, inline_rebuild_max_chunks: int = 50_000,
    ) -> None:
        self._vector_store = vector_store
        self._catalog = catalog
        self._inline_max = inline_rebuild_max_chunks
        self._state_lock = threading.Lock()  # guards the swap of the fields below
        self._build_lock = threading.Lock()  # one build at a time
        self._background: threading.Thread | None = None
        self._version: str | None = None
        self._ids: list[str] = []
        self._bm25: bm25s.BM25 | None = None
        self._tokenizer: Tokenizer | None = None

    def _build(self, version: str) -> None:
        with self._build_lock:
            if version == self._version:
                return
            stored = list(read_all(self._vector_store, "documents"))  # type: ignore[arg-type]
            ids = [chunk_id for chunk_id, _ in stored]
            tokenizer = Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")
            bm25 = None
            if ids:
                bm25 = bm25s.BM25()
                bm25.index(tokenizer.tokenize([text for _, text in stored], return_as="ids",
                                              show_progress=False), show_progress=False)
            with self._state_lock:
                self._ids, self._bm25, self._tokenizer, self._version = ids, bm25, tokenizer, version

    def _refresh(self) -> None:
        version = self._catalog.version()
        with self._state_lock:
            if version == self._version:
                return
            large = self._bm25 is not None and len(self._ids) > self._inline_max
            if large:
                if self._background is None or not self._background.is_alive():
                    self._background = threading.Thread(target=self._build, args=(version,),
                                                        daemon=True)
                    self._background.start()
                return
        self._build(version)

    def wait_for_rebuild(self) -> None:
        """Blocks until a rebuild running beside the old index has finished."""
        if self._background is not None:
            self._background.join()

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Chunk ids with a positive BM25 score, best first."""
        self._refresh()
        with self._state_lock:
            bm25, tokenizer, ids = self._bm25, self._tokenizer, self._ids
        if bm25 is None or tokenizer is None:
            return []
        tokens = tokenizer.tokenize([query], update_vocab=False, return_as="ids",
                                    show_progress=False)
        found, scores = bm25.retrieve(tokens, k=min(k, len(ids)), show_progress=False)
        return [(ids[i], float(s)) for i, s in zip(found[0], scores[0]) if s > 0]


class HybridRetriever(BaseRetriever):
    """Dense + BM25 retrieval fused by reciprocal rank fusion, as a LangChain retriever.

    ``invoke(query)`` returns LangChain ``Document``s (for chains); :meth:`search` returns
    :class:`Passage` objects with each ranker's view, which answering uses.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    vector_store: VectorStore
    catalog: Catalog
    glossary: Glossary
    k: int = 6
    dense_k: int = 20
    keyword_k: int = 20
    rrf_k: int = 60
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    _keyword_index: KeywordIndex = PrivateAttr()

    def model_post_init(self, context: object) -> None:
        self._keyword_index = KeywordIndex(self.vector_store, self.catalog)

    @classmethod
    def from_settings(cls, settings, vector_store: VectorStore | None = None) -> HybridRetriever:
        from assistant.store import open_vector_store

        return cls(
            vector_store=vector_store or open_vector_store(settings),
            catalog=Catalog(settings.records_db_url),
            glossary=Glossary.load(settings.glossary_path),
            k=settings.top_k,
            dense_k=settings.dense_k,
            keyword_k=settings.keyword_k,
            rrf_k=settings.rrf_k,
            dense_weight=settings.dense_weight,
            keyword_weight=settings.keyword_weight,
        )

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        expanded = self.glossary.expand(query)
        dense = self.vector_store.similarity_search_with_score(expanded, k=self.dense_k)
        keyword = self._keyword_index.search(expanded, self.keyword_k)
        by_id = {str(doc.id): Passage.from_document(doc) for doc, _ in dense}
        # Chroma returns cosine distance for this collection; similarity is 1 - distance.
        similarity = {str(doc.id): 1.0 - float(distance) for doc, distance in dense}
        dense_ids = [str(doc.id) for doc, _ in dense]
        keyword_ids = [chunk_id for chunk_id, _ in keyword]
        fused = reciprocal_rank_fusion(
            [dense_ids, keyword_ids], [self.dense_weight, self.keyword_weight], self.rrf_k
        )[: k or self.k]
        missing = [chunk_id for chunk_id, _ in fused if chunk_id not in by_id]
        if missing:
            for doc in self.vector_store.get_by_ids(missing):
                by_id[str(doc.id)] = Passage.from_document(doc)
        return [
            replace(
                by_id[chunk_id],
                score=score,
                dense_similarity=similarity.get(chunk_id),
                dense_rank=dense_ids.index(chunk_id) + 1 if chunk_id in similarity else None,
                keyword_rank=keyword_ids.index(chunk_id) + 1 if chunk_id in keyword_ids else None,
            )
            for chunk_id, score in fused
            if chunk_id in by_id
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [passage.to_document() for passage in self.search(query)]
