"""The wiring: one construction of each part per process, handed to every service; and the
import rules that keep retrieval and answering independent of ingestion."""

from __future__ import annotations

import ast
import importlib
from collections import Counter
from pathlib import Path

import pytest

from assistant import wiring
from assistant.answering.local_model import free_port
from assistant.settings import REPO_ROOT, Settings
from tests.conftest import DOCUMENTS_DIR

# Where the wiring finds each builder (it imports a part's builder when it first builds it).
BUILDERS = {"load_embeddings": "assistant.embedders", "open_vector_store": "assistant.store",
            "create_engine": "assistant.wiring", "Catalog": "assistant.wiring",
            "build_chat_model": "assistant.answering.llm"}


@pytest.fixture
def built(monkeypatch) -> Counter:
    """Counts every construction the wiring makes of the expensive or shared parts."""
    counts: Counter = Counter()
    for name, module in BUILDERS.items():
        holder = importlib.import_module(module)
        original = getattr(holder, name)

        def counting(*args, _original=original, _name=name, **kwargs):
            counts[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(holder, name, counting)
    return counts


def test_every_service_of_a_process_shares_one_of_each_part(built, settings):
    # A model server that is not there: the chat model is built, then answers fall back.
    parts = wiring.Parts(settings.model_copy(
        update={"llm_url": f"http://127.0.0.1:{free_port()}/v1"}))
    library, chain = parts.library, parts.chain
    library.ingest([DOCUMENTS_DIR])
    assert [r.doc_id for r in library.documents()]
    first = chain.answer("Which services did NHS London redesign?", generator="llm")
    chain.answer("What is her other job?", [("user", "Who replaced Anne Rainsberry?")], "llm")
    chain.answer("Who chairs Lewisham CCG?", generator="extractive")
    assert first.fallback and library.check().ok

    assert dict(built) == {name: 1 for name in BUILDERS}
    assert chain.retriever.vector_store is parts.indexer.vector_store is parts.vector_store
    assert chain.retriever.catalog is parts.indexer.catalog is parts.catalog
    assert library.checker is parts.checker and library.indexer is parts.indexer
    assert chain.selector.embeddings is parts.embeddings


def test_an_evaluation_run_builds_each_part_once(built, settings):
    from evals.runner import run_eval

    run = run_eval(settings, "gold", "extractive", limit=3, baseline_answers=False)
    assert run.questions == 3
    assert built["open_vector_store"] == built["Catalog"] == built["load_embeddings"] == 1
    assert built["build_chat_model"] == 0  # quoting needs no model


def _python_files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((REPO_ROOT / folder).rglob("*.py"))]


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_only_the_wiring_and_the_front_ends_of_assistant_import_ingest():
    # And the page renderer: it draws a file's pages as ingestion read them (the same
    # opener for PDFs and pictures, the same OCR lines for a scanned page).
    allowed = {"wiring.py", "cli.py", "app.py", "page_images.py"}
    importers = sorted(
        str(path.relative_to(REPO_ROOT)) for path in _python_files("assistant")
        if any(m == "ingest" or m.startswith("ingest.") for m in _imported_modules(path))
    )
    assert importers, "the scan found no importer at all: is the rule still checking?"
    assert [p for p in importers if Path(p).name not in allowed] == []


def test_only_the_wiring_constructs_stores_catalogs_and_chat_models():
    builders = {"open_vector_store", "Catalog", "build_chat_model", "SQLRecordManager",
                "SharedLock", "LocalLock", "LocalModelServer"}
    # The tutorial baseline is a different recipe with its own small store, on purpose.
    exempt = {"evals/baseline.py": {"SQLRecordManager"}}
    calls = []
    for path in _python_files("assistant", "ingest", "evals", "bench", "docs"):
        where = str(path.relative_to(REPO_ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name in builders and name not in exempt.get(where, ()):
                    calls.append((where, name))
    assert {where for where, _ in calls} == {"assistant/wiring.py"}, calls


@pytest.mark.parametrize("url,opened", [
    ("postgresql://amira@db.example/records", "postgresql+psycopg://amira@db.example/records"),
    ("postgres://db.example/records", "postgresql+psycopg://db.example/records"),
    ("postgresql+psycopg://db.example/records", "postgresql+psycopg://db.example/records"),
    ("sqlite:////srv/records.sqlite", "sqlite:////srv/records.sqlite"),
])
def test_a_postgresql_records_url_opens_with_the_installed_driver(url, opened):
    assert Settings(records_url=url, _env_file=None).records_db_url == opened
