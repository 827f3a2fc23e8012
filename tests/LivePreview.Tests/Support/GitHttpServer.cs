using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LivePreview.Tests.Support;

/// <summary>
/// A git forge's smart HTTP on 127.0.0.1: Kestrel on a free port runs <c>git http-backend</c> as CGI for every request,
/// over bare repositories in a temporary folder (<see cref="AddRepositoryFrom"/>), push enabled. Optionally https (a
/// self-signed certificate for 127.0.0.1, its PEM at <see cref="CaCertificatePath"/>) and basic auth (one user and token:
/// anything else gets 401). Every request is recorded (<see cref="Requests"/>), with the user it authenticated as.
/// The server's own git runs with a clean environment: no system or user config, an empty HOME, no hooks.
/// </summary>
internal sealed class GitHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly (string User, string Token)? _credential;
    private readonly string _home;
    private readonly string _emptyTemplate;
    private readonly ConcurrentQueue<GitHttpRequest> _requests = new();

    private GitHttpServer(WebApplication app, string directory, (string, string)? credential, string? caPath)
    {
        _app = app;
        _credential = credential;
        Directory = directory;
        Root = System.IO.Directory.CreateDirectory(Path.Join(directory, "repositories")).FullName;
        _home = System.IO.Directory.CreateDirectory(Path.Join(directory, "home")).FullName;
        _emptyTemplate = System.IO.Directory.CreateDirectory(Path.Join(directory, "template")).FullName;
        CaCertificatePath = caPath;
    }

    /// <summary>Everything the server keeps (removed at the end).</summary>
    public string Directory { get; }

    /// <summary>The bare repositories (<c>&lt;name&gt;.git</c>), served as <see cref="BaseUrl"/><c>&lt;name&gt;.git</c>.</summary>
    public string Root { get; }

    /// <summary><c>http://127.0.0.1:&lt;port&gt;/</c> (or https).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The self-signed certificate's PEM (https only): what a client must trust.</summary>
    public string? CaCertificatePath { get; }

    public IReadOnlyList<GitHttpRequest> Requests => [.. _requests];

    /// <param name="https">Serve https with a self-signed certificate for 127.0.0.1.</param>
    /// <param name="credential">Require basic auth with exactly this user and token.</param>
    public static async Task<GitHttpServer> StartAsync(bool https = false, (string User, string Token)? credential = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("lp-git-http-").FullName;
        X509Certificate2? certificate = null;
        string? caPath = null;
        if (https)
        {
            certificate = SelfSigned();
            caPath = Path.Join(directory, "ca.pem");
            await File.WriteAllTextAsync(caPath, certificate.ExportCertificatePem());
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = directory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        var app = builder.Build();
        var server = new GitHttpServer(app, directory, credential, caPath);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <summary>The URL of repository <paramref name="name"/>.</summary>
    public string UrlOf(string name) => new Uri(BaseUrl, name + ".git").ToString();

    /// <summary>The bare repository folder of <paramref name="name"/>.</summary>
    public string PathOf(string name) => Path.Join(Root, name + ".git");

    /// <summary>
    /// A bare repository <paramref name="name"/> whose one commit on <paramref name="branch"/> holds the files of
    /// <paramref name="sourceDir"/> (as git adds them: the folder's own .gitignore files apply). Returns its URL.
    /// </summary>
    public string AddRepositoryFrom(string sourceDir, string name, string branch = "main")
    {
        var bare = PathOf(name);
        Git(null, "init", "--bare", "--quiet", $"--template={_emptyTemplate}", $"--initial-branch={branch}", bare);
        Git(bare, "config", "http.receivepack", "true");
        var index = Path.Join(Directory, $"index-{Guid.NewGuid():N}");
        var tree = new Dictionary<string, string> { ["GIT_INDEX_FILE"] = index, ["GIT_WORK_TREE"] = Path.GetFullPath(sourceDir) };
        Git(bare, tree, "add", "--all");
        Git(bare, tree, "commit", "--quiet", "--no-verify", "-m", $"{name} as generated");
        File.Delete(index);
        return UrlOf(name);
    }

    /// <summary>Runs the server's git (clean environment) and returns its standard output; throws when it fails.</summary>
    public string Git(string? gitDir, params string[] arguments) => Git(gitDir, new Dictionary<string, string>(), arguments);

    private string Git(string? gitDir, Dictionary<string, string> extra, params string[] arguments)
    {
        var start = GitStart(gitDir is null ? arguments : ["--git-dir", gitDir, .. arguments]);
        foreach (var (key, value) in extra)
        {
            start.Environment[key] = value;
        }
        if (extra.TryGetValue("GIT_WORK_TREE", out var workTree))
        {
            start.WorkingDirectory = workTree;
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
        }
        return output;
    }

    private ProcessStartInfo GitStart(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _home,
        };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment["HOME"] = _home;
        start.Environment["LANG"] = "C";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_CEILING_DIRECTORIES"] = Directory;
        start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "Corpus";
        start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "corpus@livepreview.test";
        start.Environment["GIT_CONFIG_COUNT"] = "2";
        start.Environment["GIT_CONFIG_KEY_0"] = "core.hooksPath";
        start.Environment["GIT_CONFIG_VALUE_0"] = _emptyTemplate;
        start.Environment["GIT_CONFIG_KEY_1"] = "core.fsmonitor";
        start.Environment["GIT_CONFIG_VALUE_1"] = "false";
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string? user = null;
        if (_credential is { } expected)
        {
            user = BasicUser(request.Headers.Authorization.ToString(), expected);
            if (user is null)
            {
                _requests.Enqueue(new GitHttpRequest(request.Method, request.Path, request.QueryString.Value ?? "", request.Headers.Authorization.Count > 0, null, 401));
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
                return;
            }
        }

        var start = GitStart(["http-backend"]);
        var env = start.Environment;
        env["GIT_PROJECT_ROOT"] = Root;
        env["GIT_HTTP_EXPORT_ALL"] = "1";
        env["PATH_INFO"] = request.Path.Value ?? "/";
        env["QUERY_STRING"] = (request.QueryString.Value ?? "").TrimStart('?');
        env["REQUEST_METHOD"] = request.Method;
        env["REMOTE_ADDR"] = context.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        env["SERVER_PROTOCOL"] = request.Protocol;
        if (request.ContentType is { } contentType)
        {
            env["CONTENT_TYPE"] = contentType;
        }
        // A chunked body has no length: http-backend then reads standard input to its end.
        if (request.ContentLength is { } length)
        {
            env["CONTENT_LENGTH"] = length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding)
        {
            env["HTTP_CONTENT_ENCODING"] = encoding;
        }
        if (request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol)
        {
            env["GIT_PROTOCOL"] = protocol;
        }
        if (user is not null)
        {
            env["REMOTE_USER"] = user;
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(context.RequestAborted);
        var body = Task.Run(async () =>
        {
            try
            {
                await request.Body.CopyToAsync(process.StandardInput.BaseStream, context.RequestAborted);
            }
            finally
            {
                process.StandardInput.Close();
            }
        });
        var output = process.StandardOutput.BaseStream;
        var (status, headers, rest) = await ReadCgiHeadAsync(output, context.RequestAborted);
        context.Response.StatusCode = status;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers.Append(name, value);
        }
        await context.Response.Body.WriteAsync(rest, context.RequestAborted);
        await output.CopyToAsync(context.Response.Body, context.RequestAborted);
        await body;
        await process.WaitForExitAsync(context.RequestAborted);
        _ = await errors;
        _requests.Enqueue(new GitHttpRequest(request.Method, request.Path, request.QueryString.Value ?? "", request.Headers.Authorization.Count > 0, user, status));
    }

    /// <summary>The CGI head (up to the first empty line): <c>Status:</c> and the other headers; the bytes read past it.</summary>
    private static async Task<(int Status, List<(string, string)> Headers, byte[] Remainder)> ReadCgiHeadAsync(Stream output, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while (true)
        {
            var read = await output.ReadAsync(chunk, ct);
            if (read == 0)
            {
                throw new InvalidOperationException($"git http-backend ended before its CGI head: {Encoding.UTF8.GetString(buffer.ToArray())}");
            }
            buffer.Write(chunk, 0, read);
            var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
            var (end, separator) = (bytes.IndexOf("\r\n\r\n"u8), 4);
            if (end < 0)
            {
                (end, separator) = (bytes.IndexOf("\n\n"u8), 2);
            }
            if (end < 0)
            {
                if (buffer.Length > 64 * 1024)
                {
                    throw new InvalidOperationException("git http-backend's CGI head is over 64 KiB.");
                }
                continue;
            }
            var status = 200;
            var headers = new List<(string, string)>();
            foreach (var line in Encoding.ASCII.GetString(bytes[..end]).Split('\n'))
            {
                var colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    continue;
                }
                var (name, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
                if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
                {
                    status = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                }
                else
                {
                    headers.Add((name, value));
                }
            }
            return (status, headers, bytes[(end + separator)..].ToArray());
        }
    }

    private static string? BasicUser(string authorization, (string User, string Token) expected)
    {
        if (!authorization.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return null;
        }
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
        var colon = decoded.IndexOf(':');
        if (colon < 0)
        {
            return null;
        }
        var (user, token) = (decoded[..colon], decoded[(colon + 1)..]);
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(user + "\n" + token), Encoding.UTF8.GetBytes(expected.User + "\n" + expected.Token))
            ? user : null;
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <param name="SentAuthorization">The request carried an Authorization header.</param>
/// <param name="User">The user it authenticated as (REMOTE_USER), when the server requires auth and it passed.</param>
internal sealed record GitHttpRequest(string Method, string Path, string Query, bool SentAuthorization, string? User, int Status);
