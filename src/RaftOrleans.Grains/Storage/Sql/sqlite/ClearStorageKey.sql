-- Deletes the row under the same version check as a write; answers the next version, or NULL when the
-- row is not there with that version (the provider then throws InconsistentStateException). The Raft
-- store clears only write-once rows nothing references any more (compacted log segments, superseded
-- snapshot chunks), so the row goes rather than lingering with an empty payload.
DELETE FROM OrleansStorage
WHERE ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
  AND @GrainStateVersion IS NOT NULL AND Version = @GrainStateVersion;
SELECT CASE WHEN changes() = 1 THEN @GrainStateVersion + 1 ELSE NULL END AS NewGrainStateVersion;
