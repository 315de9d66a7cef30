"""Reports of an evaluation run (Markdown, JSON, a PNG chart) and the ``--check`` gate.

``evals/thresholds.toml`` holds, per dataset and generator, *floors* (``--check`` fails
below them: a change that loses answers fails CI) and *goals* (what the issue asks for;
reported, not enforced). A key ending in ``_over_baseline`` compares with the baseline.

Example:
    >>> failures = check_floors(run, load_thresholds())  # doctest: +SKIP
    >>> paths = write_reports(run, Path("evals/reports"), failures)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
import tomllib
from dataclasses import asdict
from pathlib import Path

from assistant.settings import REPO_ROOT
from evals.runner import EvalRun

THRESHOLDS_PATH = REPO_ROOT / "evals" / "thresholds.toml"
REPORTS_DIR = REPO_ROOT / "evals" / "reports"
# Lower is better for these; every other metric is a rate where higher is better.
LOWER_IS_BETTER = {"wrong_refusals", "furniture_quoted", "latency_p50_ms", "latency_p95_ms", "first_token_p50_ms",
                   "first_token_p95_ms"}
CHARTED = ("fact_accuracy", "right_document", "right_page", "key_point_coverage",
           "refusal_recall", "refusal_precision", "citation_validity", "citation_precision",
           "line_citation_recall", "line_citation_precision", "recall@1", "recall@5",
           "recall@10", "mrr")
_SUFFIX = "_over_baseline"


def load_thresholds(path: Path = THRESHOLDS_PATH) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _limits(thresholds: dict, kind: str, run: EvalRun) -> dict[str, float]:
    return thresholds.get(kind, {}).get(run.dataset, {}).get(run.generator, {})


def _compare(run: EvalRun, limits: dict[str, float]) -> list[str]:
    """A line for each metric on the wrong side of its limit."""
    misses = []
    for key, limit in limits.items():
        metric = key.removesuffix(_SUFFIX)
        value = run.ours.get(metric)
        if key.endswith(_SUFFIX):
            base = run.baseline.get(metric)
            if value is None or base is None or value - base < limit:
                misses.append(f"{metric}: ours {value} vs baseline {base}, needs +{limit}")
        elif value is None:
            misses.append(f"{metric}: not measured")
        elif (value > limit) if metric in LOWER_IS_BETTER else (value < limit):
            misses.append(f"{metric}: {value} (limit {limit})")
    return misses


def check_floors(run: EvalRun, thresholds: dict) -> list[str]:
    """Why ``--check`` fails; empty when every floor holds."""
    return _compare(run, _limits(thresholds, "floors", run))


def goals_missed(run: EvalRun, thresholds: dict) -> list[str]:
    return _compare(run, _limits(thresholds, "goals", run))


def _fmt(value, metric: str = "") -> str:
    if value is None:
        return "–"
    if metric == "mrr":
        return f"{value:.3f}"
    if isinstance(value, float) and value <= 1.0:
        return f"{value:.1%}" if value < 1.0 else "100 %"
    return f"{value:,.0f}" if isinstance(value, float) else str(value)


def _limit_text(limits: dict[str, float]) -> dict[str, str]:
    return {k.removesuffix(_SUFFIX): (f"baseline +{v * 100:.0f} points" if k.endswith(_SUFFIX)
                                      else _fmt(v, k)) for k, v in limits.items()}


def markdown(
    run: EvalRun, thresholds: dict, failures: list[str] | None, chart_name: str
) -> str:
    """The report; ``failures`` is None when the run was not made with ``--check``."""
    floors = _limit_text(_limits(thresholds, "floors", run))
    goals = _limit_text(_limits(thresholds, "goals", run))
    unranked = run.ours_no_rerank
    rows = [
        f"| {m} | {_fmt(run.ours[m], m)} | "
        + (f"{_fmt(unranked.get(m), m)} | " if unranked else "")
        + f"{_fmt(run.baseline[m], m)} | {floors.get(m, '')} | {goals.get(m, '')} |"
        for m in run.ours
        if run.ours[m] is not None or run.baseline.get(m) is not None
    ]
    if failures is None:
        missed_floors = check_floors(run, thresholds)
        verdict = "not run (`--check` was not given); " + (
            "floors missed: " + "; ".join(missed_floors) if missed_floors else "every floor holds.")
    else:
        verdict = "passed." if not failures else "FAILED: " + "; ".join(failures)
    missed = goals_missed(run, thresholds)
    lines = [
        f"# Evaluation: {run.dataset}, generator `{run.generator}`",
        "",
        f"Run {run.started}, {run.questions} questions. Ours: `assistant` with the settings below. "
        "Baseline: the LangChain tutorial recipe (RecursiveCharacterTextSplitter 1,000/200, dense "
        "top-4 from Chroma with the same embedding model, one stuff prompt"
        + (", the same language model)." if run.baseline_answers else
           "); its answers need a language model, so this run measures its retrieval only "
           "(the `llm` report has its answers)."),
        "",
        f"![ours vs baseline]({chart_name})",
        "",
        "| metric | ours | " + ("ours, reranking off | " if unranked else "")
        + "baseline | floor (`--check`) | goal |",
        "| --- | --- | --- | --- | --- |" + (" --- |" if unranked else ""),
        *rows,
        "",
        "**Check:** " + verdict,
        "",
        "**Goals:** " + ("all met." if not missed else "not yet met: " + "; ".join(missed)),
        "",
        "Metrics: *fact accuracy*, answerable questions whose answer holds the expected facts "
        "(COVID-QA, PubMedQA: restates at least half the gold span's content words; PubMedQA's "
        "span is the abstract's conclusion) without refusing; *wrong refusals*, answerable "
        "questions refused; "
        "*refusal recall / precision*, unanswerable questions refused / refusals that were right; "
        "*citation validity*, citations whose marker is in the answer and whose text is verbatim "
        "in the source; *citation precision*, citations whose passage holds the fact or gold span; "
        "*recall@k / MRR*, the gold span inside one of the first k retrieved passages; latency "
        "per question, retrieval included. Policy set and PubMedQA: *right document*, "
        "answerable questions whose answer cites an expected document (PubMedQA: the abstract "
        "asked about; the baseline: one among its four sources). Policy set: "
        "*right page*, answers citing a page whose cited sentence lies on the page the fact is "
        "printed on; *key point coverage*, the share of a multi-part question's key points the "
        "answer states; *documents cited*, for questions spanning several documents, the share "
        "of them cited; *furniture quoted*, answers holding a URL, a print time or a "
        "page-number line.",
        "",
        "Settings: " + ", ".join(f"`{k}={v}`" for k, v in run.settings.items() if v is not None)
        + ". Why these values: [evals/tuning.md](../tuning.md).",
        "",
    ]
    return "\n".join(lines)


def chart(run: EvalRun, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = [m for m in CHARTED if run.ours.get(m) is not None]
    series = [("ours", run.ours, "#2563eb")]
    if run.ours_no_rerank:
        series.append(("ours, reranking off", run.ours_no_rerank, "#93c5fd"))
    series.append(("tutorial baseline", run.baseline, "#9ca3af"))
    width = 0.8 / len(series)
    x = range(len(metrics))
    fig, ax = plt.subplots(figsize=(10, 4.2), dpi=110)
    for n, (label, values, colour) in enumerate(series):
        at = [i + (n - (len(series) - 1) / 2) * width for i in x]
        heights = [values.get(m) or 0.0 for m in metrics]
        ax.bar(at, heights, width=width, label=label, color=colour)
        for i, m in zip(at, metrics, strict=True):
            if values.get(m) is not None:
                ax.text(i, values[m] + 0.01, f"{values[m]:.0%}", ha="center", fontsize=7)
    ax.set_xticks(list(x), metrics, rotation=20, ha="right")
    ax.set_ylim(0, 1.12)
    ax.set_title(f"{run.dataset} · generator {run.generator} · {run.questions} questions")
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_reports(
    run: EvalRun, folder: Path = REPORTS_DIR, failures: list[str] | None = None,
    thresholds: dict | None = None,
) -> list[Path]:
    """``<dataset>-<generator>-<date>.{md,json,png}``, copied to ``latest-<dataset>[-llm]``.
    ``failures``: what ``--check`` found, or None when it was not asked for."""
    thresholds = thresholds if thresholds is not None else load_thresholds()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{run.dataset}-{run.generator}-{run.started[:10]}"
    png, md, js = (folder / f"{stem}.{ext}" for ext in ("png", "md", "json"))
    chart(run, png)
    md.write_text(markdown(run, thresholds, failures, png.name), encoding="utf-8")
    data = asdict(run)
    data["check_failures"] = failures
    data["goals_missed"] = goals_missed(run, thresholds)
    js.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    latest = f"latest-{run.dataset}" + ("" if run.generator == "extractive" else f"-{run.generator}")
    shutil.copyfile(png, folder / f"{latest}.png")
    (folder / f"{latest}.md").write_text(
        markdown(run, thresholds, failures, f"{latest}.png"), encoding="utf-8"
    )
    return [md, js, png]
