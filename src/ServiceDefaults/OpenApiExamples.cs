using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Ioc.ServiceDefaults;

/// <summary>
/// Examples in the OpenAPI description: the request bodies a contractor most often gets wrong (telemetry JSON,
/// line protocol, a target change, a new unit token) and the error answers. The two ingest endpoints read
/// their bodies themselves (so that they can stream, gunzip and limit them), so the generator sees neither
/// their bodies nor their refusals; both are described here.
/// </summary>
internal static class OpenApiExamples
{
    private const string ProblemJson = "application/problem+json";

    /// <summary>Adds what is known about the operation at <paramref name="route"/>, and an example to every problem answer.</summary>
    public static void Apply(OpenApiOperation operation, string method, string route)
    {
        operation.Responses ??= new OpenApiResponses();
        // A group's root maps as "group/", which the description shows without the slash.
        route = route.Length > 1 ? route.TrimEnd('/') : route;
        switch (method, route)
        {
            case ("POST", "/api/v1/telemetry"):
                operation.RequestBody = Body("application/json", TelemetrySchema(), new JsonObject
                {
                    ["points"] = new JsonArray(
                        new JsonObject { ["unit"] = "van-lam-air-1", ["metric"] = "pm25", ["value"] = 38.2, ["ts"] = "2026-11-27T08:00:00Z" },
                        new JsonObject { ["unit"] = "van-lam-air-1", ["metric"] = "aqi", ["value"] = 104, ["ts"] = "2026-11-27T08:00:00Z" }),
                });
                foreach (var (status, detail, field) in TelemetryRefusals)
                    operation.Responses[status] = Problem(int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), detail, field is null ? null : (0, field));
                break;
            case ("POST", "/api/v2/write"):
                operation.RequestBody = Body("text/plain", new OpenApiSchema { Type = JsonSchemaType.String },
                    JsonValue.Create("air,unit=van-lam-air-1,site=Cổng\\ chợ pm25=27.5,aqi=81i 1764230400\nwater-level,unit=van-lam-water-1 value=2.31 1764230400"));
                foreach (var (status, code, message) in LineProtocolRefusals)
                    operation.Responses[status] = new OpenApiResponse
                    {
                        Description = $"Refused ({code}); the code is repeated in the X-Platform-Error-Code header, as InfluxDB does.",
                        Content = new Dictionary<string, OpenApiMediaType>
                        {
                            ["application/json"] = new() { Example = new JsonObject { ["code"] = code, ["message"] = message } },
                        },
                    };
                break;
            case ("PUT", "/api/v1/admin/targets/{entityId}/{metric}"):
                Example(operation.RequestBody, new JsonObject
                {
                    ["target"] = new JsonObject { ["direction"] = "atLeast", ["value"] = 90 },
                    ["thresholds"] = new JsonObject { ["direction"] = "atMost", ["warning"] = 50, ["critical"] = 75 },
                });
                break;
            case ("POST", "/api/v1/admin/tokens"):
                Example(operation.RequestBody, new JsonObject { ["name"] = "Văn Lâm gateway", ["scope"] = new JsonArray("van-lam", "ioc") });
                break;
        }
        foreach (var (status, response) in operation.Responses)
            if (response.Content?.TryGetValue(ProblemJson, out var problem) == true && problem.Example is null)
                problem.Example = status == "400" && route.StartsWith("/api/v1/admin/targets", StringComparison.Ordinal)
                    ? TargetRefusal
                    : ProblemExample(int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), GenericDetail(status), null);
    }

    /// <summary>A validation problem, as the target endpoints answer: the errors by field.</summary>
    private static JsonObject TargetRefusal => new()
    {
        ["title"] = "The target for 'pm25' on 'van-lam' is not valid",
        ["status"] = 400,
        ["errors"] = new JsonObject { ["thresholds"] = new JsonArray("with direction 'atMost' the warning level must lie below the critical one") },
    };

    private static readonly (string Status, string Detail, string? Field)[] TelemetryRefusals =
    [
        ("400", "points[0].value: must be a number.", "value"),
        ("401", "The token is unknown or revoked.", null),
        ("403", "points[0].unit: the token 'Yên Mỹ' may not write to unit 'khoai-chau-air-1'.", "unit"),
        ("413", "The request holds more than the limit of 50000 points.", null),
        ("415", "The body must be JSON (application/json).", null),
        ("429", "The token is over its rate limit of 20000 points a second; retry after the Retry-After header.", null),
        ("503", "The write-ahead buffer is full while the time-series store is unreachable; retry after the Retry-After header.", null),
    ];

    private static readonly (string Status, string Code, string Message)[] LineProtocolRefusals =
    [
        ("400", "invalid", "line 3: field 'pm25' has an invalid value 'ten'"),
        ("401", "unauthorized", "unauthorized access: the token is unknown or revoked"),
        ("403", "forbidden", "line 2: the token 'Yên Mỹ' may not write to unit 'khoai-chau-air-1'"),
        ("413", "request too large", "the body is larger than the limit of 8388608 bytes"),
        ("429", "too many requests", "the token is over its rate limit; retry after the Retry-After header"),
        ("503", "unavailable", "the write-ahead buffer is full; retry after the Retry-After header"),
    ];

    private static string GenericDetail(string status) => status switch
    {
        "400" => "A step of 1 s gives 86400 steps over this range; at most 2000 are allowed. Use a longer step or a shorter range.",
        "404" => "There is no entity 'atlantis' in the catalog.",
        "409" => "The request conflicts with the current state.",
        _ => "What was wrong, and where.",
    };

    private static OpenApiSchema TelemetrySchema() => new()
    {
        Type = JsonSchemaType.Object,
        Required = new HashSet<string> { "points" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["points"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "unit", "metric", "value" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["unit"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A unit id from the catalog." },
                        ["metric"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A metric id the unit reports." },
                        ["value"] = new OpenApiSchema { Type = JsonSchemaType.Number, Description = "A finite number." },
                        ["ts"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time", Description = "When it was measured; the arrival time when left out." },
                    },
                },
            },
        },
    };

    private static OpenApiRequestBody Body(string mediaType, IOpenApiSchema schema, JsonNode example) => new()
    {
        Required = true,
        Content = new Dictionary<string, OpenApiMediaType> { [mediaType] = new() { Schema = schema, Example = example } },
    };

    private static void Example(IOpenApiRequestBody? body, JsonNode example)
    {
        if (body?.Content?.TryGetValue("application/json", out var json) == true)
            json.Example = example;
    }

    private static OpenApiResponse Problem(int status, string detail, (int Index, string Field)? at) => new()
    {
        Description = $"Refused: {Title(status)}; the problem details say what was wrong and where.",
        Content = new Dictionary<string, OpenApiMediaType> { [ProblemJson] = new() { Example = ProblemExample(status, detail, at) } },
    };

    private static JsonObject ProblemExample(int status, string detail, (int Index, string Field)? at)
    {
        var problem = new JsonObject { ["title"] = Title(status), ["status"] = status, ["detail"] = detail };
        if (at is { } where)
        {
            problem["index"] = where.Index;
            problem["field"] = where.Field;
        }
        return problem;
    }

    private static string Title(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Request too large",
        415 => "Unsupported media type or encoding",
        429 => "Too many requests",
        503 => "Overloaded",
        _ => "Error",
    };
}
