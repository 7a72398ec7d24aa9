using Ioc.HubCtl;
using Ioc.Ingest.Mqtt;
using Ioc.Tests.Ingest;
using Ioc.Tests.Storage;
using MQTTnet;
using MQTTnet.Formatter;

namespace Ioc.Tests.Mqtt;

/// <summary>A hub that takes its MQTT telemetry from an external broker.</summary>
public sealed class BrokerHubFactory(Mosquitto broker, string clientId, IDictionary<string, string?>? more = null) : HubFactory
{
    public const string IngestUser = "ioc-ingest";
    public const string IngestPassword = "ingest-secret";

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>(more ?? new Dictionary<string, string?>())
            {
                ["Mqtt:Enabled"] = "true",
                ["Mqtt:Broker"] = broker.Address,
                ["Mqtt:BrokerUser"] = IngestUser,
                ["Mqtt:BrokerPassword"] = IngestPassword,
                ["Mqtt:ClientId"] = clientId,
            };
            return settings;
        }
    }

    /// <summary>Starts the hub and waits until it has subscribed at the broker.</summary>
    public async Task Subscribed()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await Services.GetRequiredService<MqttBrokerLink>().Subscribed.WaitAsync(timeout.Token);
    }
}

/// <summary>
/// Cluster mode against Debian's mosquitto, configured with the ACL that <c>hubctl mqtt acl</c> writes: the
/// broker authenticates units, the hub takes its share through a shared subscription and a persistent session.
/// </summary>
public sealed class MqttBrokerTests
{
    private const string Unit = "an-thi-water-1";
    private const string UnitPassword = "water-gauge-secret";

    private static async Task<Mosquitto> Broker()
    {
        var catalog = Contracts.Catalog.Load(Path.Combine(Repository.Root, "catalog", "hung-yen.json"));
        return await Mosquitto.Run(new Dictionary<string, string>
        {
            [BrokerHubFactory.IngestUser] = BrokerHubFactory.IngestPassword,
            [Unit] = UnitPassword,
        }, MosquittoAcl.Generate(catalog, BrokerHubFactory.IngestUser), Cancel);
    }

    [Fact]
    public async Task A_unit_publishing_through_the_broker_reaches_the_hub_and_the_ACL_keeps_it_to_its_own_topics()
    {
        await using var broker = await Broker();
        await using var hub = new BrokerHubFactory(broker, "ingest-" + Guid.NewGuid().ToString("N"));
        await hub.Subscribed();
        await using var watch = await UnitWatch.Start(hub, Unit);
        await using var unit = await MqttUnit.Connect("127.0.0.1", broker.Port, Unit, UnitPassword);

        var own = await unit.Publish($"ioc/{Unit}/water-level", "4.5");
        var other = await unit.Publish("ioc/van-lam-air-1/pm25", "10");

        Assert.Equal(MqttClientPublishReasonCode.Success, own.ReasonCode);
        await watch.WaitFor("water-level", 4.5);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, other.ReasonCode);
    }

    [Fact]
    public async Task Bad_input_through_the_broker_is_explained_on_the_units_error_topic()
    {
        await using var broker = await Broker();
        await using var hub = new BrokerHubFactory(broker, "ingest-" + Guid.NewGuid().ToString("N"));
        await hub.Subscribed();
        await using var unit = await MqttUnit.Connect("127.0.0.1", broker.Port, Unit, UnitPassword);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await unit.Subscribe($"ioc/{Unit}/errors"));

        await unit.Publish($"ioc/{Unit}/water-level", "high");

        var error = await unit.NextError(Unit, 0);
        Assert.Equal(("value", $"ioc/{Unit}/water-level"), (error.Reason, error.Topic));
        Assert.Contains("must be a number", error.Error);
    }

    [Fact]
    public async Task With_its_buffer_full_the_Ingest_holds_the_broker_acknowledgement_and_takes_the_message_once_there_is_room()
    {
        await using var broker = await Broker();
        // A buffer of one point and a time-series store that is not running yet: the first point fills it.
        var vm = VictoriaMetrics.Reserve();
        await using var _ = vm;
        var settings = StorageHub.VictoriaMetrics(vm.Url);
        settings["Buffer:MaxPoints"] = "1";
        await using var hub = new BrokerHubFactory(broker, "ingest-" + Guid.NewGuid().ToString("N"), settings);
        await hub.Subscribed();
        using var counts = new MqttCounts(hub);
        await using var watch = await UnitWatch.Start(hub, Unit);
        await using var unit = await MqttUnit.Connect("127.0.0.1", broker.Port, Unit, UnitPassword);

        await unit.Publish($"ioc/{Unit}/water-level", "1.25");
        await watch.WaitFor("water-level", 1.25);
        await unit.Publish($"ioc/{Unit}/water-level", "2.5");
        // Refused for now, so not acknowledged to the broker, and tried again.
        await counts.Outcomes.First(o => o == "overloaded");
        await counts.Outcomes.First(o => o == "overloaded", counts.Outcomes.Count);
        Assert.Equal(1, counts["accepted"]);

        await vm.Start(Cancel);
        await watch.WaitFor("water-level", 2.5);
        var buffer = hub.Services.GetRequiredService<Ioc.TimeSeries.WriteAheadLog>();
        using (var drained = CancellationTokenSource.CreateLinkedTokenSource(Cancel))
        {
            drained.CancelAfter(TimeSpan.FromSeconds(60));
            await buffer.WhenConfirmed(buffer.DurableEnd, drained.Token);
        }
        var stored = await vm.Export("{__name__=\"telemetry_water-level\"}", Cancel);
        Assert.Equal([1.25, 2.5], stored.Where(s => s.Labels["unit"] == Unit).Select(s => s.Value).Order());
    }

    [Fact]
    public async Task Messages_published_while_the_Ingest_is_down_arrive_once_it_is_back()
    {
        await using var broker = await Broker();
        var clientId = "ingest-" + Guid.NewGuid().ToString("N");
        await using (var first = new BrokerHubFactory(broker, clientId))
            await first.Subscribed();

        await using (var unit = await MqttUnit.Connect("127.0.0.1", broker.Port, Unit, UnitPassword))
            Assert.Equal(MqttClientPublishReasonCode.Success, (await unit.Publish($"ioc/{Unit}/water-level", "5.5")).ReasonCode);

        await using var second = new BrokerHubFactory(broker, clientId);
        await using var watch = await UnitWatch.Start(second, Unit);
        // The broker hands the waiting message over as soon as the session resumes, perhaps before the watch
        // subscribed: then the unit's snapshot, read after subscribing, already shows it.
        var snapshot = await second.CreatePersonClient(HubRoles.Operator).GetFromJsonAsync<JsonElement>($"/api/v1/entities/{Unit}", Cancel);
        if (!snapshot.GetProperty("metrics").EnumerateArray().Any(m => m.GetProperty("metric").GetString() == "water-level" && m.GetProperty("value").GetDouble() == 5.5))
            await watch.WaitFor("water-level", 5.5);
    }
}
