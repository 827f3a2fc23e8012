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

// The first Ctrl+C or SIGTERM stops measuring and cleans up (sandboxes, mounts, network namespaces);
// a second one is not intercepted and ends the process at once.
using var stop = new LivePreview.Bench.StopSignal();
return await BenchRun.RunAsync(options, stop.Token);
