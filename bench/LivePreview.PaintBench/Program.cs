using LivePreview.PaintBench;

// A warm start as the user sees it: from the API call (or the click on Start) until the app is painted in a fresh
// Chromium context, against the real service in this process with a full pool; one service per variant (a lever on or
// off), alternating nothing else. Prints the tables, also written to artifacts/bench/paint.md.
PaintBenchOptions options;
try
{
    options = PaintBenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// The first Ctrl+C or SIGTERM stops measuring and cleans up; a second one ends the process at once.
using var stop = new LivePreview.Bench.StopSignal();
return await PaintBenchRun.RunAsync(options, stop.Token);
