-- Clears the payload under the same version check as a write; answers the new version or NULL.
WITH cleared AS (
    UPDATE OrleansStorage
    SET PayloadBinary = NULL, ModifiedOn = now(), Version = Version + 1
    WHERE ServiceId = CAST(@ServiceId AS varchar) AND GrainTypeString = CAST(@GrainTypeString AS varchar)
      AND GrainIdExtensionString = COALESCE(CAST(@GrainIdExtensionString AS varchar), '')
      AND GrainIdN0 = CAST(@GrainIdN0 AS bigint) AND GrainIdN1 = CAST(@GrainIdN1 AS bigint)
      AND GrainIdHash = CAST(@GrainIdHash AS integer) AND GrainTypeHash = CAST(@GrainTypeHash AS integer)
      AND Version = CAST(@GrainStateVersion AS integer)
    RETURNING Version)
SELECT (SELECT Version FROM cleared) AS NewGrainStateVersion;
