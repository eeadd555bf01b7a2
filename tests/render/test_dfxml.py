"""report.dfxml: DFXML 1.0 that parses, holds every file with its SHA-256 and triage's verdict."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from triage.model import Finding, Verdict
from triage.render import dfxml

from .conftest import ESC_NAME, HOSTILE

NS = {"d": dfxml.DFXML_NS, "t": dfxml.TRIAGE_NS}


def test_parses_with_every_file_and_hash(report):
    text = dfxml.render(report)
    assert text.isascii()
    root = ET.fromstring(text.encode())
    assert root.tag == f"{{{dfxml.DFXML_NS}}}dfxml" and root.get("version") == "1.0"
    assert root.findtext("d:creator/d:program", namespaces=NS) == "triage"
    assert root.findtext("d:creator/d:version", namespaces=NS) == "0.1.0"
    assert root.findtext("d:source/d:image_filename", namespaces=NS) == "/cases/drop<1>.zip"
    objs = root.findall("d:fileobject", NS)
    assert len(objs) == len(report.files) + len(report.skipped)
    got = {}
    for fo in objs[:len(report.files)]:
        got[fo.findtext("d:filename", namespaces=NS)] = (
            fo.findtext("d:hashdigest[@type='sha256']", namespaces=NS), int(fo.findtext("d:filesize", namespaces=NS)),
            fo.find("t:verdict", NS).text, float(fo.find("t:verdict", NS).get("confidence")))
    # names keep their exact value (bidi as a character reference), except XML-illegal controls
    expected = {f.path.replace("\x1b", "\\x1b"): (f.sha256, f.size, f.verdict.value, f.confidence)
                for f in report.files}
    assert got == expected
    assert HOSTILE in got and ESC_NAME.replace("\x1b", "\\x1b") in got
    skipped = objs[len(report.files)]
    assert skipped.find("t:skipped", NS).get("reason") == "path-traversal"


def test_altered_source_and_impersonation(report):
    root = ET.fromstring(dfxml.render(report).encode())
    by_name = {fo.findtext("d:filename", namespaces=NS): fo for fo in root.findall("d:fileobject", NS)}
    src = by_name[HOSTILE].find("t:source", NS)
    assert src.text == "src/tokens.py" and src.get("blob") == "9b" * 20
    assert by_name[HOSTILE].findtext("t:changes", namespaces=NS) == "identifiers-renamed"
    fab = by_name[ESC_NAME.replace("\x1b", "\\x1b")]
    assert fab.findtext("t:impersonates", namespaces=NS) == "src/auth/\u202emaster_key.py"


def test_xml_illegal_characters_are_escaped(report):
    nasty = Finding("a\x00b\x01\ud800c\ufffe.txt", 1, "ee" * 32, "text/plain", Verdict.FABRICATED, 0.1,
                    ("reason with \x0b vertical tab",), {})
    r = replace(report, files=(nasty,), skipped=())
    root = ET.fromstring(dfxml.render(r).encode())
    fo = root.find("d:fileobject", NS)
    assert fo.findtext("d:filename", namespaces=NS) == "a\\x00b\\x01\\ud800c\\ufffe.txt"
    assert fo.findtext("t:reason", namespaces=NS) == "reason with \\x0b vertical tab"
