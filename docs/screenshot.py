"""Draws docs/chat.png (the README's picture) from the real chat page.

Serves the chat on a scratch copy of the library, asks a question with the default
generator, opens the first citation, and photographs the page in headless chromium.

    make screenshot      # or: .venv/bin/python docs/screenshot.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from assistant.harness import launch_chromium, run_assistant, serve_chat  # noqa: E402
from assistant.settings import REPO_ROOT, Settings  # noqa: E402

QUESTION = "Which services did NHS London redesign, and why did that need a regional body?"
OUTPUT = REPO_ROOT / "docs" / "chat.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            "ASSISTANT_DATA_DIR": str(Path(scratch) / "data"),
            # Reuse the model assembled by `make run`, if any.
            "ASSISTANT_MODELS_DIR": str(Settings().resolved_models_dir),
        }
        run_assistant({**os.environ, **env}, "ingest", "documents")
        with serve_chat(env, Path(scratch) / "serve.log") as url, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(url, wait_until="domcontentloaded")
            page.fill("#question textarea", QUESTION)
            page.click("#ask")
            expect(page.locator(".pa-done")).to_have_count(1, timeout=300_000)
            page.locator(".pa-done .pa-cite").first.click()
            expect(page.locator("#pa-citation")).to_be_visible()
            page.screenshot(path=str(OUTPUT))
            browser.close()
    print(f"wrote {OUTPUT.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
