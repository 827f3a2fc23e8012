using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace LivePreview.Persistence.PostgreSqlMigrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "agent_session_turns",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    SessionId = table.Column<string>(type: "text", nullable: false),
                    Instruction = table.Column<string>(type: "text", nullable: false),
                    Status = table.Column<string>(type: "text", nullable: false),
                    Summary = table.Column<string>(type: "text", nullable: true),
                    Error = table.Column<string>(type: "text", nullable: true),
                    StartedAt = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true),
                    InputTokens = table.Column<long>(type: "bigint", nullable: true),
                    OutputTokens = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_agent_session_turns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "agent_sessions",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    SandboxId = table.Column<string>(type: "text", nullable: false),
                    Owner = table.Column<string>(type: "text", nullable: true),
                    Agent = table.Column<string>(type: "text", nullable: false),
                    Model = table.Column<string>(type: "text", nullable: true),
                    Status = table.Column<string>(type: "text", nullable: false),
                    Instruction = table.Column<string>(type: "text", nullable: false),
                    ResumeToken = table.Column<string>(type: "text", nullable: true),
                    Error = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_agent_sessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "api_keys",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    User = table.Column<string>(type: "text", nullable: false),
                    Name = table.Column<string>(type: "text", nullable: false),
                    Hash = table.Column<string>(type: "text", nullable: false),
                    IsAdmin = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    RevokedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_keys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "checkpoints",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    SessionId = table.Column<string>(type: "text", nullable: false),
                    Sha = table.Column<string>(type: "text", nullable: false),
                    Message = table.Column<string>(type: "text", nullable: false),
                    Kind = table.Column<string>(type: "text", nullable: false),
                    TurnId = table.Column<string>(type: "text", nullable: true),
                    FilesJson = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_checkpoints", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "commands",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    SandboxId = table.Column<string>(type: "text", nullable: false),
                    Command = table.Column<string>(type: "text", nullable: false),
                    Cwd = table.Column<string>(type: "text", nullable: false),
                    Status = table.Column<string>(type: "text", nullable: false),
                    ExitCode = table.Column<int>(type: "integer", nullable: true),
                    StartedAt = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true),
                    OutputBytes = table.Column<long>(type: "bigint", nullable: false),
                    OutputTruncated = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_commands", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "events",
                columns: table => new
                {
                    Sequence = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Type = table.Column<string>(type: "text", nullable: false),
                    EntityType = table.Column<string>(type: "text", nullable: false),
                    EntityId = table.Column<string>(type: "text", nullable: false),
                    SandboxId = table.Column<string>(type: "text", nullable: true),
                    Timestamp = table.Column<long>(type: "bigint", nullable: false),
                    Payload = table.Column<string>(type: "text", nullable: true),
                    Owner = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_events", x => x.Sequence);
                });

            migrationBuilder.CreateTable(
                name: "model_usage",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    SandboxId = table.Column<string>(type: "text", nullable: false),
                    Owner = table.Column<string>(type: "text", nullable: true),
                    Provider = table.Column<string>(type: "text", nullable: false),
                    Model = table.Column<string>(type: "text", nullable: false),
                    InputTokens = table.Column<long>(type: "bigint", nullable: false),
                    OutputTokens = table.Column<long>(type: "bigint", nullable: false),
                    At = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_model_usage", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "pool_entries",
                columns: table => new
                {
                    SandboxId = table.Column<string>(type: "text", nullable: false),
                    Framework = table.Column<string>(type: "text", nullable: false),
                    SnapshotId = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ReadyAt = table.Column<long>(type: "bigint", nullable: true),
                    ClaimedAt = table.Column<long>(type: "bigint", nullable: true),
                    ClaimedBy = table.Column<string>(type: "text", nullable: true),
                    EvictedAt = table.Column<long>(type: "bigint", nullable: true),
                    EvictionReason = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pool_entries", x => x.SandboxId);
                });

            migrationBuilder.CreateTable(
                name: "preview_grants",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    SandboxId = table.Column<string>(type: "text", nullable: false),
                    Port = table.Column<int>(type: "integer", nullable: false),
                    PreviewId = table.Column<string>(type: "text", nullable: false),
                    User = table.Column<string>(type: "text", nullable: false),
                    Share = table.Column<bool>(type: "boolean", nullable: false),
                    TokenHash = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    RevokedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_preview_grants", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "previews",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    SandboxId = table.Column<string>(type: "text", nullable: false),
                    Port = table.Column<int>(type: "integer", nullable: false),
                    Url = table.Column<string>(type: "text", nullable: false),
                    Status = table.Column<string>(type: "text", nullable: false),
                    Error = table.Column<string>(type: "text", nullable: true),
                    Restarts = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ReadyAt = table.Column<long>(type: "bigint", nullable: true),
                    Visibility = table.Column<string>(type: "text", nullable: false, defaultValue: "Private")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_previews", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "prototype_sessions",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    SandboxId = table.Column<string>(type: "text", nullable: false),
                    Framework = table.Column<string>(type: "text", nullable: false),
                    Owner = table.Column<string>(type: "text", nullable: true),
                    Agent = table.Column<string>(type: "text", nullable: true),
                    Model = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_prototype_sessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "prototype_turns",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    SessionId = table.Column<string>(type: "text", nullable: false),
                    Prompt = table.Column<string>(type: "text", nullable: false),
                    Status = table.Column<string>(type: "text", nullable: false),
                    Summary = table.Column<string>(type: "text", nullable: true),
                    Error = table.Column<string>(type: "text", nullable: true),
                    CheckpointId = table.Column<string>(type: "text", nullable: true),
                    FixAttempts = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    CompletedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_prototype_turns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "questions",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    SandboxId = table.Column<string>(type: "text", nullable: false),
                    Owner = table.Column<string>(type: "text", nullable: true),
                    SessionId = table.Column<string>(type: "text", nullable: true),
                    Question = table.Column<string>(type: "text", nullable: false),
                    Choices = table.Column<string>(type: "text", nullable: true),
                    Status = table.Column<string>(type: "text", nullable: false),
                    Answer = table.Column<string>(type: "text", nullable: true),
                    AnsweredBy = table.Column<string>(type: "text", nullable: true),
                    AskedAt = table.Column<long>(type: "bigint", nullable: false),
                    AnsweredAt = table.Column<long>(type: "bigint", nullable: true),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    Delivered = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_questions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "sandboxes",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    Framework = table.Column<string>(type: "text", nullable: false),
                    Provider = table.Column<string>(type: "text", nullable: false),
                    SnapshotId = table.Column<string>(type: "text", nullable: true),
                    Owner = table.Column<string>(type: "text", nullable: true),
                    Status = table.Column<string>(type: "text", nullable: false),
                    Error = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: false),
                    RepositoryUrl = table.Column<string>(type: "text", nullable: true),
                    RepositoryBranch = table.Column<string>(type: "text", nullable: true),
                    RepositoryCommit = table.Column<string>(type: "text", nullable: true),
                    AppProfile = table.Column<string>(type: "text", nullable: true),
                    DevServerPlan = table.Column<string>(type: "text", nullable: true),
                    DependencyLayerId = table.Column<string>(type: "text", nullable: true),
                    DependenciesReused = table.Column<bool>(type: "boolean", nullable: true),
                    InstallMs = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sandboxes", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "tasks",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    Owner = table.Column<string>(type: "text", nullable: false),
                    Title = table.Column<string>(type: "text", nullable: false),
                    Description = table.Column<string>(type: "text", nullable: false),
                    RepositoryUrl = table.Column<string>(type: "text", nullable: false),
                    BaseBranch = table.Column<string>(type: "text", nullable: false),
                    RequiredCapabilities = table.Column<string>(type: "text", nullable: false),
                    Agent = table.Column<string>(type: "text", nullable: true),
                    Priority = table.Column<int>(type: "integer", nullable: false),
                    Status = table.Column<string>(type: "text", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    MaxAttempts = table.Column<int>(type: "integer", nullable: false),
                    NextAttemptAt = table.Column<long>(type: "bigint", nullable: false),
                    ClaimedBy = table.Column<string>(type: "text", nullable: true),
                    LeaseToken = table.Column<string>(type: "text", nullable: true),
                    LeaseUntil = table.Column<long>(type: "bigint", nullable: true),
                    SandboxId = table.Column<string>(type: "text", nullable: true),
                    Branch = table.Column<string>(type: "text", nullable: true),
                    CommitSha = table.Column<string>(type: "text", nullable: true),
                    PullRequestUrl = table.Column<string>(type: "text", nullable: true),
                    PreviewUrl = table.Column<string>(type: "text", nullable: true),
                    Error = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tasks", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_agent_session_turns_SessionId_StartedAt",
                table: "agent_session_turns",
                columns: new[] { "SessionId", "StartedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_agent_sessions_Owner",
                table: "agent_sessions",
                column: "Owner");

            migrationBuilder.CreateIndex(
                name: "IX_agent_sessions_SandboxId_CreatedAt",
                table: "agent_sessions",
                columns: new[] { "SandboxId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_agent_sessions_active_sandbox",
                table: "agent_sessions",
                column: "SandboxId",
                unique: true,
                filter: "\"Status\" IN ('running', 'waiting_for_answer')");

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_Hash",
                table: "api_keys",
                column: "Hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_User",
                table: "api_keys",
                column: "User");

            migrationBuilder.CreateIndex(
                name: "IX_checkpoints_SessionId_CreatedAt",
                table: "checkpoints",
                columns: new[] { "SessionId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_commands_SandboxId_StartedAt",
                table: "commands",
                columns: new[] { "SandboxId", "StartedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_commands_Status",
                table: "commands",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_events_Owner_Sequence",
                table: "events",
                columns: new[] { "Owner", "Sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_events_SandboxId_Sequence",
                table: "events",
                columns: new[] { "SandboxId", "Sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_model_usage_Owner_At",
                table: "model_usage",
                columns: new[] { "Owner", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_model_usage_SandboxId_At",
                table: "model_usage",
                columns: new[] { "SandboxId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_pool_entries_Framework_ClaimedAt",
                table: "pool_entries",
                columns: new[] { "Framework", "ClaimedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_preview_grants_SandboxId_Port",
                table: "preview_grants",
                columns: new[] { "SandboxId", "Port" });

            migrationBuilder.CreateIndex(
                name: "IX_preview_grants_TokenHash",
                table: "preview_grants",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_previews_SandboxId_Port",
                table: "previews",
                columns: new[] { "SandboxId", "Port" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_prototype_sessions_Owner",
                table: "prototype_sessions",
                column: "Owner");

            migrationBuilder.CreateIndex(
                name: "IX_prototype_sessions_SandboxId",
                table: "prototype_sessions",
                column: "SandboxId");

            migrationBuilder.CreateIndex(
                name: "IX_prototype_turns_SessionId_CreatedAt",
                table: "prototype_turns",
                columns: new[] { "SessionId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_questions_SandboxId_Status_AskedAt",
                table: "questions",
                columns: new[] { "SandboxId", "Status", "AskedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_sandboxes_Owner",
                table: "sandboxes",
                column: "Owner");

            migrationBuilder.CreateIndex(
                name: "IX_sandboxes_Status",
                table: "sandboxes",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_tasks_Owner",
                table: "tasks",
                column: "Owner");

            migrationBuilder.CreateIndex(
                name: "IX_tasks_Status_Priority_CreatedAt",
                table: "tasks",
                columns: new[] { "Status", "Priority", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "agent_session_turns");

            migrationBuilder.DropTable(
                name: "agent_sessions");

            migrationBuilder.DropTable(
                name: "api_keys");

            migrationBuilder.DropTable(
                name: "checkpoints");

            migrationBuilder.DropTable(
                name: "commands");

            migrationBuilder.DropTable(
                name: "events");

            migrationBuilder.DropTable(
                name: "model_usage");

            migrationBuilder.DropTable(
                name: "pool_entries");

            migrationBuilder.DropTable(
                name: "preview_grants");

            migrationBuilder.DropTable(
                name: "previews");

            migrationBuilder.DropTable(
                name: "prototype_sessions");

            migrationBuilder.DropTable(
                name: "prototype_turns");

            migrationBuilder.DropTable(
                name: "questions");

            migrationBuilder.DropTable(
                name: "sandboxes");

            migrationBuilder.DropTable(
                name: "tasks");
        }
    }
}
