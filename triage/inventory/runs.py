"""Index runs of a git source, shared by any number of workers.

A run is planned once: the first worker lists the commits that the refs reach and the index
lacks, cuts them into batches and records them (``index_runs``, ``index_batches``) with the
``seq`` each commit gets, so every worker writes the same rows a single process would. Then every
worker, on this machine or another, claims open batches one at a time (a lock held by its
connection: a worker that dies releases its batches with it) and writes each batch in one
transaction that also marks it done. The worker that finds every batch done finishes the run in
one transaction: first-parent links, refs, tip files, line frequencies, and publication (the
commits become visible to scans of a shared index).

A single ``triage index`` is simply the only worker. An interrupted run is resumed by the next
worker that starts, whatever refs it was asked for: it completes the run in progress first, then
plans its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from triage.inventory.git import GitRepo
from triage.inventory.store import Store


@dataclass(frozen=True)
class Run:
    refs: dict[str, str]  # ref name -> commit oid
    default: str | None


@dataclass(frozen=True)
class Batch:
    number: int
    seq: int  # seq of its first commit; the others follow in order
    oids: tuple[str, ...]


def join_or_plan(store: Store, repo: GitRepo, source_id: int, refs: dict[str, str], default: str | None,
                 batch_commits: int) -> Run:
    """The source's run in progress, else a new run planned from ``refs``."""
    with store.transaction():
        store.lock("source", source_id)
        pending = store.pending_run(source_id)
        if pending is not None:
            return Run(*pending)
        known = store.known_commits(source_id)
        new = repo.new_commits(sorted(set(refs.values())), sorted(known))
        seq = store.max_seq(source_id) + 1
        batches = [(seq + i, [c.oid for c in new[i : i + batch_commits]])
                   for i in range(0, len(new), batch_commits)]
        store.plan_run(source_id, refs, default, batches)
        store.set_meta("state", "indexing")
    return Run(refs, default)


def claims(store: Store, source_id: int) -> Iterator[Batch]:
    """Open batches this worker takes, in plan order; each stays claimed until ``release``."""
    for number, seq, oids in store.open_batches(source_id):
        if not store.try_claim("batch", source_id, number):
            continue  # another worker is writing it
        if store.batch_done(source_id, number):
            store.release("batch", source_id, number)  # written since the list was read
            continue
        yield Batch(number, seq, tuple(oids))


def release(store: Store, source_id: int, batch: Batch) -> None:
    store.release("batch", source_id, batch.number)


def finish(store: Store, source_id: int, complete: Callable[[Run], None]) -> str:
    """Finish the run if every batch is written: ``done``; ``others`` when batches are still
    being written by other workers; ``gone`` when another worker finished it already."""
    with store.transaction():
        store.lock("source", source_id)
        pending = store.pending_run(source_id)
        if pending is None:
            return "gone"
        if store.open_batches(source_id):
            return "others"
        run = Run(*pending)
        store.link_first_parents(source_id)
        complete(run)
        store.end_run(source_id)
        publish(store, source_id)
    return "done"


def publish(store: Store, source_id: int) -> None:
    """Inside the transaction that wrote a source's refs and tip files: show it to scans."""
    store.set_indexed_at(source_id)
    store.publish(source_id)
    store.recompute_line_df()
    store.set_meta("contents_count", str(store.count("contents")))  # the scans' digest reads it
    if store.runs_in_progress() == 0:
        store.set_meta("state", "complete")
