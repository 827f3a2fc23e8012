namespace LivePreview.PaintBench;

internal enum PaintPath { Api, Prototype }

/// <summary>
/// One warm start, every time in milliseconds from its clock's zero: the POST's start (API) or the click on Start
/// (prototype page, the page's own click time).
/// </summary>
/// <param name="FrameNavMs">Until the preview document's navigation began (the API answer, or the dashboard's round trips until the iframe exists).</param>
/// <param name="FirstByteMs">Until the preview document's first byte (after the grant redirect, when there is one).</param>
/// <param name="LastResourceMs">Until the last resource fetched before the paint finished.</param>
internal sealed record PaintSample(PaintPath Path, double PaintedMs, double FrameNavMs, double FirstByteMs, double LastResourceMs, double RedirectMs,
    int Requests, long Bytes, IReadOnlyList<ResourceTiming> Resources)
{
    public static PaintSample From(PaintPath path, double zeroEpochMs, PaintReport report)
    {
        var at = (double relative) => report.Origin + relative - zeroEpochMs;
        var all = report.Resources.Append(report.Document).ToList();
        // A redirect is one more request of the navigation (the grant exchange); Resource Timing folds it into the document.
        var requests = all.Count + (report.Redirect > 0 ? 1 : 0);
        return new PaintSample(path, report.PaintedAt - zeroEpochMs, at(0), at(report.FirstByte), at(all.Max(r => r.ResponseEnd)), report.Redirect,
            requests, all.Sum(r => r.Transfer), report.Resources);
    }
}
