using System.Text.Json;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// What <c>sandbox.json</c> records: enough to re-create the mount and the network after a restart. DiskLimitMb 0: no
/// image (also records written before it existed). LowerDirectories: the layers below the snapshot, topmost first
/// (null in records written before there were any).
/// </summary>
internal sealed record LocalSandboxRecord(string SnapshotDirectory, int SubnetIndex, DateTimeOffset CreatedAt, int DiskLimitMb = 0,
    IReadOnlyList<string>? LowerDirectories = null)
{
    /// <summary>Every lower layer of the overlay, topmost first.</summary>
    public IReadOnlyList<string> Layers => [SnapshotDirectory, .. LowerDirectories ?? []];
}

/// <summary>
/// Where one sandbox's pieces live on the host: <c>{Root}/{id}/disk/upper|work</c> (on the loop-mounted
/// <c>disk.img</c> when the sandbox has a disk limit), <c>merged</c> and <c>sandbox.json</c>; its network
/// namespace <c>lp-{id}</c> and the host end of its veth pair.
/// </summary>
internal sealed class SandboxLayout(string root, string id)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string Id { get; } = id;
    public string Directory { get; } = Path.Join(root, id);

    /// <summary>The sparse ext4 image holding the writable layer (absent: no disk limit).</summary>
    public string DiskImage => Path.Join(Directory, "disk.img");

    /// <summary>Where the image is mounted; a plain folder without one.</summary>
    public string Disk => Path.Join(Directory, "disk");

    public string Upper => Path.Join(Layers, "upper");
    public string Work => Path.Join(Layers, "work");
    public string Merged => Path.Join(Directory, "merged");

    /// <summary>The sandbox's persistent HOME, beside the overlay's layers (see <see cref="HomeBind"/>).</summary>
    public string Home => Path.Join(Disk, "home");
    public string RecordFile => Path.Join(Directory, "sandbox.json");

    /// <summary>Network namespace name, as <c>ip netns</c> knows it.</summary>
    public string NetworkNamespace => $"lp-{Id}";

    /// <summary>The host end of the veth pair: "lph" + the 12-character id = 15, the kernel's limit for interface names.</summary>
    public string HostLink => $"lph{Id}";

    public LocalSandboxRecord? ReadRecord()
    {
        try
        {
            return JsonSerializer.Deserialize<LocalSandboxRecord>(File.ReadAllBytes(RecordFile), Json);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Written to a temporary file and renamed, so a crash never leaves half a record.</summary>
    public void WriteRecord(LocalSandboxRecord record)
    {
        var temporary = RecordFile + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(record, Json));
        File.Move(temporary, RecordFile, overwrite: true);
    }

    /// <summary>Sandboxes made before the disk limit keep upper/ and work/ in the sandbox folder itself.</summary>
    private string Layers => System.IO.Directory.Exists(Path.Join(Directory, "upper")) ? Directory : Disk;

    /// <summary>The folder, the image's mount point and merged/; never upper/ or work/, which belong on the mounted image (<see cref="CreateLayerDirectories"/>).</summary>
    public void CreateDirectories()
    {
        foreach (var directory in new[] { Directory, Disk, Merged })
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        // Only root may enter: host root is the sandbox's user, so upper/ can hold files it made setuid-root.
        // The overlay is mounted nosuid, but upper/ itself is not; a host user who could reach it could run them.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>upper/ and work/ of the overlay; once the image is mounted, so they are made on it.</summary>
    public void CreateLayerDirectories()
    {
        System.IO.Directory.CreateDirectory(Upper);
        System.IO.Directory.CreateDirectory(Work);
    }
}
