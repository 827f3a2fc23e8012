using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using LivePreview.Auth;
using LivePreview.Hosting;

namespace LivePreview.Instances;

/// <summary>
/// The dashboard's way to act on a sandbox another instance runs. Its components call this instance's services, which
/// reach only this instance's sandboxes; for another's, they send the API request the action stands for to the owner,
/// on its internal address, signed (<see cref="ForwardSignature"/>) and carrying the signed-in user
/// (<see cref="ActingUser"/>): the owner authenticates that user, re-checks their sign-in and owner-checks the
/// sandbox as for any API request, and its refusals come back as <see cref="ApiProblemException"/> with its words.
/// </summary>
internal sealed class InstanceClient(InstanceDirectory directory, InstanceIdentity identity, ForwardSignature signature, InstanceForwarding forwarding)
{
    /// <summary>An export pushes to a remote; nothing the dashboard asks takes longer.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The live instance that runs the sandbox when that is not this one (the action goes there), or null (act here). Without
    /// the shared secret there is no forwarding: a <see cref="SandboxElsewhereException"/> says where it runs.
    /// </summary>
    public async Task<InstanceRecord?> OwnerAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var owner = await directory.ElsewhereAsync(sandboxId, cancellationToken);
        return owner is null || directory.CanForward ? owner : throw new SandboxElsewhereException(directory.ElsewhereSentence(owner.Id));
    }

    /// <summary>
    /// The dashboard's action on a sandbox: <paramref name="here"/> when this instance runs it, else the API request it
    /// stands for (<paramref name="method"/> <paramref name="path"/>, <paramref name="body"/> as JSON) sent to the owner.
    /// </summary>
    public async Task RunAsync(string sandboxId, ClaimsPrincipal user, Func<Task> here, HttpMethod method, PathString path, object? body = null)
    {
        if (await OwnerAsync(sandboxId, CancellationToken.None) is { } owner)
        {
            using var _ = await SendAsync(owner, user, method, path, Json(body), CancellationToken.None);
            return;
        }
        await here();
    }

    /// <summary>As <see cref="RunAsync"/>, for an action with an answer: the owner's JSON answer read as <typeparamref name="T"/>.</summary>
    public async Task<T> RunAsync<T>(string sandboxId, ClaimsPrincipal user, Func<Task<T>> here, HttpMethod method, PathString path, object? body = null) =>
        await OwnerAsync(sandboxId, CancellationToken.None) is { } owner
            ? await SendAsync<T>(owner, user, method, path, body, CancellationToken.None)
            : await here();

    private static JsonContent? Json(object? body) => body is null ? null : JsonContent.Create(body, options: JsonDefaults.Options);

    /// <summary>Sends the request and reads its JSON answer.</summary>
    public async Task<T> SendAsync<T>(InstanceRecord owner, ClaimsPrincipal user, HttpMethod method, PathString path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(owner, user, method, path, Json(body), cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(JsonDefaults.Options, cancellationToken)
            ?? throw new ApiProblemException(502, "Instance answered nothing", $"Instance {owner.Id} answered {method} {path} with no body.");
    }

    /// <summary>
    /// Sends <paramref name="method"/> <paramref name="path"/> (as the endpoint sees it, decoded) to <paramref name="owner"/>
    /// for <paramref name="user"/>; a successful response for the caller to read and dispose, or the owner's problem thrown.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(InstanceRecord owner, ClaimsPrincipal user, HttpMethod method, PathString path, HttpContent? content, CancellationToken cancellationToken)
    {
        var target = new Uri(owner.InternalUrl.TrimEnd('/') + path.ToUriComponent());
        using var request = new HttpRequestMessage(method, target) { Content = content };
        // Signed as the owner's Kestrel will read it: the Host of the internal address, the decoded path.
        foreach (var (name, value) in signature.Sign(identity.Id, method.Method, target.Authority, path.Value ?? "", "", ActingUser.Encode(user)))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        HttpResponseMessage response;
        try
        {
            response = await forwarding.Invoker.SendAsync(request, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ApiProblemException(502, "Instance unreachable",
                $"The instance that runs this sandbox ({owner.Id}) did not answer ({e.Message}). If it is gone, its sandboxes are marked lost "
                + $"within {InstanceOptions.Section}:LostAfter; try again then.");
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            throw await ProblemOfAsync(owner, response, cancellationToken);
        }
    }

    /// <summary>The owner's ProblemDetails, or what its status says when the body is not one.</summary>
    private static async Task<ApiProblemException> ProblemOfAsync(InstanceRecord owner, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            if (problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String)
            {
                var detail = problem.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : title.GetString()!;
                return new ApiProblemException(status, title.GetString()!, detail);
            }
        }
        catch (JsonException)
        {
        }
        return new ApiProblemException(status, response.ReasonPhrase ?? "Refused", $"Instance {owner.Id} answered {status} {response.ReasonPhrase}.");
    }
}

/// <summary>The sandbox runs on another instance and this one cannot forward to it (no shared secret).</summary>
public sealed class SandboxElsewhereException(string message) : Exception(message);
