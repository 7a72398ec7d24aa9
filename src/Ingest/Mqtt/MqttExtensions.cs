using Ioc.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Ioc.Ingest.Mqtt;

/// <summary>Wires MQTT ingest into the ingest host.</summary>
public static class MqttExtensions
{
    /// <summary>
    /// Registers MQTT ingest when <c>Mqtt:Enabled</c>: the embedded listener, or with <c>Mqtt:Broker</c> set the
    /// shared subscription to an external broker.
    /// </summary>
    public static IHostApplicationBuilder AddMqttIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MqttOptions>().BindStrictly(MqttOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<MqttTelemetry>();
        if (!builder.Configuration.GetValue<bool>($"{MqttOptions.Section}:{nameof(MqttOptions.Enabled)}"))
            return builder;
        if (string.IsNullOrEmpty(builder.Configuration[$"{MqttOptions.Section}:{nameof(MqttOptions.Broker)}"]))
        {
            builder.Services.AddSingleton<MqttListener>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<MqttListener>());
        }
        else
        {
            builder.Services.AddSingleton<MqttBrokerLink>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<MqttBrokerLink>());
        }
        return builder;
    }
}
