using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LivePreview.Persistence.PostgreSqlMigrations
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
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "InstanceId",
                table: "pool_entries",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "instances",
                columns: table => new
                {
                    Id = table.Column<string>(type: "text", nullable: false),
                    InternalUrl = table.Column<string>(type: "text", nullable: false),
                    State = table.Column<string>(type: "text", nullable: false),
                    StartedAt = table.Column<long>(type: "bigint", nullable: false),
                    HeartbeatAt = table.Column<long>(type: "bigint", nullable: false),
                    SandboxCount = table.Column<int>(type: "integer", nullable: false),
                    MaxSandboxes = table.Column<int>(type: "integer", nullable: false),
                    FreeMemoryMb = table.Column<long>(type: "bigint", nullable: false)
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
