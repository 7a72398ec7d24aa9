using System.Buffers;
using System.Text;
using Ioc.LoadGen;

namespace Ioc.Tests.Bench;

public sealed class PointWriterTests
{
    [Fact]
    public void Lines_written_from_prefixes_and_keys_kept_across_requests_are_the_lines_written_afresh()
    {
        string a = "bench-00001", b = "bench-00002", tags = "locality=van-lam", pm25 = "pm25", noise = "noise";
        OutgoingPoint[] points =
        [
            new(a, pm25, 12.5, 1_764_806_400_000, tags),
            new(a, noise, 61, 1_764_806_400_000, tags),
            new(b, pm25, 0.25, 1_764_806_400_000),
            new(a, pm25, 13, 1_764_806_400_001, tags),
        ];
        var strings = new LineStrings();
        string Write(LineStrings? kept, string? extraTags)
        {
            var body = new ArrayBufferWriter<byte>();
            PointWriter.WriteLineProtocol(body, points, "telemetry", extraTags, kept);
            return Encoding.UTF8.GetString(body.WrittenSpan);
        }

        Assert.Equal(
            "telemetry,unit=bench-00001,locality=van-lam pm25=12.5,noise=61 1764806400000\n"
            + "telemetry,unit=bench-00002 pm25=0.25 1764806400000\n"
            + "telemetry,unit=bench-00001,locality=van-lam pm25=13 1764806400001\n",
            Write(null, null));
        Assert.Equal(Write(null, null), Write(strings, null));
        // The same kept strings, then other extra tags: the prefixes are made again, not reused.
        Assert.Equal(Write(null, "src=direct"), Write(strings, "src=direct"));
        Assert.Contains(",src=direct ", Write(strings, "src=direct"));
    }
}
