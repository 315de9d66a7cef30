"""An evaluation from start to verdict: run ours and the baseline, check the floors, write reports.

What ``assistant eval`` calls, and what a script calls to get the same result.

Example:
    >>> outcome = evaluate(Settings(), "gold", "extractive", check=True)  # doctest: +SKIP
    >>> outcome.failures, [p.name for p in outcome.reports]  # doctest: +SKIP
    ([], ['gold-extractive-2026-11-25.md', 'gold-extractive-2026-11-25.json', ...])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.settings import Settings
from evals.report import REPORTS_DIR, THRESHOLDS_PATH, check_floors, load_thresholds, write_reports
from evals.runner import EvalRun, Progress, run_eval


@dataclass(frozen=True)
class Evaluation:
    """The run, the floors it missed (empty when all held, or when not checked) and the
    reports written."""

    run: EvalRun
    failures: list[str]
    reports: list[Path]

    def as_dict(self) -> dict:
        """The ``assistant eval --json`` shape."""
        return {"dataset": self.run.dataset, "generator": self.run.generator,
                "ours": self.run.ours, "baseline": self.run.baseline,
                "ours_no_rerank": self.run.ours_no_rerank,
                "check_failures": self.failures, "reports": [str(p) for p in self.reports]}


def evaluate(
    settings: Settings, dataset: str, generator: str = "extractive", *,
    limit: int | None = None, full: bool = False, baseline_answers: bool | None = None,
    check: bool = False, thresholds_path: Path = THRESHOLDS_PATH,
    reports_dir: Path = REPORTS_DIR, progress: Progress | None = None, rerank_off: bool = False,
    baseline: bool = True,
) -> Evaluation:
    """Runs the dataset (see :func:`~evals.runner.run_eval`); with ``check``, compares with
    the floors in ``thresholds_path``; writes the reports into ``reports_dir``."""
    run = run_eval(settings, dataset, generator, limit, full, baseline_answers, progress,
                   rerank_off, baseline)
    thresholds = load_thresholds(thresholds_path)
    failures = check_floors(run, thresholds) if check else None
    paths = write_reports(run, reports_dir, failures, thresholds)
    return Evaluation(run, failures or [], paths)
