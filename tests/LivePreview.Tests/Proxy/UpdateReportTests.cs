using System.Text;
using LivePreview.Proxy;

namespace LivePreview.Tests.Proxy;

public sealed class UpdateReportTests
{
    [Fact]
    public void A_report_as_the_client_script_sends_it_is_read_with_its_paths_cleaned_and_its_numbers_rounded()
    {
        var report = Parse("""{"kind":"hmr","updates":[{"path":"/src/App.tsx","type":"js-update","timestamp":1764770000123}],"received_to_applied_ms":12.345,"received_to_painted_ms":40.06}""");

        Assert.NotNull(report);
        Assert.Equal(("hmr", 12.3, 40.1), (report.Kind, report.ReceivedToAppliedMs, report.ReceivedToPaintedMs));
        Assert.Equal(new UpdatedModule("/src/App.tsx", "js-update", 1764770000123), Assert.Single(report.Updates));
    }

    [Theory]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":-1,"received_to_painted_ms":5}""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":120001}""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":1e400}""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":"NaN","received_to_painted_ms":5}""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":"5"}""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":null}""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":9,"received_to_painted_ms":5}""")]
    [InlineData("""{"kind":"hmr","received_to_painted_ms":5}""")]
    [InlineData("""{"kind":"error","received_to_applied_ms":1,"received_to_painted_ms":5}""")]
    [InlineData("""{"received_to_applied_ms":1,"received_to_painted_ms":5}""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":5,"updates":{"path":"/a"}}""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":5,"updates":[{"path":"/a","type":"rm -rf"}]}""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":5,"updates":[{"path":"","type":"js-update"}]}""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":5,"updates":[{"path":"/a","type":"js-update","timestamp":-4}]}""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":5,"updates":[{"path":"/a","type":"js-update","timestamp":1.5}]}""")]
    [InlineData("""[{"kind":"hmr"}]""")]
    [InlineData("""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":5,"updates":[[[[[[1]]]]]]}""")]
    [InlineData("""{not json""")]
    public void A_report_with_a_number_out_of_bounds_a_wrong_kind_or_a_wrong_shape_is_refused_with_what_was_wrong(string json)
    {
        Assert.Null(UpdateReport.Parse(Encoding.UTF8.GetBytes(json), out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void More_updates_than_the_bound_are_refused_and_a_long_hostile_path_is_cut_and_cleaned()
    {
        var many = string.Join(",", Enumerable.Range(0, UpdateReport.MaxUpdates + 1).Select(i => $$"""{"path":"/m{{i}}.ts","type":"js-update"}"""));
        Assert.Null(UpdateReport.Parse(Encoding.UTF8.GetBytes($$"""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":5,"updates":[{{many}}]}"""), out _));

        var hostile = "/src/\u001b[31mApp\u0007.tsx" + new string('x', 5000);
        var report = Parse($$"""{"kind":"hmr","received_to_applied_ms":1,"received_to_painted_ms":5,"updates":[{"path":"{{hostile.Replace("\u001b", "\\u001b").Replace("\u0007", "\\u0007")}}","type":"css-update"}]}""");
        var path = Assert.Single(report!.Updates).Path;
        Assert.True(path.Length <= 501, $"{path.Length} characters kept");
        Assert.DoesNotContain(path, c => char.IsControl(c));
    }

    [Fact]
    public void Two_tabs_reporting_one_update_give_the_same_key_and_two_updates_differ()
    {
        const string First = """{"kind":"hmr","updates":[{"path":"/src/App.tsx","type":"js-update","timestamp":1}],"received_to_applied_ms":1,"received_to_painted_ms":5}""";
        const string OtherTab = """{"kind":"hmr","updates":[{"path":"/src/App.tsx","type":"js-update","timestamp":1}],"received_to_applied_ms":3,"received_to_painted_ms":9}""";
        const string Next = """{"kind":"hmr","updates":[{"path":"/src/App.tsx","type":"js-update","timestamp":2}],"received_to_applied_ms":1,"received_to_painted_ms":5}""";

        Assert.Equal(Parse(First)!.Key, Parse(OtherTab)!.Key);
        Assert.NotEqual(Parse(First)!.Key, Parse(Next)!.Key);
    }

    private static UpdateReport? Parse(string json) => UpdateReport.Parse(Encoding.UTF8.GetBytes(json), out _);
}
