-- Weft's first schema.
-- Documents are kept as a snapshot (Automerge `save()`) plus the log of changes written after
-- it; signatures are kept for every change forever, because peers need them to verify history.

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
    community      TEXT NOT NULL REFERENCES communities(id),
    name           TEXT NOT NULL,
    snapshot       BLOB,
    snapshot_heads BLOB,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (community, name)
);

-- Changes logged after the document's snapshot, in the order they were written.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    community TEXT NOT NULL,
    name      TEXT NOT NULL,
    hash      BLOB NOT NULL,
    bytes     BLOB NOT NULL,
    UNIQUE (community, name, hash),
    FOREIGN KEY (community, name) REFERENCES documents(community, name)
);
CREATE INDEX changes_by_doc ON changes (community, name, seq);

-- Every change ever stored for a document, with its signature, also after its bytes were
-- folded into a snapshot. The signature is NULL for a deterministic genesis (anyone can
-- recompute it).
CREATE TABLE signatures (
    community TEXT NOT NULL,
    name      TEXT NOT NULL,
    hash      BLOB NOT NULL,
    signature BLOB,
    PRIMARY KEY (community, name, hash)
) WITHOUT ROWID;
