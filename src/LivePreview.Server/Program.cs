using LivePreview.Hosting;

if (args is ["snapshots", ..])
{
    return await LivePreviewCli.RunSnapshotsAsync(args);
}

var app = LivePreviewApp.Build(args);
app.Lifetime.ApplicationStarted.Register(() => LivePreviewCli.PrintAddresses(app));
await app.RunAsync();
return 0;

public partial class Program;
