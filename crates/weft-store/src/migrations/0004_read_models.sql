-- What opening a document needs, kept beside it so that it opens without being loaded (the
-- commons' view and roster). A row holds for the heads it names: storing a change of the
-- document deletes it in the same transaction, and it is made again from the document.
CREATE TABLE read_models (
    doc   INTEGER PRIMARY KEY REFERENCES documents(id),
    heads BLOB NOT NULL,
    bytes BLOB NOT NULL
);
