using LivePreview.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddOptions<LivePreviewOptions>().BindConfiguration(LivePreviewOptions.Section);
var app = builder.Build();
app.MapGet("/", () => "LivePreview");
app.Run();

public partial class Program;
