"""20 chat users at once through gradio_client against a real `assistant serve`.

Starts the chat on a scratch copy of the library, warms it, then N users each ask one
question through the `/ask` API at the same moment. Reports the server-side time to first
token and the client-side time to the full answer (p50/p95), errors, whether every user got
the answer to their own question, and the serving process's peak memory (the model server
runs inside it).

    .venv/bin/python bench/load.py [--users 20] [--generator llm]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import common  # noqa: F401  (sets the offline environment and sys.path first)
from common import publish

from assistant.settings import GENERATORS
from evals.metrics import percentile


def rss_mib(pid: int) -> float:
    """Resident memory of the process and its children, in MiB."""
    total = 0
    for line in os.popen(f"ps -o rss= --ppid {pid} -p {pid}").read().split():
        total += int(line)
    return total / 1024


def serving_pid(port: str) -> int:
    """The `assistant serve` process listening on ``port`` (its Python, not a shell)."""
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and port.encode() in argv and b"python" in argv[0]:
            return int(entry.name)
    raise RuntimeError(f"no assistant serve process on port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--generator", default="llm", choices=GENERATORS)
    args = parser.parse_args()

    from gradio_client import Client

    from assistant.harness import run_assistant, serve_chat
    from assistant.settings import REPO_ROOT, Settings
    from evals.datasets import load_gold

    questions = [q for q in load_gold().questions if q.answerable][: args.users]
    with tempfile.TemporaryDirectory() as scratch:
        env = {"ASSISTANT_DATA_DIR": str(Path(scratch) / "data"),
               "ASSISTANT_MODELS_DIR": str(Settings().resolved_models_dir)}
        run_assistant({**os.environ, **env}, "ingest", str(REPO_ROOT / "documents"))
        with serve_chat(env, Path(scratch) / "serve.log") as url:
            pid = serving_pid(url.rstrip("/").rsplit(":", 1)[1])
            Client(url, verbose=False).predict("Who chairs Lewisham CCG?", args.generator, 0, None,
                                               api_name="/ask")  # warm: model loaded
            peak = rss_mib(pid)

            def ask(row: dict) -> tuple[dict | None, float, str | None]:
                started = time.perf_counter()
                try:
                    answer = Client(url, verbose=False).predict(
                        row.question, args.generator, 0, None, api_name="/ask")
                    return answer, time.perf_counter() - started, None
                except Exception as error:  # counted and shown, never hidden
                    return None, time.perf_counter() - started, repr(error)[:200]

            with ThreadPoolExecutor(args.users) as pool:
                futures = [pool.submit(ask, row) for row in questions]
                while not all(f.done() for f in futures):
                    peak = max(peak, rss_mib(pid))
                    time.sleep(0.5)
            results = [f.result() for f in futures]

    answers = [a for a, _, _ in results if a]
    errors = [e for _, _, e in results if e]
    own = sum(a["question"] == row.question for (a, _, _), row in zip(results, questions, strict=True) if a)
    firsts = [a["timings"]["first_token_ms"] / 1000 for a in answers]
    totals = [t for a, t, _ in results if a]
    publish(
        "load", f"{args.users} concurrent chat users ({args.generator}) through gradio_client",
        ["measure", "value"],
        [["answers / errors", f"{len(answers)} / {len(errors)}"],
         ["each user got their own question's answer", f"{own}/{len(questions)}"],
         ["time to first token, server side, p50 / p95", f"{percentile(firsts, 0.5):.1f} s / {percentile(firsts, 0.95):.1f} s"],
         ["time to full answer, client side, p50 / p95", f"{percentile(totals, 0.5):.1f} s / {percentile(totals, 0.95):.1f} s"],
         ["serving process peak memory (incl. model)", f"{peak:,.0f} MiB"]],
        notes=("Errors: " + "; ".join(errors)) if errors else "No errors. Answers are computed "
              "4 at a time (ASSISTANT_CHAT_CONCURRENCY); the rest queue, which is what the "
              "first-token times show on 2 cores.",
    )


if __name__ == "__main__":
    main()
