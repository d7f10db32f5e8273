-- Two kinds of call, both on write-once rows only (the Raft store never clears its node row).
-- A row's own name: deletes it under the same version check as a write; answers the next version, or NULL
-- when the row is not there with that version (the provider then throws InconsistentStateException).
-- A compaction, 'raft-compact-{L}-{S}' (RaftNodeStore.CompactionPrefix): one statement, one transaction,
-- deletes every log segment row of this node starting at or before index L ('raft-log-{first}-{hash}') and
-- every snapshot chunk row of a snapshot at or before index S ('raft-snapshot-{index}-{digest}-{n}');
-- answers the next version whatever it deleted. CAST of '12-ab' AS INTEGER is 12 (the leading number).
DELETE FROM OrleansStorage
WHERE ServiceId = @ServiceId
  AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainIdHash = @GrainIdHash
  AND CASE WHEN @GrainTypeString LIKE 'raft-compact-%' THEN
           (GrainTypeString LIKE 'raft-log-%'
            AND CAST(substr(GrainTypeString, 10) AS INTEGER) <= CAST(substr(@GrainTypeString, 14) AS INTEGER))
        OR (GrainTypeString LIKE 'raft-snapshot-%'
            AND CAST(substr(GrainTypeString, 15) AS INTEGER)
                <= CAST(substr(@GrainTypeString, 14 + instr(substr(@GrainTypeString, 14), '-')) AS INTEGER))
      ELSE GrainTypeString = @GrainTypeString AND GrainTypeHash = @GrainTypeHash
           AND @GrainStateVersion IS NOT NULL AND Version = @GrainStateVersion
      END;
SELECT CASE WHEN @GrainTypeString LIKE 'raft-compact-%' OR changes() = 1 THEN @GrainStateVersion + 1 ELSE NULL END
       AS NewGrainStateVersion;
