"""The cited PDF page in the chat, for real: a published PDF ingested by the CLI, `assistant
serve` in a subprocess, headless Debian chromium; and the page route behind sign-in."""

from __future__ import annotations

import os

import httpx
import numpy as np
import pymupdf
import pytest
from playwright.sync_api import expect, sync_playwright

from assistant.harness import launch_chromium, run_assistant, serve_chat, serve_library
from assistant.page_images import HIGHLIGHT_RGB
from tests.conftest import SOP

pytestmark = pytest.mark.slow

QUESTION = "Within how many working days will a completed IFR form normally be screened?"
SOP_ID = "nhse-ifr-standard-operating-procedures-v5-2023"
SOP_PAGE_11 = f"page-image/{SOP_ID}/11.png"
READER = ("rita", "reader-pass-123")


def highlight_pixels(png: bytes) -> int:
    pixmap = pymupdf.Pixmap(png)
    pixels = np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.height, pixmap.width, -1)
    return int((pixels[:, :, :3] == HIGHLIGHT_RGB).all(axis=2).sum())


@pytest.fixture(scope="module")
def chat_url(tmp_path_factory):
    with serve_library(tmp_path_factory.mktemp("cited-page") / "data", [SOP]) as url:
        yield url


@pytest.mark.browser
def test_a_pdf_citation_opens_its_page_with_the_sentence_highlighted(chat_url):
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(chat_url, wait_until="domcontentloaded")
        page.fill("#question textarea", QUESTION)
        page.click("#ask")
        answer = page.locator(".pa-done")
        expect(answer).to_have_count(1, timeout=120_000)
        assert "12 working days" in answer.inner_text()
        page.locator(".pa-sources summary").click()  # unfolded, as a reader would
        source = page.locator(".pa-passage.cited", has_text="12 working days")
        assert "p. 11" in source.locator(".pa-head").inner_text()
        # Nothing is fetched until a reader opens the passage.
        assert page.locator("img[src*='page-image']").count() == 0

        answer.locator(".pa-cite").first.click()
        panel = page.locator("#pa-citation")
        expect(panel).to_be_visible()
        image = panel.locator("img")
        expect(image).to_have_count(1)
        page.wait_for_function(
            "() => document.querySelector('#pa-citation img').naturalWidth > 0", timeout=30_000)
        assert image.get_attribute("alt") == (
            "Page 11 of Standard operating procedures: Individual funding requests, "
            "cited sentence highlighted")
        src = image.evaluate("img => img.src")
        assert SOP_PAGE_11 in src
        # Scrolled to the highlight (two thirds down the page), above the passage text,
        # which still highlights the sentence too.
        page.wait_for_function(
            "() => document.querySelector('#pa-citation .pa-page').scrollTop > 200")
        assert image.bounding_box()["y"] < panel.locator(".pa-text").bounding_box()["y"]
        assert "12 working days" in panel.locator(".pa-text mark").inner_text()

        served = page.request.get(src)
        assert served.ok and served.headers["content-type"] == "image/png"
        assert highlight_pixels(served.body()) > 1000
        browser.close()


def test_a_page_that_cannot_be_shown_says_why(chat_url):
    missing = httpx.get(f"{chat_url}page-image/{SOP_ID}/99.png")
    assert missing.status_code == 404 and "the document has 67 pages" in missing.text
    forged = httpx.get(f"{chat_url}{SOP_PAGE_11}", params={"highlight": "<script>"})
    assert forged.status_code == 422  # only offsets are accepted, never text


def test_with_sign_in_the_page_is_refused_to_anonymous_requests(tmp_path):
    data_dir = tmp_path / "data"
    env = {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_GENERATOR": "extractive"}
    run_assistant({**os.environ, **env}, "users", "add", READER[0], "--password-stdin",
                  stdin=READER[1])
    with serve_chat(env, tmp_path / "serve.log") as url:
        anonymous = httpx.get(f"{url}{SOP_PAGE_11}")
        assert anonymous.status_code in (401, 403)
        assert not anonymous.content.startswith(b"\x89PNG")

        with httpx.Client(base_url=url) as reader:
            reader.post("login", data={"username": READER[0], "password": READER[1]})
            # Signed in, the request reaches the library, where this data dir has no such PDF.
            signed_in = reader.get(SOP_PAGE_11)
        assert signed_in.status_code == 404 and f"no document '{SOP_ID}'" in signed_in.text
