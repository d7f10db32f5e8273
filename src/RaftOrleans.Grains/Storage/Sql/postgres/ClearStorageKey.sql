-- Two kinds of call, as in the SQLite dialect, both on write-once rows only. A row's own name: deletes it
-- under the same version check as a write; answers the next version, or NULL (the provider then throws
-- InconsistentStateException). A batch, 'raft-delete-rows:{name},{name},...' (RaftNodeStore.DeleteRowsPrefix):
-- one statement deletes each listed row of this node that is there, and answers the next version whatever
-- it deleted.
WITH deleted AS (
    DELETE FROM OrleansStorage
    WHERE ServiceId = CAST(@ServiceId AS varchar)
      AND GrainIdExtensionString = COALESCE(CAST(@GrainIdExtensionString AS varchar), '')
      AND GrainIdN0 = CAST(@GrainIdN0 AS bigint) AND GrainIdN1 = CAST(@GrainIdN1 AS bigint)
      AND GrainIdHash = CAST(@GrainIdHash AS integer)
      AND CASE WHEN CAST(@GrainTypeString AS varchar) LIKE 'raft-delete-rows:%'
          THEN GrainTypeString = ANY (string_to_array(substr(CAST(@GrainTypeString AS varchar), 18), ','))
          ELSE GrainTypeString = CAST(@GrainTypeString AS varchar) AND GrainTypeHash = CAST(@GrainTypeHash AS integer)
               AND Version = CAST(@GrainStateVersion AS integer)
          END
    RETURNING Version)
SELECT CASE WHEN CAST(@GrainTypeString AS varchar) LIKE 'raft-delete-rows:%' THEN CAST(@GrainStateVersion AS integer) + 1
            ELSE (SELECT max(Version) + 1 FROM deleted) END AS NewGrainStateVersion;
