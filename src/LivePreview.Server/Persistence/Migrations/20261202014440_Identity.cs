using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LivePreview.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Identity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Owner",
                table: "sandboxes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Owner",
                table: "prototype_sessions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Visibility",
                table: "previews",
                type: "TEXT",
                nullable: false,
                defaultValue: "Private");

            migrationBuilder.AddColumn<string>(
                name: "Owner",
                table: "events",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "preview_grants",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    SandboxId = table.Column<string>(type: "TEXT", nullable: false),
                    Port = table.Column<int>(type: "INTEGER", nullable: false),
                    PreviewId = table.Column<string>(type: "TEXT", nullable: false),
                    User = table.Column<string>(type: "TEXT", nullable: false),
                    Share = table.Column<bool>(type: "INTEGER", nullable: false),
                    TokenHash = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RevokedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_preview_grants", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_sandboxes_Owner",
                table: "sandboxes",
                column: "Owner");

            migrationBuilder.CreateIndex(
                name: "IX_prototype_sessions_Owner",
                table: "prototype_sessions",
                column: "Owner");

            migrationBuilder.CreateIndex(
                name: "IX_events_Owner_Sequence",
                table: "events",
                columns: new[] { "Owner", "Sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_preview_grants_SandboxId_Port",
                table: "preview_grants",
                columns: new[] { "SandboxId", "Port" });

            migrationBuilder.CreateIndex(
                name: "IX_preview_grants_TokenHash",
                table: "preview_grants",
                column: "TokenHash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "preview_grants");

            migrationBuilder.DropIndex(
                name: "IX_sandboxes_Owner",
                table: "sandboxes");

            migrationBuilder.DropIndex(
                name: "IX_prototype_sessions_Owner",
                table: "prototype_sessions");

            migrationBuilder.DropIndex(
                name: "IX_events_Owner_Sequence",
                table: "events");

            migrationBuilder.DropColumn(
                name: "Owner",
                table: "sandboxes");

            migrationBuilder.DropColumn(
                name: "Owner",
                table: "prototype_sessions");

            migrationBuilder.DropColumn(
                name: "Visibility",
                table: "previews");

            migrationBuilder.DropColumn(
                name: "Owner",
                table: "events");
        }
    }
}
