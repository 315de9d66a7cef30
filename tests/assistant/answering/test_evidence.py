"""Evidence selection on real published text, with the real embedder and cross-encoder."""

from __future__ import annotations

import pytest

from assistant.answering.evidence import EvidenceSelector
from assistant.answering.extractive import ExtractiveGenerator
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


MEMBERS = ["independent Chair", "Medical Director", "Public Health Consultant", "Pharmacy lead",
           "Patient and Public Voice member"]


def test_a_list_question_s_evidence_and_quotes_hold_the_whole_list(embeddings, passages):
    # The question's words match one bullet best ("pharmacy"); the answer wants all five.
    question = "Who sits on the IFR Panel, for example which pharmacy lead?"
    selector = EvidenceSelector(embeddings, window=0)
    fact, _ = selector.select(question, passages, "fact")
    assert not all(m in fact[0].span.text for m in MEMBERS)  # one sentence alone
    evidence, units = selector.select(question, passages, "list")
    assert all(m in evidence[0].span.text for m in MEMBERS)
    text = "".join(ExtractiveGenerator().generate(question, evidence, units, "list"))
    lines = text.splitlines()
    for member in MEMBERS:
        line = next(line for line in lines if member in line)
        assert line.startswith("• ") and "• •" not in line and line.endswith("[1]"), line


def test_each_side_of_a_comparison_is_in_its_evidence_though_one_outscores_the_other(
    embeddings, reranker
):
    # Dave West's column answers in its own words; Ben Clover's names the networks only in
    # a list, so every one of its sentences scores far below West's best.
    west = ("City-wide working can deliver: NHS London's redesigns of stroke and trauma services "
            "are two of the UK's most celebrated service developments of recent times. Travel "
            "and interdependencies across the capital mean planning at the level of its five "
            "partnerships would be insufficient. They need to be clear the role has autonomy.")
    clover = ("Deep breath, there are: clinical commissioning groups; GP federations; "
              "London councils; the trauma network; the stroke network; universities.")
    passages = [
        Passage("w", SourceSpan("west", "West", "", "west.md", 0, len(west), west),
                rerank_score=1.7),
        Passage("c", SourceSpan("clover", "Clover", "", "clover.md", 0, len(clover), clover),
                rerank_score=-5.3),
    ]
    question = "What does each column say about London's stroke and trauma arrangements?"
    selector = EvidenceSelector(embeddings, reranker=reranker, multipart_hits=2)
    units = selector.score_units(question, passages)
    best_clover = next(u for u in units if u.passage.span.doc_id == "clover")
    assert best_clover.score < units[0].score - 0.5  # far below the other side's best
    evidence, _ = selector.select(question, passages, "compare")
    assert {e.span.doc_id for e in evidence} == {"west", "clover"}


# DHSC's infographic text as a browser printed it from GOV.UK (Open Government Licence v3.0).
INFOGRAPHIC = (
    "Department of Health & Social Care\nGuidance Physical activity for women after "
    "childbirth: birth to 12 months (text of the infographic)\nPublished 7 September 2019\n"
    "© Crown copyright 2019\nThis publication is licensed under the terms of the Open "
    "Government Licence v3.0 except where otherwise stated.\nThis publication is available at "
    "https://www.gov.uk/government/publications/physical-activity-for-women-after-childbirth\n"
    "If you're not active, start gradually.\nIf you're already active, keep going.\n"
    "Aim for at least 150 minutes of moderate intensity activity every week.\n"
    "Start pelvic floor exercises as soon as you can and continue daily.\n"
    "You can be active while breastfeeding."
)


def test_a_list_answer_leaves_out_the_documents_front_matter(embeddings, reranker):
    title = ("Physical activity for women after childbirth: birth to 12 months (text of the "
             "infographic) - GOV.UK")
    span = SourceSpan("pa", title, "", "pa.pdf", 0, len(INFOGRAPHIC), INFOGRAPHIC)
    passages = [Passage("p", span, rerank_score=5.0)]
    question = "What does the infographic advise women about physical activity after childbirth?"
    selector = EvidenceSelector(embeddings, reranker=reranker, window=0)
    everything = selector.score_units(question, passages)
    # Unfiltered, the title line and the publication note are its two best "points".
    assert {u.span.text[:20] for u in everything[:2]} == {
        "Guidance Physical ac", "This publication is "}
    _, units = selector.select(question, passages, "list")
    texts = [u.span.text for u in units]
    assert not any(m in t for t in texts for m in ("Licence", "©", "available at", "Published"))
    assert not any(t.startswith("Guidance Physical activity") for t in texts)  # the title line
    assert any("150 minutes" in t for t in texts)


def test_a_line_that_only_introduces_what_follows_takes_no_place_of_a_point(embeddings):
    # "… as follows:" says nothing by itself; capped at two points, the answer still
    # quotes two sentences that do.
    text = ("Funding rules for the programme are as follows:\n\n"
            "Funding for the programme lasts two years from approval.\n\n"
            "Funding rules for renewal are as follows:\n\n"
            "Renewed funding for the programme needs a fresh application to the board.\n\n"
            "The board meets every quarter.")
    span = SourceSpan("rules", "Rules", "", "rules.md", 0, len(text), text)
    question = "What are the programme's funding rules?"
    evidence, units = EvidenceSelector(embeddings, window=0, multipart_hits=5).select(
        question, [Passage("r", span, score=1.0)], "summary")
    quotes = ExtractiveGenerator(multipart_sentences=2).quotes(evidence, units, "summary")
    lines = [quoted.text.rstrip() for _, quoted in quotes]
    assert any(line.endswith(":") for line in lines)  # a lead-in was quoted…
    assert sum(not line.endswith(":") for line in lines) == 2, lines  # …beside two points
