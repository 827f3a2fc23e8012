using LivePreview.InstancesBench;

// Preview request latency with two instances: one react-vite sandbox runs on one of them (its owner); a small asset of its
// dev server is fetched with the preview Host header through the owner and through the other instance, which forwards
// the request to the owner. Prints one markdown table, written also to artifacts/bench/instances.md.
InstancesBenchOptions options;
try
{
    options = InstancesBenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// The first Ctrl+C or SIGTERM stops measuring and cleans up (the sandbox, its mounts and namespace, both services,
// redis-server); a second one is not intercepted and ends the process at once.
using var stop = new LivePreview.Bench.StopSignal();
try
{
    var report = await InstancesBenchRun.RunAsync(options, stop.Token);
    Console.WriteLine(report);
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Output))!);
    await File.WriteAllTextAsync(options.Output, report);
    Console.WriteLine($"Written to {options.Output}");
    return 0;
}
catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
{
    Console.Error.WriteLine("Cancelled; cleaned up.");
    return 130;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"Bench failed: {ex}");
    return 1;
}
