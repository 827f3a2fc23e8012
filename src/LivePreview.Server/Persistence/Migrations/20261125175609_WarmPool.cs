using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LivePreview.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class WarmPool : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "pool_entries",
                columns: table => new
                {
                    SandboxId = table.Column<string>(type: "TEXT", nullable: false),
                    Framework = table.Column<string>(type: "TEXT", nullable: false),
                    SnapshotId = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ReadyAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ClaimedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ClaimedBy = table.Column<string>(type: "TEXT", nullable: true),
                    EvictedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    EvictionReason = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pool_entries", x => x.SandboxId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_pool_entries_Framework_ClaimedAt",
                table: "pool_entries",
                columns: new[] { "Framework", "ClaimedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "pool_entries");
        }
    }
}
