#!/usr/bin/env python3
"""Run the triage CLI in this process with timers on the scan's stages, then write them as JSON.

Usage::

    python benchmarks/scale/scan_probe.py TIMINGS.json scan DROP --db DB --out DIR

The arguments after TIMINGS.json go to ``triage.cli.main`` unchanged: this is the real CLI in a
fresh process. Timers wrap, without changing them:

- ``drop``: reading the drop's members, fingerprinting them and running signature rules (work
  that does not depend on the inventory);
- ``store``: time inside the index's query methods (outermost call only), and their call counts;
- ``match``, ``history``, ``snapshot``: candidate lookups with comparisons, loading the history
  for dating, and the snapshot windows;
- ``scan``: the whole ``pipeline.scan`` call. ``scan - drop`` is the scan's query time: what
  grows with the inventory.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import triage.dating as D  # noqa: E402
import triage.pipeline as P  # noqa: E402
from triage.inventory.docstore import DocumentStore  # noqa: E402
from triage.inventory.store import Store  # noqa: E402
from triage.rules import RuleSet  # noqa: E402

seconds: dict[str, float] = defaultdict(float)
calls: Counter = Counter()
store_seconds: dict[str, float] = defaultdict(float)
_depth = [0]


def _timed(name: str, fn):
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            seconds[name] += time.perf_counter() - t

    return wrapper


def _store_timed(name: str, fn):
    def wrapper(*a, **k):
        _depth[0] += 1
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            _depth[0] -= 1
            if _depth[0] == 0:
                dt = time.perf_counter() - t
                seconds["store"] += dt
                store_seconds[name] += dt
                calls[name] += 1

    return wrapper


def _install() -> None:
    # The queries live in the backend-neutral Store (and its documents mixin), not in a backend.
    for cls in (DocumentStore, Store):
        for name, attr in list(vars(cls).items()):
            if (name.startswith("_") or name in ("transaction", "close") or not callable(attr)
                    or isinstance(attr, (classmethod, staticmethod, property))):
                continue
            setattr(Store, name, _store_timed(name, attr))

    read_drop = P.read_drop

    def timed_read(*a, **k):
        it = read_drop(*a, **k)
        while True:
            t = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                seconds["drop"] += time.perf_counter() - t
                return
            seconds["drop"] += time.perf_counter() - t
            yield item

    P.read_drop = timed_read
    P.fingerprint = _timed("drop", P.fingerprint)
    RuleSet.scan_text = _timed("drop", RuleSet.scan_text)
    P.match = _timed("match", P.match)
    P.History = _timed("history", D.History)
    P.snapshot = _timed("snapshot", P.snapshot)
    P.scan = _timed("scan", P.scan)


def main() -> int:
    out = Path(sys.argv[1])
    _install()
    from triage.cli import main as cli

    code = 0
    try:
        cli.main(sys.argv[2:], prog_name="triage", standalone_mode=False)
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        out.write_text(json.dumps({"seconds": dict(seconds), "store_seconds": dict(store_seconds),
                                   "store_calls": dict(calls)}, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
