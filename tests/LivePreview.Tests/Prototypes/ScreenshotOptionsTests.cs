using LivePreview.Prototypes.Screenshots;

namespace LivePreview.Tests.Prototypes;

public sealed class ScreenshotOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.Empty(new ScreenshotOptions().Validate(sandboxHostUid: 99999));
    }

    [Fact]
    public void Chromium_never_runs_as_root_nor_as_the_sandboxes_host_user()
    {
        Assert.Contains(new ScreenshotOptions { RunAsUid = 0 }.Validate(99999), e => e.Contains("RunAsUid"));
        Assert.Contains(new ScreenshotOptions { RunAsGid = 0 }.Validate(99999), e => e.Contains("RunAsGid"));
        Assert.Contains(new ScreenshotOptions { RunAsUid = 99999 }.Validate(99999), e => e.Contains("HostUid (99999)"));
    }

    [Fact]
    public void Sizes_times_and_the_Chromium_path_are_checked()
    {
        Assert.NotEmpty(new ScreenshotOptions { Width = 10 }.Validate(99999));
        Assert.NotEmpty(new ScreenshotOptions { Timeout = TimeSpan.FromSeconds(2), PageBudget = TimeSpan.FromSeconds(3) }.Validate(99999));
        Assert.NotEmpty(new ScreenshotOptions { MaxBytes = 0 }.Validate(99999));
        Assert.NotEmpty(new ScreenshotOptions { ChromiumPath = "chromium" }.Validate(99999));
    }
}
