"""A hard wall-clock limit for one parse (documents, dumps): SIGALRM where it can be used.

The extractors check their own time budget between pages, rows and parts; a parser stuck
inside one page (pypdf on a hostile content stream) is interrupted only by this alarm.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ParseTimeout(BaseException):
    """Raised by the alarm inside a parser past its hard time limit. A BaseException, so that no
    library's ``except Exception`` swallows it."""


@contextmanager
def hard_deadline(seconds: float) -> Iterator[None]:
    """Raise ParseTimeout in this thread after ``seconds`` where SIGALRM can be used (the main
    thread of the process, no other timer running); elsewhere only the parsers' own checks apply.
    Catch ParseTimeout outside the ``with``: the alarm can fire while the block exits."""
    usable = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable:
        yield
        return

    def _alarm(signum: int, frame: Any) -> None:
        raise ParseTimeout

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
