using LivePreview.EventsBench;

// Fan-out of the live event stream: the real service in this process, N WebSocket clients each
// filtered to its own sandbox (plus one unfiltered), events published as fast as the bus takes them.
// Prints one markdown table and writes it to artifacts/bench/events.md.
var options = new EventsBenchOptions();
for (var i = 0; i + 1 < args.Length; i += 2)
{
    _ = args[i] switch
    {
        "--clients" => options.Clients = int.Parse(args[i + 1]),
        "--events" => options.Events = int.Parse(args[i + 1]),
        "--publishers" => options.Publishers = int.Parse(args[i + 1]),
        _ => throw new ArgumentException($"Unknown option {args[i]}; use --clients, --events, --publishers."),
    };
}
var report = await EventsBenchRun.RunAsync(options);
Console.WriteLine(report);
var path = Path.Combine(EventsBenchRun.RepositoryRoot, "artifacts", "bench", "events.md");
Directory.CreateDirectory(Path.GetDirectoryName(path)!);
await File.WriteAllTextAsync(path, report);
Console.WriteLine($"Written to {path}");
return 0;
