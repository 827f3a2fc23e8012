using System.Diagnostics;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Repositories;

/// <summary>Real git repositories in a temp folder (outside the service's data directory), made from the templates.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class TestRepositories : IDisposable
{
    public TestRepositories()
    {
        Root = Directory.CreateTempSubdirectory("lp-repos-").FullName;
        File.SetUnixFileMode(Root, (UnixFileMode)0x1ED); // 0755
        Marker = Path.Join(Root, "hostile-code-ran");
    }

    /// <summary>The folder every test repository is in: the AllowedRemotes prefix.</summary>
    public string Root { get; }

    /// <summary>Written by the hostile hooks and filters if anything on the host ever ran them.</summary>
    public string Marker { get; }

    /// <summary>The react-vite template as a repository whose page says <paramref name="title"/>; <paramref name="change"/> edits the tree before the commit.</summary>
    public string FromTemplate(string name, string title, Action<string>? change = null)
    {
        var repo = Path.Join(Root, name);
        CopyTree(Path.Join(LivePreviewHost.RepositoryRoot, "templates", "react-vite"), repo);
        var index = Path.Join(repo, "index.html");
        File.WriteAllText(index, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(index), "<title>.*?</title>", $"<title>{title}</title>"));
        change?.Invoke(repo);
        Git(repo, "init", "-q", "-b", "main");
        Git(repo, "add", "-A");
        Git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "initial");
        return repo;
    }

    /// <summary>Hooks and a filter driver in the repository's own .git (config and hooks a local remote's owner controls), each writing <see cref="Marker"/>.</summary>
    public void Arm(string repo)
    {
        var script = $"#!/bin/sh\ntouch '{Marker}'\ncat\n";
        foreach (var hook in new[] { "post-checkout", "pre-upload-pack", "post-merge" })
        {
            var path = Path.Join(repo, ".git", "hooks", hook);
            File.WriteAllText(path, script);
            File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
        }
        Git(repo, "config", "filter.evil.smudge", $"sh -c 'touch {Marker}; cat'");
        Git(repo, "config", "core.fsmonitor", Path.Join(repo, ".git", "hooks", "post-checkout"));
    }

    public static void Git(string repo, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = repo, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', args)}: {error}");
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Join(to, Path.GetFileName(file)));
        }
        foreach (var dir in Directory.EnumerateDirectories(from).Where(d => Path.GetFileName(d) is not ("node_modules" or ".next")))
        {
            CopyTree(dir, Path.Join(to, Path.GetFileName(dir)));
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
