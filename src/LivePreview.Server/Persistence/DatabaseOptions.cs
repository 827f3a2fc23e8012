namespace LivePreview.Persistence;

/// <summary>
/// <c>LivePreview:Database</c>: which database holds the service's state. SQLite in the data directory needs nothing;
/// PostgreSQL is what lets several instances share one state (claims use the database's own row locks, never a
/// process-local lock, so they hold across instances).
/// </summary>
public sealed class DatabaseOptions
{
    public const string Section = "LivePreview:Database";

    /// <summary><c>Sqlite</c> (default) or <c>PostgreSQL</c>.</summary>
    public string Provider { get; set; } = nameof(DatabaseProvider.Sqlite);

    /// <summary>
    /// The older SQLite override, still honoured: used when <c>ConnectionStrings:LivePreview</c> is not set.
    /// Without either, SQLite uses <c>livepreview.db</c> in the data directory.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>ConnectionStrings:LivePreview</c>, copied in at binding so one options object can be validated.</summary>
    internal string? NamedConnectionString { get; set; }

    internal DatabaseProvider? ParsedProvider =>
        Enum.TryParse<DatabaseProvider>(Provider, ignoreCase: true, out var p) && Enum.IsDefined(p) ? p : null;

    /// <summary>The connection string to use: the named one, else the older override, else null (SQLite's default file).</summary>
    internal string? EffectiveConnectionString =>
        !string.IsNullOrWhiteSpace(NamedConnectionString) ? NamedConnectionString
        : !string.IsNullOrWhiteSpace(ConnectionString) ? ConnectionString : null;
}

public enum DatabaseProvider
{
    Sqlite,
    PostgreSQL,
}

/// <summary>The database the service talks to: a provider and its connection string (which may carry a password: never log it).</summary>
public sealed record DatabaseTarget(DatabaseProvider Provider, string ConnectionString);
