using Ioc.Ingest;
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

    /// <summary>A body's precision and the rules it is held to (the default limits: 10 min ahead, 366 days back).</summary>
    public static LineRules Rules(Precision precision = Precision.Nanoseconds, TokenGrant? grant = null, int maxPoints = 10_000) =>
        new(precision, new IngestRules(Now, grant ?? Everything, new IngestOptions { MaxPointsPerRequest = maxPoints }));

    /// <summary>Parses with <paramref name="rules"/>.</summary>
    public static IngestError? Parse(this TelemetryLines lines, ReadOnlySpan<byte> body, LineRules rules, List<TelemetryPoint> points) =>
        lines.Parse(body, rules.Precision, rules.Rules, points);

    /// <summary>Parses <paramref name="body"/>; the points, or the error.</summary>
    public static (List<TelemetryPoint> Points, IngestError? Error) Parse(string body, LineRules? rules = null)
    {
        var points = new List<TelemetryPoint>();
        var error = Lines.Parse(Encoding.UTF8.GetBytes(body), rules ?? Rules(), points);
        return (points, error);
    }

    public static List<TelemetryPoint> Accept(string body, LineRules? rules = null)
    {
        var (points, error) = Parse(body, rules);
        Assert.Null(error);
        return points;
    }

    public static IngestError Refuse(string body, LineRules? rules = null)
    {
        var (_, error) = Parse(body, rules);
        Assert.NotNull(error);
        return error;
    }
}

/// <summary>What a line protocol body is parsed with.</summary>
internal readonly record struct LineRules(Precision Precision, IngestRules Rules);
