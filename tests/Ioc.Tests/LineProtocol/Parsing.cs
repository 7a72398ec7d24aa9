using System.Text;
using Ioc.Ingest.LineProtocol;
using Ioc.Ingest.Telemetry;

namespace Ioc.Tests.LineProtocol;

/// <summary>The seeded catalog and a parser over it, for tests that need no hub.</summary>
internal static class Parsing
{
    public static readonly Contracts.Catalog Catalog = Contracts.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json"));

    public static readonly TelemetryLines Lines = new(Catalog);

    public static readonly DateTimeOffset Now = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    public static readonly TokenGrant Everything = new("test", "test", null);

    public static WriteRules Rules(Precision precision = Precision.Nanoseconds, TokenGrant? grant = null, int maxPoints = 10_000) =>
        new(precision, Now, TimeSpan.FromMinutes(10), TimeSpan.FromDays(366), maxPoints, grant ?? Everything);

    /// <summary>Parses <paramref name="body"/>; the points, or the error.</summary>
    public static (List<TelemetryPoint> Points, WriteError? Error) Parse(string body, WriteRules? rules = null)
    {
        var points = new List<TelemetryPoint>();
        var error = Lines.Parse(Encoding.UTF8.GetBytes(body), rules ?? Rules(), points);
        return (points, error);
    }

    public static List<TelemetryPoint> Accept(string body, WriteRules? rules = null)
    {
        var (points, error) = Parse(body, rules);
        Assert.Null(error);
        return points;
    }

    public static WriteError Refuse(string body, WriteRules? rules = null)
    {
        var (_, error) = Parse(body, rules);
        Assert.NotNull(error);
        return error;
    }
}
