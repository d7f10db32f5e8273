-- Clears the payload under the same version check as a write; answers the new version or NULL.
UPDATE OrleansStorage
SET PayloadBinary = NULL, ModifiedOn = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), Version = Version + 1
WHERE ServiceId = @ServiceId AND GrainTypeString = @GrainTypeString
  AND GrainIdExtensionString = COALESCE(@GrainIdExtensionString, '')
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
  AND @GrainStateVersion IS NOT NULL AND Version = @GrainStateVersion;
SELECT CASE WHEN changes() = 1 THEN @GrainStateVersion + 1 ELSE NULL END AS NewGrainStateVersion;
