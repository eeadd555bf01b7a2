"""describe(): documents become text prints, dumps row prints, failures notes; the hard time limit."""

from __future__ import annotations

import signal
import zlib

import pypdf.filters
import pytest

from tests.fingerprint.test_documents import LAUGHS, PARAS, make_docx, make_pdf, rezip
from triage.fingerprint import docprint as D
from triage.fingerprint import fingerprint
from triage.fingerprint.deadline import ParseTimeout, hard_deadline
from triage.fingerprint.rowprint import TablePrint


def test_document_text_is_fingerprinted_like_source_text():
    d = D.describe(make_docx(), "anything.bin")
    assert isinstance(d, D.DocPrint) and d.kind == "docx" and d.error is None
    again = fingerprint(d.text.encode())
    assert d.fp is not None and d.fp.norm_sha256 == again.norm_sha256
    assert (d.fp.lines == again.lines).all() and (d.fp.sig_tokens == again.sig_tokens).all()
    assert d.metadata["author"] == "Alice Example"
    pdf = D.describe(make_pdf(), "x.pdf")
    assert pdf.text == d.text and pdf.text_sha256 == d.text_sha256  # same words, same text hash


def test_what_is_not_a_document_or_dump_is_none():
    assert D.describe(b"def f():\n    return 1\n", "src/a.py") is None
    assert D.describe(b"", "empty.md") is None
    assert D.describe(b"# Title\n\nSome text.\n", "README") is None  # Markdown needs its name
    assert isinstance(D.describe(b"# Title\n\nSome text.\n", "README.md"), D.DocPrint)
    dump = b"id,v\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(9))
    assert isinstance(D.describe(dump, "t.csv"), TablePrint)


def test_refused_document_is_a_print_with_the_reason():
    d = D.describe(rezip(make_docx(), {"word/document.xml": LAUGHS.encode()}), "bomb.docx")
    assert isinstance(d, D.DocPrint) and d.fp is None and d.text_sha256 is None
    assert "DTD" in (d.error or "")


def test_control_characters_never_reach_the_text():
    d = D.describe(b"# T\n\nA line with \x01 a control and \x1b[31m colour.\n", "n.md")
    assert "\x01" not in d.text and "\x1b" not in d.text and d.fp is not None and d.fp.kind == "text"


def _alarm_left() -> float:
    """Seconds left on this process's real-time interval timer (0: not armed)."""
    return signal.getitimer(signal.ITIMER_REAL)[0]


def test_hard_deadline_interrupts_a_busy_parser():
    """No stopwatch: the kernel reports the timer armed for the limit, the alarm's arrival is
    simulated (raise_signal) and stops a busy loop at that very step; timer and handler restored."""
    before, steps, left = signal.getsignal(signal.SIGALRM), 0, []
    with pytest.raises(ParseTimeout):
        with hard_deadline(30):
            left.append(_alarm_left())
            assert callable(signal.getsignal(signal.SIGALRM)), "no alarm handler installed"
            while steps < 2000:  # bounded: without the handler the test fails instead of hanging
                steps += 1
                if steps == 1000:
                    signal.raise_signal(signal.SIGALRM)
    assert 0 < left[0] <= 30  # armed on the real-time clock, for at most the limit
    assert steps == 1000  # interrupted where the alarm arrived
    assert _alarm_left() == 0 and signal.getsignal(signal.SIGALRM) == before


def test_a_stuck_extractor_becomes_a_time_limit_note(monkeypatch):
    left = []

    def stuck(data, kind, limits):
        left.append(_alarm_left())
        if not callable(signal.getsignal(signal.SIGALRM)):
            raise RuntimeError("no alarm armed around the extractor")
        signal.raise_signal(signal.SIGALRM)  # the alarm arrives while the parser is stuck
        raise RuntimeError("the alarm did not interrupt the extractor")

    monkeypatch.setattr(D, "extract", stuck)
    d = D.describe_document(make_docx(PARAS[:1]), "docx", seconds=0.1)
    assert d.error == "time limit: docx not read within 0.1 s"
    assert 0 < left[0] <= 0.1  # the hard limit was armed for this extraction, at its length
    assert _alarm_left() == 0


def test_a_library_crash_is_a_note(monkeypatch):
    def crash(data, kind, limits):
        raise KeyError("boom")

    monkeypatch.setattr(D, "extract", crash)
    assert D.describe_document(b"%PDF-1.4", "pdf").error == "pdf cannot be read: KeyError"


def _pdf_with_stream(raw: bytes) -> bytes:
    font = b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R " + font + b" >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(raw) + raw + b"\nendstream"]
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref


class _InflateMeter:
    """Stands in for the ``zlib`` module inside pypdf's filters: counts every byte inflated."""

    def __init__(self) -> None:
        self.inflated = 0

    def __getattr__(self, name: str):
        return getattr(zlib, name)

    def decompress(self, data: bytes, *args, **kwargs) -> bytes:
        out = zlib.decompress(data, *args, **kwargs)
        self.inflated += len(out)
        return out

    def decompressobj(self, *args, **kwargs):
        return _MeteredInflater(zlib.decompressobj(*args, **kwargs), self)


class _MeteredInflater:
    def __init__(self, inner, meter: _InflateMeter) -> None:
        self._inner, self._meter = inner, meter

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def decompress(self, data: bytes, *args, **kwargs) -> bytes:
        out = self._inner.decompress(data, *args, **kwargs)
        self._meter.inflated += len(out)
        return out

    def flush(self, *args) -> bytes:
        out = self._inner.flush(*args)
        self._meter.inflated += len(out)
        return out


BOMB_BYTES = 96 << 20


def test_pdf_decompression_bomb_is_refused_unexpanded(monkeypatch):
    meter = _InflateMeter()
    monkeypatch.setattr(pypdf.filters, "zlib", meter)
    page = b"BT /F1 12 Tf 72 712 Td (Quarterly numbers.) Tj ET\n"
    assert D.describe(_pdf_with_stream(zlib.compress(page)), "ok.pdf").text == "Quarterly numbers."
    assert meter.inflated >= len(page)  # the meter sees pypdf's inflation
    bomb = zlib.compressobj(1)
    raw = bomb.compress(page) + b"".join(bomb.compress(b" " * (1 << 20)) for _ in range(96)) + bomb.flush()
    meter.inflated = 0
    d = D.describe(_pdf_with_stream(raw), "bomb.pdf")  # 96 MiB behind ~100 KiB
    assert d.error is not None and "Limit reached" in d.error
    # Work done, not time: inflation stopped at pypdf's per-stream cap, once (never the whole
    # bomb, never a retry that inflates the cap's worth again).
    assert 0 < meter.inflated < BOMB_BYTES, meter.inflated
