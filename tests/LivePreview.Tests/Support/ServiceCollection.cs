namespace LivePreview.Tests.Support;

/// <summary>Tests that start the service run one class at a time: the machine has two cores and dev servers are heavy.</summary>
[CollectionDefinition(Name)]
public sealed class ServiceCollection
{
    public const string Name = "service";
}
