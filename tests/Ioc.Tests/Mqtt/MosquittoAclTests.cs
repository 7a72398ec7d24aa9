using Ioc.HubCtl;

namespace Ioc.Tests.Mqtt;

/// <summary><c>hubctl mqtt acl</c> gives each unit's user publish rights to its own topics only.</summary>
public sealed class MosquittoAclTests
{
    [Fact]
    public async Task Each_unit_may_publish_only_to_its_own_topics_and_read_only_its_own_replies()
    {
        var output = new StringWriter();
        var code = await HubCtlCommands.RunAsync(["mqtt", "acl", "--catalog", Path.Combine(Repository.Root, "catalog", "hung-yen.json")], output,
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(0, code);
        var sections = output.ToString().Split("\nuser ").Skip(1).Select(s => s.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(s => s[0], s => s[1..]);
        Assert.Equal(["topic read ioc/+", "topic read ioc/+/+", "topic write ioc/+/errors"], sections["ioc-ingest"].Where(l => !l.StartsWith('#')));
        Assert.Equal(
            ["topic write ioc/van-lam-air-1", "topic write ioc/van-lam-air-1/pm25", "topic write ioc/van-lam-air-1/aqi", "topic read ioc/van-lam-air-1/errors", "topic read ioc/van-lam-air-1/commands"],
            sections["van-lam-air-1"].Where(l => !l.StartsWith('#')));
        foreach (var (user, lines) in sections.Where(s => s.Key != "ioc-ingest"))
            Assert.All(lines.Where(l => !l.StartsWith('#')), l => Assert.Matches($"^topic (write|read) ioc/{user}(/[a-z0-9-]+)?$", l));
    }

    [Fact]
    public async Task A_missing_catalog_is_an_error_that_names_it()
    {
        var output = new StringWriter();
        var code = await HubCtlCommands.RunAsync(["mqtt", "acl", "--catalog", "no-such-catalog.json"], output, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, code);
        Assert.Contains("no-such-catalog.json", output.ToString());
    }
}
