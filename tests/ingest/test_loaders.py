"""Each supported format loads with its metadata; each bad input gets its one-line reason."""

from __future__ import annotations

import io
import zipfile

import pytest

from ingest.loaders import FileLoader, LoadError

LOADER = FileLoader(max_bytes=1_000_000, max_pdf_pages=50)


def test_markdown_front_matter_becomes_metadata_and_body_is_kept_verbatim(files):
    body = "First paragraph.\n\nSecond paragraph with “curly quotes”.\n"
    path = files.text(
        "note.md", f"---\ntitle: A note\nauthor: Ann Example\ncolumn: Comment\n---\n{body}"
    )
    doc = LOADER.load(path)
    assert doc.page_content == body
    assert doc.metadata["title"] == "A note"
    assert doc.metadata["author"] == "Ann Example"
    assert doc.metadata["column"] == "Comment"
    assert doc.metadata["format"] == "md"
    assert doc.metadata["source"] == str(path.resolve())
    assert len(doc.metadata["sha256"]) == 64


def test_text_without_front_matter_gets_a_title_from_its_name(files):
    doc = LOADER.load(files.text("board_minutes-2019.txt", "Minutes of the board.\r\nLine two."))
    assert doc.page_content == "Minutes of the board.\nLine two."
    assert doc.metadata["title"] == "Board minutes 2019"
    assert doc.metadata["author"] == ""


def test_front_matter_dates_are_stored_as_text(files):
    doc = LOADER.load(files.text("dated.md", "---\ntitle: T\ndate: 2019-05-01\n---\nBody."))
    assert doc.metadata["date"] == "2019-05-01"


def test_html_keeps_visible_text_only(files):
    html = (
        "<html><head><title>Board paper</title><meta name='author' content='A Writer'>"
        "<style>p {color: red}</style></head><body><h1>Heading</h1>"
        "<p>Visible paragraph.</p><script>alert('hidden')</script>"
        "<noscript>no script</noscript></body></html>"
    )
    doc = LOADER.load(files.text("paper.html", html))
    assert doc.page_content == "Heading\n\nVisible paragraph."
    assert doc.metadata["title"] == "Board paper"
    assert doc.metadata["author"] == "A Writer"


def test_pdf_text_and_metadata(files):
    path = files.pdf("report.pdf", ["Stroke services were redesigned."], "Report", "R Author")
    doc = LOADER.load(path)
    assert "Stroke services were redesigned." in doc.page_content
    assert (doc.metadata["title"], doc.metadata["author"]) == ("Report", "R Author")


def test_docx_text_and_metadata(files):
    path = files.docx("memo.docx", ["First point.", "Second point."], "Memo", "D Author")
    doc = LOADER.load(path)
    assert doc.page_content == "First point.\n\nSecond point."
    assert (doc.metadata["title"], doc.metadata["author"]) == ("Memo", "D Author")


BAD_INPUTS = {
    "unsupported type": ("sheet.xlsx", b"PK\x03\x04 spreadsheet", "unsupported type '.xlsx'"),
    "no extension": ("README", b"text", "unsupported type '(none)'"),
    "empty file": ("empty.md", b"", "is empty"),
    "whitespace only": ("blank.txt", b"  \n\n \t\n", "has no text"),
    "binary named .txt": ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "binary"),
    "invalid utf-8": ("latin.txt", "café au lait".encode("latin-1"), "not valid UTF-8"),
    "bad front matter": ("bad.md", b"---\ntitle: [unclosed\n---\nBody", "not valid YAML"),
    "corrupt pdf": ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "not a readable PDF"),
    "pdf that is not a pdf": ("fake.pdf", b"hello, I am text", "not a readable PDF"),
    "docx that is not a zip": ("fake.docx", b"plain text pretending", "not a valid DOCX"),
    "zip that is not a docx": ("other.docx", None, "not a Word document"),
    "zip bomb docx": ("bomb.docx", None, "zip bomb"),
    "html with no visible text": ("empty.html", b"<html><script>x()</script></html>", "no text"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gets_a_one_line_reason(files, case):
    name, content, expected = BAD_INPUTS[case]
    if case == "zip that is not a docx":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hi")
        content = buffer.getvalue()
    path = files.zip_bomb_docx(name) if case == "zip bomb docx" else files.raw(name, content)
    with pytest.raises(LoadError) as error:
        LOADER.load(path)
    reason = str(error.value)
    assert expected in reason
    assert "\n" not in reason


def test_password_protected_pdf_is_refused(files):
    with pytest.raises(LoadError, match="password-protected"):
        LOADER.load(files.encrypted_pdf("locked.pdf"))


def test_pdf_over_the_page_limit_is_refused(files):
    path = files.pdf("long.pdf", ["page"])
    with pytest.raises(LoadError, match="more than the limit of 0"):
        FileLoader(max_bytes=1_000_000, max_pdf_pages=0).load(path)


def test_oversized_file_is_refused_before_it_is_read(files):
    path = files.text("big.txt", "x" * 2048)
    with pytest.raises(LoadError, match="over the 0.0 MB limit"):
        FileLoader(max_bytes=1024, max_pdf_pages=10).load(path)
