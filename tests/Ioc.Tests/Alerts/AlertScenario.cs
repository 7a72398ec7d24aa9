namespace Ioc.Tests.Alerts;

/// <summary>What the alert tests do alike: a unit reports a value now, and alerts are raised and seen on a ticker.</summary>
internal static class AlertScenario
{
    /// <summary>Posts one value of <paramref name="metric"/> from <paramref name="unit"/>, stamped now.</summary>
    public static Task<HttpResponseMessage> Report(HubFactory hub, string unit, string metric, double value) =>
        hub.CreateUnitClient().PostAsJsonAsync("/api/v1/telemetry", new { points = new[] { new { unit, metric, value, ts = DateTimeOffset.UtcNow } } }, Cancel);

    /// <summary>
    /// Raises two alerts under <paramref name="locality"/>, a PM2.5 one on its air station and then a water-level one
    /// on its gauge, and returns once a ticker has received each: both are then in the alert lists.
    /// </summary>
    public static async Task RaiseTwo(HubFactory hub, string locality)
    {
        await using var ticker = await Screen.Connect(hub);
        await ticker.SubscribeAlerts();
        foreach (var (unit, metric, value) in new[] { ($"{locality}-air-1", "pm25", 95.0), ($"{locality}-water-1", "water-level", 9.5) })
        {
            await Report(hub, unit, metric, value);
            await ticker.Alerts.First(a => a.GetProperty("entity").GetString() == unit);
        }
    }
}
