-- What each peer is known to have of each document (Automerge's persisted sync state: the
-- heads both sides shared), so a reconnect sends only what is new.
CREATE TABLE sync_states (
    peer  TEXT NOT NULL,
    doc   INTEGER NOT NULL REFERENCES documents(id),
    state BLOB NOT NULL,
    PRIMARY KEY (peer, doc)
) WITHOUT ROWID;
