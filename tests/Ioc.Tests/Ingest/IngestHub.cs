using System.IO.Compression;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;

namespace Ioc.Tests.Ingest;

/// <summary>
/// The hub with ingest limits small enough to reach in a test: a 64 KiB body, 500 points per request, and
/// a token table checked every 200 ms.
/// </summary>
public class IngestHubFactory : HubFactory
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Ingest:MaxBodyBytes"] = "65536",
        ["Ingest:MaxPointsPerRequest"] = "500",
        ["Ingest:TokenRefreshPeriod"] = "00:00:00.200",
    };
}

/// <summary>The hub with a rate limit of 10 points, refilled at one point every 100 s.</summary>
public sealed class RateLimitedHubFactory : HubFactory
{
    /// <summary>The limit's settings, the same over HTTP and MQTT.</summary>
    public static Dictionary<string, string?> Limit => new()
    {
        ["Ingest:MaxPointsPerRequest"] = "10",
        ["Ingest:RateLimit:Burst"] = "10",
        ["Ingest:RateLimit:PointsPerSecond"] = "0.01",
    };

    protected override IDictionary<string, string?> Settings => Limit;
}

/// <summary>What ingest tests do over HTTP.</summary>
internal static class IngestHttp
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    static IngestHttp() => ServiceDefaultsExtensions.Configure(Json);

    /// <summary>POSTs line protocol to <c>/api/v2/write</c>.</summary>
    public static Task<HttpResponseMessage> WriteLines(this HttpClient client, string body, string? precision = null, bool gzip = false, string? idempotencyKey = null)
    {
        var url = "/api/v2/write?org=hung-yen&bucket=ioc" + (precision is null ? "" : "&precision=" + precision);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Body(body, gzip) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request, Cancel);
    }

    public static HttpContent Body(string body, bool gzip)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        if (!gzip) return new ByteArrayContent(bytes);
        var content = new ByteArrayContent(Gzip(bytes));
        content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var zip = new GZipStream(buffer, CompressionLevel.Optimal)) zip.Write(bytes);
        return buffer.ToArray();
    }

    /// <summary>Reads InfluxDB's error body and checks its code.</summary>
    public static async Task<string> InfluxError(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(code, doc.RootElement.GetProperty("code").GetString());
        Assert.Equal(code, response.Headers.GetValues("X-Platform-Error-Code").Single());
        return doc.RootElement.GetProperty("message").GetString()!;
    }

    /// <summary>Issues a unit token through the admin API; the secret.</summary>
    public static async Task<(string Id, string Secret)> CreateToken(this HubFactory hub, string name, params string[] scope)
    {
        var response = await hub.CreatePersonClient(HubRoles.Admin).PostAsJsonAsync("/api/v1/admin/tokens", new { name, scope }, Cancel);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<CreatedUnitToken>(Json, Cancel))!;
        return (created.Token.Id, created.Secret);
    }

    /// <summary>The unit's count of distinct points received.</summary>
    public static async Task<long> PointsReceived(this HubFactory hub, string unit)
    {
        var intake = await hub.CreatePersonClient(HubRoles.Operator).GetFromJsonAsync<UnitIntake>($"/api/v1/units/{unit}/intake", Json, Cancel);
        return intake!.PointsReceived;
    }
}

/// <summary>A screen watching one unit: tells when a metric shows a value, which proves the points arrived.</summary>
internal sealed class UnitWatch : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly Channel<MetricValue> _values = Channel.CreateUnbounded<MetricValue>();
    private readonly List<MetricValue> _seen = [];

    private UnitWatch(HubConnection connection) => _connection = connection;

    public static async Task<UnitWatch> Start(HubFactory hub, string unit)
    {
        var watch = new UnitWatch(hub.CreateLiveConnection());
        watch._connection.On<EntityUpdate[]>("update", frame =>
        {
            foreach (var u in frame)
                if (u.Id == unit)
                    foreach (var m in u.Metrics) watch._values.Writer.TryWrite(m);
        });
        await watch._connection.StartAsync(Cancel);
        await watch._connection.InvokeAsync<EntitySnapshot>("Subscribe", unit, Cancel);
        return watch;
    }

    /// <summary>Every value seen so far.</summary>
    public IReadOnlyList<MetricValue> Seen => _seen;

    /// <summary>Waits until <paramref name="metric"/> shows <paramref name="value"/>.</summary>
    public async Task<MetricValue> WaitFor(string metric, double value)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(IngestHttp.Patience);
        if (_seen.FirstOrDefault(m => m.Metric == metric && m.Value == value) is { } earlier) return earlier;
        try
        {
            await foreach (var m in _values.Reader.ReadAllAsync(timeout.Token))
            {
                _seen.Add(m);
                if (m.Metric == metric && m.Value == value) return m;
            }
        }
        catch (OperationCanceledException) when (!Cancel.IsCancellationRequested)
        {
        }
        throw new TimeoutException($"{metric} never showed {value}; seen: {string.Join(", ", _seen.Select(v => $"{v.Metric}={v.Value}@{v.Timestamp:O}"))}");
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
