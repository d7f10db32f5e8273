-- Two kinds of call, both on write-once rows only (the Raft store never clears its node row).
-- A row's own name: deletes it under the same version check as a write; answers the next version, or NULL
-- when the row is not there with that version (the provider then throws InconsistentStateException).
-- A batch, 'raft-delete-rows:{name},{name},...' (RaftNodeStore.DeleteRowsPrefix): one statement, one
-- transaction (one sync), deletes each listed row of this node that is there; answers the next version
-- whatever it deleted. Compaction after a snapshot deletes hundreds of segment rows this way instead of
-- one transaction per row beside the loop's own writes to the same file.
DELETE FROM OrleansStorage
WHERE ServiceId = @ServiceId
  AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainIdHash = @GrainIdHash
  AND CASE WHEN @GrainTypeString LIKE 'raft-delete-rows:%'
      THEN instr(',' || substr(@GrainTypeString, 18) || ',', ',' || GrainTypeString || ',') > 0
      ELSE GrainTypeString = @GrainTypeString AND GrainTypeHash = @GrainTypeHash
           AND @GrainStateVersion IS NOT NULL AND Version = @GrainStateVersion
      END;
SELECT CASE WHEN @GrainTypeString LIKE 'raft-delete-rows:%' OR changes() = 1 THEN @GrainStateVersion + 1 ELSE NULL END
       AS NewGrainStateVersion;
