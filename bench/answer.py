"""Answering speed with the local model: ours with the cross-encoder on and off, and the tutorial
baseline, on the same questions in one run.

Ours: time to the first source, to the first token, and tokens per second, through the
answering chain's event stream; each question is asked with reranking on, then off (the same
store, model server and evidence code; only the retriever's cross-encoder is taken away).
Baseline: the tutorial's stuff prompt (four 1,000-character chunks) to the same model server;
time to its first token. The server is warmed first, so these are warm numbers (the first
question after a start adds about 5 s to load the model).

With ``--dataset synthesis`` the questions are its list questions and the first bullet is
timed too: the moment the first point (a bulleted or numbered line) starts to show.

    .venv/bin/python bench/answer.py [--dataset policy|gold|synthesis] [--questions 10]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (sets the offline environment and sys.path first)
from common import publish

from evals.metrics import percentile

# A point that has begun: a bullet or a step number, then a word (with or without a lead).
_BULLET = re.compile(r"(?:^|\n)\s*(?:[•*-]|\d+[.)])\s*\w")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=10, help="answerable questions to ask")
    parser.add_argument("--dataset", choices=("gold", "policy", "synthesis"), default="policy",
                        help="gold: the two seed columns; policy: 12 published documents; "
                        "synthesis: its list questions over both")
    args = parser.parse_args()

    from assistant.answering.answer import SourcesEvent, TokenEvent
    from assistant.answering.question_kind import question_kind
    from assistant.settings import Settings
    from assistant.wiring import Parts
    from evals.baseline import TutorialBaseline
    from evals.datasets import DATASETS

    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch) / "data", _env_file=None,
                            models_dir=Settings().resolved_models_dir)
        dataset = DATASETS[args.dataset](Path(scratch) / "dataset", False, settings)
        questions = [q.question for q in dataset.questions if q.answerable and (
            args.dataset != "synthesis" or question_kind(q.question) == "list")][: args.questions]
        parts = Parts(settings)
        parts.library.ingest([dataset.documents_dir])
        chain = parts.chain
        chain.warm_up("llm")
        reranker = chain.retriever.reranker
        reranker.warm_up()
        baseline = TutorialBaseline.build(Path(scratch) / "baseline", parts.embeddings)
        baseline.ingest(dataset.documents_dir)
        model = parts.chat_model

        # reranking → sources, first tokens, rates, first bullets
        timings = {True: ([], [], [], []), False: ([], [], [], [])}
        base_firsts = []
        for question in questions:
            for reranking in (True, False):
                chain.retriever.reranker = reranker if reranking else None
                chain.selector.reranker = reranker if reranking else None
                sources, firsts, rates, bullets = timings[reranking]
                started = time.perf_counter()
                first = bullet = shown = None
                tokens = 0
                text = ""
                for event in chain.stream(question, generator="llm"):
                    now = (time.perf_counter() - started) * 1000
                    if isinstance(event, SourcesEvent):
                        shown = shown or now  # the first time sources are on screen
                    elif isinstance(event, TokenEvent):
                        tokens += 1
                        first = first or now
                        text += event.text
                        if bullet is None and _BULLET.search(text):
                            bullet = now
                sources.append(shown)
                if bullet is not None:
                    bullets.append(bullet)
                total = (time.perf_counter() - started) * 1000
                firsts.append(first)
                if total > first:
                    rates.append(tokens / ((total - first) / 1000))
            started = time.perf_counter()
            for _ in baseline.stream(question, model):
                base_firsts.append((time.perf_counter() - started) * 1000)
                break

    def row(name, values, unit="ms"):
        return [name, f"{percentile(values, 0.5):.0f} {unit}", f"{percentile(values, 0.95):.0f} {unit}"]

    rows = []
    for reranking, label in ((True, "reranking on"), (False, "reranking off")):
        sources, firsts, rates, bullets = timings[reranking]
        rows += [row(f"ours, {label}: sources on screen", sources),
                 row(f"ours, {label}: first token", firsts),
                 row(f"ours, {label}: streamed pieces per second", rates, "/s")]
        if bullets:
            rows.append(row(f"ours, {label}: first bullet ({len(bullets)} answers with one)",
                            bullets))
    publish("answer", f"Answering with the local model ({len(questions)} {args.dataset} "
            "questions, warm)", ["measure", "p50", "p95"],
            [*rows, row("tutorial baseline: first token", base_firsts)],
            notes=f"Embedder {settings.embedder}; cross-encoder over the fused top "
                  f"{settings.rerank_candidates}. Qwen2.5-Coder-1.5B-Instruct Q4_K_M on llama.cpp "
                  "(xllamacpp), all cores. Ours sends compact evidence (best sentences with "
                  "neighbours); the baseline stuffs four 1,000-character chunks. Goals (issue 15): "
                  "sources on screen p95 <= 2 s, first token p50 <= 4 s with reranking on; "
                  "(issue 16) first bullet of a list p50 <= 8 s.")


if __name__ == "__main__":
    main()
