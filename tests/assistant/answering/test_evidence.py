"""Evidence selection on real published text, with the real embedder and cross-encoder."""

from __future__ import annotations

import pytest

from assistant.answering.evidence import EvidenceSelector
from assistant.embedders import load_embeddings
from assistant.rerank import CrossEncoderReranker, bundled_reranker_dir
from assistant.retrieval import Passage
from assistant.settings import Settings
from assistant.spans import SourceSpan

# From NHS England's IFR standard operating procedures (v5, 2023), section 2, as ingested.
MEMBERSHIP = (
    "2. Membership The IFR Panel will have a core membership of:\n\n• independent Chair\n\n"
    "• NHS England Specialised Commissioning Medical Director or nominated clinical deputy "
    "(1 attendee per Panel)\n\n• Public Health Consultant / Specialist from an NHS England "
    "specialised commissioning regional team (1 attendee per Panel)\n\n• Pharmacy lead from an "
    "NHS England specialised commissioning regional team (1 attendee per Panel)\n\n"
    "• Patient and Public Voice member (1 attendee per Panel)\n\n"
    "Membership will consist of representatives from a minimum of two regions.\n\n"
    "In attendance:\n\n• For particularly complex cases, other individuals with clinical, "
    "pharmacy or commissioning expertise and skills, unconnected with the requesting provider, "
    "may also be invited to participate in a Panel meeting."
)
QUESTION = "From at least how many NHS England regions must IFR Panel membership be drawn?"


@pytest.fixture(scope="module")
def passages() -> list[Passage]:
    span = SourceSpan("ifr-sop", "IFR SOP", "", "ifr.pdf", 0, len(MEMBERSHIP), MEMBERSHIP)
    return [Passage("c1", span, rerank_score=2.0)]


@pytest.fixture(scope="module")
def embeddings():
    return load_embeddings(Settings(_env_file=None))


@pytest.fixture(scope="module")
def reranker() -> CrossEncoderReranker:
    return CrossEncoderReranker(bundled_reranker_dir())


def test_the_cross_encoder_rereads_the_best_sentences_with_their_neighbours(
    embeddings, reranker, passages
):
    selector = EvidenceSelector(embeddings, reranker=reranker, sentence_candidates=4)
    units = selector.score_units(QUESTION, passages)
    # The sentence that answers beats the bullets that share the question's words.
    assert "minimum of two regions" in units[0].span.text
    assert all(u.rerank_score is not None for u in units[:4])
    assert all(u.rerank_score is None for u in units[4:])
    evidence, _ = selector.select(QUESTION, passages)
    assert "minimum of two regions" in evidence[0].span.text


def test_without_the_cross_encoder_sentences_keep_their_own_scores(embeddings, passages):
    units = EvidenceSelector(embeddings).score_units(QUESTION, passages)
    assert units and all(u.rerank_score is None for u in units)
    assert [u.score for u in units] == sorted((u.score for u in units), reverse=True)
