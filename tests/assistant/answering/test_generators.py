"""The generator contract, run over every generator: the real language model and quoting.

The chain and the follow-up rewriter rely on exactly this: ``generate`` writes text whose
markers name supplied evidence, ``warm_up`` loads without failing, ``rewrite`` gives a
standalone question or ``None``, ``answers`` judges whether evidence answers or says it can't.
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


@pytest.mark.parametrize(
    "question,kind",
    [
        ("Which bodies crowd London's health and care landscape?", "list"),
        ("What do the two columns say about London's sustainability and transformation "
         "partnerships?", "compare"),
        ("What steps does Dave West say will fix London's leadership?", "steps"),
    ],
)
def test_quoting_answers_a_multipart_question_with_a_lead_then_one_cited_line_per_point(
    corpus, question, kind
):
    # Quoting only: the local model is asked for the same shape but follows it loosely (a
    # bullet without its number, steps run into one line), which the chain's check handles.
    generator = corpus.chain.generators["extractive"]
    passages = corpus.retriever.search(question)
    evidence, units = corpus.chain.selector.select(question, passages, kind)
    text = "".join(generator.generate(question, evidence, units, kind))
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) >= 3, text
    points = lines[1:]
    bullet = r"\d+\." if kind == "steps" else r"[-•*]"
    assert all(re.match(rf"\s*{bullet}\s", line) for line in points), text
    for line in points:
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", line)}
        assert markers and markers <= {e.marker for e in evidence}, line


def test_a_comparison_s_evidence_holds_both_documents(corpus):
    question = "What do the two columns say about London's sustainability and transformation " \
               "partnerships?"
    passages = corpus.retriever.search(question)
    fact_evidence, _ = corpus.chain.selector.select(question, passages, "fact")
    evidence, _ = corpus.chain.selector.select(question, passages, "compare")
    assert len({e.span.doc_id for e in evidence}) == 2
    assert len(evidence) >= len(fact_evidence)


def test_answers_judges_whether_the_evidence_answers_or_says_it_cannot(generator, corpus):
    passages = corpus.retriever.search(QUESTION)
    evidence, _ = corpus.chain.selector.select(QUESTION, passages)
    asked = generator.answers(QUESTION, evidence)
    unasked = generator.answers("What dementia diagnosis rate must London's ICBs achieve?",
                                evidence)
    if generator.name == "extractive":
        assert asked is None and unasked is None  # quoting can't judge
    else:
        assert asked is True and unasked is False


def test_the_model_reads_the_best_evidence_within_its_budget(corpus):
    """The chat model here is a recording fake: what is tested is which sources it is given,
    not what a model writes."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant.answering.llm import LLMGenerator

    question = "What does Dave West say London's NHS lacks?"
    passages = corpus.retriever.search(question)
    evidence, units = corpus.chain.selector.select(question, passages, "list")
    assert len(evidence) > 1
    asked = []

    class Recording(GenericFakeChatModel):
        def _stream(self, messages, *args, **kwargs):
            asked.append((messages[-1].content, kwargs))
            yield from super()._stream(messages, *args, **kwargs)

    # A list: one pass over the best evidence within its budget, with room for its lines.
    replies = iter([AIMessage("West says London lacks a leader [1].")])
    generator = LLMGenerator(lambda: Recording(messages=replies),
                             multipart_chars=len(evidence[0].span.text))
    text = "".join(generator.generate(question, evidence, units, "list"))
    assert len(asked) == 1 and text.startswith("West says")
    prompt, kwargs = asked[0]
    assert f"[{evidence[0].marker}]" in prompt and f"[{evidence[1].marker}]" not in prompt
    assert kwargs.get("max_tokens") == generator.multipart_max_tokens

    # A one-fact answer is one pass over the best evidence within its budget.
    for budget, sent in ((10**6, evidence), (len(evidence[0].span.text), evidence[:1])):
        asked.clear()
        replies = iter([AIMessage("London lacks a leader [1].")])
        "".join(LLMGenerator(lambda: Recording(messages=replies), fact_chars=budget).generate(
            question, evidence, units, "fact"))
        assert len(asked) == 1
        assert [e.marker for e in evidence if f"[{e.marker}]" in asked[0][0]] == \
            [e.marker for e in sent]
