"""The embedded language model, for real: assembled from its packages, served by llama.cpp.

Slow (a 1.1 GB model on two cores); CI runs these too.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from assistant.answering.local_model import MODEL_BYTES, MODEL_SHA256, assemble_model
from assistant.settings import Settings
from assistant.wiring import Parts
from tests.conftest import DOCUMENTS_DIR

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_path(local_model_path):
    return local_model_path


@pytest.fixture(scope="module")
def server(local_model_server):
    return local_model_server


@pytest.fixture(scope="module")
def chain(tmp_path_factory, server):
    """The chain reaching the model only through ASSISTANT_LLM_URL, as a remote one would be."""
    parts = Parts(Settings(
        data_dir=tmp_path_factory.mktemp("llm") / "data", llm_url=server.base_url, _env_file=None
    ))
    parts.library.ingest([DOCUMENTS_DIR])
    return parts.chain


def test_the_model_is_assembled_once_and_matches_its_pinned_checksum(model_path):
    assert model_path.stat().st_size == MODEL_BYTES
    assert model_path.with_suffix(".sha256").read_text().strip() == MODEL_SHA256
    mtime = model_path.stat().st_mtime_ns
    assert assemble_model(model_path.parent) == model_path
    assert model_path.stat().st_mtime_ns == mtime


def test_the_server_speaks_the_openai_api_on_loopback(server):
    assert server.base_url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(f"{server.base_url}/models", timeout=10) as response:
        assert json.load(response)["data"]


@pytest.mark.parametrize(
    "question,facts",
    [
        ("Which services did NHS London redesign?", ["stroke", "trauma"]),
        ("Who chairs Lewisham CCG?", ["Marc Rowland"]),
        ("When is an announcement on London devolution expected?", ["November"]),
    ],
)
def test_llm_answers_carry_the_fact_and_resolving_markers(chain, question, facts):
    answer = chain.answer(question, generator="llm")
    assert answer.generator == "llm" and not answer.refused, answer.answer
    assert all(fact.lower() in answer.answer.lower() for fact in facts), answer.answer
    assert answer.citations, answer.answer
    documents = "".join(p.read_text(encoding="utf-8") for p in DOCUMENTS_DIR.glob("*.md"))
    for citation in answer.citations:
        assert f"[{citation.marker}]" in answer.answer
        assert citation.span.text in documents
    assert answer.timings["first_token_ms"] <= answer.timings["total_ms"]


def test_llm_refuses_what_the_documents_do_not_say(chain):
    answer = chain.answer("Who was London director in 2016?", generator="llm")
    assert answer.refused and not answer.citations


def test_llm_rewrites_a_follow_up(chain):
    history = [
        {"role": "user", "content": "Who replaced Anne Rainsberry as London director?"},
        {"role": "assistant", "content": "Jane Cummings replaced her [1]."},
    ]
    answer = chain.answer("What is her other job?", history, "llm")
    assert "Cummings" in answer.standalone_question or "Rainsberry" in answer.standalone_question
    assert "chief nursing officer" in answer.answer.lower()
