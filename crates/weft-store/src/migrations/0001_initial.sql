-- Weft's first schema.
-- Documents are kept as a snapshot (Automerge `save()`) plus the log of changes written after
-- it; every change ever stored keeps a row in `known_changes`, with its signature, forever,
-- because peers need the signatures to verify history.

CREATE TABLE identity (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    member     TEXT NOT NULL,
    device     TEXT NOT NULL,
    cert       BLOB NOT NULL,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE communities (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    added_at INTEGER NOT NULL
);

CREATE TABLE documents (
    id             INTEGER PRIMARY KEY,
    community      TEXT NOT NULL REFERENCES communities(id),
    name           TEXT NOT NULL,
    snapshot       BLOB,
    snapshot_heads BLOB,
    updated_at     INTEGER NOT NULL,
    UNIQUE (community, name)
);

-- Changes logged after the document's snapshot, in the order they were written.
CREATE TABLE changes (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    doc   INTEGER NOT NULL REFERENCES documents(id),
    hash  BLOB NOT NULL,
    bytes BLOB NOT NULL,
    UNIQUE (doc, hash)
);

-- Every change ever stored for a document, with its signature (NULL for a deterministic
-- genesis, which anyone can recompute), also after its bytes were folded into a snapshot.
CREATE TABLE known_changes (
    doc       INTEGER NOT NULL REFERENCES documents(id),
    hash      BLOB NOT NULL,
    signature BLOB,
    PRIMARY KEY (doc, hash)
) WITHOUT ROWID;
