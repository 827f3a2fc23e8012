using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LivePreview.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RepositorySandboxes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AppProfile",
                table: "sandboxes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "DependenciesReused",
                table: "sandboxes",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DependencyLayerId",
                table: "sandboxes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DevServerPlan",
                table: "sandboxes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "InstallMs",
                table: "sandboxes",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RepositoryBranch",
                table: "sandboxes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RepositoryCommit",
                table: "sandboxes",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RepositoryUrl",
                table: "sandboxes",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "AppProfile",
                table: "sandboxes");

            migrationBuilder.DropColumn(
                name: "DependenciesReused",
                table: "sandboxes");

            migrationBuilder.DropColumn(
                name: "DependencyLayerId",
                table: "sandboxes");

            migrationBuilder.DropColumn(
                name: "DevServerPlan",
                table: "sandboxes");

            migrationBuilder.DropColumn(
                name: "InstallMs",
                table: "sandboxes");

            migrationBuilder.DropColumn(
                name: "RepositoryBranch",
                table: "sandboxes");

            migrationBuilder.DropColumn(
                name: "RepositoryCommit",
                table: "sandboxes");

            migrationBuilder.DropColumn(
                name: "RepositoryUrl",
                table: "sandboxes");
        }
    }
}
