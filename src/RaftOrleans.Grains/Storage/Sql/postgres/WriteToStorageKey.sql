-- Optimistic write, as in the SQLite dialect: insert only without a version, update only if the row
-- still has the given version. Always one result row: the new version, or NULL (the provider then
-- throws InconsistentStateException).
WITH written AS (
    INSERT INTO OrleansStorage
        (ServiceId, GrainTypeString, GrainIdExtensionString, GrainIdN0, GrainIdN1, GrainIdHash, GrainTypeHash,
         PayloadBinary, ModifiedOn, Version)
    SELECT CAST(@ServiceId AS varchar), CAST(@GrainTypeString AS varchar),
           COALESCE(CAST(@GrainIdExtensionString AS varchar), ''), CAST(@GrainIdN0 AS bigint),
           CAST(@GrainIdN1 AS bigint), CAST(@GrainIdHash AS integer), CAST(@GrainTypeHash AS integer),
           CAST(@PayloadBinary AS bytea), now(), 1
    WHERE CAST(@GrainStateVersion AS integer) IS NULL
       OR EXISTS (SELECT 1 FROM OrleansStorage
                  WHERE ServiceId = CAST(@ServiceId AS varchar) AND GrainTypeString = CAST(@GrainTypeString AS varchar)
                    AND GrainIdExtensionString = COALESCE(CAST(@GrainIdExtensionString AS varchar), '')
                    AND GrainIdN0 = CAST(@GrainIdN0 AS bigint) AND GrainIdN1 = CAST(@GrainIdN1 AS bigint)
                    AND GrainIdHash = CAST(@GrainIdHash AS integer) AND GrainTypeHash = CAST(@GrainTypeHash AS integer))
    ON CONFLICT (ServiceId, GrainTypeString, GrainIdExtensionString, GrainIdN0, GrainIdN1, GrainIdHash, GrainTypeHash)
    DO UPDATE SET PayloadBinary = EXCLUDED.PayloadBinary,
                  ModifiedOn    = EXCLUDED.ModifiedOn,
                  Version       = OrleansStorage.Version + 1
    WHERE OrleansStorage.Version = CAST(@GrainStateVersion AS integer)
    RETURNING Version)
SELECT (SELECT Version FROM written) AS NewGrainStateVersion;
