"""Document text: what a PDF, an office file, a web page, a notebook or an e-mail says.

A leaked document is rarely the internal file's bytes: it is printed to PDF, saved again by
another program, pasted into a mail. ``extract()`` turns each format into one ``DocText``
(text in reading order, the document's own metadata as evidence, the names of its pages,
sheets or slides, and notes on anything cut short), and ``canonical_text()`` turns that text
into layout-free sentence lines, so the DOCX an organisation holds and the PDF printed from it
give the same lines and are fingerprinted like source text.

Every parser is bounded, because the input is hostile:

- XML is parsed only with DTDs and entities forbidden: ODF through ``safe_parse_xml``, and
  every XML part of a DOCX/XLSX/PPTX is first streamed through expat and the document refused
  if any part declares a DTD, before python-docx/openpyxl/python-pptx (lxml) see it;
- zip containers are refused past a member count, a per-member and a total expanded size
  (Python's zipfile never inflates a member past its declared size, so declared sizes bound
  what the libraries read);
- page, sheet, slide, row, cell, character and wall-time caps stop extraction early with a
  note (a partial text is still evidence); pypdf cannot be interrupted inside a page, so the
  input size and page count are capped before it starts.
"""

from __future__ import annotations

import datetime as _dt
import email
import email.policy
import hashlib
import io
import json
import logging
import re
import time
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from xml.etree.ElementTree import Element
from xml.parsers import expat

from triage.errors import InputError
from triage.read.ooxml import safe_parse_xml

KINDS = ("pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "html", "markdown", "ipynb", "eml")

# Largest document accepted at all (bytes): bounds every library's memory.
MAX_DOC_BYTES = 256 * 1024 * 1024
# Largest PDF handed to pypdf: it holds the whole cross-reference structure in memory.
MAX_PDF_BYTES = 128 * 1024 * 1024
# Pages of a PDF read (a 2,000-page report is already exceptional for a leaked internal doc).
MAX_PAGES = 2000
# Sheets of a workbook, slides of a presentation read.
MAX_SHEETS = 200
MAX_SLIDES = 2000
# Rows read per sheet, and cells read per workbook: a sheet claiming 1,048,576 rows of data
# is a dump, and tables.py is the place for dumps.
MAX_ROWS = 100_000
MAX_CELLS = 2_000_000
# Characters of text kept per document: bounds every later stage (lines, sketches).
MAX_CHARS = 16 * 1024 * 1024
# Zip containers: members, one member's and all members' expanded size.
MAX_ZIP_MEMBERS = 10_000
MAX_PART_BYTES = 64 * 1024 * 1024  # same as triage.read.ooxml.MAX_XML_BYTES
MAX_ZIP_TOTAL = 512 * 1024 * 1024
# ODF: a cell or row repeated N times (table:number-*-repeated) is expanded at most this much.
MAX_REPEAT = 1000
# E-mail: MIME parts walked.
MAX_MAIL_PARTS = 1000
# Wall time for one document, in seconds (checked between pages, rows, parts).
MAX_SECONDS = 60.0
# Metadata values are evidence, not payload: each is cut to this many characters.
MAX_META_CHARS = 2000

_READ_CHUNK = 1024 * 1024


class DocumentError(InputError):
    """A document refused (DTD, encrypted, over a size cap) or that cannot be parsed."""


@dataclass(frozen=True)
class DocLimits:
    """Caps for one document; the defaults are the named constants above."""

    max_bytes: int = MAX_DOC_BYTES
    max_pdf_bytes: int = MAX_PDF_BYTES
    max_pages: int = MAX_PAGES
    max_sheets: int = MAX_SHEETS
    max_slides: int = MAX_SLIDES
    max_rows: int = MAX_ROWS
    max_cells: int = MAX_CELLS
    max_chars: int = MAX_CHARS
    max_zip_members: int = MAX_ZIP_MEMBERS
    max_part_bytes: int = MAX_PART_BYTES
    max_zip_total: int = MAX_ZIP_TOTAL
    max_seconds: float = MAX_SECONDS


@dataclass(frozen=True)
class DocText:
    """What one document says, and what it says about itself.

    ``text`` is in reading order, one paragraph (or sheet row, or slide paragraph) per line;
    ``parts`` names the pages, sheets or slides read; ``notes`` says what was cut short or
    left out (``truncated: ...``, ``time limit: ...``). ``metadata`` values are JSON-ready.
    """

    kind: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    parts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """Layout-free sentence lines (see ``canonical_text``)."""
        return canonical_lines(self.text)

    def canonical(self) -> str:
        return "\n".join(self.lines())

    def text_sha256(self) -> str:
        """SHA-256 of the canonical text: equal for the same words in any format."""
        return hashlib.sha256(self.canonical().encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------------------------
# Canonical text: the unit documents are compared in.

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=\S)")
_SPACE = re.compile(r"\s+")
_HYPHEN_BREAK = re.compile(r"(?<=\w)-\n(?=\w)")
_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2022": " ",
        "\u25aa": " ",
        "\u25cf": " ",
        "\uf0b7": " ",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)


def canonical_lines(text: str) -> list[str]:
    """Sentences of ``text`` with layout gone: one sentence per line.

    Line wrapping, page breaks, paragraph breaks, ligatures, curly quotes, dash variants,
    bullets and soft hyphens all vanish (NFKC, then whitespace collapsed, then split after
    sentence punctuation), so the same words laid out by Word, by a PDF printer or by a web
    page give the same lines. A hyphen at a line break is kept and the break removed.
    """
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = _HYPHEN_BREAK.sub("-", text)
    flat = _SPACE.sub(" ", text).strip()
    if not flat:
        return []
    out: list[str] = []
    for s in _SENTENCE_END.split(flat):
        s = _LIST_MARKER.sub("", s.strip(), count=1)
        if s:
            out.extend(_cut_long(s) if s.count(" ") >= LONG_LINE_WORDS else [s])
    return out


# A list item's number or letter ("1.", "2)", "(b)", "iv.", "1.2.3"): Word keeps numbering in the
# list style, so the DOCX text has none, while the PDF printed from it shows it. Dropped at the
# start of every sentence, on both sides.
_LIST_MARKER = re.compile(r"^(?:\(?(?:\d{1,3}|[A-Za-z]|[ivxlcdmIVXLCDM]{1,6})[.)]|\d{1,3}(?:\.\d{1,3})+\.?)(?:\s+|$)")


# A "sentence" of this many words has no sentence punctuation to split it (a sheet's rows, a
# slide's bullets, a list): it is cut at content-defined word boundaries instead, so that one
# changed cell changes one short line, not the whole sheet, and the cuts are the same in any
# format (they depend on the words only). Cut after a word pair (the previous word and this one:
# a sheet repeats its words, its pairs much less) whose CRC-32 is 15 mod 16, about every 16 words,
# never before CUT_MIN_WORDS words, always at CUT_MAX_WORDS.
LONG_LINE_WORDS = 48
CUT_MIN_WORDS = 6
CUT_MAX_WORDS = 64


def _cut_long(sentence: str) -> list[str]:
    out: list[str] = []
    chunk: list[str] = []
    prev = ""
    for word in sentence.split(" "):
        chunk.append(word)
        pair = f"{prev} {word}".encode("utf-8", "surrogatepass")
        prev = word
        if len(chunk) >= CUT_MAX_WORDS or (len(chunk) >= CUT_MIN_WORDS and zlib.crc32(pair) % 16 == 15):
            out.append(" ".join(chunk))
            chunk = []
    if chunk:
        out.append(" ".join(chunk))
    return out


def canonical_text(text: str) -> str:
    """``canonical_lines`` joined with newlines: feed this to ``triage.fingerprint.fingerprint``."""
    return "\n".join(canonical_lines(text))


# --------------------------------------------------------------------------------------------
# Detection by content.

_OOXML_MAIN = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
_ODF_MIME = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.text-template": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.spreadsheet-template": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/vnd.oasis.opendocument.presentation-template": "odp",
}
_MAIL_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"received",
    b"mime-version",
    b"return-path",
    b"delivered-to",
    b"cc",
    b"reply-to",
    b"x-mailer",
    b"content-type",
)
_MD_NAME = re.compile(r"\.(md|markdown|mdown|mkd)$", re.I)
_HTML_HEAD = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype\s+html|<html[\s>])", re.I | re.S)


def detect_document(data: bytes, name: str = "", mime: str = "") -> str | None:
    """The document kind of ``data`` (one of ``KINDS``) or None.

    Decided by content: PDF magic, the zip's main part (OOXML) or ``mimetype`` member (ODF),
    an HTML root, a notebook's JSON keys, an RFC 5322 header block. Only Markdown, which has
    no signature, needs the name (or ``text/markdown``) as well as decodable text.
    """
    head = bytes(data[:4096])
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        return "pdf"
    if _PDF_LATE.search(head[:1024]) and (b"\x00" in head or _binary(head)):
        return "pdf"  # junk before the header (allowed in the first 1 KiB), in a binary file only
    if head[:4] == b"PK\x03\x04":
        return _detect_zip(data)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _HTML_HEAD.match(stripped) or (stripped[:1] == b"<" and re.search(rb"<(head|body)[\s>]", head, re.I)):
        return "html"
    if stripped[:1] == b"{" and b'"cells"' in data[: 1 << 20] and b'"nbformat"' in data[-65536:] + head:
        return "ipynb"
    if _looks_like_mail(head):
        return "eml"
    if (_MD_NAME.search(name) or mime == "text/markdown") and _decode_text(head) is not None:
        return "markdown"
    return None


_PDF_LATE = re.compile(rb"%PDF-\d\.\d")


def _binary(head: bytes) -> bool:
    """Bytes no text file has (source code that mentions ``%PDF-`` is not a PDF)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 3
    return False


def _detect_zip(data: bytes) -> str | None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = set(zf.namelist()[:MAX_ZIP_MEMBERS])
        if "mimetype" in names:
            info = zf.getinfo("mimetype")
            if info.file_size < 200:
                kind = _ODF_MIME.get(zf.read(info).decode("ascii", "replace").strip())
                if kind:
                    return kind
        for part, kind in _OOXML_MAIN.items():
            if part in names and "[Content_Types].xml" in names:
                return kind
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, zlib.error):
        return None
    return None


def _looks_like_mail(head: bytes) -> bool:
    block = head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    seen = set()
    for line in block.splitlines():
        if line[:1] in (b" ", b"\t"):
            continue
        key, sep, _ = line.partition(b":")
        if not sep or not re.fullmatch(rb"[A-Za-z0-9-]{1,76}", key):
            if line.startswith(b"From "):  # mbox separator
                continue
            return False
        seen.add(key.lower())
    return len(seen & set(_MAIL_HEADERS)) >= 2 and bool(seen & {b"from", b"received", b"message-id"})


# --------------------------------------------------------------------------------------------
# Shared machinery: deadline, text accumulation, bounded zips, metadata values.


class _Budget:
    """Wall-clock deadline and character budget for one extraction."""

    def __init__(self, limits: DocLimits):
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds
        self.chars = 0
        self.notes: list[str] = []

    def expired(self, where: str) -> bool:
        if time.monotonic() > self.deadline:
            self.note(f"time limit: stopped after {self.limits.max_seconds:g} s at {where}")
            return True
        return False

    def take(self, out: list[str], line: str) -> bool:
        """Append ``line`` to ``out`` unless the character budget is spent (then False)."""
        if self.chars + len(line) > self.limits.max_chars:
            self.note(f"truncated: text over {self.limits.max_chars} characters")
            return False
        out.append(line)
        self.chars += len(line) + 1
        return True

    def note(self, msg: str) -> None:
        if msg not in self.notes:
            self.notes.append(msg)


def _meta_value(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k)[:200]: _meta_value(x) for k, x in list(v.items())[:200]}
    if isinstance(v, (list, tuple)):
        return [_meta_value(x) for x in v[:200]]
    s = str(v)
    return s[:MAX_META_CHARS]


def _clean_meta(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _meta_value(v) for k, v in d.items() if v not in (None, "", [], {})}


class _DTDFound(Exception):
    pass


def _xml_part_names(zf: zipfile.ZipFile) -> list[str]:
    return [
        i.filename
        for i in zf.infolist()
        if i.filename.lower().endswith((".xml", ".rels", ".vml")) and not i.is_dir()
    ]


def _open_zip(data: bytes, limits: DocLimits, scan_xml: bool) -> zipfile.ZipFile:
    """Open a document container after checking its size caps (and its XML parts for DTDs)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, zlib.error) as exc:
        raise DocumentError(f"document container is not a readable zip: {exc}") from None
    if len(infos) > limits.max_zip_members:
        raise DocumentError(f"document has {len(infos)} zip members, over the {limits.max_zip_members} limit")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise DocumentError(f"document member {info.filename!r} is encrypted")
        if info.file_size > limits.max_part_bytes:
            raise DocumentError(
                f"document member {info.filename!r} expands to {info.file_size} bytes, "
                f"over the {limits.max_part_bytes}-byte limit"
            )
        total += info.file_size
    if total > limits.max_zip_total:
        raise DocumentError(f"document expands to {total} bytes, over the {limits.max_zip_total}-byte limit")
    if scan_xml:
        for name in _xml_part_names(zf):
            _refuse_dtd(zf, name, limits)
    return zf


# What zipfile and zlib raise on a damaged or hostile member: each becomes one DocumentError.
_ZIP_READ_ERRORS = (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError, NotImplementedError,
                    zlib.error)


def _refuse_dtd(zf: zipfile.ZipFile, name: str, limits: DocLimits) -> None:
    """Stream one XML part through expat; refuse the document if it declares a DTD or entity.

    This is the check ``safe_parse_xml`` makes, without building a tree (a sheet can be tens
    of megabytes). Parts expat cannot read (an encoding other than UTF-8/16, Latin-1, ASCII)
    are refused too: Office never writes them, and lxml would accept them unchecked.
    """
    parser = expat.ParserCreate()

    def _refuse(*_args: Any) -> None:
        raise _DTDFound

    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    read = 0
    try:
        with zf.open(name) as fh:
            while True:
                chunk = fh.read(_READ_CHUNK)
                read += len(chunk)
                if read > limits.max_part_bytes:
                    raise DocumentError(
                        f"document part {name!r} is over the {limits.max_part_bytes}-byte limit"
                    )
                parser.Parse(chunk, not chunk)
                if not chunk:
                    break
    except _DTDFound:
        raise DocumentError(
            f"document refused: part {name!r} declares a DTD or entities "
            "(entity expansion is never performed)"
        ) from None
    except expat.ExpatError as exc:
        raise DocumentError(f"document part {name!r} is not well-formed XML: {exc}") from None
    except _ZIP_READ_ERRORS as exc:
        raise DocumentError(f"document part {name!r} cannot be read: {exc}") from None


def _read_member(zf: zipfile.ZipFile, name: str, limits: DocLimits) -> bytes | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > limits.max_part_bytes:
        raise DocumentError(f"document part {name!r} is over the {limits.max_part_bytes}-byte limit")
    try:
        with zf.open(info) as fh:
            return fh.read(limits.max_part_bytes + 1)[: limits.max_part_bytes]
    except _ZIP_READ_ERRORS as exc:
        raise DocumentError(f"document part {name!r} cannot be read: {exc}") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ooxml_properties(zf: zipfile.ZipFile, limits: DocLimits) -> dict[str, Any]:
    """docProps/core.xml, app.xml and custom.xml: author, dates, revision, application, custom."""
    meta: dict[str, Any] = {}
    core = _read_member(zf, "docProps/core.xml", limits)
    if core:
        names = {
            "creator": "author",
            "lastModifiedBy": "last_modified_by",
            "created": "created",
            "modified": "modified",
            "revision": "revision",
            "lastPrinted": "last_printed",
            "title": "title",
            "subject": "subject",
            "keywords": "keywords",
            "description": "description",
            "category": "category",
            "contentStatus": "content_status",
            "identifier": "identifier",
            "language": "language",
            "version": "version",
        }
        for el in _safe_xml(core, "docProps/core.xml"):
            key = names.get(_local(el.tag))
            if key and (el.text or "").strip():
                meta[key] = (el.text or "").strip()
    app = _read_member(zf, "docProps/app.xml", limits)
    if app:
        names = {
            "Application": "application",
            "AppVersion": "app_version",
            "Company": "company",
            "Manager": "manager",
            "Template": "template",
            "TotalTime": "total_editing_minutes",
            "Pages": "pages",
            "Words": "words",
            "Slides": "slides",
            "HyperlinkBase": "hyperlink_base",
        }
        for el in _safe_xml(app, "docProps/app.xml"):
            key = names.get(_local(el.tag))
            if key and (el.text or "").strip():
                meta[key] = (el.text or "").strip()
    meta.setdefault("producer", meta.get("application"))
    custom = _read_member(zf, "docProps/custom.xml", limits)
    if custom:
        props = {}
        for el in _safe_xml(custom, "docProps/custom.xml"):
            if _local(el.tag) == "property" and el.get("name"):
                value = next(iter(el), None)
                props[el.get("name")] = _meta_value(value.text if value is not None else None)
        if props:
            meta["custom"] = dict(list(props.items())[:200])
    return _clean_meta(meta)


def _safe_xml(data: bytes, name: str) -> Iterable[Element]:
    try:
        return safe_parse_xml(data).iter()
    except InputError as exc:
        raise DocumentError(f"document part {name!r}: {exc}") from None


# --------------------------------------------------------------------------------------------
# Formats.


def _pdf_date(v: Any) -> Any:
    m = re.match(r"^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?", str(v or ""))
    if not m:
        return _meta_value(v)
    y, mo, d, h, mi, s = (g or "0" for g in m.groups())
    raw = str(v)
    tz = "Z" if raw[m.end() : m.end() + 1] == "Z" else ""
    return f"{y}-{mo or '01':0>2}-{d or '01':0>2}T{h:0>2}:{mi:0>2}:{s:0>2}{tz}" + (
        "" if tz or len(raw) <= m.end() else f" ({raw[m.end() :]})"
    )


_PAGE_NUMBER = re.compile(r"^\s*(page\s*)?\d{1,5}(\s*(of|/)\s*\d{1,5})?\s*$|^\s*-\s*\d{1,5}\s*-\s*$", re.I)


class _PdfLog(logging.Handler):
    """Collects pypdf's repair warnings as notes (a broken xref is evidence of editing) instead
    of letting them reach stderr, where the CLI prints only its own one-line errors."""

    def __init__(self, budget: _Budget):
        super().__init__(logging.WARNING)
        self.budget, self.count = budget, 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.count <= 5:
            self.budget.note(f"pdf repaired: {record.getMessage()[:200]}")


def _extract_pdf(data: bytes, limits: DocLimits, budget: _Budget) -> DocText:
    logger = logging.getLogger("pypdf")
    handler, propagate = _PdfLog(budget), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        return _read_pdf(data, limits, budget)
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _read_pdf(data: bytes, limits: DocLimits, budget: _Budget) -> DocText:
    import pypdf
    from pypdf.errors import PyPdfError

    if len(data) > limits.max_pdf_bytes:
        raise DocumentError(f"PDF of {len(data)} bytes is over the {limits.max_pdf_bytes}-byte limit")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        meta: dict[str, Any] = {}
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 - unsupported crypto: refused below
                ok = None
            if not ok:
                raise DocumentError("PDF is encrypted with a password: text cannot be read")
            meta["encrypted"] = "empty user password"
        info: dict[str, Any] = dict(reader.metadata or {})
        names = {
            "/Author": "author",
            "/Creator": "creator",
            "/Producer": "producer",
            "/Title": "title",
            "/Subject": "subject",
            "/Keywords": "keywords",
            "/CreationDate": "created",
            "/ModDate": "modified",
            "/Company": "company",
            "/SourceModified": "source_modified",
        }
        custom = {}
        for k, v in list(info.items())[:200]:
            if k in names:
                meta[names[k]] = _pdf_date(v) if k in ("/CreationDate", "/ModDate") else _meta_value(v)
            else:
                custom[str(k).lstrip("/")] = _meta_value(v)
        if custom:
            meta["custom"] = custom
        meta["pdf_version"] = _meta_value(reader.pdf_header)
        n_pages = len(reader.pages)
        meta["pages"] = n_pages
        if reader.trailer.get("/Prev") is not None or data.count(b"%%EOF") > 1:
            meta["incremental_updates"] = data.count(b"%%EOF") - 1
        try:
            xmp = reader.xmp_metadata
        except Exception:  # noqa: BLE001 - malformed XMP is only missing evidence
            xmp = None
        if xmp is not None:
            for attr, key in (
                ("xmp_create_date", "xmp_created"),
                ("xmp_modify_date", "xmp_modified"),
                ("xmp_creator_tool", "xmp_creator_tool"),
                ("xmpmm_document_id", "xmp_document_id"),
                ("xmpmm_instance_id", "xmp_instance_id"),
                ("pdf_producer", "xmp_producer"),
            ):
                try:
                    v = getattr(xmp, attr)
                except Exception:  # noqa: BLE001
                    v = None
                if v:
                    meta[key] = _meta_value(v)
        pages: list[list[str]] = []
        for i in range(min(n_pages, limits.max_pages)):
            if budget.expired(f"page {i + 1}"):
                break
            page_text = reader.pages[i].extract_text() or ""
            pages.append(page_text.split("\n"))
        if n_pages > limits.max_pages:
            budget.note(f"truncated: {n_pages} pages, read the first {limits.max_pages}")
    except DocumentError:
        raise
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
        RecursionError,
        AssertionError,
        ZeroDivisionError,
        NotImplementedError,
    ) as exc:
        raise DocumentError(
            f"PDF cannot be parsed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        ) from None
    body, headers, footers = _strip_running_lines(pages)
    out: list[str] = []
    for line in [*headers, *(line for lines in body for line in lines), *footers]:
        if not budget.take(out, line):
            break
    if headers or footers:
        meta["running_lines"] = (headers + footers)[:20]
    return DocText(
        "pdf",
        "\n".join(out),
        _clean_meta(meta),
        tuple(f"page {i + 1}" for i in range(len(pages))),
        tuple(budget.notes),
    )


def _strip_running_lines(pages: list[list[str]]) -> tuple[list[list[str]], list[str], list[str]]:
    """Drop page numbers and the headers/footers repeated on most pages: (body, headers, footers).

    A DOCX keeps its header and footer once, the PDF printed from it repeats them on every
    page: both sides put one copy of the headers first and of the footers last, so their
    canonical lines agree whatever the page count.
    """

    def edges(lines: list[str]) -> tuple[list[int], list[int]]:
        idx = [i for i, line in enumerate(lines) if line.strip()]
        return idx[:2], idx[-2:]

    tops: Counter[str] = Counter()
    bottoms: Counter[str] = Counter()
    for lines in pages:
        top, bottom = edges(lines)
        tops.update({_SPACE.sub(" ", lines[i]).strip() for i in top})
        bottoms.update({_SPACE.sub(" ", lines[i]).strip() for i in bottom})
    threshold = max(2, (len(pages) + 1) // 2)
    headers = sorted(k for k, c in tops.items() if c >= threshold and not _PAGE_NUMBER.match(k))
    footers = sorted(
        k for k, c in bottoms.items() if c >= threshold and not _PAGE_NUMBER.match(k) and k not in headers
    )
    running = set(headers) | set(footers)
    body = []
    for lines in pages:
        top, bottom = edges(lines)
        edge = set(top) | set(bottom)
        kept = [
            line
            for i, line in enumerate(lines)
            if not (i in edge and (_PAGE_NUMBER.match(line) or _SPACE.sub(" ", line).strip() in running))
        ]
        body.append(kept)
    return body, headers, footers


def _docx_paragraph_text(p: Any, w: str) -> str:
    """A w:p's visible text: runs (tracked insertions included, deletions not), tabs, breaks."""
    parts = []
    for el in p.iter(f"{{{w}}}t", f"{{{w}}}tab", f"{{{w}}}br", f"{{{w}}}cr", f"{{{w}}}noBreakHyphen"):
        owner = next(el.iterancestors(f"{{{w}}}p"), None)
        if owner is not p:
            continue  # belongs to a paragraph nested in a text box: read on its own
        tag = _local(el.tag)
        if tag == "t":
            parts.append(el.text or "")
        elif tag == "tab":
            parts.append("\t")
        elif tag == "noBreakHyphen":
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _docx_paragraphs(root: Any, w: str, budget: _Budget, where: str) -> Iterable[str]:
    for n, p in enumerate(root.iter(f"{{{w}}}p")):
        if n % 256 == 0 and budget.expired(where):
            return
        if any(a.tag == _MC_FALLBACK for a in p.iterancestors()):
            continue  # the VML copy of a text box already read from mc:Choice
        yield _docx_paragraph_text(p, w)


def _extract_docx(data: bytes, limits: DocLimits, budget: _Budget) -> DocText:
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    zf = _open_zip(data, limits, scan_xml=True)
    meta = _ooxml_properties(zf, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many types for broken packages
        raise DocumentError(
            f"DOCX cannot be parsed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        ) from None
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = document.element.body
    parts = ["body"]
    # Headers once before the body; footers, footnotes, endnotes once after (see _strip_running_lines).
    seen_parts = set()
    before: list[str] = []
    extra: list[str] = []
    comments: list[dict[str, Any]] = []
    for rel in list(document.part.rels.values())[:1000]:
        if rel.is_external:
            continue
        kind = rel.reltype.rsplit("/", 1)[-1]
        part = rel.target_part
        if part.partname in seen_parts:
            continue
        seen_parts.add(part.partname)
        if kind in ("header", "footer", "footnotes", "endnotes"):
            root = getattr(part, "element", None)
            if root is None:  # a generic part: parse it as python-docx does (DTDs already refused)
                from docx.oxml.parser import parse_xml

                root = parse_xml(part.blob)
            into = before if kind == "header" else extra
            for text in _docx_paragraphs(root, w, budget, kind):
                if text.strip() and text not in into:
                    into.append(text)
            parts.append(str(part.partname).lstrip("/"))
        elif rel.reltype == RT.COMMENTS:
            root = safe_parse_xml(part.blob)
            for c in root.iter(f"{{{w}}}comment"):
                if len(comments) >= 200:
                    break
                text = " ".join(
                    "".join(t.text or "" for t in p.iter(f"{{{w}}}t")) for p in c.iter(f"{{{w}}}p")
                )
                comments.append(
                    {
                        "author": c.get(f"{{{w}}}author"),
                        "date": c.get(f"{{{w}}}date"),
                        "text": text[:MAX_META_CHARS],
                    }
                )
    out: list[str] = []
    for text in [*before, *_docx_paragraphs(body, w, budget, "body"), *extra]:
        if not budget.take(out, text):
            break
    ins = sum(1 for _ in body.iter(f"{{{w}}}ins"))
    dels = sum(1 for _ in body.iter(f"{{{w}}}del"))
    if ins or dels:
        meta["tracked_changes"] = {"insertions": ins, "deletions": dels}
    if comments:
        meta["comments"] = comments
    return DocText("docx", "\n".join(out), meta, tuple(parts), tuple(budget.notes))


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    return str(v)


def _extract_xlsx(data: bytes, limits: DocLimits, budget: _Budget) -> DocText:
    import openpyxl

    zf = _open_zip(data, limits, scan_xml=True)
    meta = _ooxml_properties(zf, limits)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for broken packages
        raise DocumentError(
            f"XLSX cannot be parsed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        ) from None
    out: list[str] = []
    parts: list[str] = []
    cells = 0
    try:
        names = wb.sheetnames
        if len(names) > limits.max_sheets:
            budget.note(f"truncated: {len(names)} sheets, read the first {limits.max_sheets}")
        meta["sheets"] = len(names)
        stop = False
        for name in names[: limits.max_sheets]:
            ws = wb[name]
            parts.append(name)
            if not hasattr(ws, "iter_rows"):
                continue  # chartsheet
            for r, row in enumerate(ws.iter_rows(values_only=True)):
                if r >= limits.max_rows:
                    budget.note(f"truncated: sheet {name!r} has over {limits.max_rows} rows")
                    break
                if r % 1024 == 0 and budget.expired(f"sheet {name!r} row {r + 1}"):
                    stop = True
                    break
                cells += len(row)
                if cells > limits.max_cells:
                    budget.note(f"truncated: over {limits.max_cells} cells")
                    stop = True
                    break
                values = [_cell_text(v) for v in row]
                while values and not values[-1]:
                    values.pop()
                if values and not budget.take(out, "\t".join(values)):
                    stop = True
                    break
            if stop:
                break
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DocumentError(
            f"XLSX cannot be read: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        ) from None
    finally:
        wb.close()
    return DocText("xlsx", "\n".join(out), meta, tuple(parts), tuple(budget.notes))


def _extract_pptx(data: bytes, limits: DocLimits, budget: _Budget) -> DocText:
    import pptx

    zf = _open_zip(data, limits, scan_xml=True)
    meta = _ooxml_properties(zf, limits)
    try:
        prs = pptx.Presentation(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001
        raise DocumentError(
            f"PPTX cannot be parsed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        ) from None
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    out: list[str] = []
    parts: list[str] = []
    notes_out: list[str] = []
    slides = list(prs.slides)
    if len(slides) > limits.max_slides:
        budget.note(f"truncated: {len(slides)} slides, read the first {limits.max_slides}")
    for i, slide in enumerate(slides[: limits.max_slides]):
        if budget.expired(f"slide {i + 1}"):
            break
        parts.append(f"slide {i + 1}")
        for p in slide._element.iter(f"{{{a}}}p"):  # shapes, groups, tables, in document order
            text = "".join(
                (el.text or "") if _local(el.tag) == "t" else "\n" for el in p.iter(f"{{{a}}}t", f"{{{a}}}br")
            )
            if text.strip() and not budget.take(out, text):
                break
        if slide.has_notes_slide:
            for p in (
                slide.notes_slide.notes_text_frame.paragraphs if slide.notes_slide.notes_text_frame else ()
            ):
                if p.text.strip():
                    notes_out.append(p.text)
    for text in notes_out:
        if not budget.take(out, text):
            break
    if notes_out:
        meta["speaker_notes"] = len(notes_out)
    return DocText("pptx", "\n".join(out), meta, tuple(parts), tuple(budget.notes))


_ODF_NS = {
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def _odf_inline(el: Element) -> str:
    """Text of a text:p / text:h with text:s, text:tab and text:line-break expanded."""
    t = _ODF_NS["text"]
    out = [el.text or ""]
    for child in el:
        tag = child.tag
        if tag == f"{{{t}}}s":
            out.append(" " * min(int(child.get(f"{{{t}}}c", "1") or 1), 100))
        elif tag == f"{{{t}}}tab":
            out.append("\t")
        elif tag == f"{{{t}}}line-break":
            out.append("\n")
        elif tag in (f"{{{t}}}note", f"{{{_ODF_NS['office']}}}annotation"):
            pass  # read apart
        else:
            out.append(_odf_inline(child))
        out.append(child.tail or "")
    return "".join(out)


def _repeat(el: Element, attr: str) -> int:
    try:
        return max(1, min(int(el.get(attr, "1")), MAX_REPEAT))
    except ValueError:
        return 1


def _extract_odf(data: bytes, kind: str, limits: DocLimits, budget: _Budget) -> DocText:
    zf = _open_zip(data, limits, scan_xml=False)
    content = _read_member(zf, "content.xml", limits)
    if content is None:
        raise DocumentError("OpenDocument has no content.xml")
    try:
        root = safe_parse_xml(content)
    except InputError as exc:
        raise DocumentError(f"OpenDocument content.xml: {exc}") from None
    meta = _odf_meta(zf, limits)
    text_ns, table_ns, draw_ns = _ODF_NS["text"], _ODF_NS["table"], _ODF_NS["draw"]
    out: list[str] = []
    parts: list[str] = []
    body = root.find(f"{{{_ODF_NS['office']}}}body")
    if body is None:
        body = root
    if kind == "ods":
        cells = 0
        for sheet in body.iter(f"{{{table_ns}}}table"):
            if len(parts) >= limits.max_sheets:
                budget.note(f"truncated: over {limits.max_sheets} sheets")
                break
            name = sheet.get(f"{{{table_ns}}}name", f"sheet {len(parts) + 1}")
            parts.append(name)
            n_rows = 0
            for row in sheet.iter(f"{{{table_ns}}}table-row"):
                values: list[str] = []
                for cell in row:
                    if _local(cell.tag) not in ("table-cell", "covered-table-cell"):
                        continue
                    value = "\n".join(_odf_inline(p) for p in cell.iter(f"{{{text_ns}}}p"))
                    values.extend([value] * _repeat(cell, f"{{{table_ns}}}number-columns-repeated"))
                    cells += 1
                while values and not values[-1]:
                    values.pop()
                for _ in range(_repeat(row, f"{{{table_ns}}}number-rows-repeated") if values else 1):
                    n_rows += 1
                    if values:
                        budget.take(out, "\t".join(values))
                if n_rows >= limits.max_rows or cells > limits.max_cells:
                    budget.note(f"truncated: sheet {name!r} over the row or cell limit")
                    break
                if n_rows % 1024 == 0 and budget.expired(f"sheet {name!r}"):
                    break
    else:
        containers = list(body.iter(f"{{{draw_ns}}}page")) if kind == "odp" else [body]
        for i, page in enumerate(containers):
            if kind == "odp":
                if i >= limits.max_slides:
                    budget.note(f"truncated: over {limits.max_slides} slides")
                    break
                parts.append(page.get(f"{{{draw_ns}}}name", f"slide {i + 1}"))
            for n, p in enumerate(page.iter()):
                if p.tag not in (f"{{{text_ns}}}p", f"{{{text_ns}}}h"):
                    continue
                if n % 256 == 0 and budget.expired("content"):
                    break
                if not budget.take(out, _odf_inline(p)):
                    break
        if kind == "odt":
            parts.append("body")
    return DocText(kind, "\n".join(out), meta, tuple(parts), tuple(budget.notes))


def _odf_meta(zf: zipfile.ZipFile, limits: DocLimits) -> dict[str, Any]:
    raw = _read_member(zf, "meta.xml", limits)
    if not raw:
        return {}
    names = {
        "initial-creator": "author",
        "creator": "last_modified_by",
        "creation-date": "created",
        "date": "modified",
        "editing-cycles": "revision",
        "generator": "producer",
        "print-date": "last_printed",
        "printed-by": "printed_by",
        "title": "title",
        "subject": "subject",
        "description": "description",
        "keyword": "keywords",
        "editing-duration": "editing_duration",
    }
    meta: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for el in _safe_xml(raw, "meta.xml"):
        tag = _local(el.tag)
        if tag == "user-defined":
            name = el.get(f"{{{_ODF_NS['meta']}}}name")
            if name and len(custom) < 200:
                custom[name] = _meta_value(el.text)
        elif tag in names and (el.text or "").strip():
            meta[names[tag]] = (el.text or "").strip()
    if custom:
        meta["custom"] = custom
    return _clean_meta(meta)


class _HTMLText(HTMLParser):
    """Visible text of an HTML page: scripts, styles and templates dropped, blocks on new lines."""

    _SKIP = frozenset({"script", "style", "template", "noscript", "svg", "math", "head"})
    _BLOCK = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "tr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "table",
            "ul",
            "ol",
            "section",
            "article",
            "header",
            "footer",
            "blockquote",
            "pre",
            "hr",
            "dt",
            "dd",
            "title",
            "main",
            "nav",
            "aside",
            "figure",
            "figcaption",
            "form",
            "address",
        }
    )

    def __init__(self, budget: _Budget):
        super().__init__(convert_charrefs=True)
        self.budget = budget
        self.out: list[str] = []
        self.skip = 0
        self.in_title = False
        self.title: list[str] = []
        self.meta: dict[str, Any] = {}
        self.size = 0
        self.full = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
        if tag == "title":
            self.in_title = True
        if tag == "meta":
            a = dict(attrs)
            key = (a.get("name") or a.get("property") or a.get("http-equiv") or "").lower()
            if key and a.get("content") and len(self.meta) < 100:
                self.meta[key] = _meta_value(a["content"])
        if tag in self._BLOCK:
            self.out.append("\n")
        if tag in ("td", "th"):
            self.out.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skip:
            self.skip -= 1
        if tag == "title":
            self.in_title = False
        if tag in self._BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        if self.skip or self.full:
            return
        self.size += len(data)
        if self.size > self.budget.limits.max_chars:
            self.budget.note(f"truncated: text over {self.budget.limits.max_chars} characters")
            self.full = True
            return
        self.out.append(data)


def _html_to_text(html: str, budget: _Budget) -> tuple[str, dict[str, Any]]:
    parser = _HTMLText(budget)
    step = 1 << 20
    for i in range(0, len(html), step):
        if budget.expired("HTML"):
            break
        parser.feed(html[i : i + step])
    parser.close()
    text = "".join(parser.out)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    meta = dict(parser.meta)
    title = " ".join("".join(parser.title).split())
    if title:
        meta["title"] = title[:MAX_META_CHARS]
    return "\n".join(line for line in lines if line), meta


def _decode_text(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:  # a head cut inside a character
            return data[: exc.start].decode("utf-8-sig")
    if b"\x00" in data[:8192]:
        return None
    return data.decode("cp1252", errors="replace")


def _decode_or_refuse(data: bytes, kind: str) -> str:
    text = _decode_text(data)
    if text is None:
        raise DocumentError(f"{kind} is not decodable text")
    return text


def _extract_html(data: bytes, limits: DocLimits, budget: _Budget) -> DocText:
    m = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]{1,40})", data[:4096], re.I)
    text: str | None = None
    if m:
        try:
            text = data.decode(m.group(1).decode("ascii"), errors="replace")
        except LookupError:
            text = None
    if text is None:
        text = _decode_or_refuse(data, "HTML")
    body, meta = _html_to_text(text, budget)
    return DocText("html", body, _clean_meta(meta), ("page",), tuple(budget.notes))


_MD_STRIP = [
    (re.compile(r"^```.*$|^~~~.*$", re.M), ""),
    (re.compile(r"^\s{0,3}#{1,6}\s+", re.M), ""),
    (re.compile(r"^\s{0,3}=+\s*$", re.M), ""),  # setext heading underline (--- is below)
    (re.compile(r"^\s{0,3}>\s?", re.M), ""),
    (re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(\[[ xX]\]\s+)?", re.M), ""),
    (re.compile(r"^\s*(?:[-*_]\s*){3,}$", re.M), ""),
    (re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\w)"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
    (re.compile(r"^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$", re.M), ""),
]


def _extract_markdown(data: bytes, limits: DocLimits, budget: _Budget) -> DocText:
    text = _decode_or_refuse(data, "Markdown")[: limits.max_chars]
    if len(data) > limits.max_chars:
        budget.note(f"truncated: text over {limits.max_chars} characters")
    meta: dict[str, Any] = {}
    fm = re.match(r"\A---\r?\n(.{0,20000}?)\r?\n---\r?\n", text, re.S)
    if fm:  # front matter: plain key: value lines only (never a YAML loader: aliases are bombs)
        for line in fm.group(1).splitlines()[:200]:
            key, sep, value = line.partition(":")
            if sep and re.fullmatch(r"[A-Za-z0-9_ -]{1,64}", key.strip()) and value.strip():
                meta[key.strip().lower()] = _meta_value(value.strip().strip("'\""))
        text = text[fm.end() :]
    for pattern, repl in _MD_STRIP:
        text = pattern.sub(repl, text)
    text = text.replace("|", " ")
    return DocText("markdown", text, meta, ("text",), tuple(budget.notes))


def _extract_ipynb(data: bytes, limits: DocLimits, budget: _Budget) -> DocText:
    try:
        nb = json.loads(_decode_or_refuse(data, "notebook"))
    except (ValueError, RecursionError) as exc:
        raise DocumentError(f"notebook is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", nb.get("worksheets")), list):
        raise DocumentError("notebook has no cells")
    cells = nb.get("cells")
    if cells is None:  # nbformat 3
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]

    def src(v: Any) -> str:
        if isinstance(v, list):
            return "".join(x for x in v if isinstance(x, str))
        return v if isinstance(v, str) else ""

    out: list[str] = []
    parts: list[str] = []
    n_outputs = 0
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        if budget.expired(f"cell {i + 1}"):
            break
        parts.append(f"cell {i + 1} ({cell.get('cell_type', '?')})")
        if not budget.take(out, src(cell.get("source", cell.get("input")))):
            break
        for output in cell.get("outputs", []) or []:
            if not isinstance(output, dict):
                continue
            n_outputs += 1
            text = src(output.get("text"))
            if not text and isinstance(output.get("data"), dict):
                text = src(output["data"].get("text/plain"))
            if text and not budget.take(out, text):
                break
    md: dict[str, Any] = nb["metadata"] if isinstance(nb.get("metadata"), dict) else {}
    meta: dict[str, Any] = {
        "nbformat": nb.get("nbformat"),
        "nbformat_minor": nb.get("nbformat_minor"),
        "cells": len(cells),
        "outputs": n_outputs,
    }
    ks, li = md.get("kernelspec"), md.get("language_info")
    if isinstance(ks, dict):
        meta["kernel"] = ks.get("name")
    if isinstance(li, dict):
        meta["language"] = li.get("name")
        meta["language_version"] = li.get("version")
    for key in ("authors", "title", "colab", "widgets"):
        if key in md:
            meta[key] = json.dumps(md[key])[:MAX_META_CHARS] if not isinstance(md[key], str) else md[key]
    return DocText("ipynb", "\n".join(out), _clean_meta(meta), tuple(parts), tuple(budget.notes))


_MAIL_META = (
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "date",
    "subject",
    "message-id",
    "in-reply-to",
    "references",
    "x-mailer",
    "user-agent",
    "x-originating-ip",
    "return-path",
    "organization",
    "thread-index",
    "x-ms-exchange-organization-authas",
)


def _extract_eml(data: bytes, limits: DocLimits, budget: _Budget) -> DocText:
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
    except Exception as exc:  # noqa: BLE001 - the email package raises widely on junk
        raise DocumentError(f"e-mail cannot be parsed: {type(exc).__name__}") from None
    meta: dict[str, Any] = {}
    for key in _MAIL_META:
        try:
            value = msg.get(key)
        except Exception:  # noqa: BLE001 - malformed header: keep the raw value
            value = None
        if value is not None:
            meta[key] = _meta_value(" ".join(str(value).split()))
    try:
        received = msg.get_all("received") or []
    except Exception:  # noqa: BLE001
        received = []
    if received:
        meta["received"] = [" ".join(str(r).split())[:500] for r in received[:50]]
    dkim = [str(h) for h in (msg.get_all("dkim-signature") or [])][:10]
    if dkim:
        meta["dkim_domains"] = sorted(
            {m.group(1) for h in dkim for m in [re.search(r"\bd=([^;\s]+)", h)] if m}
        )
    plain: list[str] = []
    html: list[str] = []
    attachments = []
    for n, part in enumerate(msg.walk()):
        if n >= MAX_MAIL_PARTS:
            budget.note(f"truncated: over {MAX_MAIL_PARTS} MIME parts")
            break
        if budget.expired(f"MIME part {n + 1}"):
            break
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        ctype = part.get_content_type()
        try:
            raw = part.get_payload(decode=True)
        except Exception:  # noqa: BLE001
            raw = None
        payload = raw if isinstance(raw, bytes) else b""
        if disposition == "attachment" or (part.get_filename() and ctype not in ("text/plain", "text/html")):
            attachments.append(
                {
                    "name": part.get_filename(),
                    "content_type": ctype,
                    "size": len(payload),
                    "sha256": hashlib.sha256(payload).hexdigest(),
                }
            )
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, errors="replace")
        except LookupError:
            text = payload.decode("utf-8", errors="replace")
        if ctype == "text/plain":
            plain.append(text)
        elif ctype == "text/html":
            html.append(text)
    if plain:
        body = "\n".join(plain)
    else:
        body = "\n".join(_html_to_text(h, budget)[0] for h in html)
    if len(body) > limits.max_chars:
        budget.note(f"truncated: text over {limits.max_chars} characters")
        body = body[: limits.max_chars]
    if attachments:
        meta["attachments"] = attachments[:200]
    meta.setdefault("author", meta.get("from"))
    head = [f"{k.title()}: {meta[k]}" for k in ("from", "to", "cc", "date", "subject") if k in meta]
    return DocText("eml", "\n".join([*head, "", body]), meta, ("headers", "body"), tuple(budget.notes))


_EXTRACTORS: dict[str, Callable[[bytes, DocLimits, _Budget], DocText]] = {
    "pdf": _extract_pdf,
    "docx": _extract_docx,
    "xlsx": _extract_xlsx,
    "pptx": _extract_pptx,
    "odt": lambda d, lim, b: _extract_odf(d, "odt", lim, b),
    "ods": lambda d, lim, b: _extract_odf(d, "ods", lim, b),
    "odp": lambda d, lim, b: _extract_odf(d, "odp", lim, b),
    "html": _extract_html,
    "markdown": _extract_markdown,
    "ipynb": _extract_ipynb,
    "eml": _extract_eml,
}


def extract(data: bytes, kind: str, limits: DocLimits = DocLimits()) -> DocText:  # noqa: B008 - frozen
    """Text, metadata, part names and notes of one document of ``kind`` (from ``detect_document``).

    Raises DocumentError for input refused (DTD or entities, encryption, over a size cap) or
    unparseable; caps on pages, rows, characters and time truncate instead, with a note.
    """
    if kind not in _EXTRACTORS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {', '.join(KINDS)}")
    if len(data) > limits.max_bytes:
        raise DocumentError(f"document of {len(data)} bytes is over the {limits.max_bytes}-byte limit")
    budget = _Budget(limits)
    try:
        return _EXTRACTORS[kind](bytes(data), limits, budget)
    except RecursionError:
        raise DocumentError(f"{kind} is nested too deeply to read") from None
    except MemoryError:
        raise DocumentError(f"{kind} needs more memory than allowed") from None
