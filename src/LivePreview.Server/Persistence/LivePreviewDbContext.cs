using LivePreview.AgentSessions;
using LivePreview.Auth;
using LivePreview.Grants;
using LivePreview.Prototypes;
using LivePreview.Questions;
using LivePreview.WarmPool;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace LivePreview.Persistence;

/// <summary>
/// The service's state; on PostgreSQL the instances are <see cref="PostgreSqlDbContext"/> (its own migrations). It also
/// holds the data-protection key ring (<see cref="DataProtectionKeys"/>), so every instance on this database reads the
/// cookies any of them issued, also after a restart (see <see cref="PersistenceExtensions.AddDataProtectionKeys"/>).
/// </summary>
public class LivePreviewDbContext(DbContextOptions<LivePreviewDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    /// <summary>The data-protection keys (a secret: whoever reads them can forge sign-in cookies; docs/SECURITY.md §31).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<SandboxRecord> Sandboxes => Set<SandboxRecord>();
    public DbSet<PreviewRecord> Previews => Set<PreviewRecord>();
    public DbSet<EventRecord> Events => Set<EventRecord>();
    public DbSet<PrototypeSessionRecord> PrototypeSessions => Set<PrototypeSessionRecord>();
    public DbSet<PrototypeTurnRecord> PrototypeTurns => Set<PrototypeTurnRecord>();
    public DbSet<CheckpointRecord> Checkpoints => Set<CheckpointRecord>();
    public DbSet<PoolEntryRecord> PoolEntries => Set<PoolEntryRecord>();
    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();
    public DbSet<PreviewGrantRecord> PreviewGrants => Set<PreviewGrantRecord>();
    public DbSet<AgentSessionRecord> AgentSessions => Set<AgentSessionRecord>();
    public DbSet<AgentSessionTurnRecord> AgentSessionTurns => Set<AgentSessionTurnRecord>();
    public DbSet<QuestionRecord> Questions => Set<QuestionRecord>();
    public DbSet<Commands.CommandRecord> Commands => Set<Commands.CommandRecord>();
    public DbSet<Usage.ModelUsageRecord> ModelUsage => Set<Usage.ModelUsageRecord>();
    public DbSet<Tasks.TaskRecord> Tasks => Set<Tasks.TaskRecord>();
    public DbSet<Instances.InstanceRecord> Instances => Set<Instances.InstanceRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<SandboxRecord>(e =>
        {
            e.ToTable("sandboxes");
            e.HasKey(x => x.Id);
            e.Property(x => x.Status).HasConversion<string>();
            e.HasIndex(x => x.Status);
            e.HasIndex(x => x.Owner);
            e.HasIndex(x => x.InstanceId);
        });
        modelBuilder.Entity<Instances.InstanceRecord>(e =>
        {
            e.ToTable("instances");
            e.HasKey(x => x.Id);
            e.Property(x => x.State).HasConversion<string>();
        });
        modelBuilder.Entity<PreviewRecord>(e =>
        {
            e.ToTable("previews");
            e.HasKey(x => x.Id);
            e.Property(x => x.Status).HasConversion<string>();
            e.Property(x => x.Visibility).HasConversion<string>().HasDefaultValue(PreviewVisibility.Private);
            // One preview per sandbox and port: POST /preview is idempotent on this pair.
            e.HasIndex(x => new { x.SandboxId, x.Port }).IsUnique();
        });
        modelBuilder.Entity<PrototypeSessionRecord>(e =>
        {
            e.ToTable("prototype_sessions");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.SandboxId);
            e.HasIndex(x => x.Owner);
        });
        modelBuilder.Entity<PrototypeTurnRecord>(e =>
        {
            e.ToTable("prototype_turns");
            e.HasKey(x => x.Id);
            e.Property(x => x.Status).HasConversion<string>();
            e.HasIndex(x => new { x.SessionId, x.CreatedAt });
        });
        modelBuilder.Entity<CheckpointRecord>(e =>
        {
            e.ToTable("checkpoints");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.SessionId, x.CreatedAt });
        });
        modelBuilder.ApplyConfiguration(new PoolEntryConfiguration());
        modelBuilder.ApplyConfiguration(new ApiKeyConfiguration());
        modelBuilder.ApplyConfiguration(new PreviewGrantConfiguration());
        modelBuilder.ApplyConfiguration(new AgentSessionConfiguration());
        modelBuilder.ApplyConfiguration(new AgentSessionTurnConfiguration());
        modelBuilder.ApplyConfiguration(new QuestionConfiguration());
        modelBuilder.ApplyConfiguration(new Commands.CommandConfiguration());
        modelBuilder.ApplyConfiguration(new Usage.ModelUsageConfiguration());
        modelBuilder.ApplyConfiguration(new Tasks.TaskConfiguration());
        modelBuilder.Entity<EventRecord>(e =>
        {
            e.ToTable("events");
            e.HasKey(x => x.Sequence);
            e.Property(x => x.Sequence).ValueGeneratedOnAdd();
            e.HasIndex(x => new { x.SandboxId, x.Sequence });
            e.HasIndex(x => new { x.Owner, x.Sequence });
        });
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot order or compare DateTimeOffset; store UTC ticks so ordering works in SQL. PostgreSQL keeps the
        // same bigint rather than timestamptz: the raw SQL (claims, event inserts) then binds the same values on both.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }
}
