using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LivePreview.EventsBench;

/// <summary>A redis-server on 127.0.0.1 and a free port for one configuration, saving nothing; killed at dispose.</summary>
internal sealed class RedisProcess(Process process, int port) : IAsyncDisposable
{
    public string ConnectionString => $"127.0.0.1:{port}";

    public static async Task<RedisProcess> StartAsync(string directory)
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, WorkingDirectory = directory };
        foreach (var argument in new[] { "--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (scripts/setup.sh installs it).");
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return new RedisProcess(process, port);
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        process.Kill();
        throw new TimeoutException("redis-server did not listen.");
    }

    public async ValueTask DisposeAsync()
    {
        process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
