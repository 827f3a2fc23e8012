using System.Security.Cryptography;

namespace LivePreview.Sandboxes;

/// <summary>
/// Sandbox ids are one DNS label fragment: lower-case letters and digits, starting with a letter,
/// so that <c>{port}-{id}.{preview domain}</c> is always a valid host name.
/// </summary>
public static class SandboxId
{
    public const int Length = 12;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string New()
    {
        Span<char> chars = stackalloc char[Length];
        chars[0] = Alphabet[RandomNumberGenerator.GetInt32(26)];
        for (var i = 1; i < Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return new string(chars);
    }

    public static bool IsValid(string? id) =>
        id is { Length: Length } && char.IsAsciiLetterLower(id[0]) && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));
}
