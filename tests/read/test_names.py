"""Name safety: escaping for display, traversal and unsafe-name detection, duplicate naming."""

import pytest

from triage.read.names import Names, display, from_bytes, traversal, unsafe


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("src/app.py", "src/app.py"),
        ("a\x00b", "a\\x00b"),
        ("esc\x1b[31m", "esc\\x1b[31m"),
        ("invoice\u202egpj.exe", "invoice\\u202egpj.exe"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("c1\x85", "c1\\x85"),
        ("back\\slash", "back\\\\slash"),
        ("caf\u00e9/\u65e5\u672c", "caf\u00e9/\u65e5\u672c"),
        ("line\u2028sep", "line\\u2028sep"),
    ],
)
def test_display_escapes(name: str, shown: str) -> None:
    assert display(name) == shown


def test_display_non_utf8_bytes() -> None:
    assert display(from_bytes(b"caf\xe9\xff.txt")) == "caf\\xe9\\xff.txt"


def test_display_cannot_be_forged() -> None:
    # a literal "\x00" text and a real NUL must not display the same
    assert display("a\\x00") != display("a\x00")


@pytest.mark.parametrize(
    "name",
    [
        "../evil",
        "a/../../evil",
        "/etc/passwd",
        "C:/Windows/x",
        "c:evil",
        "dir\\..\\evil",
        "..",
        "//host/share",
    ],
)
def test_traversal_detected(name: str) -> None:
    assert traversal(name)


@pytest.mark.parametrize("name", ["a/b/c.txt", "..hidden", "a..b/c", "./a", "x/.../y"])
def test_traversal_not_detected(name: str) -> None:
    assert traversal(name) is None


@pytest.mark.parametrize(
    "name",
    ["", "a\x00b", "a\nb", "a\x7f", "x\u202eexe.txt", "x\u2066y", from_bytes(b"\xff\xfe"), "a\u2029b"],
)
def test_unsafe_detected(name: str) -> None:
    assert unsafe(name, 4096)


def test_unsafe_length_in_bytes() -> None:
    assert unsafe("\u00e9" * 3, 5)  # 6 bytes in UTF-8
    assert unsafe("\u00e9" * 2, 5) is None


@pytest.mark.parametrize("name", ["src/main.c", "caf\u00e9.txt", "\u65e5\u672c\u8a9e/x", "emoji\U0001f600"])
def test_plain_names_safe(name: str) -> None:
    assert unsafe(name, 4096) is None


def test_names_claim_suffixes_duplicates_and_case_collisions() -> None:
    names = Names()
    assert names.claim("a/README") == ("a/README", None)
    assert names.claim("a/readme") == ("a/readme#2", "a/README")
    assert names.claim("a/README") == ("a/README#3", "a/README")
    assert names.claim("./a//Readme") == ("./a//Readme#4", "a/README")
    assert names.claim("b/README") == ("b/README", None)


def test_names_claim_unicode_normalisation() -> None:
    names = Names()
    names.claim("caf\u00e9")
    assert names.claim("cafe\u0301")[1] == "caf\u00e9"


def test_names_claim_avoids_literal_suffix_clash() -> None:
    names = Names()
    names.claim("x#2")
    names.claim("x")
    path, first = names.claim("x")
    assert first == "x" and path == "x#3"
