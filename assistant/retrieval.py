"""Question → ranked passages: dense search in Chroma and BM25, fused by reciprocal rank.

Knows nothing of generation. The BM25 index is built from the chunks stored in Chroma and
rebuilt whenever the document catalog changes, so it stays in step with ingestion without
a restart. Acronyms of the field are expanded on the query side from ``glossary.toml``.

Example:
    >>> retriever = Parts(settings).retriever  # assistant.wiring builds it  # doctest: +SKIP
    >>> [p.span.doc_id for p in retriever.search("Who is NHS England's London director?", k=3)]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN
from bm25s.tokenization import Tokenizer
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.vectorstores import VectorStore
from pydantic import ConfigDict, PrivateAttr
from sqlalchemy.exc import SQLAlchemyError

from assistant.catalog import Catalog
from assistant.glossary import Glossary
from assistant.rerank import CrossEncoderReranker
from assistant.settings import RerankContext
from assistant.spans import SourceSpan
from assistant.store import read_all
from assistant.text import MIN_MISSPELT, NUMBER_RUN, one_edit

log = logging.getLogger(__name__)


class RecordsUnavailable(RuntimeError):
    """The records database doesn't answer and no keyword index was built before it went."""

_ORDINAL = re.compile(r"(\d)(?:st|nd|rd|th)\b")


@dataclass(frozen=True)
class Passage:
    """A stored chunk as retrieval returns it, with how each ranker saw it."""

    chunk_id: str
    span: SourceSpan
    score: float = 0.0
    dense_similarity: float | None = None
    dense_rank: int | None = None
    keyword_rank: int | None = None
    rerank_score: float | None = None  # the cross-encoder's, when reranking is on
    chunk: int | None = None  # its number in its document (of the last chunk it holds)

    @classmethod
    def of_chunk(cls, chunk: Document) -> Passage:
        number = chunk.metadata.get("chunk")
        return cls(chunk_id=str(chunk.id), span=SourceSpan.of_chunk(chunk),
                   chunk=int(number) if number is not None else None)

    def to_document(self) -> Document:
        """The chunk as a LangChain ``Document``, with the rankers' view in its metadata."""
        metadata = {k: v for k, v in self.span.as_dict().items() if k != "text"}
        metadata.update(score=self.score, dense_similarity=self.dense_similarity,
                        dense_rank=self.dense_rank, keyword_rank=self.keyword_rank,
                        rerank_score=self.rerank_score)
        return Document(page_content=self.span.text, metadata=metadata, id=self.chunk_id)


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


_LOWER_WORD = re.compile(r"\b[a-z][a-z’'-]+\b")


def number_form(text: str) -> str:
    """A run of numbers written one way: "2023–24" is "2023/24", "31 day" is "31/day"."""
    return re.sub(r"[\s–-]", "/", text.lower())


@dataclass(frozen=True)
class LibraryTerms:
    """What words the whole library holds: stemmed words (as BM25 indexes them), words it
    writes in lower case (so "Table" is a common word and "Manchester" a name), runs
    of numbers such as "2023/24", and how many chunks hold each stemmed word.

    A word written together that the library writes apart ("COVID19", "5th") or one letter
    off a long word it holds ("Zanamavir") counts as held: a question's spelling is no
    reason to say the documents never mention something.

    Example:
        >>> texts = ["Uptake in 2023/24 by table"]
        >>> tokenizer = Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")
        >>> _ = tokenizer.tokenize(texts, show_progress=False)  # as the BM25 index does
        >>> terms = LibraryTerms.of(tokenizer, texts)
        >>> terms.holds("2023-24"), terms.holds("2024/25"), terms.common("Table")
        (True, False, True)
        >>> terms.chunks_holding("tabl"), terms.chunks_holding("chair"), terms.chunks
        (1, 0, 1)
    """

    stems: frozenset[str]
    lower: frozenset[str]
    numbers: frozenset[str]
    chunk_counts: Mapping[str, int] = field(default_factory=dict)  # stem -> chunks holding it
    chunks: int = 0

    @classmethod
    def of(
        cls, tokenizer: Tokenizer, texts: Sequence[str],
        tokenized: Sequence[Sequence[int]] | None = None,
    ) -> LibraryTerms:
        """The terms of ``texts``; ``tokenized``: their token ids from ``tokenizer``, when
        the caller already has them (the BM25 index does)."""
        lower: set[str] = set()
        numbers: set[str] = set()
        for text in texts:
            lower.update(_LOWER_WORD.findall(text))
            numbers.update(number_form(run) for run in NUMBER_RUN.findall(text))
        vocab = tokenizer.get_vocab_dict()
        if tokenized is None:
            tokenized = tokenizer.tokenize(list(texts), update_vocab=False, return_as="ids",
                                           show_progress=False)
        by_id = Counter(chain.from_iterable(set(ids) for ids in tokenized))
        stem_of = {token_id: stem for stem, token_id in vocab.items()}
        counts = {stem_of[token_id]: n for token_id, n in by_id.items() if stem_of[token_id]}
        return cls(frozenset(vocab) - {""}, frozenset(lower), frozenset(numbers), counts,
                   len(tokenized))

    def chunks_holding(self, stem: str) -> int:
        """How many chunks hold a word of this stem (Snowball English, as the index stems)."""
        return self.chunk_counts.get(stem, 0)

    def holds(self, text: str) -> bool:
        """Whether the library holds every word (and every run of numbers) of ``text``."""
        runs = [number_form(run) for run in NUMBER_RUN.findall(text)]
        if any(run not in self.numbers for run in runs):
            return False
        stemmer = Stemmer.Stemmer("english")
        words = [w for w in re.findall(r"\w\w+", text.lower())
                 if w not in STOPWORDS_EN]
        return all(self._holds_word(w, stemmer) for w in words)

    def _holds_word(self, word: str, stemmer: Stemmer.Stemmer) -> bool:
        stem = stemmer.stemWord(word)
        if stem in self.stems:
            return True
        # Written together what the documents write apart: "COVID19", "IL-1Beta", "5th".
        parts = re.findall(r"[a-z]+|\d+", _ORDINAL.sub(r"\1", word))
        if parts != [word] and all(p.isdigit() and len(p) == 1 or p in STOPWORDS_EN
                                   or stemmer.stemWord(p) in self.stems for p in parts):
            return True
        # A long word one letter off one the documents hold is that word misspelt.
        return len(word) >= MIN_MISSPELT and not self.stems.isdisjoint(one_edit(stem))

    def common(self, word: str) -> bool:
        """Whether the library also writes ``word`` in lower case (a common word, not a name)."""
        return word.lower() in self.lower


EMPTY_LIBRARY = LibraryTerms(frozenset(), frozenset(), frozenset())


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
        self._doc_ids: list[str] = []  # each chunk's document, for searches within a scope
        self._bm25: bm25s.BM25 | None = None
        self._tokenizer: Tokenizer | None = None
        self._terms = EMPTY_LIBRARY

    def _build(self, version: str) -> None:
        with self._build_lock:
            if version == self._version:
                return
            stored = list(read_all(self._vector_store, "documents", "metadatas"))  # type: ignore[arg-type]
            ids = [chunk_id for chunk_id, _, _ in stored]
            texts = [text for _, text, _ in stored]
            doc_ids = [meta.get("doc_id", "") for _, _, meta in stored]
            tokenizer = Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")
            bm25 = None
            tokenized = tokenizer.tokenize(texts, return_as="ids", show_progress=False)
            if ids:
                bm25 = bm25s.BM25()
                bm25.index(tokenized, show_progress=False)
            terms = LibraryTerms.of(tokenizer, texts, tokenized)
            with self._state_lock:
                self._ids, self._bm25, self._tokenizer, self._version = ids, bm25, tokenizer, version
                self._doc_ids = doc_ids
                self._terms = terms

    def _refresh(self) -> None:
        try:
            version = self._catalog.version()
        except SQLAlchemyError as error:
            if self._version is None:
                raise RecordsUnavailable(
                    f"The records database does not answer ({type(error).__name__}), so the "
                    "library can't be searched yet. Check ASSISTANT_RECORDS_URL and that the "
                    "database is running, then ask again.") from error
            # The vectors live elsewhere: answer from the keyword index as last built.
            log.warning("the records database does not answer; searching the library as "
                        "it was when it last did (%s)", type(error).__name__)
            return
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

    def terms(self) -> LibraryTerms:
        """The words of the library as it is now."""
        self._refresh()
        with self._state_lock:
            return self._terms

    def search(
        self, query: str, k: int, docs: frozenset[str] | None = None
    ) -> list[tuple[str, float]]:
        """Chunk ids with a positive BM25 score, best first; only chunks of ``docs`` if given."""
        self._refresh()
        with self._state_lock:
            bm25, tokenizer, ids, doc_ids = self._bm25, self._tokenizer, self._ids, self._doc_ids
        if bm25 is None or tokenizer is None:
            return []
        mask = None
        if docs is not None:
            # Masked chunks score 0, and only positive scores are returned.
            mask = np.fromiter((d in docs for d in doc_ids), dtype=np.float32, count=len(ids))
        tokens = tokenizer.tokenize([query], update_vocab=False, return_as="ids",
                                    show_progress=False)
        found, scores = bm25.retrieve(tokens, k=min(k, len(ids)), show_progress=False,
                                      weight_mask=mask)
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
    # The cross-encoder reorders the fused shortlist of ``rerank_candidates``; None: off.
    reranker: CrossEncoderReranker | None = None
    rerank_candidates: int = 20
    rerank_context: RerankContext = "title"
    _keyword_index: KeywordIndex = PrivateAttr()

    def model_post_init(self, context: object) -> None:
        self._keyword_index = KeywordIndex(self.vector_store, self.catalog)

    def continued(self, passage: Passage) -> Passage:
        """The passage run on through the chunk after it in its document (a list it stops
        in goes on there); the passage itself when it is its document's last."""
        if passage.chunk is None:
            return passage
        doc_id = passage.span.doc_id
        found = self.vector_store.get(
            where={"$and": [{"doc_id": doc_id}, {"chunk": passage.chunk + 1}]},
            include=["documents", "metadatas"])
        try:
            record = self.catalog.get(doc_id) if found["ids"] else None
        except SQLAlchemyError:  # the records database is away: the passage as it is
            return passage
        if record is None:
            return passage
        following = SourceSpan.of_chunk(Document(page_content=found["documents"][0],
                                                 metadata=found["metadatas"][0]))
        if following.end > len(record.text) or following.start < passage.span.start:
            return passage  # a document being re-ingested: its chunks and text disagree
        joined = record.text[passage.span.start:following.end]
        return replace(passage, span=passage.span.through(following, joined),
                       chunk=passage.chunk + 1)

    def search(
        self, query: str, k: int | None = None, docs: Collection[str] | None = None
    ) -> list[Passage]:
        """The best ``k`` passages, from the documents ``docs`` names (all when None)."""
        scope = frozenset(docs) if docs is not None else None
        if scope is not None and not scope:
            return []
        expanded = self.glossary.expand(query)
        where = {"doc_id": {"$in": sorted(scope)}} if scope is not None else None
        dense = self.vector_store.similarity_search_with_score(
            expanded, k=self.dense_k, filter=where)
        keyword = self._keyword_index.search(expanded, self.keyword_k, scope)
        by_id = {str(doc.id): Passage.of_chunk(doc) for doc, _ in dense}
        # Chroma returns cosine distance for this collection; similarity is 1 - distance.
        similarity = {str(doc.id): 1.0 - float(distance) for doc, distance in dense}
        dense_ids = [str(doc.id) for doc, _ in dense]
        keyword_ids = [chunk_id for chunk_id, _ in keyword]
        k = k or self.k
        shortlist = max(k, self.rerank_candidates) if self.reranker is not None else k
        fused = reciprocal_rank_fusion(
            [dense_ids, keyword_ids], [self.dense_weight, self.keyword_weight], self.rrf_k
        )[:shortlist]
        missing = [chunk_id for chunk_id, _ in fused if chunk_id not in by_id]
        if missing:
            for doc in self.vector_store.get_by_ids(missing):
                by_id[str(doc.id)] = Passage.of_chunk(doc)
        passages = [
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
        if self.reranker is None:
            return passages
        # The cross-encoder reads acronyms spelled out too: it knows "integrated care
        # board" better than "ICB".
        scores = self.reranker.score(
            expanded, [p.span.headed(self.rerank_context) for p in passages])
        reranked = sorted(zip(scores, passages, strict=True), key=lambda pair: -pair[0])
        return [replace(p, rerank_score=score) for score, p in reranked[:k]]

    def library_terms(self) -> LibraryTerms:
        """The words the whole library holds (see :class:`LibraryTerms`)."""
        return self._keyword_index.terms()

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [passage.to_document() for passage in self.search(query)]
