using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LivePreview.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Instances : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "InstanceId",
                table: "sandboxes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "InstanceId",
                table: "pool_entries",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "instances",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    InternalUrl = table.Column<string>(type: "TEXT", nullable: false),
                    State = table.Column<string>(type: "TEXT", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    HeartbeatAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SandboxCount = table.Column<int>(type: "INTEGER", nullable: false),
                    MaxSandboxes = table.Column<int>(type: "INTEGER", nullable: false),
                    FreeMemoryMb = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_instances", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_sandboxes_InstanceId",
                table: "sandboxes",
                column: "InstanceId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "instances");

            migrationBuilder.DropIndex(
                name: "IX_sandboxes_InstanceId",
                table: "sandboxes");

            migrationBuilder.DropColumn(
                name: "InstanceId",
                table: "sandboxes");

            migrationBuilder.DropColumn(
                name: "InstanceId",
                table: "pool_entries");
        }
    }
}
