using System.Runtime.InteropServices;
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
// The first Ctrl+C or SIGTERM stops measuring and cleans up (sandboxes, mounts, network namespaces);
// a second one is not intercepted and ends the process at once.
void OnSignal(PosixSignalContext context)
{
    context.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
}
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
return await BenchRun.RunAsync(options, cancel.Token);
