using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LivePreview.Commands;

public enum CommandStatus { Running, Exited, Killed, TimedOut, Lost }

/// <summary>One command run in a sandbox; its output is a file the host writes under the data directory (<see cref="CommandOutput"/>).</summary>
public sealed class CommandRecord
{
    public required string Id { get; set; }
    public required string SandboxId { get; set; }

    /// <summary>The argument list as JSON (an array of strings).</summary>
    public required string Command { get; set; }
    public required string Cwd { get; set; }
    public CommandStatus Status { get; set; }
    public int? ExitCode { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public long OutputBytes { get; set; }
    public bool OutputTruncated { get; set; }
}

internal sealed class CommandConfiguration : IEntityTypeConfiguration<CommandRecord>
{
    public void Configure(EntityTypeBuilder<CommandRecord> e)
    {
        e.ToTable("commands");
        e.HasKey(x => x.Id);
        e.Property(x => x.Status).HasConversion<string>();
        e.HasIndex(x => new { x.SandboxId, x.StartedAt });
        e.HasIndex(x => x.Status);
    }
}
