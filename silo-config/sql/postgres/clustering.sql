-- Orleans ADO.NET clustering on PostgreSQL: for silos on more than one machine.
-- Applied by the silo before it starts, every time: each statement is idempotent, and the query texts are
-- replaced, so a changed query reaches an existing database. A transaction-scoped advisory lock makes silos
-- that start at the same moment apply it one after the other.
--
-- Each conditional write is one statement: the first CTE locks the cluster's version row FOR UPDATE only if
-- it still holds @Version (under READ COMMITTED a concurrent bump makes the re-check fail), the row change
-- joins on it, and the version is bumped only from the changed row's RETURNING. So the change and the bump
-- happen together or not at all, and the result is the single 1/0 value Orleans reads as success.

SELECT pg_advisory_xact_lock(7265746);

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey varchar(64) NOT NULL,
    QueryText varchar(8000) NOT NULL,
    CONSTRAINT OrleansQuery_Key PRIMARY KEY (QueryKey)
);

-- One row per cluster (DeploymentId = ClusterId): its Version is the membership table's etag.
CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL,
    Timestamp timestamptz(3) NOT NULL DEFAULT now(),
    Version integer NOT NULL DEFAULT 0,
    CONSTRAINT PK_OrleansMembershipVersionTable_DeploymentId PRIMARY KEY (DeploymentId)
);

-- One row per silo incarnation (address, port and generation).
CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150) NOT NULL,
    Address varchar(45) NOT NULL,
    Port integer NOT NULL,
    Generation integer NOT NULL,
    SiloName varchar(150) NOT NULL,
    HostName varchar(150) NOT NULL,
    Status integer NOT NULL,
    ProxyPort integer NULL,
    SuspectTimes varchar(8000) NULL,
    StartTime timestamptz(3) NOT NULL,
    IAmAliveTime timestamptz(3) NOT NULL,
    CONSTRAINT PK_MembershipTable_DeploymentId PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_MembershipTable_MembershipVersionTable_DeploymentId
        FOREIGN KEY (DeploymentId) REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipVersionKey', '
WITH inserted AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES (@DeploymentId)
    ON CONFLICT (DeploymentId) DO NOTHING
    RETURNING 1
)
SELECT count(*)::int FROM inserted;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipKey', '
WITH expected AS (
    SELECT DeploymentId FROM OrleansMembershipVersionTable
    WHERE DeploymentId = @DeploymentId AND Version = @Version
    FOR UPDATE
), inserted AS (
    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
    SELECT expected.DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
           @StartTime, @IAmAliveTime
    FROM expected
    ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING
    RETURNING DeploymentId
), bumped AS (
    UPDATE OrleansMembershipVersionTable v SET Version = v.Version + 1, Timestamp = now()
    FROM inserted WHERE v.DeploymentId = inserted.DeploymentId
    RETURNING 1
)
SELECT count(*)::int FROM bumped;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateMembershipKey', '
WITH expected AS (
    SELECT DeploymentId FROM OrleansMembershipVersionTable
    WHERE DeploymentId = @DeploymentId AND Version = @Version
    FOR UPDATE
), updated AS (
    UPDATE OrleansMembershipTable m
    SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = @IAmAliveTime
    FROM expected
    WHERE m.DeploymentId = expected.DeploymentId
        AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
    RETURNING m.DeploymentId
), bumped AS (
    UPDATE OrleansMembershipVersionTable v SET Version = v.Version + 1, Timestamp = now()
    FROM updated WHERE v.DeploymentId = updated.DeploymentId
    RETURNING 1
)
SELECT count(*)::int FROM bumped;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Heartbeats do not bump the version: Orleans treats IAmAliveTime as a best-effort observation.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateIAmAlivetimeKey', '
UPDATE OrleansMembershipTable
SET IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- The LEFT JOIN returns the version row even when the silo has no row: Orleans needs the version either way.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadRowKey', '
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT OUTER JOIN OrleansMembershipTable m
    ON v.DeploymentId = m.DeploymentId AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadAllKey', '
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT OUTER JOIN OrleansMembershipTable m ON v.DeploymentId = m.DeploymentId
WHERE v.DeploymentId = @DeploymentId;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteMembershipTableEntriesKey', '
DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Status 3 is Active: clients only ever get gateways of active silos.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('GatewaysQueryKey', '
SELECT Address, ProxyPort, Generation
FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Status 6 is Dead. The bulk form is what older providers call; 10.4 decides in .NET which rows are defunct
-- and deletes each through CleanupDefunctSiloEntryKey, only if the row still holds the values it read.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('CleanupDefunctSiloEntriesKey', '
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId
    AND IAmAliveTime < @IAmAliveTime
    AND StartTime < @IAmAliveTime
    AND COALESCE(SuspectTimes, '''') = ''''
    AND Status = 6;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Times are matched to within a millisecond (the columns keep milliseconds; the bound values may carry more).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('CleanupDefunctSiloEntryKey', '
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND Status = 6
    AND Address = @Address AND Port = @Port AND Generation = @Generation
    AND abs(extract(epoch FROM IAmAliveTime - @IAmAliveTime::timestamptz)) < 0.001
    AND abs(extract(epoch FROM StartTime - @StartTime::timestamptz)) < 0.001
    AND COALESCE(SuspectTimes, '''') = COALESCE(@SuspectTimes, '''');
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
