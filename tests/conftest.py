"""Fixtures shared by the test tree: a fresh data dir per test, real Chroma, the real model."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from assistant.settings import REPO_ROOT, Settings  # importing assistant makes the process offline

DOCUMENTS_DIR = REPO_ROOT / "documents"
SEEDS_DIR = REPO_ROOT.parent / "shared" / "seeds"
# A published 67-page NHS England PDF with sections, tables and forms.
SOP = REPO_ROOT / "evals" / "data" / "policy" / "documents" / "nhse-ifr-standard-operating-procedures-v5-2023.pdf"
SOP_ID = "nhse-ifr-standard-operating-procedures-v5-2023"
# A published 30-page DHSC guidance note on a prescription charge (prescribing, with forms).
HRT = SOP.parent / "dhsc-hrt-prepayment-certificate-guidance-2024.pdf"
HRT_ID = "dhsc-hrt-prepayment-certificate-guidance-2024"


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A real PostgreSQL server (from the ``pgserver`` wheel) on a local socket, for the
    session; nothing installed by hand."""
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("postgres"), cleanup_mode="stop")
    yield server
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the session's server, as ``ASSISTANT_RECORDS_URL`` takes it."""
    name = f"records_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_server.get_uri().replace(
        "postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return postgres_server.get_uri(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def records_url(request, tmp_path) -> str:
    """Shared records as replicas see them: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared-records.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def local_model_path(tmp_path_factory) -> Path:
    """The embedded model, assembled once per test run (1.1 GB, 3.5 s)."""
    from assistant.answering.local_model import assemble_model

    return assemble_model(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def local_model_server(local_model_path):
    """The embedded model served by llama.cpp on loopback, once per test run."""
    from assistant.answering.local_model import LocalModelServer

    with LocalModelServer(local_model_path) as running:
        yield running


@pytest.fixture(scope="session")
def sop_parts(tmp_path_factory):
    """The SOP and the two seed columns, ingested once per test run; tests only read it."""
    from assistant.wiring import Parts

    parts = Parts(Settings(data_dir=tmp_path_factory.mktemp("sop") / "data", _env_file=None))
    report = parts.library.ingest([SOP, DOCUMENTS_DIR])
    assert not report.failed
    return parts


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture
def parts(settings: Settings):
    """Every part of the assistant on a fresh data dir, as one process holds them."""
    from assistant.wiring import Parts

    return Parts(settings)


@pytest.fixture
def indexer(parts):
    return parts.indexer


class Files:
    """Writes test files of every supported kind, good and bad, into one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def text(self, name: str, content: str) -> Path:
        path = self.folder / name
        path.write_text(content, encoding="utf-8")
        return path

    def raw(self, name: str, content: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(content)
        return path

    def pdf(self, name: str, paragraphs: list[str], title: str = "", author: str = "") -> Path:
        from fpdf import FPDF

        pdf = FPDF()
        pdf.set_title(title)
        pdf.set_author(author)
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph)
            pdf.ln(4)
        path = self.folder / name
        pdf.output(str(path))
        return path

    def encrypted_pdf(self, name: str) -> Path:
        from pypdf import PdfReader, PdfWriter

        plain = self.pdf("plain-" + name, ["A secret paragraph about trusts."])
        writer = PdfWriter()
        for page in PdfReader(plain).pages:
            writer.add_page(page)
        writer.encrypt(user_password="s3cret", owner_password="owner")
        path = self.folder / name
        with path.open("wb") as handle:
            writer.write(handle)
        plain.unlink()
        return path

    def docx(self, name: str, paragraphs: list[str], title: str = "", author: str = "") -> Path:
        import docx

        document = docx.Document()
        document.core_properties.title = title
        document.core_properties.author = author
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
        path = self.folder / name
        document.save(str(path))
        return path

    def zip_bomb_docx(self, name: str) -> Path:
        """A small DOCX whose document part expands to 50 MB of spaces."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", b"<w:document>" + b" " * 50_000_000)
        return self.raw(name, buffer.getvalue())

    def blank_pdf(self, name: str, pages: int) -> Path:
        from fpdf import FPDF

        pdf = FPDF()
        for _ in range(pages):
            pdf.add_page()
        path = self.folder / name
        pdf.output(str(path))
        return path


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path / "files")


def store_snapshot(indexer) -> dict:
    """Everything the store holds, to compare before and after an operation."""
    collection = indexer.vector_store.get(include=["documents", "metadatas"])
    chunks = sorted(
        zip(
            collection["ids"],
            collection["documents"],
            (json.dumps(m, sort_keys=True) for m in collection["metadatas"]),
        )
    )
    # updated_at is refreshed by every pass through the indexing API, even one that
    # re-embeds nothing, so an unchanged snapshot means nothing was written at all.
    with indexer.record_manager.engine.connect() as connection:
        records = sorted(
            connection.execute(text("SELECT key, group_id, updated_at FROM upsertion_record"))
        )
    catalog = [(r.doc_id, r.sha256, r.chunks, r.ingested_at, r.text) for r in indexer.catalog.all()]
    return {"chunks": chunks, "records": records, "catalog": catalog}
