using LivePreview.Persistence;
using LivePreview.Tasks;
using LivePreview.Tests.Events;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using LivePreview.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LivePreview.Tests.Tasks;

/// <summary>The queue on a real SQLite file (or PostgreSQL), claimed from many tasks and from two service instances at once.</summary>
public class TaskQueueTests : IAsyncLifetime
{
    protected virtual bool OnPostgres => false;

    private TestDatabase _database = null!;
    private readonly string _directory = Directory.CreateTempSubdirectory("livepreview-tasks-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    private readonly TaskOptions _options = new() { MaxAttempts = 3, Lease = TimeSpan.FromMinutes(5), RetryBackoff = TimeSpan.FromSeconds(30) };
    private readonly List<ServiceProvider> _instances = [];
    private TaskQueue _queue = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(Path.Combine(_directory, "tasks.db"), OnPostgres, sqlitePooling: true);
        _queue = await InstanceAsync();
        await _instances[0].MigrateDatabaseAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Eight_parallel_claimers_on_two_instances_never_claim_the_same_task()
    {
        for (var i = 0; i < 24; i++)
        {
            await _queue.EnqueueAsync(Draft($"task {i}"), CancellationToken.None);
        }
        TaskQueue[] queues = [_queue, await InstanceAsync()];
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            await start.Task;
            var mine = new List<string>();
            while (await queues[worker % 2].TryClaimAsync($"worker-{worker}", null, CancellationToken.None) is { } claim)
            {
                mine.Add(claim.Task.Id);
                await Task.Delay(10); // works on it a little, as a worker would, so that every claimer gets turns
            }
            return mine;
        })).ToList();
        start.SetResult();
        var claims = await Task.WhenAll(workers);

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(24, all.Count);
        Assert.Equal(24, all.Distinct().Count());
        Assert.True(claims.Count(c => c.Count > 0) > 1, "one claimer took every task: the race was not exercised");
        await using var db = await Factory().CreateDbContextAsync();
        Assert.All(await db.Tasks.ToListAsync(), t =>
        {
            Assert.Equal(TaskState.Claimed, t.Status);
            Assert.Equal(1, t.Attempts);
            Assert.Equal($"worker-{claims.Select((c, i) => (c, i)).Single(x => x.c.Contains(t.Id)).i}", t.ClaimedBy);
        });
    }

    [Fact]
    public async Task Higher_priorities_are_claimed_first_and_equal_ones_oldest_first()
    {
        var low = await _queue.EnqueueAsync(Draft("low") with { Priority = 0 }, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        var highOld = await _queue.EnqueueAsync(Draft("high, older") with { Priority = 5 }, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        var highNew = await _queue.EnqueueAsync(Draft("high, newer") with { Priority = 5 }, CancellationToken.None);
        var urgent = await _queue.EnqueueAsync(Draft("urgent") with { Priority = 9 }, CancellationToken.None);

        var order = new List<string>();
        while (await _queue.TryClaimAsync("w", null, CancellationToken.None) is { } claim)
        {
            order.Add(claim.Task.Id);
        }
        Assert.Equal([urgent.Id, highOld.Id, highNew.Id, low.Id], order);
    }

    [Fact]
    public async Task A_lapsed_lease_gives_the_task_to_another_worker_and_the_first_can_no_longer_touch_it()
    {
        var task = await _queue.EnqueueAsync(Draft("crashy"), CancellationToken.None);
        var first = (await _queue.TryClaimAsync("instance-a", null, CancellationToken.None))!;
        Assert.Null(await _queue.TryClaimAsync("instance-b", null, CancellationToken.None));

        _time.Advance(TimeSpan.FromMinutes(4));
        var renewed = await _queue.RenewLeaseAsync(first.Lease, null, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Null(await _queue.TryClaimAsync("instance-b", null, CancellationToken.None));
        await _queue.AdvanceAsync(renewed, TaskState.Running, new TaskProgress(SandboxId: "sbxaaaaaaaaa"), CancellationToken.None);

        _time.Advance(TimeSpan.FromMinutes(2));
        var second = await _queue.TryClaimAsync("instance-b", null, CancellationToken.None);
        Assert.NotNull(second);
        Assert.Equal(task.Id, second.Task.Id);
        Assert.Equal(2, second.Task.Attempts);
        Assert.Equal("sbxaaaaaaaaa", second.Task.SandboxId);

        var lost = await Assert.ThrowsAsync<TaskLeaseLostException>(() => _queue.CompleteAsync(renewed, new TaskProgress(), CancellationToken.None));
        Assert.Equal(TaskState.Claimed, lost.Current);
        await Assert.ThrowsAsync<TaskLeaseLostException>(() => _queue.RenewLeaseAsync(renewed, null, CancellationToken.None));

        await _queue.CompleteAsync(second.Lease, new TaskProgress(Branch: "livepreview/" + task.Id, CommitSha: "abc", PullRequestUrl: "https://github.com/o/r/pull/1"), CancellationToken.None);
        var done = (await _queue.GetAsync(task.Id, CancellationToken.None))!;
        Assert.Equal(TaskState.Completed, done.Status);
        Assert.Equal(("livepreview/" + task.Id, "abc", "https://github.com/o/r/pull/1", "sbxaaaaaaaaa"), (done.Branch, done.CommitSha, done.PullRequestUrl, done.SandboxId));
        Assert.Null(done.LeaseToken);
    }

    [Fact]
    public async Task Retryable_failures_back_off_exponentially_then_the_task_fails()
    {
        var task = await _queue.EnqueueAsync(Draft("flaky"), CancellationToken.None);
        var claim = (await _queue.TryClaimAsync("w", null, CancellationToken.None))!;
        Assert.Equal(TaskState.Queued, await _queue.FailAsync(claim.Lease, "clone timed out", retryable: true, CancellationToken.None));

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Null(await _queue.TryClaimAsync("w", null, CancellationToken.None));
        _time.Advance(TimeSpan.FromSeconds(1));
        claim = (await _queue.TryClaimAsync("w", null, CancellationToken.None))!;
        Assert.Equal(2, claim.Task.Attempts);
        Assert.Equal("clone timed out", claim.Task.Error);
        Assert.Equal(TaskState.Queued, await _queue.FailAsync(claim.Lease, "clone timed out again", retryable: true, CancellationToken.None));

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Null(await _queue.TryClaimAsync("w", null, CancellationToken.None));
        _time.Advance(TimeSpan.FromSeconds(1));
        claim = (await _queue.TryClaimAsync("w", null, CancellationToken.None))!;
        Assert.Equal(3, claim.Task.Attempts);
        Assert.Equal(TaskState.Failed, await _queue.FailAsync(claim.Lease, "still failing", retryable: true, CancellationToken.None));

        _time.Advance(TimeSpan.FromHours(2));
        Assert.Null(await _queue.TryClaimAsync("w", null, CancellationToken.None));
        var failed = (await _queue.GetAsync(task.Id, CancellationToken.None))!;
        Assert.Equal((TaskState.Failed, "still failing", 3), (failed.Status, failed.Error, failed.Attempts));
    }

    [Fact]
    public async Task A_failure_that_is_not_retryable_fails_the_task_at_once()
    {
        var task = await _queue.EnqueueAsync(Draft("bad repository"), CancellationToken.None);
        var claim = (await _queue.TryClaimAsync("w", null, CancellationToken.None))!;
        Assert.Equal(TaskState.Failed, await _queue.FailAsync(claim.Lease, "remote refused", retryable: false, CancellationToken.None));
        Assert.Equal(TaskState.Failed, (await _queue.GetAsync(task.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_task_whose_worker_crashes_on_every_attempt_fails_after_max_attempts()
    {
        var task = await _queue.EnqueueAsync(Draft("kills its worker") with { MaxAttempts = 2 }, CancellationToken.None);
        Assert.NotNull(await _queue.TryClaimAsync("a", null, CancellationToken.None));
        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.NotNull(await _queue.TryClaimAsync("b", null, CancellationToken.None));
        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.Null(await _queue.TryClaimAsync("c", null, CancellationToken.None));
        var failed = (await _queue.GetAsync(task.Id, CancellationToken.None))!;
        Assert.Equal((TaskState.Failed, 2), (failed.Status, failed.Attempts));
        Assert.Contains("stopped renewing its lease", failed.Error);
    }

    [Fact]
    public async Task Only_the_owner_cancels_and_the_worker_holding_the_task_loses_its_lease()
    {
        var task = await _queue.EnqueueAsync(Draft("to cancel"), CancellationToken.None);
        var claim = (await _queue.TryClaimAsync("w", null, CancellationToken.None))!;
        Assert.False(await _queue.CancelAsync(task.Id, "mallory", CancellationToken.None));
        Assert.True(await _queue.CancelAsync(task.Id, "alice", CancellationToken.None));
        Assert.False(await _queue.CancelAsync(task.Id, "alice", CancellationToken.None));

        var lost = await Assert.ThrowsAsync<TaskLeaseLostException>(() => _queue.AdvanceAsync(claim.Lease, TaskState.Pushing, new TaskProgress(), CancellationToken.None));
        Assert.Equal(TaskState.Cancelled, lost.Current);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Null(await _queue.TryClaimAsync("w", null, CancellationToken.None));
    }

    private static NewTask Draft(string title) => new("alice", title, "https://github.com/octo/app.git", "main");

    private IDbContextFactory<LivePreviewDbContext> Factory() => _instances[0].GetRequiredService<IDbContextFactory<LivePreviewDbContext>>();

    /// <summary>One service instance: its own provider, connections and queue, on the shared database file.</summary>
    private Task<TaskQueue> InstanceAsync()
    {
        var services = _database.CreateServices();
        _instances.Add(services);
        return Task.FromResult(new TaskQueue(services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>(),
            new FixedOptionsMonitor<TaskOptions>(_options), _time, NullLogger<TaskQueue>.Instance));
    }
}

/// <summary>The same queue on a real PostgreSQL 15: claims by <c>FOR UPDATE SKIP LOCKED</c>.</summary>
public sealed class TaskQueueOnPostgreSqlTests : TaskQueueTests
{
    protected override bool OnPostgres => true;
}
