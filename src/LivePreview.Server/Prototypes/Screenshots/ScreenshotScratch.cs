using System.Runtime.InteropServices;

namespace LivePreview.Prototypes.Screenshots;

/// <summary>
/// A root-owned folder (0711) holding the profile (Chromium's user's, 0700) and the screenshot file, made empty
/// beforehand and owned by Chromium's user: Chromium writes into it but cannot put a link or a FIFO in its place.
/// </summary>
internal sealed class ScreenshotScratch
{
    public required string Root { get; init; }
    public string Profile => Path.Join(Root, "profile");
    public string Shot => Path.Join(Root, "shot.png");

    public static ScreenshotScratch Create(int uid, int gid)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Screenshots need Linux.");
        }
        var scratch = new ScreenshotScratch { Root = System.IO.Directory.CreateTempSubdirectory("livepreview-shot-").FullName };
        File.SetUnixFileMode(scratch.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        System.IO.Directory.CreateDirectory(scratch.Profile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllBytes(scratch.Shot, []);
        File.SetUnixFileMode(scratch.Shot, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Chown(scratch.Profile, uid, gid);
        Chown(scratch.Shot, uid, gid);
        return scratch;
    }

    /// <summary>Chromium's user is gone by now (its PID namespace died with the launcher); recursive delete removes links, never follows them.</summary>
    public void Delete()
    {
        try
        {
            System.IO.Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void Chown(string path, int uid, int gid)
    {
        if (lchown(path, uid, gid) != 0)
        {
            throw new IOException($"Could not hand '{path}' to uid {uid}: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int lchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int owner, int group);
}
