"""Reason codes for drop members that were not triaged (``report.json`` ``skipped[].reason``).

These strings are part of the report contract: add new ones, never change a meaning.
"""

PATH_TRAVERSAL = "path-traversal"  # ../, absolute path, drive letter, backslash escape
LINK = "link"  # symlink or hard link: never followed, created or read through
SPECIAL = "special-file"  # device node, FIFO, socket
ENCRYPTED = "encrypted"
UNSUPPORTED = "unsupported"  # compression method or format not supported
CORRUPT = "corrupt"  # bad CRC, bad header, unreadable data
TRUNCATED = "truncated"  # the data ends before the header said it would
BOMB = "bomb-suspected"  # ratio or size over the limit, overlapping zip entries
TOO_LARGE = "too-large"  # member over the per-member limit
DEPTH = "depth-limit"
COUNT = "count-limit"
TOTAL = "total-limit"  # total expanded bytes of the drop reached
TIME = "time-limit"
NAME_UNSAFE = "name-unsafe"  # NUL, control characters, bidi override, not UTF-8, too long
DUPLICATE = "duplicate-name"  # same or case-colliding name (the member is still triaged)
EMPTY_DIR = "directory"  # kept only for completeness; directories are not files

UNREADABLE = "unreadable"  # directory drop: permission denied or I/O error on an entry
NO_CONTENT = "no-content"  # source map lists a source without its content (sourcesContent null/absent)
GIT_OBJECTS = "git-object"  # files of a .git folder: read as commit evidence (EmbeddedRepo), not triaged
MISSING_LIBRARY = "missing-library"  # the format needs a system library that is not installed
DOCUMENT_UNREADABLE = "document-unreadable"  # document refused (DTD, encryption, caps, time limit) or unparseable

ALL = (
    PATH_TRAVERSAL, LINK, SPECIAL, ENCRYPTED, UNSUPPORTED, CORRUPT, TRUNCATED, BOMB, TOO_LARGE,
    DEPTH, COUNT, TOTAL, TIME, NAME_UNSAFE, DUPLICATE, UNREADABLE, NO_CONTENT, GIT_OBJECTS,
    MISSING_LIBRARY, DOCUMENT_UNREADABLE,
)  # fmt: skip
