using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LivePreview.Tests.Repositories;
using LivePreview.Tests.Support;

namespace LivePreview.Tests.Metrics;

/// <summary>The seed's success metrics on a real host: real sandboxes, a real npm install into a dependency layer, /metrics as Prometheus reads it.</summary>
[Collection(ServiceCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class PreviewMetricsTests : IAsyncLifetime
{
    private readonly TestRepositories _repos = new();
    private LivePreviewHost _host = null!;

    public async Task InitializeAsync() => _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
    {
        ["LivePreview:Git:AllowedRemotes:0"] = _repos.Root + "/",
    });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _repos.Dispose();
    }

    [Fact]
    public async Task Time_to_preview_by_template_and_repository_and_install_time_warm_and_cold_reach_metrics_and_the_dashboard()
    {
        var repo = _repos.FromTemplate("shop", "Metrics Shop");
        var template = (await _host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        var cold = await CreateFromRepositoryAsync(repo);
        await _host.WaitForPreviewAsync(template);
        await _host.WaitForPreviewAsync(cold);
        var warm = await CreateFromRepositoryAsync(repo);
        await _host.WaitForPreviewAsync(warm);

        var metrics = await WaitForMetricsAsync(text =>
            Sample(text, "livepreview_preview_time_to_ready_seconds_count", ("source", "template"), ("framework", "react-vite")) == 1
            && Sample(text, "livepreview_preview_time_to_ready_seconds_count", ("source", "repository"), ("repository", "local/shop")) == 2);

        Assert.Equal(2, Sample(metrics, "livepreview_preview_time_to_ready_seconds_count", ("framework", "react-vite"), ("repository", "local/shop")));
        Assert.InRange(Sample(metrics, "livepreview_preview_time_to_ready_seconds_sum", ("source", "template"))!.Value, 0.01, 600);
        Assert.Equal(1, Sample(metrics, "livepreview_dependencies_install_duration_seconds_count", ("layer", "cold"), ("package_manager", "npm")));
        Assert.Equal(1, Sample(metrics, "livepreview_dependencies_install_duration_seconds_count", ("layer", "warm"), ("package_manager", "npm")));
        var coldSeconds = Sample(metrics, "livepreview_dependencies_install_duration_seconds_sum", ("layer", "cold"))!.Value;
        var warmSeconds = Sample(metrics, "livepreview_dependencies_install_duration_seconds_sum", ("layer", "warm"))!.Value;
        Assert.True(warmSeconds < coldSeconds, $"a reused layer took {warmSeconds} s, the build {coldSeconds} s");
        Assert.DoesNotContain(_repos.Root, metrics, StringComparison.Ordinal);
        // Everyone's figures (other users' repository names): not for a user who is not an admin.
        using (var bob = await UserClientAsync("bob"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync("/metrics")).StatusCode);
        }

        // A restart forgets nothing on the dashboard (it reads the database) and the preview going ready again is not a second first.
        var dataDirectory = _host.DataDirectory;
        await _host.App.StopAsync();
        await _host.App.DisposeAsync();
        _host = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Git:AllowedRemotes:0"] = _repos.Root + "/" }, dataDirectory);
        await _host.WaitForPreviewAsync(template);
        var dashboard = await _host.Http.GetStringAsync("/");
        Assert.Contains("data-testid=\"previews-card\"", dashboard);
        var card = Regex.Match(dashboard, @"<section class=""previews"".*?</section>", RegexOptions.Singleline).Value;
        Assert.Matches(Row("repository", "local/shop", "2"), card);
        Assert.Matches(Row("template", "react-vite", "1"), card);
        Assert.Matches(@"data-testid=""install-warm""[^>]*>\d+\.\d s<", card);
        Assert.DoesNotContain("livepreview_preview_time_to_ready_seconds_count{", await _host.Http.GetStringAsync("/metrics"));
    }

    private async Task<HttpClient> UserClientAsync(string user)
    {
        using var response = await _host.Http.PostAsJsonAsync("api/v1/keys", new { user, name = "metrics-tests" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var key = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        var client = _host.CreateLoopbackClient();
        client.BaseAddress = _host.Http.BaseAddress;
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private async Task<string> CreateFromRepositoryAsync(string url)
    {
        using var response = await _host.Http.PostAsJsonAsync("api/v1/sandboxes", new { repository = new { url } });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Recording runs off the preview's path (a database read): poll until it shows.</summary>
    private Task<string> WaitForMetricsAsync(Func<string, bool> done) => WaitForMetricsAsync(_host, done);

    internal static async Task<string> WaitForMetricsAsync(LivePreviewHost host, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var text = "";
        while (DateTime.UtcNow < deadline)
        {
            text = await host.Http.GetStringAsync("/metrics");
            if (done(text))
            {
                return text;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException("The metrics did not show in time:\n" + string.Join('\n', text.Split('\n').Where(l => l.StartsWith("livepreview_", StringComparison.Ordinal))));
    }

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include all of <paramref name="labels"/>; null when there is none.</summary>
    internal static double? Sample(string text, string name, params (string Name, string Value)[] labels)
    {
        double? sum = null;
        foreach (Match m in SampleLine().Matches(text))
        {
            if (m.Groups["name"].Value != name)
            {
                continue;
            }
            var set = LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            if (labels.All(l => set.TryGetValue(l.Name, out var v) && v == l.Value))
            {
                sum = (sum ?? 0) + double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }
        return sum;
    }

    private static Regex Row(string kind, string name, string count) =>
        new($@"data-kind=""{kind}"" data-name=""{Regex.Escape(name)}""[^>]*>.*?</td>\s*<td[^>]*>{count}</td>", RegexOptions.Singleline);

    [GeneratedRegex(@"(?m)^(?<name>[a-z_]+)\{(?<labels>[^}]*)\} (?<value>\S+)")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(\w+)=""([^""]*)""")]
    private static partial Regex LabelPair();
}
