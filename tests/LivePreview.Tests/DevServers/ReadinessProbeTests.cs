using LivePreview.DevServers;

namespace LivePreview.Tests.DevServers;

public sealed class ReadinessProbeTests
{
    [Fact]
    public void Only_the_pages_own_scripts_are_probed()
    {
        const string html = """
            <script type="module" src="/@vite/client"></script>
            <script type="module" src="/src/main.tsx?v=1&amp;t=2"></script>
            <script src="https://cdn.example.com/x.js"></script>
            <script>inline()</script>
            <script src='relative.js' defer></script>
            """;
        var scripts = ReadinessProbe.SameOriginScripts(new Uri("http://10.0.0.2:5173/preview/x/"), html).Select(u => u.PathAndQuery).ToList();
        Assert.Equal(["/@vite/client", "/src/main.tsx?v=1&t=2", "/preview/x/relative.js"], scripts);
    }
}
