using System.Runtime.InteropServices;
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

using var cancel = new CancellationTokenSource();
// The first Ctrl+C or SIGTERM stops measuring and cleans up; a second one ends the process at once.
void OnSignal(PosixSignalContext context)
{
    context.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
}
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
return await PoolBenchRun.RunAsync(options, cancel.Token);
