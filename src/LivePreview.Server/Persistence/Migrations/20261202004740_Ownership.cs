using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LivePreview.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Ownership : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Owner",
                table: "sandboxes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_sandboxes_Owner",
                table: "sandboxes",
                column: "Owner");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_sandboxes_Owner",
                table: "sandboxes");

            migrationBuilder.DropColumn(
                name: "Owner",
                table: "sandboxes");
        }
    }
}
