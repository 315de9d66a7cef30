"""The chat in the browser (Gradio): a thin view over the answering chain and the library.

Two tabs: *Ask* (the chat: sources first, then the answer streaming, every ``[n]`` opening
its passage) and *Library* (upload, list, summarise, edit, remove). No retrieval or ingestion logic lives
here; it calls :class:`~assistant.answering.chain.AnswerChain` and
:class:`~ingest.library.Library`, the same code as the CLI.

The same answering is an API endpoint, ``/ask``, for ``gradio_client``::

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict("Who leads NHS London?", "extractive", 6, api_name="/ask")

``/summarise`` gives a document's cited summary (``assistant summarise --json``'s shape).
``/chat`` is the chat itself (the conversation kept per client session) and ``/upload`` the
Library's upload; ``GET /page-image/{doc_id}/{page}.png?highlight=start-end,…`` is a cited
PDF page as a picture. With users configured, every route needs sign-in and only editors
change the library; one session may ask ``questions_per_minute`` questions a minute.

Example:
    >>> serve_chat(Parts(settings), say=print, warn=print)  # doctest: +SKIP
    Chat ready at http://127.0.0.1:7860/  (Ctrl+C to stop)
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import gradio as gr
import pandas as pd
from fastapi import Query
from fastapi.responses import FileResponse, PlainTextResponse
from sqlalchemy.exc import SQLAlchemyError

from assistant.answering.answer import (
    DoneEvent,
    ProgressEvent,
    QuestionError,
    SourcesEvent,
    TokenEvent,
)
from assistant.answering.chain import AnswerChain
from assistant.answering.summary import DocumentSummariser, SummaryDoneEvent
from assistant.catalog import DocumentRecord
from assistant.feedback import FeedbackError, FeedbackStore
from assistant.history import ConversationStore, HistoryError, as_markdown
from assistant.chat_view import (
    CHAT_CSS,
    CITATION_SCRIPT,
    PAGE_IMAGE_ROUTE,
    passages_label,
    render_answer,
    render_error,
    render_notice,
    render_question,
    render_result,
    render_sources,
)
from assistant.page_images import MAX_HIGHLIGHTS, PageImageError, PageRenderer
from assistant.rate_limit import SessionRateLimit
from assistant.settings import Settings
from assistant.usage_log import UsageLog, answers_per_day
from assistant.users import UserStore, exposure_warning
from assistant.wiring import Parts
from ingest.indexer import FileResult, IngestLocked
from ingest.library import Library
from ingest.loaders import SUPPORTED_SUFFIXES

Messages = list[dict]
Conversation = list[list[str]]  # [role, plain text] pairs: what the chain's rewriting reads
AnswerIds = dict[int, str]  # a chat message's index → the logged answer it shows

_STATUS_ICONS = {"added": "✅", "updated": "✅", "unchanged": "☑️", "duplicate": "⚠️", "failed": "❌"}
LIBRARY_HEADERS = ["Title", "Publisher", "Date", "Pages", "Author", "Passages", "Added (UTC)",
                   "Id"]


def _reading(event: ProgressEvent) -> str:
    return f"Reading section {event.done} of {event.total}: {event.label}…"


def generator_choices(settings: Settings) -> list[tuple[str, str]]:
    model = (
        f"Remote model ({settings.llm_model})" if settings.llm_url
        else "Local language model (default)"
    )
    return [(model, "llm"), ("Quotes from the documents only (no model, instant)", "extractive")]


def library_rows(records: list[DocumentRecord]) -> list[list]:
    return [
        [r.title, r.publisher or "", r.date or "",
         f"{r.pages} ({len(r.scanned_pages)} scanned)" if r.scanned_pages else r.pages or "",
         r.author, r.chunks,
         r.ingested_at.replace("T", " ")[:16], r.doc_id]
        for r in records
    ]


def upload_report(results: list[FileResult]) -> str:
    """One line per uploaded file: what happened to it and, if refused, why."""
    lines = []
    for r in results:
        name = Path(r.path).name
        if r.status in ("added", "updated"):
            detail = f"{r.status} as '{r.doc_id}' ({passages_label(r.chunks)})"
        elif r.status == "unchanged":
            detail = "already in the library, unchanged"
        else:
            detail = f"{'not added' if r.status == 'failed' else 'duplicate'}: {r.reason}"
        lines.append(f"- {_STATUS_ICONS.get(r.status, '')} **{name}**: {detail}")
        lines.extend(f"  - note: {note}" for note in r.notes)
    return "\n".join(lines)


class ChatApp:
    """Holds the services and the event handlers; :meth:`build` lays out the page."""

    def __init__(
        self, settings: Settings, chain: AnswerChain, library: Library, users: UserStore,
        summariser: DocumentSummariser, usage_log: UsageLog, feedback: FeedbackStore,
        history: ConversationStore,
    ) -> None:
        self.settings = settings
        self.chain = chain
        self.library = library
        self.summariser = summariser
        self.users = users
        self.usage_log = usage_log
        self.feedback = feedback
        self.history = history
        self.rate_limit = SessionRateLimit(settings.questions_per_minute)

    def _too_many(self, request: gr.Request | None) -> str | None:
        """Why this session must wait before asking again, or ``None``."""
        session = (request.session_hash if request else None) or "anonymous"
        if self.rate_limit.allow(session):
            return None
        return (f"This session has asked {self.rate_limit.per_minute} questions in the last "
                f"minute. Wait {self.rate_limit.wait_s(session)} s, then ask again.")

    def may_edit(self, request: gr.Request | None) -> bool:
        """Editors change the library; with no users configured everyone is one."""
        if not self.users.enabled:
            return True
        return self.users.role(request.username if request else None) == "editor"

    # --- Ask -------------------------------------------------------------------------
    def respond(
        self, question: str, messages: Messages, conversation: Conversation,
        generator: str, k: int, scope: list[str] | None = None,
        answer_ids: AnswerIds | None = None, conversation_id: str | None = None,
        request: gr.Request = None,
    ) -> Iterator[tuple[Messages, Conversation, str, AnswerIds, str | None]]:
        """Streams the chat: the question, then the sources, then the growing answer.

        The conversation lives in the session's state, so each browser tab (or
        ``gradio_client`` session) follows up on its own questions only. ``scope``: the ids
        of the documents to ask; none chosen asks the whole library. Each checked answer is
        logged, and ``answer_ids`` remembers which messages show it (for thumbs up/down); a
        signed-in user's conversation is saved after each answer (``conversation_id``)."""
        answer_ids = dict(answer_ids or {})
        messages = [*messages, {"role": "user", "content": render_question(question)}]
        key = uuid.uuid4().hex[:8]
        if wait := self._too_many(request):
            yield [*messages, {"role": "assistant", "content": render_error(wait)}], \
                conversation, question, answer_ids, conversation_id
            return
        try:
            events = self.chain.stream(
                question, history=[tuple(turn) for turn in conversation],
                generator=generator, k=int(k), docs=scope or None,
            )
            first = next(events)
        except QuestionError as error:
            yield [*messages, {"role": "assistant", "content": render_error(str(error))}], \
                conversation, "", answer_ids, conversation_id
            return
        sources: dict = {}
        answer_message = {"role": "assistant", "content": render_answer("", key, set())}
        streamed, evidence = "", []
        for event in itertools.chain([first], events):
            if isinstance(event, ProgressEvent):  # a document's summary reading its sections
                answer_message = {"role": "assistant", "content": render_notice(
                    _reading(event))}
            elif isinstance(event, SourcesEvent):
                evidence = event.evidence
                sources = {"role": "assistant", "content": render_sources(evidence, key)} \
                    if evidence else {}
            elif isinstance(event, TokenEvent):
                streamed += event.text
                markers = {e.marker for e in evidence}
                answer_message = {"role": "assistant",
                                  "content": render_answer(streamed, key, markers)}
            elif isinstance(event, DoneEvent):
                result = event.answer
                if sources:
                    sources = {"role": "assistant", "content": render_sources(
                        result.evidence, key, result.citations)}
                answer_message = {"role": "assistant", "content": render_result(result, key)}
                conversation = [*conversation, ["user", question],
                                ["assistant", result.answer]]
                if answer_id := self.usage_log.record(result, _user(request), "chat"):
                    shown = len(messages) + bool(sources)
                    answer_ids.update(dict.fromkeys(range(len(messages), shown + 1), answer_id))
            shown_messages = [*messages, *([sources] if sources else []), answer_message]
            if isinstance(event, DoneEvent) and (user := _user(request)):
                conversation_id = self._saved(user, conversation_id, shown_messages,
                                              conversation, answer_ids)
            yield shown_messages, conversation, "", answer_ids, conversation_id

    def _saved(self, user: str, conversation_id: str | None, messages: Messages,
               conversation: Conversation, answer_ids: AnswerIds) -> str | None:
        """Saves a signed-in user's conversation; a records database that fails loses the
        saving, never the answer."""
        try:
            return self.history.save(user, conversation_id, conversation[0][1], messages,
                                     conversation, answer_ids)
        except SQLAlchemyError:
            return conversation_id

    def rate(
        self, answer_ids: AnswerIds, like: gr.LikeData, request: gr.Request = None
    ) -> tuple[dict, str, str | None, str, str, str]:
        """A thumbs up or down on an answer (or its sources): stored at once, then the box
        for an optional comment or correction opens. Outputs: the box, its question, the
        rating's id, the comment and correction (cleared), the status line."""
        answer_id = (answer_ids or {}).get(like.index if isinstance(like.index, int)
                                           else like.index[0])
        if like.liked not in (True, False) or answer_id is None:
            return gr.update(visible=False), "", None, "", "", ""
        try:
            given = self.feedback.give(answer_id, bool(like.liked), _user(request))
        except FeedbackError as error:
            return gr.update(visible=False), "", None, "", "", render_error(str(error))
        except SQLAlchemyError:
            return gr.update(visible=False), "", None, "", "", render_error(_RECORDS_DOWN)
        asked = ("Thanks. What was wrong? A comment, or the right answer, helps (optional)."
                 if not like.liked else "Thanks. Anything to add? (optional)")
        return gr.update(visible=True), asked, given.feedback_id, "", "", ""

    def amend_feedback(
        self, feedback_id: str | None, comment: str, correction: str
    ) -> tuple[dict, str]:
        """Adds the comment or correction to the rating just given."""
        if feedback_id is None:
            return gr.update(visible=False), "Rate an answer first (thumbs up or down)."
        try:
            self.feedback.amend(feedback_id, comment, correction)
        except FeedbackError as error:
            return gr.update(visible=True), render_error(str(error))
        except SQLAlchemyError:
            return gr.update(visible=True), render_error(_RECORDS_DOWN)
        return gr.update(visible=False), "Saved with the answer and its sources. Thank you."

    def new_conversation(self) -> tuple[Messages, Conversation, str, AnswerIds, None]:
        return [], [], "", {}, None

    # --- Past conversations (signed-in users) -----------------------------------------
    def history_view(self, request: gr.Request = None) -> tuple[dict, dict]:
        """The past-conversations panel: shown to a signed-in user, with their list."""
        user = _user(request)
        if user is None:
            return gr.update(visible=False), gr.update(choices=[], value=None)
        choices = [(f"{c.title} · {c.updated_at[:16].replace('T', ' ')}", c.conversation_id)
                   for c in self.history.list(user)]
        return gr.update(visible=True), gr.update(choices=choices, value=None)

    def open_conversation(
        self, conversation_id: str | None, request: gr.Request = None
    ) -> tuple[Messages, Conversation, str, AnswerIds, str | None, str]:
        """Reopens a saved conversation: its messages as shown, its follow-up context and
        its answers' ids; the title goes to the rename box."""
        found = self.history.get(_user(request) or "", conversation_id or "")
        if found is None:
            raise gr.Error("Choose one of your conversations first.")
        return (found.messages, found.turns, "", found.answer_ids, found.conversation_id,
                found.title)

    def rename_conversation(
        self, conversation_id: str | None, title: str, request: gr.Request = None
    ) -> tuple[dict, dict]:
        try:
            self.history.rename(_user(request) or "", conversation_id or "", title)
        except HistoryError as error:
            raise gr.Error(str(error)) from None
        return self.history_view(request)

    def delete_conversation(
        self, conversation_id: str | None, request: gr.Request = None
    ) -> tuple[dict, dict]:
        self.history.delete(_user(request) or "", conversation_id or "")
        return self.history_view(request)

    def export_conversation(self, conversation_id: str | None, request: gr.Request = None) -> str:
        """The conversation as a Markdown file, citations as footnotes quoting passages."""
        found = self.history.get(_user(request) or "", conversation_id or "")
        if found is None:
            raise gr.Error("Choose one of your conversations first.")
        folder = self.settings.data_dir / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"conversation-{found.conversation_id}.md"
        path.write_text(as_markdown(found, self.usage_log), encoding="utf-8")
        return str(path)

    def ask_api(
        self, question: str, generator: str = "llm", k: int = 0,
        history: list[list[str]] | None = None, docs: list[str] | None = None,
        request: gr.Request = None,
    ) -> dict:
        """The answer as ``assistant ask --json`` prints it. ``k`` 0 means the default;
        ``history`` is ``[[role, text], …]`` for follow-up questions; ``docs`` the ids of
        the documents to ask (None: all)."""
        if wait := self._too_many(request):
            raise gr.Error(wait)
        try:
            answer = self.chain.answer(
                question, history=history or [], generator=generator or None, k=int(k) or None,
                docs=docs,
            )
        except QuestionError as error:
            raise gr.Error(str(error)) from None
        return answer.to_dict() | {"answer_id": self.usage_log.record(
            answer, _user(request), "api")}

    def scope_view(self, chosen: list[str] | None = None) -> gr.Dropdown:
        """The scope picker's choices, the library as it is now; choices since removed drop out."""
        records = self.library.documents()
        ids = {r.doc_id for r in records}
        return gr.Dropdown(choices=[(f"{r.title} ({r.doc_id})", r.doc_id) for r in records],
                           value=[d for d in chosen or [] if d in ids])

    # --- Summaries -------------------------------------------------------------------
    def summarise(
        self, doc_id: str | None, generator: str, progress: gr.Progress = gr.Progress(),
    ) -> Iterator[str]:
        """The Library's Summarise: which section is being read, then the cited summary with
        its sources (each ``[n]`` opens its passage, as in the chat)."""
        if not doc_id:
            yield render_error("Choose a document to summarise.")
            return
        key = uuid.uuid4().hex[:8]
        sources, streamed, evidence = "", "", []
        try:
            for event in self.summariser.stream(doc_id, generator):
                if isinstance(event, ProgressEvent):
                    progress((event.done, event.total), desc="Reading sections")
                    yield render_notice(_reading(event))
                elif isinstance(event, SourcesEvent):
                    evidence = event.evidence
                    sources = render_sources(evidence, key)
                elif isinstance(event, TokenEvent):
                    streamed += event.text
                    yield sources + render_answer(streamed, key, {e.marker for e in evidence})
                elif isinstance(event, SummaryDoneEvent):
                    result = event.summary.answer
                    note = render_notice(
                        f"{event.summary.sections} sections read"
                        + (" · from the cache" if event.summary.cached else "") + ".")
                    yield (render_sources(result.evidence, key, result.citations)
                           + render_result(result, key) + note)
        except QuestionError as error:
            yield render_error(str(error))

    def summarise_api(self, doc_id: str, generator: str = "") -> dict:
        """A document's cited summary as ``assistant summarise --json`` prints it."""
        try:
            return self.summariser.summarise(doc_id, generator or self.settings.generator).to_dict()
        except QuestionError as error:
            raise gr.Error(str(error)) from None

    # --- Library ---------------------------------------------------------------------
    def library_view(self) -> tuple[list[list], gr.Dropdown]:
        records = self.library.documents()
        choices = [(f"{r.title} ({r.doc_id})", r.doc_id) for r in records]
        return library_rows(records), gr.Dropdown(choices=choices, value=None)

    def editor_controls(self, request: gr.Request = None) -> tuple[dict, dict, str]:
        """Readers see the library but not the upload, edit and remove controls."""
        editor = self.may_edit(request)
        note = "" if editor else ("You can read the library; only editors add, change or "
                                  "remove documents.")
        return gr.update(visible=editor), gr.update(visible=editor), note

    def usage_view(self, request: gr.Request = None) -> tuple[dict, str, dict]:
        """The Usage tab (editors only): the numbers ``assistant stats`` prints, and a
        chart of questions per day."""
        if not self.may_edit(request):
            return gr.update(visible=False), "", gr.update(value=None)
        numbers = self.usage_log.stats(ratings=self.feedback.counts())
        rate = f"{numbers.refusal_rate:.0%}" if numbers.refusal_rate is not None else "–"
        first = ("–" if numbers.first_token_p50_ms is None else
                 f"{numbers.first_token_p50_ms / 1000:.1f} s / "
                 f"{numbers.first_token_p95_ms / 1000:.1f} s")
        cited = ", ".join(f"{d} ({n})" for d, n in numbers.most_cited) or "–"
        table = (
            "| | |\n|---|---|\n"
            f"| questions answered | {numbers.questions} |\n"
            f"| refused | {numbers.refused} ({rate}) |\n"
            f"| first token p50 / p95 | {first} |\n"
            f"| thumbs up / down | {numbers.thumbs_up} / {numbers.thumbs_down} |\n"
            f"| most cited | {cited} |\n"
        )
        rows = answers_per_day(self.usage_log.since())
        return gr.update(visible=True), table, gr.update(value=pd.DataFrame(
            rows, columns=["day", "outcome", "questions"]))

    def upload(
        self, files: list[str] | None, request: gr.Request = None,
        progress: gr.Progress = gr.Progress(),
    ) -> tuple[str, list[list], gr.Dropdown, None]:
        if not self.may_edit(request):
            return "❌ Only editors may add documents.", *self.library_view(), None
        if not files:
            return "Choose one or more files first.", *self.library_view(), None
        try:
            # A scan's pages are read by OCR, seconds each: the bar counts them.
            results = self.library.add(
                ((Path(f).name, Path(f)) for f in files),
                on_page=lambda name, done, total: progress(
                    (done, total), desc=f"Reading {name}", unit="pages"))
        except IngestLocked as error:
            return f"❌ The library is busy: {error}", *self.library_view(), None
        return upload_report(results), *self.library_view(), None

    def remove(
        self, doc_id: str | None, request: gr.Request = None,
    ) -> tuple[str, list[list], gr.Dropdown]:
        if not self.may_edit(request):
            return "❌ Only editors may remove documents.", *self.library_view()
        if not doc_id:
            return "Choose a document to remove.", *self.library_view()
        try:
            record = self.library.remove(doc_id)
        except IngestLocked as error:
            return f"❌ The library is busy: {error}", *self.library_view()
        message = (
            f"🗑️ Removed **{record.title}** ({passages_label(record.chunks)})." if record
            else f"No document '{doc_id}' (already removed?)."
        )
        return message, *self.library_view()

    def details(self, doc_id: str | None) -> tuple[str, str, str]:
        """The chosen document's title, publisher and date, to edit."""
        record = self.library.document(doc_id) if doc_id else None
        if record is None:
            return "", "", ""
        return record.title, record.publisher or "", record.date or ""

    def edit(
        self, doc_id: str | None, title: str, publisher: str, date: str,
        request: gr.Request = None,
    ) -> tuple[str, list[list], gr.Dropdown]:
        """Saves an editor's title, publisher and date (an emptied field goes back to what
        the document says) and reads the document again so citations show them."""
        if not self.may_edit(request):
            return "❌ Only editors may change documents.", *self.library_view()
        if not doc_id:
            return "Choose a document to edit.", *self.library_view()
        try:
            self.library.edit(doc_id, title=title, publisher=publisher, date=date)
        except (LookupError, ValueError) as error:
            return f"❌ Can't change '{doc_id}': {error}.", *self.library_view()
        except IngestLocked as error:
            return f"❌ The library is busy: {error}", *self.library_view()
        return f"✅ Saved the details of '{doc_id}'.", *self.library_view()

    # --- Page ------------------------------------------------------------------------
    def build(self) -> gr.Blocks:
        settings = self.settings
        with gr.Blocks(title="Policy assistant", analytics_enabled=False) as page:
            gr.Markdown(
                "## Policy assistant\nAsk about the documents in the library. Every claim "
                "carries a numbered source: click **[1]**, **[2]**… to read the exact passage."
            )
            with gr.Tab("Ask", id="ask"):
                conversation = gr.State([])
                chatbot = gr.Chatbot(
                    label="Conversation", height=520, elem_id="chat", buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                    placeholder="Answers and their sources appear here.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask a question about London's NHS governance…",
                        show_label=False, scale=8, elem_id="question", autofocus=True,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    new = gr.Button("New conversation", scale=1, elem_id="new-conversation")
                scope = gr.Dropdown(
                    label="Ask only these documents (none chosen: the whole library)",
                    multiselect=True, value=[], elem_id="scope",
                )
                with gr.Accordion("Answer settings", open=False):
                    generator = gr.Radio(
                        generator_choices(settings), value=settings.generator,
                        label="Answer with", elem_id="generator",
                    )
                    k = gr.Slider(1, 20, value=settings.top_k, step=1,
                                  label="Passages to search", elem_id="k")
                answer_ids, rated = gr.State({}), gr.State(None)
                with gr.Group(visible=False, elem_id="feedback-box") as feedback_box:
                    asked = gr.Markdown(elem_id="feedback-asked")
                    with gr.Row():
                        comment = gr.Textbox(label="Comment", elem_id="feedback-comment",
                                             max_lines=4, scale=3)
                        correction = gr.Textbox(label="The right answer",
                                                elem_id="feedback-correction", max_lines=4,
                                                scale=3)
                        send = gr.Button("Send", scale=1, elem_id="feedback-send")
                feedback_status = gr.Markdown(elem_id="feedback-status")
                with gr.Accordion("Your conversations", open=False, visible=False,
                                  elem_id="history") as history_panel:
                    with gr.Row():
                        past = gr.Dropdown(label="Conversation", elem_id="history-choice",
                                           scale=4)
                        reopen = gr.Button("Open", scale=1, elem_id="history-open")
                        delete_past = gr.Button("Delete", variant="stop", scale=1,
                                                elem_id="history-delete")
                    with gr.Row():
                        past_title = gr.Textbox(label="Title", elem_id="history-title",
                                                scale=4)
                        rename_past = gr.Button("Rename", scale=1, elem_id="history-rename")
                        export_past = gr.Button("Export as Markdown", scale=1,
                                                elem_id="history-export")
                    exported = gr.File(label="Exported conversation", elem_id="history-file")
                conversation_id = gr.State(None)
                chat_inputs = [question, chatbot, conversation, generator, k, scope, answer_ids,
                               conversation_id]
                chat_outputs = [chatbot, conversation, question, answer_ids, conversation_id]
                for trigger, name in ((question.submit, "chat"), (ask.click, "chat_click")):
                    trigger(self.respond, chat_inputs, chat_outputs,
                            concurrency_limit=settings.chat_concurrency, concurrency_id="answer",
                            api_name=name,
                            api_visibility="public" if name == "chat" else "private")
                new.click(self.new_conversation, None, chat_outputs, api_visibility="private")
                history_outputs = [history_panel, past]
                page.load(self.history_view, None, history_outputs, api_visibility="private")
                past.focus(self.history_view, None, history_outputs, api_visibility="private")
                reopen.click(self.open_conversation, past, [*chat_outputs, past_title],
                             api_visibility="private")
                rename_past.click(self.rename_conversation, [past, past_title], history_outputs,
                                  api_visibility="private")
                delete_past.click(self.delete_conversation, past, history_outputs,
                                  api_visibility="private")
                export_past.click(self.export_conversation, past, exported,
                                  api_visibility="private")
                chatbot.like(self.rate, answer_ids,
                             [feedback_box, asked, rated, comment, correction, feedback_status],
                             api_visibility="private")
                send.click(self.amend_feedback, [rated, comment, correction],
                           [feedback_box, feedback_status], api_visibility="private")
                page.load(self.scope_view, scope, scope, api_visibility="private")
                scope.focus(self.scope_view, scope, scope, api_visibility="private")

            with gr.Tab("Library", id="library"):
                gr.Markdown(
                    "Add documents (" + ", ".join(sorted(SUPPORTED_SUFFIXES)) + "); each is "
                    "checked, split into passages and indexed. Files the assistant can't read "
                    "are refused with the reason, and nothing already stored changes."
                )
                files = gr.File(label="Add documents", file_count="multiple",
                                file_types=sorted(SUPPORTED_SUFFIXES), elem_id="upload")
                report = gr.Markdown(elem_id="library-report")
                table = gr.Dataframe(headers=LIBRARY_HEADERS, interactive=False,
                                     elem_id="library-table", wrap=True)
                with gr.Row():
                    chosen = gr.Dropdown(label="Document", elem_id="remove-choice", scale=4)
                    summarise = gr.Button("Summarise", scale=1, elem_id="summarise")
                summary = gr.HTML(elem_id="library-summary")
                with gr.Column(visible=True) as editor_tools:
                    with gr.Row():
                        remove = gr.Button("Remove document", variant="stop", scale=1,
                                           elem_id="remove")
                    with gr.Row():
                        title = gr.Textbox(label="Title", elem_id="edit-title", scale=3)
                        publisher = gr.Textbox(label="Publisher", elem_id="edit-publisher",
                                               scale=2)
                        date = gr.Textbox(label="Date", elem_id="edit-date", scale=1)
                        save = gr.Button("Save details", scale=1, elem_id="save-details")
                files.upload(self.upload, files, [report, table, chosen, files],
                             api_name="upload")
                remove.click(self.remove, chosen, [report, table, chosen],
                             api_visibility="private")
                chosen.change(self.details, chosen, [title, publisher, date],
                              api_visibility="private")
                save.click(self.edit, [chosen, title, publisher, date], [report, table, chosen],
                           api_visibility="private")
                summarise.click(self.summarise, [chosen, generator], summary,
                                concurrency_limit=settings.chat_concurrency,
                                concurrency_id="answer", api_visibility="private")
                page.load(self.library_view, None, [table, chosen], api_visibility="private")
                page.load(self.editor_controls, None, [files, editor_tools, report],
                          api_visibility="private")

            with gr.Tab("Usage", id="usage", visible=False) as usage_tab:
                gr.Markdown("How the assistant is doing (`assistant stats` prints the same).")
                usage_numbers = gr.Markdown(elem_id="usage-numbers")
                usage_chart = gr.BarPlot(x="day", y="questions", color="outcome",
                                         title="Questions per day", elem_id="usage-chart")
                refresh = gr.Button("Refresh", elem_id="usage-refresh")
                for trigger in (page.load, refresh.click):
                    trigger(self.usage_view, None, [usage_tab, usage_numbers, usage_chart],
                            api_visibility="private")

            gr.api(self.ask_api, api_name="ask", concurrency_limit=settings.chat_concurrency,
                   concurrency_id="answer")
            gr.api(self.summarise_api, api_name="summarise",
                   concurrency_limit=settings.chat_concurrency, concurrency_id="answer")
        return page


def serve_chat(parts: Parts, say: Callable[[str], None], warn: Callable[[str], None]) -> None:
    """Builds the page from the parts, serves it until Ctrl+C, and starts the language model
    meanwhile. Raises ``OSError`` when the port can't be had."""
    settings = parts.settings
    users = UserStore(settings.resolved_users_file)
    page = ChatApp(settings, parts.chain, parts.library, users, parts.summariser,
                   parts.usage_log, parts.feedback, parts.history).build()
    # The model loads while the page comes up; a question asked meanwhile simply waits.
    threading.Thread(target=_warm_up, args=(parts.chain, warn), daemon=True).start()
    if users.enabled:
        say(f"Sign-in required: {len(users.names())} users in {users.path}.")
    if warning := exposure_warning(settings.host, users):
        warn(f"Warning: {warning}")
    launch(page, settings, users, parts.page_renderer)
    say(f"Chat ready at http://{settings.host}:{settings.port}/  (Ctrl+C to stop)")
    try:
        page.block_thread()
    except KeyboardInterrupt:
        pass


_RECORDS_DOWN = ("The feedback could not be saved: the records database does not answer. "
                 "Answers still work; try again in a while.")


def _user(request: gr.Request | None) -> str | None:
    """The signed-in user's name, if any."""
    return getattr(request, "username", None) or None


def _warm_up(chain: AnswerChain, warn: Callable[[str], None]) -> None:
    try:
        chain.warm_up()
    except Exception as error:  # the chat still answers by quoting; each answer says why
        warn(f"The language model did not start: {error}")


def launch(app: gr.Blocks, settings: Settings, users: UserStore, pages: PageRenderer) -> None:
    """Serves the page on ``settings.host:settings.port`` with the chat's styles and script,
    and the cited pages as pictures, in the background; behind a sign-in page when the users
    file has users."""
    app.queue(default_concurrency_limit=settings.chat_concurrency)
    app.launch(
        auth=users.verify if users.enabled else None,
        auth_message="Sign in with the name and password your administrator gave you.",
        server_name=settings.host, server_port=settings.port, css=CHAT_CSS,
        js=CITATION_SCRIPT, theme=_theme(), ssr_mode=False, show_error=True,
        footer_links=["api"], prevent_thread_lock=True, quiet=True,
    )
    serve_page_images(app, pages)


def serve_page_images(app: gr.Blocks, pages: PageRenderer) -> None:
    """``GET /page-image/{doc_id}/{page}.png?highlight=start-end,…`` on the running server:
    the PNG, or 404 with the reason as text. It takes the sign-in check of Gradio's own
    ``/config`` route, so with users it refuses exactly whom Gradio refuses."""
    server = app.server_app
    config = next(route for route in server.routes if getattr(route, "path", None) == "/config")

    def page_image(
        doc_id: str, page: int,
        highlight: str = Query("", max_length=MAX_HIGHLIGHTS * 24,
                               pattern=r"^(\d{1,9}-\d{1,9}(,\d{1,9}-\d{1,9})*)?$"),
    ):
        spans = [tuple(map(int, pair.split("-"))) for pair in highlight.split(",") if pair]
        try:
            path = pages.render(doc_id, page, spans)
        except PageImageError as error:
            return PlainTextResponse(str(error), status_code=404)
        return FileResponse(path, media_type="image/png",
                            headers={"Cache-Control": "private, no-cache"})

    server.add_api_route(f"/{PAGE_IMAGE_ROUTE}/{{doc_id}}/{{page}}.png", page_image,
                         methods=["GET"], dependencies=config.dependencies,
                         include_in_schema=False)


def _theme() -> gr.themes.Base:
    # System fonts: the default theme fetches Google Fonts, which offline NHS networks block.
    return gr.themes.Soft(
        font=["ui-sans-serif", "system-ui", "Segoe UI", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )
