using System.Text;

namespace LivePreview.Sandboxes.Local;

/// <summary>One line of <c>/proc/self/mountinfo</c>: where a file system is mounted, its type and its super options.</summary>
internal sealed record MountInfo(string MountPoint, string FileSystemType, string Source, string SuperOptions)
{
    public const string Path = "/proc/self/mountinfo";

    public static IEnumerable<MountInfo> Read() => Parse(File.ReadLines(Path));

    /// <summary>
    /// Fields: id parent major:minor root mount-point options [optional fields…] - type source super-options.
    /// The optional fields end at a lone "-"; spaces inside paths are octal-escaped (\040).
    /// </summary>
    public static IEnumerable<MountInfo> Parse(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (fields.Length < 5 || separator < 0 || separator + 3 >= fields.Length)
            {
                continue;
            }
            yield return new MountInfo(Unescape(fields[4]), fields[separator + 1], Unescape(fields[separator + 2]), fields[separator + 3]);
        }
    }

    public static bool IsMountPoint(string path) => Read().Any(m => m.MountPoint == path);

    public static string Unescape(string field)
    {
        if (!field.Contains('\\'))
        {
            return field;
        }
        var bytes = new List<byte>(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                bytes.Add(Convert.ToByte(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
