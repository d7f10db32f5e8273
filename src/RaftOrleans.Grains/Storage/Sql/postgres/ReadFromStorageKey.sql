SELECT PayloadBinary, Version
FROM OrleansStorage
WHERE ServiceId = CAST(@ServiceId AS varchar) AND GrainTypeString = CAST(@GrainTypeString AS varchar)
  AND GrainIdExtensionString = COALESCE(CAST(@GrainIdExtensionString AS varchar), '')
  AND GrainIdN0 = CAST(@GrainIdN0 AS bigint) AND GrainIdN1 = CAST(@GrainIdN1 AS bigint)
  AND GrainIdHash = CAST(@GrainIdHash AS integer) AND GrainTypeHash = CAST(@GrainTypeHash AS integer);
