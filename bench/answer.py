"""Answering speed with the local model: ours vs the tutorial baseline, same questions.

Ours: time to the first source, to the first token, and tokens per second, through the
answering chain's event stream. Baseline: the tutorial's stuff prompt (four 1,000-character
chunks) to the same model server; time to its first token. The server is warmed first, so
these are warm numbers (the first question after a start adds about 5 s to load the model).

    .venv/bin/python bench/answer.py [--questions 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (sets the offline environment and sys.path first)
from common import publish

from evals.metrics import percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=10, help="answerable gold questions to ask")
    args = parser.parse_args()

    from assistant.answering.answer import SourcesEvent, TokenEvent
    from assistant.settings import REPO_ROOT, Settings
    from assistant.wiring import Parts
    from evals.baseline import TutorialBaseline
    from evals.datasets import load_gold

    questions = [q.question for q in load_gold().questions if q.answerable][: args.questions]
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch) / "data", _env_file=None,
                            models_dir=Settings().resolved_models_dir)
        parts = Parts(settings)
        parts.library.ingest([REPO_ROOT / "documents"])
        chain = parts.chain
        chain.warm_up("llm")
        baseline = TutorialBaseline.build(Path(scratch) / "baseline", parts.embeddings)
        baseline.ingest(REPO_ROOT / "documents")
        model = parts.chat_model

        sources, firsts, rates, base_firsts = [], [], [], []
        for question in questions:
            started = time.perf_counter()
            first = None
            tokens = 0
            for event in chain.stream(question, generator="llm"):
                now = (time.perf_counter() - started) * 1000
                if isinstance(event, SourcesEvent):
                    sources.append(now)
                elif isinstance(event, TokenEvent):
                    tokens += 1
                    first = first or now
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

    publish("answer", f"Answering with the local model ({len(questions)} gold questions, warm)",
            ["measure", "p50", "p95"],
            [row("ours: first source", sources), row("ours: first token", firsts),
             row("ours: streamed pieces per second", rates, "/s"),
             row("tutorial baseline: first token", base_firsts)],
            notes="Qwen2.5-Coder-1.5B-Instruct Q4_K_M on llama.cpp (xllamacpp), all cores. "
                  "Ours sends compact evidence (best sentences with neighbours); the baseline "
                  "stuffs four 1,000-character chunks.")


if __name__ == "__main__":
    main()
