"""HTML for the chat: answers with clickable ``[n]`` markers, their sources, refusals, notices.

Everything that comes from a user, a document or a model is escaped here, so a question
or a document holding ``<script>`` shows as text. A marker ``[n]`` becomes a link whose
``pa-k-…`` class names a passage in the sources block above it (the chat's HTML
sanitiser keeps classes but drops ``data-`` attributes); the page's script
(:data:`CITATION_SCRIPT`) opens that passage beside the chat when it is clicked. A passage
from a PDF carries a link to its cited page as a picture (:func:`page_image_url`), which
the script shows above the passage text when the panel opens, and only then.

Example:
    >>> render_answer("Jane Cummings is interim director [1].", "k1", {1})
    '<div class="pa-answer"><p>Jane Cummings is interim director <a class="pa-cite pa-k-k1-1" tabindex="0" role="button" title="Open source 1">[1]</a>.</p></div>'
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from assistant.answering.answer import REFUSAL, Answer, Citation, Evidence
from assistant.spans import cited_page

_SINGLE_MARKER = re.compile(r"\[(\d+)\]")
QUESTION_PREVIEW_CHARS = 400
# Where the chat serves a cited page as a picture (the route is added in app.py).
PAGE_IMAGE_ROUTE = "page-image"


def _marker_link(number: int, key: str) -> str:
    return (
        f'<a class="pa-cite pa-k-{key}-{number}" tabindex="0" role="button" '
        f'title="Open source {number}">[{number}]</a>'
    )


def passages_label(count: int) -> str:
    return "1 passage" if count == 1 else f"{count} passages"


def render_question(question: str) -> str:
    """The user's message as text (never markup); a huge paste shows only its start."""
    shown = question if len(question) <= QUESTION_PREVIEW_CHARS else (
        f"{question[:QUESTION_PREVIEW_CHARS]}… ({len(question):,} characters)"
    )
    return f'<div class="pa-question">{html.escape(shown)}</div>'


def render_answer(text: str, key: str, markers: set[int], done: bool = False) -> str:
    """The answer as paragraphs, each known ``[n]`` a link to its passage; ``done`` marks
    the checked answer (class ``pa-done``), as opposed to one still streaming."""

    def link(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return _marker_link(number, key) if number in markers else ""

    paragraphs = [
        _SINGLE_MARKER.sub(link, html.escape(line, quote=False))
        for line in text.strip().split("\n")
        if line.strip()
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs) or "<p>…</p>"
    return f'<div class="pa-answer{" pa-done" if done else ""}">{body}</div>'


def _highlighted(evidence: Evidence, spans: Iterable[tuple[int, int]]) -> str:
    """The passage text, escaped, with the given source spans inside ``<mark>``."""
    text, out, at = evidence.span.text, [], 0
    for start, end in sorted(set(spans)):
        start = max(start - evidence.span.start, at)
        end = min(end - evidence.span.start, len(text))
        if start >= end:
            continue
        out += [html.escape(text[at:start]), f"<mark>{html.escape(text[start:end])}</mark>"]
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def _location(evidence: Evidence, page: int | None) -> str:
    """Where the passage is: the page of its cited (or best) sentence and its section when
    the document has them, else its character offsets."""
    span = evidence.span
    where = (cited_page(page, span.scanned(page)) if page
             else f"characters {span.start:,}–{span.end:,}")
    section = f" · {span.section}" if span.section else ""
    return f"{span.doc_id}, {where}{section}"


def page_image_url(doc_id: str, page: int, spans: Iterable[tuple[int, int]]) -> str:
    """The picture of ``page`` with the sentences at ``spans`` (document offsets)
    highlighted. Relative, so it holds behind a proxy that serves the chat under a path;
    the server reads the sentences from the catalog, never from the URL."""
    highlight = ",".join(f"{start}-{end}" for start, end in sorted(set(spans)))
    return f"{PAGE_IMAGE_ROUTE}/{quote(doc_id, safe='')}/{page}.png?highlight={highlight}"


def render_sources(
    evidence: Sequence[Evidence], key: str, citations: Sequence[Citation] | None = None
) -> str:
    """The passages handed to the generator. Before the answer is checked the best-matching
    sentences are highlighted; afterwards, the sentences the answer's citations rest on."""
    cited = {c.marker: c for c in citations or []}
    items = []
    for e in evidence:
        citation = cited.get(e.marker)
        if citation is not None and citation.highlights:
            spans = [(h["start"], h["end"]) for h in citation.highlights]
        else:
            spans = [(h.start, h.end) for h in e.hits]
        state = "cited" if citation is not None else ("unused" if citations is not None else "")
        where = e.span
        # The page of the first cited sentence (Citation.page), or of the best one before
        # the answer is checked.
        page = where.page_of(spans[0][0]) if spans else where.page_start
        author = f' · <span class="pa-author">{html.escape(where.author)}</span>' if where.author else ""
        on_page = (f' · <span class="pa-page-n">{cited_page(page, where.scanned(page))}</span>'
                   if page else "")
        picture = ""
        # Only a PDF or a picture has pages to show as printed (a text export of one has
        # page numbers only).
        if page and where.printed:
            url = page_image_url(where.doc_id, page,
                                 [(start, end) for start, end in spans
                                  if where.page_of(start) == page])
            alt = f"Page {page} of {where.title}, cited sentence highlighted"
            picture = (f' · <a class="pa-page-link" href="{html.escape(url)}" '
                       f'title="{html.escape(alt)}">page as printed</a>')
        items.append(
            f'<div class="pa-passage pa-k-{key}-{e.marker} {state}">'
            f'<div class="pa-head"><span class="pa-n">[{e.marker}]</span> '
            f'<span class="pa-title">{html.escape(where.title)}</span>{author}{on_page}</div>'
            f'<blockquote class="pa-text">{_highlighted(e, spans)}</blockquote>'
            f'<div class="pa-where">{html.escape(_location(e, page))}{picture}</div>'
            "</div>"
        )
    label = passages_label(len(evidence))
    return (
        f'<details class="pa-sources"><summary>Sources: {label} '
        f'<span class="pa-hint">(click a [n] in the answer to read one)</span></summary>'
        f'{"".join(items)}</details>'
    )


def render_result(answer: Answer, key: str) -> str:
    """The finished answer: a refusal looks different; a fallback says why it happened."""
    if answer.refused:
        reason = answer.refusal_reason or "no passage answers the question"
        return _understood_as(answer) + (
            f'<div class="pa-refusal pa-done"><p><strong>{html.escape(REFUSAL, quote=False)}</strong></p>'
            f"<p>Why: {html.escape(reason)}. Try naming the organisation or topic as the "
            "documents would, or check the Library tab for what is there.</p></div>"
        )
    body = render_answer(answer.answer, key, {c.marker for c in answer.citations}, done=True)
    if answer.fallback:
        body = render_notice(f"Note: {answer.fallback}.") + body
    return _understood_as(answer) + body


def _understood_as(answer: Answer) -> str:
    """A follow-up shows how it was read with the conversation, so a reader can correct it."""
    if not answer.standalone_question or answer.standalone_question == answer.question:
        return ""
    return ('<div class="pa-understood">Searched for: '
            f"“{html.escape(answer.standalone_question)}”</div>")


def render_notice(text: str) -> str:
    return f'<div class="pa-notice">{html.escape(text)}</div>'


def render_error(text: str) -> str:
    return f'<div class="pa-error pa-done"><strong>Can\'t ask that.</strong> {html.escape(text)}</div>'


CHAT_CSS = """
.pa-cite { cursor: pointer; font-weight: 600; text-decoration: none; padding: 0 1px;
  color: var(--color-accent); }
.pa-cite:hover, .pa-cite:focus { text-decoration: underline; }
.pa-sources summary { cursor: pointer; font-weight: 600; }
.pa-understood { font-size: 0.85em; opacity: 0.75; margin-bottom: 0.3em; }
.pa-hint { font-weight: 400; opacity: 0.7; font-size: 0.9em; }
.pa-passage { margin: 0.5em 0; }
.pa-passage.unused { opacity: 0.6; }
.pa-head { font-size: 0.95em; }
.pa-title { font-weight: 600; }
.pa-text { margin: 0.3em 0; padding-left: 0.8em; border-left: 3px solid var(--border-color-primary);
  white-space: pre-line; }
.pa-text mark { background: #fde68a; color: #111; padding: 0 1px; }
.pa-where { font-size: 0.8em; opacity: 0.7; }
.pa-refusal { border-left: 4px solid #d97706; background: rgba(217, 119, 6, 0.08);
  padding: 0.4em 0.8em; }
.pa-notice { border-left: 4px solid #2563eb; background: rgba(37, 99, 235, 0.08);
  padding: 0.3em 0.8em; margin-bottom: 0.5em; font-size: 0.9em; }
.pa-error { border-left: 4px solid #dc2626; background: rgba(220, 38, 38, 0.08);
  padding: 0.4em 0.8em; }
#pa-citation { position: fixed; top: 4.5rem; right: 1.5rem; width: min(40rem, 92vw);
  max-height: 75vh; overflow: auto; z-index: 1000; background: var(--background-fill-primary);
  color: var(--body-text-color); border: 1px solid var(--border-color-primary);
  border-radius: 8px; box-shadow: 0 8px 30px rgba(0, 0, 0, 0.25); padding: 1em 1.2em; }
#pa-citation[hidden] { display: none; }
#pa-citation .pa-close { float: right; border: none; background: none; font-size: 1.4em;
  cursor: pointer; color: inherit; }
/* A fixed height, so the panel is placed once, before the picture arrives. */
.pa-page { margin: 0.5em 0; height: 40vh; overflow: auto;
  border: 1px solid var(--border-color-primary); background: #fff; }
.pa-page img { display: block; width: 100%; height: auto; }
.pa-page-missing { font-size: 0.85em; opacity: 0.8; }
"""

# Opens the passage a clicked [n] names, in a panel beneath the marker; Esc or a click
# elsewhere closes it. Delegated on the document, so streamed messages need no wiring.
CITATION_SCRIPT = """
() => {
  if (window.paCitations) return;
  window.paCitations = true;
  const panel = document.createElement("div");
  panel.id = "pa-citation";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Cited passage");
  panel.hidden = true;
  document.body.appendChild(panel);
  const place = (cite) => {
    // Beside the marker, so the sentence that cites it stays in view: below it when the
    // panel fits there, else on the side with more room.
    const at = cite.getBoundingClientRect();
    const below = window.innerHeight - at.bottom - 16;
    const above = at.top - 16;
    panel.style.maxHeight = "";
    const under = panel.offsetHeight <= below || below >= above;
    const room = under ? below : above;
    const height = Math.min(panel.offsetHeight, room);
    const top = under ? at.bottom + 8 : Math.max(8, at.top - height - 8);
    const left = Math.min(Math.max(8, at.left - 40), window.innerWidth - panel.offsetWidth - 16);
    panel.style.top = `${top}px`;
    panel.style.left = `${left}px`;
    panel.style.right = "auto";
    panel.style.maxHeight = `${room}px`;
  };
  // A PDF passage links its cited page as a picture: drawn above the passage text, and
  // fetched only now that a reader opened it.
  const showPage = () => {
    const link = panel.querySelector(".pa-page-link");
    if (!link) return;
    const figure = document.createElement("figure");
    figure.className = "pa-page";
    const image = document.createElement("img");
    image.alt = link.title;
    image.onload = () => {
      // Scroll the page to the highlight: the first row holding its yellow, which is
      // multiplied into the print (so over a tinted box it is a darker yellow).
      const canvas = document.createElement("canvas");
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(image, 0, 0);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < pixels.length; i += 12) {
        const [red, green, blue] = [pixels[i], pixels[i + 1], pixels[i + 2]];
        if (red > 120 && green > 0.8 * red && blue < 0.7 * red) {
          const row = Math.floor(i / 4 / canvas.width) * image.height / canvas.height;
          figure.scrollTop = row - figure.clientHeight / 3;
          break;
        }
      }
    };
    image.onerror = () => {
      // The server says why (a moved or changed file, say); the passage text still shows.
      fetch(link.href).then((response) => response.text()).then((why) => {
        figure.className = "pa-page-missing";
        figure.textContent = `The page can't be shown: ${why}`;
      });
    };
    image.src = link.href;
    figure.appendChild(image);
    panel.querySelector(".pa-text").before(figure);
  };
  const open = (cite) => {
    const key = [...cite.classList].find((name) => name.startsWith("pa-k-"));
    const passage = key && document.querySelector(`.pa-passage.${key}`);
    if (!passage) return;
    panel.innerHTML = '<button class="pa-close" aria-label="Close">×</button>' + passage.innerHTML;
    panel.dataset.key = key;
    panel.hidden = false;
    showPage();
    place(cite);
  };
  document.addEventListener("click", (event) => {
    const cite = event.target.closest(".pa-cite");
    if (cite) { event.preventDefault(); event.stopPropagation(); open(cite); return; }
    if (event.target.closest(".pa-close") || !event.target.closest("#pa-citation")) {
      panel.hidden = true;
    }
  }, true);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") panel.hidden = true;
    const cite = event.target.closest && event.target.closest(".pa-cite");
    if (cite && event.key === "Enter") open(cite);
  });
}
"""
