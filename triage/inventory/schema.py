"""The index schema: named migrations applied in order and recorded in a table.

The SQL is kept to what SQLite and PostgreSQL both accept, so the PostgreSQL store replays the
same migrations, translating only column types (``id INTEGER PRIMARY KEY`` becomes a BIGINT
identity, ``INTEGER`` BIGINT, ``BLOB`` BYTEA: see ``triage.inventory.postgres.ddl``). A database
records ``schema_version`` and the fingerprint parameters it was built with; a store refuses to
open one that differs (its answers would be wrong, not just old).

Per-dialect details are SQL comments that one dialect turns into SQL (``for_dialect``): a
``/*sqlite: X*/`` becomes ``X`` for SQLite and stays a comment, ignored, everywhere else.
"""

from __future__ import annotations

import re

SCHEMA_VERSION = 5

_DIALECT_RE = re.compile(r"/\*(\w+): ([^*]*)\*/")


def for_dialect(sql: str, dialect: str) -> str:
    """The migration SQL as ``dialect`` (``sqlite``, ``postgresql``) runs it."""
    return _DIALECT_RE.sub(lambda m: m.group(2) if m.group(1) == dialect else m.group(0), sql)


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
        "0002_documents",
        """
        -- Documents (PDF, office, OpenDocument, HTML, Markdown, notebooks, e-mail): the canonical
        -- text's identity and fingerprint, and the document's own metadata. A document that could
        -- not be read has kind set, text_sha256 NULL and error saying why.
        CREATE TABLE documents (
            content_id INTEGER PRIMARY KEY REFERENCES contents (id),
            kind TEXT NOT NULL,            -- pdf | docx | xlsx | pptx | odt | ods | odp | html | markdown | ipynb | eml
            text_sha256 TEXT,              -- SHA-256 of the canonical text (one sentence per line)
            chars INTEGER NOT NULL,
            lines INTEGER NOT NULL,
            sig_tokens BLOB,               -- MinHash of the text, num_perm uint32 little-endian
            body BLOB,                     -- zlib-compressed canonical text (NULL past the kept size)
            metadata TEXT NOT NULL,        -- JSON object: author, created, modified, revision, producer, ...
            parts TEXT NOT NULL,           -- JSON array: pages, sheets, slides read
            notes TEXT NOT NULL,           -- JSON array: what was cut short
            error TEXT
        );
        CREATE INDEX documents_text ON documents (text_sha256);
        -- Inverted index of the canonical text's informative sentence hashes, and LSH band keys of
        -- its MinHash (apart from the source-text tables: a document is compared with documents).
        CREATE TABLE doc_postings (
            hash BIGINT NOT NULL,
            content_id INTEGER NOT NULL,
            PRIMARY KEY (hash, content_id)
        );
        CREATE TABLE doc_bands (
            key BIGINT NOT NULL,
            content_id INTEGER NOT NULL,
            PRIMARY KEY (key, content_id)
        );
        -- Tabular dumps (CSV/TSV, SQL, JSON lines): one row per dump...
        CREATE TABLE dump_tables (
            content_id INTEGER PRIMARY KEY REFERENCES contents (id),
            kind TEXT NOT NULL,            -- csv | sql | jsonl
            rows_total INTEGER NOT NULL,   -- rows read (header excluded, duplicates included)
            key_width INTEGER NOT NULL,    -- values in the key prefix (0: no unique prefix)
            column_names TEXT,             -- JSON array, when the dump names its columns
            notes TEXT NOT NULL            -- JSON array
        );
        -- ...and its distinct rows: 64-bit hash of the normalised values, hash of the key prefix,
        -- one signature byte per value (near matches).
        CREATE TABLE dump_rows (
            content_id INTEGER NOT NULL REFERENCES contents (id),
            row_hash BIGINT NOT NULL,
            key_hash BIGINT,
            fields BLOB NOT NULL
        );
        CREATE INDEX dump_rows_row ON dump_rows (row_hash);
        CREATE INDEX dump_rows_key ON dump_rows (key_hash);
        CREATE INDEX dump_rows_content ON dump_rows (content_id);
        """,
    ),
    (
        "0003_weights",
        """
        -- Model weights files: one row per weights content (format, counts, why unreadable).
        CREATE TABLE weights (
            content_id INTEGER PRIMARY KEY REFERENCES contents (id),
            format TEXT NOT NULL,          -- safetensors | gguf | npy | npz | torch
            tensors INTEGER NOT NULL,
            informative INTEGER NOT NULL,  -- tensors that are evidence (not constants or tables)
            complete INTEGER NOT NULL,     -- 0 when a time or count limit stopped the reading
            error TEXT,                    -- why the tensors could not be read (NULL when read)
            notes TEXT NOT NULL            -- JSON list of short notes
        );
        -- One row per tensor: identity and a value sketch, never the tensor's bytes.
        CREATE TABLE tensors (
            content_id INTEGER NOT NULL REFERENCES contents (id),
            seq INTEGER NOT NULL,          -- position in the file
            name TEXT NOT NULL,
            norm_name TEXT NOT NULL,       -- name without wrapper prefixes (module., model., ...)
            dtype TEXT NOT NULL,
            shape TEXT NOT NULL,           -- dimensions joined by ',' ('' for a scalar)
            nbytes INTEGER NOT NULL,
            sha256 TEXT NOT NULL,          -- of the C-order bytes, the same in every format
            sketch BLOB,                   -- float32 little-endian values at fixed positions
            why TEXT,                      -- why it is no evidence (constant, table...), NULL if it is
            PRIMARY KEY (content_id, seq)
        );
        CREATE INDEX tensors_sha ON tensors (sha256);
        CREATE INDEX tensors_shape ON tensors (shape, norm_name);
        """,
    ),
    (
        # Postings and bands are only ever read by key: in SQLite a WITHOUT ROWID table keeps them
        # in one B-tree keyed (key, content_id) instead of a rowid table plus its primary-key index
        # (measured on pygments: 27 MB -> 12 MB, and sorted batch inserts 0.8 s -> 0.6 s).
        # BIGINT: band keys are signed 64-bit, posting hashes unsigned 32-bit (SQLite: INTEGER).
        "0004_postings_bands_by_key",
        """
        CREATE TABLE postings_by_key (
            hash BIGINT NOT NULL,
            content_id BIGINT NOT NULL,
            PRIMARY KEY (hash, content_id)
        ) /*sqlite: WITHOUT ROWID*/;
        INSERT INTO postings_by_key (hash, content_id) SELECT hash, content_id FROM postings;
        DROP TABLE postings;
        ALTER TABLE postings_by_key RENAME TO postings;
        CREATE TABLE bands_by_key (
            key BIGINT NOT NULL,
            content_id BIGINT NOT NULL,
            PRIMARY KEY (key, content_id)
        ) /*sqlite: WITHOUT ROWID*/;
        INSERT INTO bands_by_key (key, content_id) SELECT key, content_id FROM bands;
        DROP TABLE bands;
        ALTER TABLE bands_by_key RENAME TO bands
        """,
    ),
    (
        "0005_shared_index",
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
