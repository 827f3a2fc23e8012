using LivePreview.CorpusBench;

// Time to preview for each app of tests/corpus, cold (an empty dependency-layers folder) and warm (its layer present),
// through the API as a user sees it, and the availability over the corpus run several times. Prints one Markdown table,
// also written to artifacts/bench/corpus.md.
CorpusBenchOptions options;
try
{
    options = CorpusBenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// The first Ctrl+C or SIGTERM stops measuring and cleans up; a second one ends the process at once.
using var stop = new LivePreview.Bench.StopSignal();
return await CorpusBenchRun.RunAsync(options, stop.Token);
