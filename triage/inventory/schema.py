"""The index schema: named migrations applied in order and recorded in a table.

The SQL is kept to what SQLite and PostgreSQL both accept, so the PostgreSQL store replays the
same migrations, translating only column types (``id INTEGER PRIMARY KEY`` becomes a BIGINT
identity, ``INTEGER`` BIGINT, ``BLOB`` BYTEA: see ``triage.inventory.postgres.ddl``). A
database records ``schema_version`` and the fingerprint parameters it was built with; a store
refuses to open one that differs (its answers would be wrong, not just old).
"""

from __future__ import annotations

SCHEMA_VERSION = 1

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,            -- git | directory | archive
            location TEXT NOT NULL,
            name TEXT NOT NULL UNIQUE,
            default_ref TEXT,
            indexed_at TEXT
        );
        CREATE TABLE contents (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            git_oid TEXT NOT NULL,
            size INTEGER NOT NULL,
            mime TEXT,
            kind TEXT NOT NULL,            -- text | binary | empty
            encoding TEXT,
            norm_sha256 TEXT,
            ws_sha256 TEXT,
            lines BLOB,                    -- uint32 little-endian line (or chunk) hashes, in order
            sig_tokens BLOB,               -- MinHash, num_perm uint32 little-endian
            sig_shapes BLOB,
            tlsh TEXT,
            body BLOB                      -- zlib-compressed bytes when small enough to keep
        );
        CREATE INDEX contents_oid ON contents (git_oid);
        CREATE INDEX contents_norm ON contents (norm_sha256);
        CREATE INDEX contents_ws ON contents (ws_sha256);
        CREATE TABLE paths (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            basename TEXT NOT NULL
        );
        CREATE INDEX paths_basename ON paths (basename);
        CREATE TABLE commits (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources (id),
            oid TEXT NOT NULL,
            tree TEXT,
            parents TEXT NOT NULL,         -- space-separated parent oids, first parent first
            first_parent INTEGER,          -- commits.id of the first parent, NULL for a root
            seq INTEGER NOT NULL,          -- topological order within the source
            date INTEGER NOT NULL,         -- committer time, Unix seconds UTC
            author_date INTEGER,
            author TEXT,
            committer TEXT,
            subject TEXT,
            UNIQUE (source_id, oid)
        );
        CREATE INDEX commits_oid ON commits (oid);
        -- The state of a path at a commit wherever it differs from the first parent's
        -- (root commits: every file). content_id NULL means the path was deleted.
        CREATE TABLE changes (
            commit_id INTEGER NOT NULL REFERENCES commits (id),
            path_id INTEGER NOT NULL REFERENCES paths (id),
            content_id INTEGER REFERENCES contents (id),
            mode TEXT,
            PRIMARY KEY (commit_id, path_id)
        );
        CREATE INDEX changes_content ON changes (content_id);
        CREATE INDEX changes_path ON changes (path_id);
        CREATE TABLE refs (
            source_id INTEGER NOT NULL REFERENCES sources (id),
            name TEXT NOT NULL,
            commit_id INTEGER NOT NULL REFERENCES commits (id),
            is_default INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (source_id, name)
        );
        -- Files at the tip of each source's default branch ("current").
        CREATE TABLE tip_files (
            source_id INTEGER NOT NULL REFERENCES sources (id),
            path_id INTEGER NOT NULL REFERENCES paths (id),
            content_id INTEGER NOT NULL REFERENCES contents (id),
            PRIMARY KEY (source_id, path_id)
        );
        CREATE INDEX tip_files_content ON tip_files (content_id);
        -- Inverted index of informative line hashes (distinct per content).
        CREATE TABLE postings (
            hash INTEGER NOT NULL,
            content_id INTEGER NOT NULL,
            PRIMARY KEY (hash, content_id)
        );
        -- LSH band keys of the MinHash sketches.
        CREATE TABLE bands (
            key INTEGER NOT NULL,
            content_id INTEGER NOT NULL,
            PRIMARY KEY (key, content_id)
        );
        -- How many distinct internal paths hold a line (only lines held at 2+ paths).
        CREATE TABLE line_df (
            hash INTEGER PRIMARY KEY,
            paths INTEGER NOT NULL
        );
        """,
    ),
    (
        "0002_shared_index",
        """
        -- Commits of a source with seq up to published_seq are what a scan of a shared index
        -- sees while another run is still writing (NULL: nothing published yet).
        ALTER TABLE sources ADD COLUMN published_seq INTEGER;
        UPDATE sources SET published_seq = (SELECT max(seq) FROM commits c WHERE c.source_id = sources.id);
        -- An index run of a source: the refs it indexes, planned once and cut into batches of
        -- commits that any number of workers claim (one per batch at a time) and write.
        CREATE TABLE index_runs (
            source_id INTEGER NOT NULL PRIMARY KEY REFERENCES sources (id),
            refs TEXT NOT NULL,            -- JSON {ref name: commit oid}
            default_ref TEXT,
            started_at TEXT NOT NULL
        );
        CREATE TABLE index_batches (
            source_id INTEGER NOT NULL REFERENCES sources (id),
            batch INTEGER NOT NULL,        -- position in the run's plan
            seq INTEGER NOT NULL,          -- seq of the batch's first commit
            oids TEXT NOT NULL,            -- its commits, parents first, space-separated
            done INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (source_id, batch)
        );
        """,
    ),
]
