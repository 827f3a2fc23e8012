using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Tests.Support;

namespace LivePreview.Bench;

/// <summary>
/// A command's round trip through the API: <c>POST …/commands ["true"]</c>, then
/// <c>GET …/output?follow=true</c> read to its end (the stream ends when the command has ended and its
/// record is final), on one stopwatch. No polling: the figure is our overhead (a bwrap start in the
/// sandbox, the record, the events) plus <c>true</c>.
/// </summary>
internal sealed class CommandBench(LivePreviewHost host, Report report)
{
    public async Task RunAsync(string sandboxId, int warmUp, int samples, CancellationToken cancellationToken)
    {
        var times = new List<double>();
        for (var i = 0; i < warmUp + samples; i++)
        {
            var clock = Stopwatch.StartNew();
            using var started = await host.Http.PostAsJsonAsync($"api/v1/sandboxes/{sandboxId}/commands", new { command = new[] { "true" } }, cancellationToken);
            started.EnsureSuccessStatusCode();
            var id = (await started.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetString()!;
            await host.Http.GetStringAsync($"api/v1/sandboxes/{sandboxId}/commands/{id}/output?follow=true", cancellationToken);
            clock.Stop();
            var record = await host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{sandboxId}/commands/{id}", cancellationToken);
            if (record.GetProperty("status").GetString() != "exited" || record.GetProperty("exit_code").GetInt32() != 0)
            {
                throw new InvalidOperationException($"Command {id} did not exit cleanly: {record}");
            }
            if (i >= warmUp)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        report.Add(new Row("command round trip (`true`)", Stats.Ms(Stats.P50(times)), Stats.Ms(Stats.P95(times)), "—", "—",
            $"POST …/commands then GET …/output?follow=true to its end; {samples} samples after {warmUp} warm-up, one react-vite sandbox with its dev server running"));
    }
}
