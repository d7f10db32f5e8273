-- Raft node storage for Orleans' ADO.NET grain storage provider, PostgreSQL dialect. Idempotent; the
-- caller holds an advisory lock so several silos starting at once do not race on the DDL.
CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);

-- One row per (grain, state name); rows of every node share the table, keyed by grain id.
CREATE TABLE IF NOT EXISTS OrleansStorage
(
    ServiceId              varchar(150) NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainIdHash            integer      NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    PayloadBinary          bytea        NULL,
    ModifiedOn             timestamptz  NOT NULL,
    Version                integer      NOT NULL,
    PRIMARY KEY (ServiceId, GrainTypeString, GrainIdExtensionString, GrainIdN0, GrainIdN1, GrainIdHash, GrainTypeHash)
);
