"""The generator contract, run over every generator: the real language model and quoting.

The chain and the follow-up rewriter rely on exactly this: ``generate`` writes text whose
markers name supplied evidence, ``warm_up`` loads without failing, ``rewrite`` gives a
standalone question or ``None``.
"""

from __future__ import annotations

import re

import pytest

from assistant.answering.generator import Generator
from assistant.settings import GENERATORS, Settings
from assistant.wiring import Parts
from tests.conftest import DOCUMENTS_DIR

QUESTION = "Which services did NHS London redesign?"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Parts:
    parts = Parts(Settings(data_dir=tmp_path_factory.mktemp("generators") / "data",
                           _env_file=None))
    parts.library.ingest([DOCUMENTS_DIR])
    return parts


@pytest.fixture(params=[pytest.param("llm", marks=pytest.mark.slow), "extractive"])
def generator(request, corpus) -> Generator:
    if request.param == "llm":
        # The real model, reached as a remote one would be.
        server = request.getfixturevalue("local_model_server")
        corpus = Parts(corpus.settings.model_copy(update={"llm_url": server.base_url}))
    return corpus.chain.generators[request.param]


def test_every_generator_names_itself(generator):
    assert generator.name in GENERATORS


def test_generate_cites_only_the_evidence_it_was_given(generator, corpus):
    passages = corpus.retriever.search(QUESTION)
    evidence, units = corpus.chain.selector.select(QUESTION, passages)
    text = "".join(generator.generate(QUESTION, evidence, units))
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    assert text.strip() and markers, text
    assert markers <= {e.marker for e in evidence}, text
    assert "stroke" in text.lower(), text


def test_warm_up_loads_without_failing(generator):
    assert generator.warm_up() is None


def test_rewrite_gives_a_standalone_question_or_none(generator):
    history = [("user", "Who replaced Anne Rainsberry as London director?"),
               ("assistant", "Jane Cummings [1].")]
    rewritten = generator.rewrite("What is her other job?", history)
    assert rewritten is None or (rewritten.endswith("?") and "job" in rewritten.lower())
