return await RaftOrleans.Silo.SiloProgram.RunAsync(args);
