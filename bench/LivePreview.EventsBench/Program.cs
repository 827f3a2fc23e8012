using LivePreview.EventsBench;

// Fan-out of the live event stream: the real service in this process (one instance, or two sharing one SQLite file or
// one PostgreSQL database, and a real redis-server), N WebSocket clients each filtered to its own sandbox (plus one unfiltered),
// events published as fast as the bus takes them. Every configuration in one run; prints one markdown table and
// writes it to artifacts/bench/events.md.
var options = new EventsBenchOptions();
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--clients": options.Clients = int.Parse(args[i + 1]); break;
        case "--events": options.Events = int.Parse(args[i + 1]); break;
        case "--publishers": options.Publishers = int.Parse(args[i + 1]); break;
        case "--only": options.Only = args[i + 1]; break;
        default: throw new ArgumentException($"Unknown option {args[i]}; use --clients, --events, --publishers, --only.");
    }
}
BenchConfiguration[] configurations =
[
    new("SQLite, 1 instance, an event per transaction", BenchDatabase.Sqlite, 1, false, 1),
    new("SQLite, 1 instance, batched", BenchDatabase.Sqlite, 1, false, 256),
    new("SQLite + Redis, 2 instances, batched", BenchDatabase.Sqlite, 2, true, 256),
    new("PostgreSQL, 1 instance, batched", BenchDatabase.PostgreSql, 1, false, 256),
    new("PostgreSQL + Redis, 1 instance, batched", BenchDatabase.PostgreSql, 1, true, 256),
    new("PostgreSQL + Redis, 2 instances, batched", BenchDatabase.PostgreSql, 2, true, 256),
];
using var cancel = new CancellationTokenSource();
// The first Ctrl+C or SIGTERM stops measuring and cleans up (services, data folders, redis-server, PostgreSQL); a second
// one is not intercepted and ends the process at once.
void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
{
    context.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
}
using var onInterrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
using var onTerminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
var selected = configurations.Where(c => options.Only is null || c.Name.Contains(options.Only, StringComparison.OrdinalIgnoreCase)).ToArray();
// One PostgreSQL server (the tests' harness: Debian's binaries on 127.0.0.1, a temporary folder, fsync off) for the
// run, a fresh database per configuration; it stops when this process ends in any way (its watchdog reads our pipe).
await using var postgres = selected.Any(c => c.Database == BenchDatabase.PostgreSql) ? await LivePreview.Tests.Support.PostgresServer.StartAsync() : null;
var results = new List<EventsResult>();
foreach (var configuration in selected)
{
    Console.WriteLine($"Running: {configuration.Name} ...");
    try
    {
        results.Add(await EventsBenchRun.RunAsync(options, configuration, postgres, cancel.Token));
    }
    catch (OperationCanceledException) when (cancel.IsCancellationRequested)
    {
        Console.Error.WriteLine("Cancelled; cleaned up.");
        return 130;
    }
}
var report = EventsReport.Format(options, results);
Console.WriteLine(report);
var path = Path.Combine(EventsBenchRun.RepositoryRoot, "artifacts", "bench", "events.md");
Directory.CreateDirectory(Path.GetDirectoryName(path)!);
await File.WriteAllTextAsync(path, report);
Console.WriteLine($"Written to {path}");
return 0;
