-- Raft node storage for Orleans' ADO.NET grain storage provider, SQLite dialect (one file per node).
-- Idempotent: run before every silo start. The provider looks its query texts up in OrleansQuery.
-- WAL is a property of the database file: set once here (Microsoft.Data.Sqlite rejects it in the
-- connection string). synchronous stays at its default, FULL, so a write is durable when it returns.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

-- One row per (grain, state name). GrainIdExtensionString is '' rather than NULL so the primary key,
-- which the write's ON CONFLICT relies on, treats a missing extension as one value.
CREATE TABLE IF NOT EXISTS OrleansStorage
(
    ServiceId              TEXT    NOT NULL,
    GrainTypeString        TEXT    NOT NULL,
    GrainIdExtensionString TEXT    NOT NULL,
    GrainIdN0              INTEGER NOT NULL,
    GrainIdN1              INTEGER NOT NULL,
    GrainIdHash            INTEGER NOT NULL,
    GrainTypeHash          INTEGER NOT NULL,
    PayloadBinary          BLOB    NULL,
    ModifiedOn             TEXT    NOT NULL,
    Version                INTEGER NOT NULL,
    PRIMARY KEY (ServiceId, GrainTypeString, GrainIdExtensionString, GrainIdN0, GrainIdN1, GrainIdHash, GrainTypeHash)
);
