"""The LangChain tutorial recipe, measured beside ours on the same data in the same run.

RecursiveCharacterTextSplitter 1,000/200, dense top-4 from Chroma with the same embedding
model, one "stuff" prompt (the tutorial's wording) to the same chat model. No keyword
search, no evidence selection, no refusal policy, no citation checks.

Example:
    >>> baseline = TutorialBaseline.build(Path("/tmp/eval/baseline"), embeddings)  # doctest: +SKIP
    >>> baseline.ingest(Path("documents"))  # doctest: +SKIP
    >>> [d.metadata["doc_id"] for d in baseline.retrieve("Who leads London?", 4)]  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_classic.indexes import SQLRecordManager
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.indexing import index
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.indexer import discover
from ingest.loaders import FileLoader

TUTORIAL_PROMPT = ChatPromptTemplate.from_messages([(
    "human",
    "You are an assistant for question-answering tasks. Use the following pieces of "
    "retrieved context to answer the question. If you don't know the answer, just say that "
    "you don't know. Use three sentences maximum and keep the answer concise.\n"
    "Question: {question} \nContext: {context} \nAnswer:",
)])
TUTORIAL_K = 4
DONT_KNOW = re.compile(r"\b(don['’]?t|do not) know\b|not (mentioned|provided|stated)|no information",
                       re.IGNORECASE)


class TutorialBaseline:
    """Ingest, retrieve and answer the way the LangChain RAG tutorial does."""

    def __init__(self, vector_store: Chroma, record_manager: SQLRecordManager) -> None:
        self.vector_store = vector_store
        self.record_manager = record_manager
        self.splitter = RecursiveCharacterTextSplitter(
            chunk_size=1000, chunk_overlap=200, add_start_index=True
        )

    @classmethod
    def build(cls, folder: Path, embeddings: Embeddings) -> TutorialBaseline:
        folder.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(
            path=str(folder / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        store = Chroma("baseline", embedding_function=embeddings, client=client)
        records = SQLRecordManager("baseline", db_url=f"sqlite:///{folder / 'records.sqlite'}")
        records.create_schema()
        return cls(store, records)

    def ingest(self, documents_dir: Path) -> int:
        """Splits and stores every document; unchanged chunks are not embedded again."""
        loader = FileLoader(max_bytes=100 * 1024 * 1024, max_pdf_pages=5000)
        documents = []
        for path in discover([documents_dir]):
            document = loader.load(path)
            document.metadata = {"doc_id": path.stem, "source": str(path)}
            documents.append(document)
        chunks = self.splitter.split_documents(documents)
        for chunk in chunks:
            start = chunk.metadata["start_index"]
            chunk.metadata.update(start=start, end=start + len(chunk.page_content))
        index(chunks, self.record_manager, self.vector_store, cleanup="full",
              source_id_key="source", key_encoder="sha256", batch_size=256)
        return len(chunks)

    def retrieve(self, question: str, k: int = TUTORIAL_K) -> list[Document]:
        return self.vector_store.similarity_search(question, k=k)

    def stream(
        self, question: str, chat_model: BaseChatModel, chunks: list[Document] | None = None
    ) -> Iterator[str]:
        """The stuffed prompt's answer as it streams, from the top four chunks."""
        chunks = (chunks or self.retrieve(question))[:TUTORIAL_K]
        chain = TUTORIAL_PROMPT | chat_model | StrOutputParser()
        yield from chain.stream(
            {"question": question, "context": "\n\n".join(c.page_content for c in chunks)}
        )
