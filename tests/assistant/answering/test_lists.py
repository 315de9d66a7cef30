"""A list asked for comes whole, even where the splitter cut it across chunks, and a fact
question whose best answer introduces a list is answered with the list."""

from __future__ import annotations

ITEMS = [
    "whether there is evidence that the patient's presentation lies outside the normal "
    "spectrum for that condition. Preferably, a recognised scoring or classification system "
    "should be used to describe the patient's condition",
    "whether there is evidence that the patient has progressed to a very severe form of the "
    "condition much more rapidly than the range of progression usually observed",
    "how the patient is expected to benefit from the treatment sought and in what quantifiable way",
    "that the impact of the condition on this patient's health is significantly greater than "
    "its impact on the rest of the patient group; and",
    "that there is a plausible argument that the severity of the condition is prognostic of a "
    "good response to treatment.",
]
POLICY = (
    "# Individual funding requests\n\nThis policy explains how requests for treatments that "
    "are not routinely commissioned are considered by the Panel. Requests are screened by "
    "the team before they reach the Panel, and incomplete forms are returned to the trust. "
    "The Panel meets monthly and records its reasons for every decision it takes.\n\n"
    "## Clinical exceptionality: severity\n\n14. Should severity be cited by the requesting "
    "clinician as part of the argument for exceptionality, the application should make clear:"
    "\n\n" + "\n\n".join(f"• {item}" for item in ITEMS) + "\n\n## Clinical exceptionality: "
    "genotypes\n\n15. When the argument is based on a specific genotype, the Panel will require "
    "evidence of the prevalence of the genotype in the patient group.\n"
)


def test_a_list_cut_across_chunks_is_answered_whole(parts, files):
    (result,) = parts.library.ingest([files.text("ifr-policy.md", POLICY)]).files
    assert result.status == "added"
    chunks = parts.vector_store.get(where={"doc_id": result.doc_id})["documents"]
    assert not any("make clear:" in c and "prognostic" in c for c in chunks), \
        "the splitter cut the list"
    # One passage searched: the one introducing the list; its items must come from the
    # chunks after it.
    answer = parts.chain.answer(
        "If a clinician argues that the severity of their patient's condition makes them "
        "exceptional, what must the IFR application show?", generator="extractive", k=1)
    assert answer.kind == "list", "its best sentence introduces a list"
    for phrase in ("outside the normal spectrum", "recognised scoring", "much more rapidly",
                   "quantifiable way", "significantly greater", "prognostic of a good response"):
        assert phrase in answer.answer, phrase
    record = parts.catalog.get(result.doc_id)
    for citation in answer.citations:
        assert record.text[citation.span.start:citation.span.end] == citation.span.text


ELECTIVE = (
    "# Operational planning\n\n## Reduce the time people wait for elective care\n\n"
    "The plan sets the national direction for the year. Systems have flexibility in how they "
    "meet it, and budgets are constrained. Regions will agree local plans with each system.\n\n"
    "All systems must:\n\n"
    "• validate patients on a referral to treatment pathway every 12 weeks\n\n"
    "• use patient initiated follow-up for at least 5% of outpatient attendances\n\n"
    "• minimise unwarranted diagnostic referrals and reduce the outpatient waiting list\n\n"
    "## Finance\n\nEvery system must deliver a balanced net position for the year. Capital "
    "allocations are confirmed in the spring, and deficits must be repaid over two years.\n"
)


def test_a_sentence_introducing_a_list_is_read_with_its_items(parts, files):
    """"All systems must:" says nothing about waiting times; with its items it does, so a
    list question ranks it (and so quotes its list) above the prose around it."""
    (result,) = parts.library.ingest([files.text("planning.md", ELECTIVE)]).files
    question = "What must every system do to bring elective waiting times down?"
    passages = parts.chain.retriever.search(question, docs=[result.doc_id])
    selector = parts.chain.selector

    def intro(units):
        rank, unit = next((rank, u) for rank, u in enumerate(units)
                          if u.span.text.strip() == "All systems must:")
        return rank, unit

    plain_rank, plain = intro(selector.score_units(question, passages))
    read_rank, read = intro(selector.score_units(question, passages, lists=True))
    assert plain.items == "" and read.items.startswith("• validate patients")
    assert read.read().startswith("All systems must: • validate patients")
    assert read_rank < plain_rank
    answer = parts.chain.answer(question, generator="extractive", docs=[result.doc_id])
    assert answer.kind == "list"
    for item in ("validate patients", "patient initiated follow-up", "unwarranted diagnostic"):
        assert item in answer.answer, answer.answer
