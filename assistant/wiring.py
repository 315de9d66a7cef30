"""Builds the assistant's parts once from :class:`Settings` and hands the same ones to everyone.

The front ends (CLI, chat), the evals and the benches ask a :class:`Parts` for what they
need; components receive their parts in ``__init__`` and never open their own. So a
process holds one embedding model, one Chroma collection, one records database engine
(catalog, ingestion records and lease share it), one chat model, and what the indexer
adds is what the retriever searches.

Each part is built on first use: ``assistant docs list`` never loads the embedding model,
and the language model's server starts only when an answer (or a warm-up) needs it.

Example:
    >>> parts = Parts(Settings(data_dir="/tmp/store"))  # doctest: +SKIP
    >>> parts.library.ingest([Path("documents")]).counts  # doctest: +SKIP
    >>> parts.chain.answer("Who chairs Lewisham CCG?", generator="extractive").answer  # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine

from assistant.catalog import Catalog
from assistant.settings import Settings

# Each part imports what it is built from when it is first built: a command that lists the
# documents starts in a second instead of four, without loading LangChain, Chroma or torch.
if TYPE_CHECKING:
    from langchain_chroma import Chroma
    from langchain_classic.indexes import SQLRecordManager
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

    from assistant.answering.chain import AnswerChain
    from assistant.answering.generator import Generator
    from assistant.answering.summary import DocumentSummariser
    from assistant.feedback import FeedbackStore
    from assistant.glossary import Glossary
    from assistant.history import ConversationStore
    from assistant.page_images import PageRenderer
    from assistant.rerank import CrossEncoderReranker
    from assistant.retrieval import HybridRetriever
    from assistant.usage_log import UsageLog
    from ingest.check import StoreChecker
    from ingest.indexer import Indexer
    from ingest.library import Library
    from ingest.locks import IngestionLock
    from ingest.ocr import PageReader


class Parts:
    """Every part of the assistant for one set of settings, each built once, on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._chat_model: BaseChatModel | None = None
        self._chat_model_lock = threading.Lock()

    # --- storage ------------------------------------------------------------------------
    @cached_property
    def embeddings(self) -> Embeddings:
        from assistant.embedders import load_embeddings

        return load_embeddings(self.settings)

    @cached_property
    def vector_store(self) -> Chroma:
        from assistant.store import open_vector_store

        return open_vector_store(self.settings, self.embeddings)

    def reembed_if_needed(self, progress: Callable[[int, int], None] = lambda d, t: None) -> int:
        """Re-embeds the store, under the ingestion lock, if another model embedded it;
        returns the chunks re-embedded (0: it already matched)."""
        from assistant.store import EmbedderMismatch, reembed
        from ingest.indexer import hold_for_ingest

        try:
            self.vector_store
            return 0
        except EmbedderMismatch:
            with hold_for_ingest(self.lock, self.settings.lock_timeout_s):
                return reembed(self.settings, self.embeddings, progress)

    @cached_property
    def records_engine(self) -> Engine:
        """The records database: ingestion records, the catalog and the shared lease."""
        if self.settings.records_url is None:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return create_engine(self.settings.records_db_url)

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.records_engine)

    @cached_property
    def record_manager(self) -> SQLRecordManager:
        from langchain_classic.indexes import SQLRecordManager

        manager = SQLRecordManager(namespace=f"chroma/{self.settings.collection}",
                                   engine=self.records_engine)
        manager.create_schema()
        return manager

    @cached_property
    def lock(self) -> IngestionLock:
        from ingest.locks import LocalLock, SharedLock

        # Replicas sharing the records database may sit on different machines.
        if self.settings.records_url:
            return SharedLock(self.records_engine, lease_s=self.settings.lock_lease_s)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return LocalLock(self.settings.lock_path)

    @cached_property
    def glossary(self) -> Glossary:
        from assistant.glossary import Glossary

        return Glossary.load(self.settings.glossary_path)

    # --- the language model -------------------------------------------------------------
    @property
    def chat_model(self) -> BaseChatModel:
        """The remote model at ``llm_url``, or the embedded llama.cpp server, started on
        first use (by whichever thread asks first; the others wait for it)."""
        with self._chat_model_lock:
            if self._chat_model is None:
                self._chat_model = self._build_chat_model()
            return self._chat_model

    def _build_chat_model(self) -> BaseChatModel:
        from assistant.answering.llm import build_chat_model

        s = self.settings
        if s.llm_url:
            return build_chat_model(s.llm_url, s.llm_model, s.llm_api_key.get_secret_value(),
                                    s.llm_max_tokens, s.llm_timeout_s)
        from assistant.answering.local_model import LocalModelServer, assemble_model

        server = LocalModelServer(assemble_model(s.resolved_models_dir), threads=s.llm_threads,
                                  context_tokens=s.llm_context_tokens).start()
        atexit.register(server.stop)
        return build_chat_model(server.base_url, "local", "not-needed", s.llm_max_tokens,
                                s.llm_timeout_s)

    # --- services -----------------------------------------------------------------------
    @cached_property
    def indexer(self) -> Indexer:
        from ingest.indexer import Indexer
        from ingest.loaders import FileLoader
        from ingest.splitting import ChunkSplitter

        s = self.settings
        return Indexer(
            vector_store=self.vector_store, record_manager=self.record_manager,
            catalog=self.catalog,
            loader=FileLoader(s.max_file_bytes, s.max_pdf_pages, self.page_reader),
            splitter=ChunkSplitter(s.chunk_size, s.chunk_overlap), lock=self.lock,
            lock_timeout_s=s.lock_timeout_s,
        )

    @cached_property
    def page_reader(self) -> PageReader | None:
        """OCR for scanned pages and pictures; ``None`` when it is switched off."""
        from ingest.ocr import PageReader

        s = self.settings
        return PageReader(s.ocr_cache_dir, s.ocr_long_side_px, s.ocr_threads) if s.ocr else None

    @cached_property
    def checker(self) -> StoreChecker:
        from ingest.check import StoreChecker

        return StoreChecker(self.indexer)

    @cached_property
    def library(self) -> Library:
        from ingest.library import Library

        return Library(self.indexer, self.checker, self.settings.uploads_dir)

    @cached_property
    def page_renderer(self) -> PageRenderer:
        from assistant.page_images import PageRenderer

        return PageRenderer(self.catalog, self.settings.pages_dir, ocr=self.page_reader)

    @cached_property
    def retriever(self) -> HybridRetriever:
        from assistant.retrieval import HybridRetriever

        s = self.settings
        return HybridRetriever(
            vector_store=self.vector_store, catalog=self.catalog, glossary=self.glossary,
            k=s.top_k, dense_k=s.dense_k, keyword_k=s.keyword_k, rrf_k=s.rrf_k,
            dense_weight=s.dense_weight, keyword_weight=s.keyword_weight,
            reranker=self.reranker, rerank_candidates=s.rerank_candidates,
            rerank_context=s.rerank_context,
        )

    @cached_property
    def reranker(self) -> CrossEncoderReranker | None:
        from assistant.rerank import CrossEncoderReranker, bundled_reranker_dir

        return CrossEncoderReranker(bundled_reranker_dir()) if self.settings.rerank else None

    @cached_property
    def generators(self) -> dict[str, Generator]:
        from assistant.answering.extractive import ExtractiveGenerator
        from assistant.answering.llm import LLMGenerator

        s = self.settings
        return {
            "llm": LLMGenerator(lambda: self.chat_model, s.llm_max_tokens_multipart,
                                s.llm_multipart_chars, s.llm_fact_chars),
            "extractive": ExtractiveGenerator(s.extractive_sentences, s.extractive_margin,
                                              s.multipart_sentences),
        }

    @cached_property
    def usage_log(self) -> UsageLog:
        from assistant.usage_log import UsageLog

        return UsageLog(self.records_engine, self.settings.answer_shaping())

    @cached_property
    def history(self) -> ConversationStore:
        from assistant.history import ConversationStore

        return ConversationStore(self.records_engine)

    @cached_property
    def feedback(self) -> FeedbackStore:
        from assistant.feedback import FeedbackStore

        return FeedbackStore(self.records_engine, self.usage_log)

    @cached_property
    def summariser(self) -> DocumentSummariser:
        from assistant.answering.summary import DocumentSummariser
        from assistant.summary_cache import SummaryCache

        s = self.settings
        model = f"{s.llm_url}#{s.llm_model}" if s.llm_url else "embedded"
        return DocumentSummariser(
            self.vector_store, self.catalog, self.embeddings, self.generators,
            SummaryCache(self.records_engine), recipe=f"{s.embedder}|{model}",
            points=s.summary_points, max_chars=s.summary_max_chars, min_support=s.min_support)

    @cached_property
    def chain(self) -> AnswerChain:
        from assistant.answering.chain import AnswerChain
        from assistant.answering.evidence import EvidenceSelector
        from assistant.answering.refusal import RefusalPolicy

        s = self.settings
        return AnswerChain(
            retriever=self.retriever,
            glossary=self.glossary,
            selector=EvidenceSelector(self.embeddings, s.evidence_hits, s.evidence_window,
                                      s.evidence_max_chars, s.lexical_weight,
                                      rerank_weight=s.rerank_weight, reranker=self.reranker,
                                      sentence_candidates=s.sentence_rerank_candidates,
                                      sentence_rerank_weight=s.sentence_rerank_weight,
                                      multipart_hits=s.multipart_evidence_hits,
                                      multipart_max_chars=s.multipart_evidence_max_chars),
            refusal=RefusalPolicy(self.glossary, s.refusal_min_score,
                                  library=self.retriever.library_terms,
                                  min_rerank_score=s.refusal_min_rerank_score,
                                  rare_chunks=s.refusal_rare_chunks),
            generators=self.generators,
            default_generator=s.generator,
            max_question_chars=s.max_question_chars,
            min_support=s.min_support,
            summariser=self.summariser,
            multipart_top_k=s.multipart_top_k,
        )
