"""report.dfxml: the file-metadata XML that fiwalk and hashdeep write (DFXML 1.0), with each
file's triage verdict in its own namespace, for forensic tools that ingest DFXML.

Built with xml.etree.ElementTree, so names and details are escaped; characters XML 1.0 forbids
(C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) become visible ``\\xNN`` /
``\\uNNNN`` text, and the output is ASCII (other characters as numeric references), so no raw
bidi or terminal control byte is ever written. Other characters keep their exact value.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from triage.model import Finding, Report, Verdict

DFXML_NS = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"
TRIAGE_NS = "https://triage.invalid/ns/1"
DC_NS = "http://purl.org/dc/elements/1.1/"
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """``value`` as a string XML 1.0 can hold."""

    def esc(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _ILLEGAL.sub(esc, str(value))


def _sub(parent: ET.Element, tag: str, value: Any = None, **attrs: Any) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items() if v is not None})
    if value is not None:
        el.text = xml_text(value)
    return el


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first(value: Any) -> dict[str, Any]:
    return _d(value[0]) if isinstance(value, list) and value else {}


def render(report: Report) -> str:
    # Prefixed names are written literally (with their xmlns declarations on the root) rather
    # than registered in ElementTree's process-wide namespace map.
    root = ET.Element("dfxml", {"xmlns": DFXML_NS, "xmlns:dc": DC_NS, "xmlns:triage": TRIAGE_NS,
                                "version": "1.0"})
    meta = _sub(root, "metadata")
    _sub(meta, "dc:type", "Hash List")
    _sub(meta, "triage:schema", report.schema)
    creator = _sub(root, "creator", version="1.0")
    tool = _d(report.tool)
    _sub(creator, "program", tool.get("name", "triage"))
    _sub(creator, "version", tool.get("version", ""))
    env = _sub(creator, "execution_environment")
    _sub(env, "start_time", report.generated_at)
    source = _sub(root, "source")
    drop = _d(report.drop)
    _sub(source, "image_filename", drop.get("path", ""))
    if drop.get("size") is not None:
        _sub(source, "image_size", drop["size"])
    if drop.get("sha256"):
        _sub(source, "hashdigest", drop["sha256"], type="sha256")
    if drop.get("kind"):
        _sub(source, "triage:kind", drop["kind"])
    inv = _d(report.inventory)
    _sub(source, "triage:inventory", digest=inv.get("digest"), schema_version=inv.get("schema_version"),
         current=_d(inv.get("current")).get("commit"))
    for f in report.files:
        _fileobject(root, f)
    for s in report.skipped:
        fo = _sub(root, "fileobject")
        _sub(fo, "filename", s.path)
        _sub(fo, "triage:skipped", s.detail or None, reason=s.reason)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="us-ascii", xml_declaration=True).decode("ascii") + "\n"


def _fileobject(root: ET.Element, f: Finding) -> None:
    ev = _d(f.evidence)
    fo = _sub(root, "fileobject")
    _sub(fo, "filename", f.path)
    _sub(fo, "filesize", f.size)
    _sub(fo, "hashdigest", f.sha256, type="sha256")
    if ev.get("git_blob"):
        _sub(fo, "triage:git_blob", ev["git_blob"])
    if f.mime:
        _sub(fo, "triage:mime", f.mime)
    _sub(fo, "triage:verdict", f.verdict.value, confidence=f.confidence)
    for r in f.reasons:
        _sub(fo, "triage:reason", r)
    src: dict[str, Any] = {}
    blob = None
    if f.verdict in (Verdict.REAL, Verdict.OUTDATED):
        src = _first(ev.get("matches"))
        blob = src.get("blob")
    elif f.verdict is Verdict.ALTERED:
        derived = _first(ev.get("derived_from"))
        src = _first(derived.get("occurrences"))
        blob = derived.get("blob")
    if src:
        _sub(fo, "triage:source", src.get("path", ""), blob=blob, first_seen=src.get("first_seen"),
             last_seen=src.get("last_seen"))
    kinds = ev.get("change_kinds")
    if isinstance(kinds, list) and kinds:
        _sub(fo, "triage:changes", " ".join(str(k) for k in kinds))
    if ev.get("impersonates"):
        _sub(fo, "triage:impersonates", ev["impersonates"])
