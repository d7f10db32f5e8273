-- Orleans ADO.NET clustering on one SQLite file shared by every silo of one machine.
-- Applied by the silo before it starts, every time: each statement is idempotent, and the query texts are
-- replaced, so a changed query reaches an existing file.
--
-- SQLite has no stored procedures, so each conditional write is a small script in one command:
--   BEGIN IMMEDIATE takes the write lock before the version row is read, so the check of @Version and the
--   bump cannot interleave with another silo's write; the version is bumped only if the row change
--   happened (changes() = 1, the count of the statement before); the result is the single 1/0 value that
--   Orleans reads as success. A command that fails half way leaves BEGIN open on its connection: that is why
--   the connection string has Pooling=False (closing the connection rolls the transaction back).
-- Dates are TEXT (the driver may write more than one format) and are compared through julianday().

PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

-- One row per cluster (DeploymentId = ClusterId): its Version is the membership table's etag.
CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId TEXT NOT NULL PRIMARY KEY,
    Timestamp TEXT NOT NULL,
    Version INTEGER NOT NULL DEFAULT 0
);

-- One row per silo incarnation (address, port and generation).
CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId TEXT NOT NULL,
    Address TEXT NOT NULL,
    Port INTEGER NOT NULL,
    Generation INTEGER NOT NULL,
    SiloName TEXT NOT NULL,
    HostName TEXT NOT NULL,
    Status INTEGER NOT NULL,
    ProxyPort INTEGER NULL,
    SuspectTimes TEXT NULL,
    StartTime TEXT NOT NULL,
    IAmAliveTime TEXT NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation),
    FOREIGN KEY (DeploymentId) REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipVersionKey', '
INSERT INTO OrleansMembershipVersionTable (DeploymentId, Timestamp, Version)
VALUES (@DeploymentId, strftime(''%Y-%m-%d %H:%M:%f'', ''now''), 0)
ON CONFLICT (DeploymentId) DO NOTHING;
SELECT changes();
');

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipKey', '
BEGIN IMMEDIATE;
INSERT OR IGNORE INTO OrleansMembershipTable
    (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
SELECT @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
WHERE EXISTS (SELECT 1 FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId AND Version = @Version);
UPDATE OrleansMembershipVersionTable
SET Version = Version + 1, Timestamp = strftime(''%Y-%m-%d %H:%M:%f'', ''now'')
WHERE DeploymentId = @DeploymentId AND Version = @Version AND changes() = 1;
COMMIT;
SELECT changes();
');

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateMembershipKey', '
BEGIN IMMEDIATE;
UPDATE OrleansMembershipTable
SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation
    AND EXISTS (SELECT 1 FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId AND Version = @Version);
UPDATE OrleansMembershipVersionTable
SET Version = Version + 1, Timestamp = strftime(''%Y-%m-%d %H:%M:%f'', ''now'')
WHERE DeploymentId = @DeploymentId AND Version = @Version AND changes() = 1;
COMMIT;
SELECT changes();
');

-- Heartbeats do not bump the version: Orleans treats IAmAliveTime as a best-effort observation.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateIAmAlivetimeKey', '
UPDATE OrleansMembershipTable
SET IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;
');

-- The LEFT JOIN returns the version row even when the silo has no row: Orleans needs the version either way.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadRowKey', '
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT OUTER JOIN OrleansMembershipTable m
    ON v.DeploymentId = m.DeploymentId AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId;
');

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadAllKey', '
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT OUTER JOIN OrleansMembershipTable m ON v.DeploymentId = m.DeploymentId
WHERE v.DeploymentId = @DeploymentId;
');

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteMembershipTableEntriesKey', '
DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
');

-- Status 3 is Active: clients only ever get gateways of active silos.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('GatewaysQueryKey', '
SELECT Address, ProxyPort, Generation
FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;
');

-- Status 6 is Dead. The bulk form is what older providers call; 10.4 decides in .NET which rows are defunct
-- and deletes each through CleanupDefunctSiloEntryKey, only if the row still holds the values it read.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('CleanupDefunctSiloEntriesKey', '
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId
    AND julianday(IAmAliveTime) < julianday(@IAmAliveTime)
    AND julianday(StartTime) < julianday(@IAmAliveTime)
    AND IFNULL(SuspectTimes, '''') = ''''
    AND Status = 6;
');

-- Times are matched to within a millisecond: a value read through the driver and bound again may not be
-- written back in the exact text it was stored in.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('CleanupDefunctSiloEntryKey', '
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND Status = 6
    AND Address = @Address AND Port = @Port AND Generation = @Generation
    AND abs(julianday(IAmAliveTime) - julianday(@IAmAliveTime)) < 0.0000000116
    AND abs(julianday(StartTime) - julianday(@StartTime)) < 0.0000000116
    AND IFNULL(SuspectTimes, '''') = IFNULL(@SuspectTimes, '''');
');
