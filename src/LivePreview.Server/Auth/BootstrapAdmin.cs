using LivePreview.Hosting;
using Microsoft.Extensions.Options;

namespace LivePreview.Auth;

/// <summary>
/// Makes sure the first admin can get in with no set-up: <c>LivePreview:Auth:BootstrapKey</c> when set,
/// otherwise the key in <c>{data}/bootstrap-key</c>, generated (mode 0600) on first start. Runs after the
/// migrations (registered after <see cref="StartupReconciliation"/>) and before the server listens.
/// </summary>
internal sealed partial class BootstrapAdmin(
    ApiKeys keys,
    IOptions<AuthOptions> auth,
    IOptions<LivePreviewOptions> service,
    ILogger<BootstrapAdmin> logger) : IHostedService
{
    public const string FileName = "bootstrap-key";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = auth.Value.BootstrapKey?.Trim();
        var key = string.IsNullOrEmpty(configured) ? ReadOrCreateKeyFile(Path.Join(service.Value.ResolveDataDirectory(), FileName)) : configured;
        await keys.EnsureBootstrapAsync(auth.Value.BootstrapUser, key, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private string ReadOrCreateKeyFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The bootstrap key file needs Unix file modes; set LivePreview:Auth:BootstrapKey instead.");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            var created = ApiKeys.NewSecret();
            using (var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(created + "\n");
            }
            LogCreated(logger, path);
            return created;
        }
        catch (IOException) when (File.Exists(path))
        {
            if ((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                LogModeFixed(logger, path);
            }
            var key = File.ReadAllText(path).Trim();
            if (key.Length < AuthOptions.MinimumKeyLength)
            {
                throw new InvalidOperationException($"{path} holds no usable key (at least {AuthOptions.MinimumKeyLength} characters). Delete it to have a new one made.");
            }
            return key;
        }
    }

    [LoggerMessage(EventId = 1600, Level = LogLevel.Warning, Message = "Generated the bootstrap admin key in {Path} (mode 0600); sign in with the login link printed below or with that key")]
    private static partial void LogCreated(ILogger logger, string path);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "{Path} was readable by others; set its mode to 0600")]
    private static partial void LogModeFixed(ILogger logger, string path);
}
