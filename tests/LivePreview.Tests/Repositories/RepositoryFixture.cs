using System.Runtime.InteropServices;
using System.Text;
using LivePreview.Repositories;
using LivePreview.Repositories.Detection;

namespace LivePreview.Tests.Repositories;

/// <summary>A repository written to a temporary folder, with a sibling folder "outside" it for links that try to leave.</summary>
internal sealed class RepositoryFixture : IDisposable
{
    private readonly string _parent = Directory.CreateTempSubdirectory("lp-detect-").FullName;

    public RepositoryFixture()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
    }

    public string Root => Path.Join(_parent, "repo");

    public string Outside => Path.Join(_parent, "outside");

    public DirectoryTree Tree => new(Root);

    public RepositoryFixture Write(string relativePath, string text) => WriteBytes(relativePath, Encoding.UTF8.GetBytes(text));

    public RepositoryFixture WriteBytes(string relativePath, byte[] content)
    {
        var path = Path.Join(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return this;
    }

    /// <summary>A package.json with these dependencies (JSON object text) and scripts.</summary>
    public RepositoryFixture Package(string directory, string dependencies = "{}", string scripts = "{}", string extra = "") =>
        Write(directory.Length == 0 ? "package.json" : $"{directory}/package.json",
            $$"""{ "name": "app", "private": true, "scripts": {{scripts}}, "dependencies": {{dependencies}}{{(extra.Length == 0 ? "" : ", " + extra)}} }""");

    /// <summary>An installed package: node_modules/&lt;name&gt;/package.json with a bin, and the bin file.</summary>
    public RepositoryFixture Installed(string nodeModules, string name, string version, string bin, string binName) =>
        Write($"{nodeModules}/{name}/package.json", $$"""{ "name": "{{name}}", "version": "{{version}}", "bin": { "{{binName}}": "{{bin}}" } }""")
            .Write($"{nodeModules}/{name}/{bin.TrimStart('.', '/')}", "#!/usr/bin/env node\n");

    public RepositoryFixture Link(string relativePath, string target)
    {
        var path = Path.Join(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
        return this;
    }

    public string WriteOutside(string relativePath, string text)
    {
        var path = Path.Join(Outside, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public void Fifo(string relativePath)
    {
        if (MkFifo(Path.Join(Root, relativePath), 0b110_100_100) != 0)
        {
            throw new IOException($"mkfifo failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public Task<AppProfile> DetectAsync(AppOverrides? overrides = null) => new AppDetector().DetectAsync(Tree, overrides, CancellationToken.None);

    public async Task<DevServerPlan> PlanAsync(AppOverrides? overrides = null, string? basePath = null)
    {
        var detector = new AppDetector();
        var profile = await detector.DetectAsync(Tree, overrides, CancellationToken.None);
        return await detector.PlanDevServerAsync(profile, Tree, basePath, CancellationToken.None);
    }

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo(string path, uint mode);
}
