using System.Diagnostics.Metrics;
using LivePreview.Events;
using LivePreview.Hosting;
using LivePreview.Metrics;
using LivePreview.Persistence;
using LivePreview.Repositories;
using LivePreview.Tests.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace LivePreview.Tests.Metrics;

/// <summary>What <see cref="PreviewMetrics"/> records, read with a MeterListener, over a real (migrated SQLite) database.</summary>
public sealed class PreviewMetricsRecordingTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Created = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private readonly List<Measured> _measured = [];
    private readonly MeterListener _listener = new();
    private EventDatabase _database = null!;
    private ServiceProvider _services = null!;
    private BackgroundWork _background = null!;
    private PreviewMetrics _metrics = null!;

    private sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, string?> Tags);

    public async Task InitializeAsync()
    {
        _database = await EventDatabase.CreateAsync();
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = _services.GetRequiredService<IMeterFactory>();
        // Only this test's meter: other tests' hosts publish the same instruments from their own factories.
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Add(i, value, tags));
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Add(i, value, tags));
        _listener.Start();
        _background = new BackgroundWork(NullLogger<BackgroundWork>.Instance);
        _metrics = new PreviewMetrics(factory, _database.Factory, _background,
            Microsoft.Extensions.Options.Options.Create(new MetricsOptions { MaxRepositories = 1 }), NullLogger<PreviewMetrics>.Instance);
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        await _background.DisposeAsync();
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Only_the_first_PREVIEW_READY_of_a_sandbox_counts_measured_from_its_creation()
    {
        await SeedAsync("sbtempl1", "react-vite", "u1", null, readyAfter: [5, 60]);

        await _metrics.RecordTimeToPreviewAsync("sbtempl1", Created.AddSeconds(59.9), CancellationToken.None);
        Assert.Empty(_measured);

        await _metrics.RecordTimeToPreviewAsync("sbtempl1", Created.AddSeconds(4.99), CancellationToken.None);
        var measured = Assert.Single(_measured);
        Assert.Equal(("livepreview.preview.time_to_ready", 5.0), (measured.Instrument, measured.Value));
        Assert.Equal(new Dictionary<string, string?> { ["source"] = "template", ["framework"] = "react-vite" }, measured.Tags);
    }

    [Fact]
    public async Task A_sandbox_that_is_gone_or_never_ready_records_nothing()
    {
        await SeedAsync("sbnever1", "react-vite", "u1", null, readyAfter: []);

        await _metrics.RecordTimeToPreviewAsync("sbnever1", Created, CancellationToken.None);
        await _metrics.RecordTimeToPreviewAsync("sbgone01", Created, CancellationToken.None);

        Assert.Empty(_measured);
    }

    [Fact]
    public async Task Repositories_get_a_bounded_credential_free_tag_and_pooled_sandboxes_their_own_source()
    {
        await SeedAsync("sbrepo01", "vue-vite", "u1", "https://x-access-token:SECRET@github.com/acme/one.git", readyAfter: [30]);
        await SeedAsync("sbrepo02", "vue-vite", "u1", "https://github.com/acme/two", readyAfter: [40]);
        await SeedAsync("sbpool01", "next", null, null, readyAfter: [8]);

        foreach (var id in new[] { "sbrepo01", "sbrepo02", "sbpool01" })
        {
            await _metrics.RecordTimeToPreviewAsync(id, Created, CancellationToken.None);
        }

        Assert.Equal(
        [
            (30.0, "repository", "vue-vite", "github.com/acme/one"),
            (40.0, "repository", "vue-vite", RepositoryTag.Other),
            (8.0, "pool", "next", null),
        ], _measured.Select(m => (m.Value, m.Tags["source"], m.Tags["framework"], m.Tags.GetValueOrDefault("repository"))));
    }

    [Fact]
    public void Frontend_task_outcomes_and_install_steps_carry_their_tags()
    {
        _metrics.FrontendTaskEnded(previewReady: true);
        _metrics.FrontendTaskEnded(previewReady: false);
        _metrics.DependenciesReady(reused: true, PackageManager.Pnpm, TimeSpan.FromMilliseconds(40));
        _metrics.DependenciesReady(reused: false, PackageManager.Npm, TimeSpan.FromSeconds(12));

        Assert.Equal(
        [
            ("livepreview.tasks.frontend", 1.0, "preview=ready"),
            ("livepreview.tasks.frontend", 1.0, "preview=none"),
            ("livepreview.dependencies.install.duration", 0.04, "layer=warm,package_manager=pnpm"),
            ("livepreview.dependencies.install.duration", 12.0, "layer=cold,package_manager=npm"),
        ], _measured.Select(m => (m.Instrument, Math.Round(m.Value, 3), string.Join(',', m.Tags.Select(t => $"{t.Key}={t.Value}")))));
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value?.ToString();
        }
        lock (_measured)
        {
            _measured.Add(new Measured(instrument.Name, value, copy));
        }
    }

    private async Task SeedAsync(string id, string framework, string? owner, string? repository, double[] readyAfter)
    {
        await using var db = await _database.Factory.CreateDbContextAsync();
        db.Sandboxes.Add(new SandboxRecord
        {
            Id = id, Framework = framework, Provider = "local", Owner = owner, Status = SandboxStatus.Running, CreatedAt = Created, UpdatedAt = Created, RepositoryUrl = repository,
        });
        foreach (var seconds in readyAfter)
        {
            db.Events.Add(new EventRecord { Type = EventTypes.PreviewReady, EntityType = "preview", EntityId = "pv" + id, SandboxId = id, Timestamp = Created.AddSeconds(seconds), Payload = "{}" });
        }
        await db.SaveChangesAsync();
    }
}
