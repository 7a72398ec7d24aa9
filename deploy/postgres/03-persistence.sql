-- Grain state for Microsoft.Orleans.Persistence.AdoNet on PostgreSQL.
--
-- The provider's contract: a grain is named by @ServiceId, @GrainTypeString and its id (@GrainIdN0, @GrainIdN1 and,
-- for string keys such as the hub's unit ids, @GrainIdExtensionString). Its state is an opaque binary payload with
-- an integer version, the grain's ETag. A write carries the version the grain read (@GrainStateVersion, NULL for a
-- grain never stored) and returns the new version as NewGrainStateVersion; returning anything else (the old
-- version, or NULL) tells the provider another activation wrote first, and it raises InconsistentStateException.
-- The provider also passes hashes of the id and type (@GrainIdHash, @GrainTypeHash) for stores without
-- composite keys; this table has a real primary key and does not need them.

CREATE TABLE IF NOT EXISTS orleans_grain_state
(
    service_id   varchar(150) NOT NULL,
    grain_type   varchar(512) NOT NULL,
    grain_id_n0  bigint       NOT NULL,
    grain_id_n1  bigint       NOT NULL,
    -- '' when the grain's key has no string part, so that the primary key needs no NULL.
    grain_id_ext varchar(512) NOT NULL,
    payload      bytea        NULL,
    version      integer      NOT NULL,
    modified_at  timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

('ReadFromStorageKey', $sql$
SELECT payload AS PayloadBinary, version AS Version
FROM orleans_grain_state
WHERE service_id = @ServiceId
  AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = COALESCE(CAST(@GrainIdExtensionString AS varchar), '');
$sql$),

-- Updates the row at the expected version, or inserts the first one; never both, never over another writer.
('WriteToStorageKey', $sql$
WITH updated AS (
    UPDATE orleans_grain_state
    SET payload = @PayloadBinary, version = version + 1, modified_at = now()
    WHERE service_id = @ServiceId
      AND grain_type = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_id_ext = COALESCE(CAST(@GrainIdExtensionString AS varchar), '')
      AND version = CAST(@GrainStateVersion AS integer)
    RETURNING version
), inserted AS (
    INSERT INTO orleans_grain_state (service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_ext, payload, version)
    SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, COALESCE(CAST(@GrainIdExtensionString AS varchar), ''), @PayloadBinary, 1
    WHERE CAST(@GrainStateVersion AS integer) IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version
)
SELECT COALESCE((SELECT version FROM updated), (SELECT version FROM inserted), CAST(@GrainStateVersion AS integer)) AS NewGrainStateVersion;
$sql$),

-- Clears the payload at the expected version, keeping the row so that versions keep rising.
('ClearStorageKey', $sql$
UPDATE orleans_grain_state
SET payload = NULL, version = version + 1, modified_at = now()
WHERE service_id = @ServiceId
  AND grain_type = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = COALESCE(CAST(@GrainIdExtensionString AS varchar), '')
  AND version = CAST(@GrainStateVersion AS integer)
RETURNING version AS NewGrainStateVersion;
$sql$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
