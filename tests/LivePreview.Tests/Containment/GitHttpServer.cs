using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace LivePreview.Tests.Containment;

/// <summary>
/// A real smart-HTTP git server: Kestrel with TLS on 127.0.0.1 in front of <c>git http-backend</c> (CGI), reached under
/// several host names (*.localhost resolve to loopback in curl). Each request is recorded with its host and whether it
/// carried an Authorization header; while a request is open (git is waiting on it), every process's command line is
/// searched for the token. A host in <see cref="Passwords"/> demands basic auth; <c>/redirect/…</c> answers 302 to
/// <see cref="RedirectTo"/>.
/// </summary>
internal sealed class GitHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _token;

    private GitHttpServer(WebApplication app, string root, string caFile, string token)
    {
        _app = app;
        Root = root;
        CaFile = caFile;
        _token = token;
    }

    public string Root { get; }

    /// <summary>PEM of the server's self-signed certificate, for LivePreview:Git:CaCertificates.</summary>
    public string CaFile { get; }

    public int Port => new Uri(_app.Urls.First()).Port;

    public ConcurrentQueue<(string Host, string Path, string? Authorization)> Requests { get; } = new();

    /// <summary>Set when the token was found in some process's /proc/{pid}/cmdline during a request.</summary>
    public bool TokenSeenOnACommandLine { get; private set; }

    /// <summary>Set when git's https helper was among the processes searched (so the search ran while git was talking to us).</summary>
    public bool GitClientSeen { get; private set; }

    public Dictionary<string, (string User, string Password)> Passwords { get; } = [];

    public string? RedirectTo { get; set; }

    public static async Task<GitHttpServer> StartAsync(string root, string token, params string[] hostNames)
    {
        using var certificate = SelfSigned(hostNames);
        var caFile = Path.Join(root, "ca.pem");
        await File.WriteAllTextAsync(caFile, certificate.ExportCertificatePem());
        var tls = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http1;
            l.UseHttps(tls);
        }));
        var app = builder.Build();
        var server = new GitHttpServer(app, root, caFile, token);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var host = context.Request.Host.Host;
        string? authorization = context.Request.Headers.Authorization;
        Requests.Enqueue((host, context.Request.Path.Value ?? "", authorization));
        SearchCommandLines();
        if (context.Request.Path.StartsWithSegments("/redirect", out var rest) && RedirectTo is not null)
        {
            context.Response.Redirect(RedirectTo + rest + context.Request.QueryString);
            return;
        }
        if (Passwords.TryGetValue(host, out var expected)
            && authorization != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{expected.User}:{expected.Password}")))
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
            return;
        }
        if (!Passwords.ContainsKey(host))
        {
            // Hosts without a password demand one all the same: a client holding a credential for them would send it now.
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"other\"";
            return;
        }
        await BackendAsync(context, expected.User);
    }

    /// <summary>CGI: the request goes to git http-backend's stdin and environment; its stdout is headers, a blank line, the body.</summary>
    private async Task BackendAsync(HttpContext context, string user)
    {
        var start = new ProcessStartInfo("git", ["http-backend"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["GIT_PROJECT_ROOT"] = Path.Join(Root, "repos");
        start.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["REQUEST_METHOD"] = context.Request.Method;
        start.Environment["PATH_INFO"] = context.Request.Path.Value;
        start.Environment["QUERY_STRING"] = context.Request.QueryString.Value?.TrimStart('?') ?? "";
        start.Environment["CONTENT_TYPE"] = context.Request.ContentType ?? "";
        start.Environment["REMOTE_USER"] = user;
        start.Environment["REMOTE_ADDR"] = "127.0.0.1";
        if (context.Request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding)
        {
            start.Environment["HTTP_CONTENT_ENCODING"] = encoding;
        }
        if (context.Request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol)
        {
            start.Environment["GIT_PROTOCOL"] = protocol;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.BaseStream;
        var body = context.Request.Body.CopyToAsync(process.StandardInput.BaseStream).ContinueWith(_ => process.StandardInput.Close(), TaskScheduler.Default);
        var headers = await ReadHeadersAsync(output);
        foreach (var line in headers.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (name, value) = (line[..line.IndexOf(':')], line[(line.IndexOf(':') + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = int.Parse(value[..3], System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                context.Response.Headers[name] = value;
            }
        }
        await output.CopyToAsync(context.Response.Body);
        await body;
        await process.WaitForExitAsync();
    }

    private static async Task<string> ReadHeadersAsync(Stream output)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (await output.ReadAsync(one) == 1)
        {
            bytes.Add(one[0]);
            var n = bytes.Count;
            if (n >= 2 && bytes[n - 1] == '\n' && (bytes[n - 2] == '\n' || (n >= 4 && bytes[n - 2] == '\r' && bytes[n - 3] == '\n')))
            {
                break;
            }
        }
        return Encoding.ASCII.GetString([.. bytes]);
    }

    private void SearchCommandLines()
    {
        var token = Encoding.UTF8.GetBytes(_token);
        var client = "remote-https"u8.ToArray();
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => char.IsDigit(Path.GetFileName(d)[0])))
        {
            try
            {
                var line = File.ReadAllBytes(Path.Join(dir, "cmdline")).AsSpan();
                TokenSeenOnACommandLine |= line.IndexOf(token) >= 0;
                GitClientSeen |= line.IndexOf(client) >= 0;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static X509Certificate2 SelfSigned(string[] hostNames)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=livepreview-test-git", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in hostNames)
        {
            names.AddDnsName(name);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
