-- Deletes the row under the same version check as a write, as in the SQLite dialect: answers the next
-- version, or NULL (the provider then throws InconsistentStateException). Only write-once rows nothing
-- references any more are cleared (compacted log segments, superseded snapshot chunks).
WITH deleted AS (
    DELETE FROM OrleansStorage
    WHERE ServiceId = CAST(@ServiceId AS varchar) AND GrainTypeString = CAST(@GrainTypeString AS varchar)
      AND GrainIdExtensionString = COALESCE(CAST(@GrainIdExtensionString AS varchar), '')
      AND GrainIdN0 = CAST(@GrainIdN0 AS bigint) AND GrainIdN1 = CAST(@GrainIdN1 AS bigint)
      AND GrainIdHash = CAST(@GrainIdHash AS integer) AND GrainTypeHash = CAST(@GrainTypeHash AS integer)
      AND Version = CAST(@GrainStateVersion AS integer)
    RETURNING Version)
SELECT (SELECT Version + 1 FROM deleted) AS NewGrainStateVersion;
