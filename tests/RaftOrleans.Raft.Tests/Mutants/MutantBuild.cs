using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace RaftOrleans.Raft.Tests.Mutants;

/// <summary>One textual edit of a source file: <see cref="Original"/> must occur exactly once in it, so a
/// refactoring that moves the code makes the mutant fail loudly instead of silently testing nothing.</summary>
public sealed record SourceEdit(string File, string Original, string Mutated);

/// <summary>
/// Builds a copy of the core and the simulator with some edits applied, in memory (Roslyn), and runs the
/// simulator's random runs on it. The shipped assemblies never contain a mutant or a switch for one.
/// </summary>
public sealed class MutantBuild
{
    private static readonly string[] SourceFolders = ["src/RaftOrleans.Raft", "src/RaftOrleans.Simulation"];

    // What <ImplicitUsings> gives every project of this repository (Directory.Build.props).
    private const string ImplicitUsings =
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
        "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;";

    private readonly MethodInfo _execute;
    private readonly MethodInfo _chaos;
    private readonly PropertyInfo _passed;
    private readonly PropertyInfo _verdict;

    private MutantBuild(Assembly assembly)
    {
        var run = assembly.GetType("RaftOrleans.Simulation.RandomRun", throwOnError: true)!;
        var options = assembly.GetType("RaftOrleans.Simulation.RandomRunOptions", throwOnError: true)!;
        var result = assembly.GetType("RaftOrleans.Simulation.RandomRunResult", throwOnError: true)!;
        _execute = run.GetMethod("Execute")!;
        _chaos = options.GetMethod("Chaos")!;
        _passed = result.GetProperty("Passed")!;
        _verdict = result.GetProperty("Verdict")!;
    }

    public static MutantBuild Compile(string name, IReadOnlyList<SourceEdit> edits)
    {
        var root = RepositoryRoot();
        var sources = SourceFolders
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") &&
                           !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToDictionary(path => Path.GetRelativePath(root, path).Replace('\\', '/'), File.ReadAllText);
        foreach (var edit in edits)
        {
            if (!sources.TryGetValue(edit.File, out var text)) throw new InvalidOperationException($"{name}: no source file {edit.File}");
            var at = text.IndexOf(edit.Original, StringComparison.Ordinal);
            if (at < 0 || text.IndexOf(edit.Original, at + 1, StringComparison.Ordinal) >= 0)
                throw new InvalidOperationException($"{name}: the code to mutate must occur exactly once in {edit.File}:\n{edit.Original}");
            sources[edit.File] = string.Concat(text.AsSpan(0, at), edit.Mutated, text.AsSpan(at + edit.Original.Length));
        }
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Value, parse, s.Key))
            .Append(CSharpSyntaxTree.ParseText(ImplicitUsings, parse, "ImplicitUsings.cs"));
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator).Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create($"RaftOrleans.Mutant.{name}", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        if (!emitted.Success)
        {
            var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(5);
            throw new InvalidOperationException($"{name} does not compile:\n{string.Join("\n", errors)}");
        }
        image.Position = 0;
        var context = new AssemblyLoadContext(name, isCollectible: true);
        return new MutantBuild(context.LoadFromStream(image));
    }

    /// <summary>One CI seed, exactly as SimulationTests runs it (3 to 7 nodes by seed).</summary>
    public (bool Passed, string Verdict) RunSeed(int seed, int ticks)
    {
        var options = _chaos.Invoke(null, [seed, 3 + seed % 5, ticks]);
        var result = _execute.Invoke(null, [options])!;
        return ((bool)_passed.GetValue(result)!, (string)_verdict.GetValue(result)!);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RaftOrleans.sln"))) return dir.FullName;
        throw new InvalidOperationException("RaftOrleans.sln not found above " + AppContext.BaseDirectory);
    }
}
