namespace LivePreview.Tests.Repositories;

public sealed class DirectoryTreeTests : IDisposable
{
    private readonly RepositoryFixture _repo = new();

    public void Dispose() => _repo.Dispose();

    private static CancellationToken None => CancellationToken.None;

    [Fact]
    public async Task A_regular_file_is_read_whole_within_its_bound_and_not_beyond()
    {
        _repo.Write("src/a.txt", "hello");

        Assert.Equal("hello", await _repo.Tree.ReadTextAsync("src/a.txt", 5, None));
        Assert.Null(await _repo.Tree.ReadTextAsync("src/a.txt", 4, None));
        Assert.Null(await _repo.Tree.ReadTextAsync("src/missing.txt", 100, None));
        Assert.Null(await _repo.Tree.ReadTextAsync("src", 100, None));
    }

    [Fact]
    public async Task A_link_anywhere_in_the_path_is_absent_even_one_that_stays_inside()
    {
        _repo.Write("src/a.txt", "inside").Link("a-link.txt", "src/a.txt").Link("src-link", "src")
            .Link("out-link.txt", _repo.WriteOutside("secret.txt", "secret")).Link("out-dir", _repo.Outside);

        foreach (var path in new[] { "a-link.txt", "src-link/a.txt", "out-link.txt", "out-dir/secret.txt" })
        {
            Assert.Null(await _repo.Tree.ReadTextAsync(path, 100, None));
            Assert.Null(await _repo.Tree.ReadHeadAsync(path, 100, None));
            Assert.False(await _repo.Tree.FileExistsAsync(path, None));
        }
        Assert.Empty(await _repo.Tree.ListDirectoriesAsync("out-dir", None));
        Assert.True(await _repo.Tree.FileExistsAsync("src/a.txt", None));
    }

    [Fact]
    public async Task Listing_gives_real_sub_folders_only_sorted()
    {
        _repo.Write("b/x", "").Write("a/x", "").Write("file", "").Link("linked", Path.Join(_repo.Root, "a"));

        Assert.Equal(["a", "b"], await _repo.Tree.ListDirectoriesAsync("", None));
        Assert.Empty(await _repo.Tree.ListDirectoriesAsync("missing", None));
    }

    [Fact]
    public async Task Paths_that_leave_the_tree_are_refused()
    {
        _repo.WriteOutside("secret.txt", "secret");

        Assert.Null(await _repo.Tree.ReadTextAsync("../outside/secret.txt", 100, None));
        Assert.Null(await _repo.Tree.ReadTextAsync(Path.Join(_repo.Outside, "secret.txt"), 100, None));
        Assert.False(await _repo.Tree.FileExistsAsync("../outside/secret.txt", None));
    }

    [Fact]
    public async Task The_head_of_a_large_file_is_read_without_the_rest()
    {
        _repo.Write("big.lock", "__metadata:\n" + new string('x', 2 * 1024 * 1024));

        var head = await _repo.Tree.ReadHeadAsync("big.lock", 16, None);

        Assert.Equal("__metadata:\nxxxx", head);
    }

    [Fact]
    public async Task Invalid_utf8_is_an_error_not_replacement_characters()
    {
        _repo.WriteBytes("bad.json", [(byte)'{', 0xFF, (byte)'}']);

        await Assert.ThrowsAsync<InvalidDataException>(() => _repo.Tree.ReadTextAsync("bad.json", 100, None));
        Assert.Equal("{\uFFFD}", await _repo.Tree.ReadHeadAsync("bad.json", 100, None));
    }
}
