"""What every benchmark shares: the machine's description, a printed table, RESULTS.md.

Benchmarks are scripts, never tests: ``.venv/bin/python bench/<name>.py --help``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from rich.console import Console
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_MD = BENCH_DIR / "RESULTS.md"
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(BENCH_DIR.parent))
import assistant  # noqa: E402, F401  (the offline environment, before any model library)


def machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    packages = ", ".join(f"{p} {version(p)}" for p in
                         ("torch", "sentence-transformers", "chromadb", "bm25s", "gradio"))
    return (f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
            f"{memory_gib:.0f} GiB, Python {platform.python_version()}; {packages}")


def publish(name: str, title: str, columns: list[str], rows: list[list], notes: str = "") -> None:
    """Prints the table, appends it to bench/RESULTS.md and writes bench/results/<name>-<time>.json."""
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    Console().print(table)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [f"\n## {title} ({stamp})\n", f"Machine: {machine()}\n",
             "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    if notes:
        lines.append(f"\n{notes}")
    with RESULTS_MD.open("a", encoding="utf-8") as out:
        if out.tell() == 0:
            out.write("# Benchmark results\n\nAppended by the scripts in `bench/`; newest last.\n")
        out.write("\n".join(lines) + "\n")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{name}-{stamp[:19].replace(':', '')}.json").write_text(
        json.dumps({"title": title, "machine": machine(), "columns": columns, "rows": rows,
                    "notes": notes}, indent=1), encoding="utf-8")
