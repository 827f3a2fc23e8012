using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LivePreview.Tests.Support;

/// <summary>
/// A self-signed TLS certificate for <c>localhost</c>, <c>*.localhost</c>, <c>*.preview.localhost</c> and 127.0.0.1, made
/// for one test run: the service serves it (Kestrel's default certificate), clients pin it — .NET by its thumbprint,
/// Chromium by <see cref="ChromiumSwitch"/> (its public key's SHA-256) — so nothing trusts any other certificate.
/// </summary>
public sealed class TestCertificate : IDisposable
{
    private TestCertificate(X509Certificate2 certificate) => Certificate = certificate;

    public X509Certificate2 Certificate { get; }

    /// <summary>Makes Chromium accept this certificate, and only this one, for any host name.</summary>
    public string ChromiumSwitch => $"--ignore-certificate-errors-spki-list={Convert.ToBase64String(SHA256.HashData(Certificate.PublicKey.ExportSubjectPublicKeyInfo()))}";

    public static TestCertificate Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName("*.localhost");
        names.AddDnsName("*.preview.localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Through PFX so the private key is usable by Kestrel on Linux.
        return new TestCertificate(X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null));
    }

    /// <summary>Writes the certificate with its key as PKCS#12 (no password), readable by the owner only.</summary>
    public string WritePfx(string directory)
    {
        var path = Path.Join(directory, "test-tls.pfx");
        File.WriteAllBytes(path, Certificate.Export(X509ContentType.Pfx));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return path;
    }

    /// <summary>Accepts exactly this certificate (for an <see cref="SocketsHttpHandler"/>'s or a WebSocket's validation).</summary>
    public bool Matches(X509Certificate? presented) =>
        presented is not null && string.Equals(presented.GetCertHashString(), Certificate.GetCertHashString(), StringComparison.OrdinalIgnoreCase);

    public void Dispose() => Certificate.Dispose();
}
