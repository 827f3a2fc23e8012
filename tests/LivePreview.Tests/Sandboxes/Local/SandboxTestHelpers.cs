using System.Net;
using System.Net.Sockets;
using System.Text;
using LivePreview.Sandboxes;

namespace LivePreview.Tests.Sandboxes.Local;

internal static class SandboxTestHelpers
{
    public static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    public static async Task<string> ReadAsync(ISandboxFileSystem files, string path)
    {
        await using var stream = await files.OpenReadAsync(path, LocalSandboxHarness.Timeout) ?? throw new FileNotFoundException(path);
        return await new StreamReader(stream).ReadToEndAsync();
    }

    public static async Task<string> GetAsync(EndPoint endpoint)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetStringAsync($"http://{endpoint}/");
    }

    public static async Task<bool> AcceptsAsync(IPEndPoint endpoint)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(endpoint, LocalSandboxHarness.Timeout);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A port nothing on host loopback listens on right now.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
