-- Two kinds of call, as in the SQLite dialect, both on write-once rows only. A row's own name: deletes it
-- under the same version check as a write; answers the next version, or NULL (the provider then throws
-- InconsistentStateException). A compaction, 'raft-compact-{L}-{S}': one statement deletes every log
-- segment row of this node starting at or before index L and every snapshot chunk row of a snapshot at or
-- before index S, and answers the next version whatever it deleted. The CASEs keep the casts to rows whose
-- name has a number in that place.
WITH deleted AS (
    DELETE FROM OrleansStorage
    WHERE ServiceId = CAST(@ServiceId AS varchar)
      AND GrainIdExtensionString = COALESCE(CAST(@GrainIdExtensionString AS varchar), '')
      AND GrainIdN0 = CAST(@GrainIdN0 AS bigint) AND GrainIdN1 = CAST(@GrainIdN1 AS bigint)
      AND GrainIdHash = CAST(@GrainIdHash AS integer)
      AND CASE WHEN CAST(@GrainTypeString AS varchar) LIKE 'raft-compact-%' THEN
               CASE WHEN GrainTypeString LIKE 'raft-log-%'
                    THEN split_part(GrainTypeString, '-', 3)::bigint <= split_part(CAST(@GrainTypeString AS varchar), '-', 3)::bigint
                    WHEN GrainTypeString LIKE 'raft-snapshot-%'
                    THEN split_part(GrainTypeString, '-', 3)::bigint <= split_part(CAST(@GrainTypeString AS varchar), '-', 4)::bigint
                    ELSE false END
          ELSE GrainTypeString = CAST(@GrainTypeString AS varchar) AND GrainTypeHash = CAST(@GrainTypeHash AS integer)
               AND Version = CAST(@GrainStateVersion AS integer)
          END
    RETURNING Version)
SELECT CASE WHEN CAST(@GrainTypeString AS varchar) LIKE 'raft-compact-%' THEN CAST(@GrainStateVersion AS integer) + 1
            ELSE (SELECT max(Version) + 1 FROM deleted) END AS NewGrainStateVersion;
