"""The index schema: named migrations applied in order and recorded in a table.

The SQL is kept to what SQLite and PostgreSQL both accept, so the PostgreSQL store can replay
the same migrations. A database records ``schema_version`` and the fingerprint parameters it was
built with; a store refuses to open one that differs (its answers would be wrong, not just old).
"""

from __future__ import annotations

SCHEMA_VERSION = 3

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
]
