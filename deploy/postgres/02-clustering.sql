-- Cluster membership for Microsoft.Orleans.Clustering.AdoNet on PostgreSQL.
--
-- The provider's contract: it runs the query stored under each key below with named parameters (@DeploymentId is
-- the Orleans cluster id) and reads result columns by name. Membership writes are optimistic: each carries the
-- table version the silo last read (@Version) and succeeds only if that version is still current, bumping it.
-- Every write takes the row lock of the deployment's version row first, so writes of one cluster serialise there.

CREATE TABLE IF NOT EXISTS orleans_membership_version
(
    deployment_id varchar(150) NOT NULL PRIMARY KEY,
    version       integer      NOT NULL DEFAULT 0,
    changed_at    timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orleans_membership
(
    deployment_id   varchar(150) NOT NULL REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
    address         varchar(45)  NOT NULL,
    port            integer      NOT NULL,
    generation      integer      NOT NULL,
    silo_name       varchar(150) NOT NULL,
    host_name       varchar(150) NOT NULL,
    status          integer      NOT NULL,
    proxy_port      integer      NULL,
    suspect_times   text         NULL,
    start_time      timestamptz  NOT NULL,
    i_am_alive_time timestamptz  NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Creates the cluster's version row once. Result: whether this call created it.
('InsertMembershipVersionKey', $sql$
WITH created AS (
    INSERT INTO orleans_membership_version (deployment_id)
    VALUES (@DeploymentId)
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM created);
$sql$),

-- A silo joins. Result: whether the row was added (false if the version moved on or the silo is already there).
('InsertMembershipKey', $sql$
WITH bumped AS (
    UPDATE orleans_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId
      AND version = @Version
      AND NOT EXISTS (
          SELECT 1 FROM orleans_membership
          WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation)
    RETURNING deployment_id
), added AS (
    INSERT INTO orleans_membership
        (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port, start_time, i_am_alive_time)
    SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
    FROM bumped
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM added);
$sql$),

-- A silo's status or suspicions change. Result: whether the row was updated.
('UpdateMembershipKey', $sql$
WITH bumped AS (
    UPDATE orleans_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId
      AND version = @Version
      AND EXISTS (
          SELECT 1 FROM orleans_membership
          WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation)
    RETURNING deployment_id
), changed AS (
    UPDATE orleans_membership m
    SET status = @Status,
        suspect_times = CAST(@SuspectTimes AS text),
        i_am_alive_time = GREATEST(m.i_am_alive_time, @IAmAliveTime)
    FROM bumped
    WHERE m.deployment_id = bumped.deployment_id
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM changed);
$sql$),

-- Heartbeat. It does not take part in versioning; a late heartbeat never moves the time backwards.
('UpdateIAmAlivetimeKey', $sql$
UPDATE orleans_membership
SET i_am_alive_time = GREATEST(i_am_alive_time, @IAmAliveTime)
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation;
$sql$),

-- One silo's row with the table version. The version row comes back even when the silo has no row.
('MembershipReadRowKey', $sql$
SELECT
    m.address         AS Address,
    m.port            AS Port,
    m.generation      AS Generation,
    m.silo_name       AS SiloName,
    m.host_name       AS HostName,
    m.status          AS Status,
    m.proxy_port      AS ProxyPort,
    m.suspect_times   AS SuspectTimes,
    m.start_time      AS StartTime,
    m.i_am_alive_time AS IAmAliveTime,
    v.version         AS Version
FROM orleans_membership_version v
LEFT JOIN orleans_membership m
       ON m.deployment_id = v.deployment_id
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId;
$sql$),

-- Every silo's row with the table version.
('MembershipReadAllKey', $sql$
SELECT
    m.address         AS Address,
    m.port            AS Port,
    m.generation      AS Generation,
    m.silo_name       AS SiloName,
    m.host_name       AS HostName,
    m.status          AS Status,
    m.proxy_port      AS ProxyPort,
    m.suspect_times   AS SuspectTimes,
    m.start_time      AS StartTime,
    m.i_am_alive_time AS IAmAliveTime,
    v.version         AS Version
FROM orleans_membership_version v
LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId;
$sql$),

-- Clients find gateways here: silos with the given status (Active) that accept clients.
('GatewaysQueryKey', $sql$
SELECT address AS Address, proxy_port AS ProxyPort, generation AS Generation
FROM orleans_membership
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0;
$sql$),

-- Removes a whole cluster (the rows cascade with the version row).
('DeleteMembershipTableEntriesKey', $sql$
DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId;
$sql$),

-- Prunes rows of silos that are dead (status 6), unsuspected and silent since before @IAmAliveTime.
('CleanupDefunctSiloEntriesKey', $sql$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId
  AND status = 6
  AND i_am_alive_time < @IAmAliveTime
  AND start_time < @IAmAliveTime
  AND COALESCE(suspect_times, '') = '';
$sql$),

-- Prunes one dead silo's row, only if it is still exactly as the caller read it.
('CleanupDefunctSiloEntryKey', $sql$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId
  AND address = @Address AND port = @Port AND generation = @Generation
  AND status = 6
  AND i_am_alive_time = @IAmAliveTime
  AND start_time = @StartTime
  AND COALESCE(suspect_times, '') = COALESCE(CAST(@SuspectTimes AS text), '');
$sql$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
