using Microsoft.AspNetCore.SignalR.Client;

namespace Ioc.Tests.Infrastructure;

/// <summary>
/// A wall screen on the live hub, as the page would be: <c>update</c> frames as updates, <c>alert</c>
/// frames kept as the raw JSON the page reads, so tests see the wire shape.
/// </summary>
public sealed class Screen : IAsyncDisposable
{
    private readonly HubConnection _connection;

    private Screen(HubConnection connection)
    {
        _connection = connection;
        connection.On<EntityUpdate[]>("update", frame => Updates.Add(frame));
        connection.On<JsonElement[]>("alert", frame => Alerts.Add(frame));
    }

    /// <summary>Every update received.</summary>
    public Signals<EntityUpdate> Updates { get; } = new();

    /// <summary>Every alert received, as JSON.</summary>
    public Signals<JsonElement> Alerts { get; } = new();

    /// <summary>Connects a screen signed in as <paramref name="role"/>.</summary>
    public static async Task<Screen> Connect(HubFactory hub, string role = HubRoles.Operator)
    {
        var screen = new Screen(hub.CreateLiveConnection(role));
        await screen._connection.StartAsync(TestContext.Current.CancellationToken);
        return screen;
    }

    /// <summary>Watches an entity.</summary>
    public Task<EntitySnapshot> Subscribe(string entityId) =>
        _connection.InvokeAsync<EntitySnapshot>("Subscribe", entityId, TestContext.Current.CancellationToken);

    /// <summary>Watches an entity with the children that change.</summary>
    public Task<EntitySnapshot> SubscribeWithChildren(string entityId) =>
        _connection.InvokeAsync<EntitySnapshot>("SubscribeWithChildren", entityId, TestContext.Current.CancellationToken);

    /// <summary>Watches alerts; returns the open ones as JSON.</summary>
    public Task<JsonElement[]> SubscribeAlerts() =>
        _connection.InvokeAsync<JsonElement[]>("SubscribeAlerts", TestContext.Current.CancellationToken);

    /// <summary>Reads an alert off the wire as the hub's JSON options do.</summary>
    public static Alert Parse(JsonElement alert) => alert.Deserialize<Alert>(Json)!;

    /// <summary>The hub's JSON options.</summary>
    public static readonly JsonSerializerOptions Json = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions();
        ServiceDefaultsExtensions.Configure(json);
        return json;
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
