using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using LivePreview.WarmPool;
using Microsoft.Extensions.Time.Testing;

namespace LivePreview.Tests.WarmPool;

/// <summary>When a pooled sandbox is replaced, decided without any I/O.</summary>
public sealed class PoolHealthTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private readonly WarmPoolOptions _options = new() { MaxIdleAge = TimeSpan.FromMinutes(30), StartTimeout = TimeSpan.FromMinutes(5) };

    [Fact]
    public void A_ready_member_on_the_current_snapshot_stays()
    {
        Assert.Null(Check(Member(), Sandbox(), Preview(PreviewStatus.Ready), Healthy()));
    }

    [Theory]
    [InlineData(PreviewStatus.Error, EvictionReason.PreviewFailed)]
    [InlineData(PreviewStatus.Stopped, EvictionReason.PreviewStopped)]
    public void A_preview_that_failed_or_was_stopped_is_evicted(PreviewStatus status, EvictionReason reason)
    {
        Assert.Equal(reason, Check(Member(), Sandbox(), Preview(status), null)?.Reason);
    }

    [Fact]
    public void A_dev_server_being_restarted_by_its_supervisor_is_left_alone_until_the_start_timeout()
    {
        var member = Member() with { UnreadySince = _time.GetUtcNow() };
        Assert.Null(Check(member, Sandbox(), Preview(PreviewStatus.Starting), null));

        _time.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal(EvictionReason.StartTimeout, Check(member, Sandbox(), Preview(PreviewStatus.Starting), null)?.Reason);
    }

    [Fact]
    public void A_sandbox_the_provider_reports_broken_is_evicted()
    {
        var decision = Check(Member(), Sandbox(), Preview(PreviewStatus.Ready), new SandboxHealth(true, false, "the workspace is not mounted"));
        Assert.Equal(EvictionReason.Unhealthy, decision?.Reason);
        Assert.Contains("not mounted", decision!.Detail);
    }

    [Fact]
    public void A_member_older_than_the_max_idle_age_is_recycled()
    {
        var member = Member();
        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.Null(Check(member, Sandbox(), Preview(PreviewStatus.Ready), Healthy()));

        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(EvictionReason.MaxIdleAge, Check(member, Sandbox(), Preview(PreviewStatus.Ready), Healthy())?.Reason);
    }

    [Fact]
    public void A_member_made_from_an_older_snapshot_is_recycled_but_an_unknown_current_snapshot_changes_nothing()
    {
        var member = Member();
        Assert.Equal(EvictionReason.StaleSnapshot, Check(member, Sandbox(), Preview(PreviewStatus.Ready), Healthy(), current: "react-vite-new")?.Reason);
        Assert.Null(Check(member, Sandbox(), Preview(PreviewStatus.Ready), Healthy(), current: null));
    }

    [Fact]
    public void A_deleted_or_failed_sandbox_is_evicted()
    {
        Assert.Equal(EvictionReason.Gone, Check(Member(), null, null, null)?.Reason);
        Assert.Equal(EvictionReason.SandboxFailed, Check(Member(), Sandbox() with { Status = SandboxStatus.Error, Error = "mount failed" }, null, null)?.Reason);
    }

    [Fact]
    public void Surplus_members_are_the_unready_ones_first_then_the_oldest_and_never_one_being_provisioned()
    {
        var now = _time.GetUtcNow();
        var oldReady = new PoolMember("aaaaaaaaaaaa", "react-vite", now.AddMinutes(-10), now, null);
        var newReady = new PoolMember("bbbbbbbbbbbb", "react-vite", now.AddMinutes(-1), now, null);
        var unready = new PoolMember("cccccccccccc", "react-vite", now, null, now);
        var provisioning = new PoolMember("dddddddddddd", "react-vite", now, null, now);
        var all = new[] { oldReady, newReady, unready, provisioning };

        var surplus = PoolHealth.Surplus(all, target: 2, isReady: m => m.ReadyAt is not null, isProvisioning: m => m == provisioning);

        Assert.Equal([unready, oldReady], surplus);
        Assert.Empty(PoolHealth.Surplus(all, target: 4, _ => true, _ => false));
    }

    private EvictionDecision? Check(PoolMember member, SandboxSnapshot? sandbox, PreviewSnapshot? preview, SandboxHealth? health, string? current = "react-vite-1") =>
        PoolHealth.Check(new MemberCheck(member, sandbox, preview, health, current, _time.GetUtcNow()), _options);

    private PoolMember Member() => new("abcdefghijkl", "react-vite", _time.GetUtcNow(), _time.GetUtcNow(), null);

    private SandboxSnapshot Sandbox() =>
        new("abcdefghijkl", "react-vite", "local", SandboxStatus.Running, "react-vite-1", null, _time.GetUtcNow(), _time.GetUtcNow());

    private PreviewSnapshot Preview(PreviewStatus status) =>
        new("pv1", "abcdefghijkl", 5173, "http://5173-abcdefghijkl.preview.localhost/", status, status == PreviewStatus.Error ? "crashed" : null, 0,
            _time.GetUtcNow(), _time.GetUtcNow(), null);

    private static SandboxHealth Healthy() => new(true, true, null);
}
