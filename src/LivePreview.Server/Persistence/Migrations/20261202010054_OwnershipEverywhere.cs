using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LivePreview.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class OwnershipEverywhere : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Owner",
                table: "prototype_sessions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Owner",
                table: "events",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_prototype_sessions_Owner",
                table: "prototype_sessions",
                column: "Owner");

            migrationBuilder.CreateIndex(
                name: "IX_events_Owner_Sequence",
                table: "events",
                columns: new[] { "Owner", "Sequence" });

            // Rows from before: events and sessions of an owned sandbox become its owner's; the rest stay admin-only.
            migrationBuilder.Sql("UPDATE events SET Owner = (SELECT s.Owner FROM sandboxes s WHERE s.Id = events.SandboxId) WHERE SandboxId IS NOT NULL;");
            migrationBuilder.Sql("UPDATE prototype_sessions SET Owner = (SELECT s.Owner FROM sandboxes s WHERE s.Id = prototype_sessions.SandboxId);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_prototype_sessions_Owner",
                table: "prototype_sessions");

            migrationBuilder.DropIndex(
                name: "IX_events_Owner_Sequence",
                table: "events");

            migrationBuilder.DropColumn(
                name: "Owner",
                table: "prototype_sessions");

            migrationBuilder.DropColumn(
                name: "Owner",
                table: "events");
        }
    }
}
