using LivePreview.Bench;

// Measures the core promises of LivePreview on this machine, in one run against the real service
// started in this process, and prints one table (also written to artifacts/bench/core.md).
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops measuring and cleans up; a second one is not intercepted.
    e.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
};
return await BenchRun.RunAsync(options, cancel.Token);
