-- Optimistic write. No version (@GrainStateVersion NULL): insert only, so a second first-time writer
-- fails. A version: update only if the row still has it. One statement, so it is atomic; changes()
-- is per connection, so the answer is ours: the new version, or NULL (the provider then throws
-- InconsistentStateException: a stale or duplicate writer).
INSERT INTO OrleansStorage
    (ServiceId, GrainTypeString, GrainIdExtensionString, GrainIdN0, GrainIdN1, GrainIdHash, GrainTypeHash,
     PayloadBinary, ModifiedOn, Version)
SELECT @ServiceId, @GrainTypeString, COALESCE(@GrainIdExtensionString, ''), @GrainIdN0, @GrainIdN1, @GrainIdHash,
       @GrainTypeHash, @PayloadBinary, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1
WHERE @GrainStateVersion IS NULL
   OR EXISTS (SELECT 1 FROM OrleansStorage
              WHERE ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
                AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
                AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
                AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash)
ON CONFLICT (ServiceId, GrainTypeString, GrainIdExtensionString, GrainIdN0, GrainIdN1, GrainIdHash, GrainTypeHash)
DO UPDATE SET PayloadBinary = excluded.PayloadBinary,
              ModifiedOn    = excluded.ModifiedOn,
              Version       = OrleansStorage.Version + 1
WHERE OrleansStorage.Version = @GrainStateVersion;
SELECT CASE WHEN changes() = 1 THEN COALESCE(@GrainStateVersion, 0) + 1 ELSE NULL END AS NewGrainStateVersion;
