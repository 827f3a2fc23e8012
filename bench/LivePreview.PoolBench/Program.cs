using LivePreview.PoolBench;

// The warm pool's promises measured on this machine against the real service started in this process:
// warm vs cold session starts, hit rate under Poisson arrivals, how many idle live sandboxes fit.
// Prints one table, also written to artifacts/bench/pool.md.
PoolBenchOptions options;
try
{
    options = PoolBenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// The first Ctrl+C or SIGTERM stops measuring and cleans up; a second one ends the process at once.
using var stop = new LivePreview.Bench.StopSignal();
return await PoolBenchRun.RunAsync(options, stop.Token);
