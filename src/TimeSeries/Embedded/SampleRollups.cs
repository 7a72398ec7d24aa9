using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Ioc.TimeSeries;

/// <summary>
/// The embedded store's per-minute (<c>samples_1m</c>) and per-hour (<c>samples_1h</c>) aggregates of each
/// series: sum, count, min, max and the last value with its time, which is what avg, min, max, sum, count
/// and last need to be answered exactly over any union of buckets. They are kept up to date by the writes
/// themselves (<see cref="Writer"/>), never by rescanning the raw points, so they stay correct after the raw
/// points behind them have expired, and a late or out-of-order point lands in its own bucket.
/// </summary>
public static class SampleRollups
{
    /// <summary>Nanoseconds in a minute bucket.</summary>
    public const long MinuteNs = 60_000_000_000;

    /// <summary>Nanoseconds in an hour bucket.</summary>
    public const long HourNs = 60 * MinuteNs;

    /// <summary>Raw points (timestamp column <c>ts</c>).</summary>
    public const string RawTable = "samples";

    /// <summary>Per-minute aggregates (bucket start in <c>bucket</c>).</summary>
    public const string MinuteTable = "samples_1m";

    /// <summary>Per-hour aggregates (bucket start in <c>bucket</c>).</summary>
    public const string HourTable = "samples_1h";

    /// <summary>The aggregate tables, coarsest first, with the width of their buckets.</summary>
    public static readonly IReadOnlyList<(string Table, long BucketNs)> Resolutions = [(HourTable, HourNs), (MinuteTable, MinuteNs)];

    /// <summary>The start of the bucket of <paramref name="bucketNs"/> that holds <paramref name="ts"/>.</summary>
    public static long BucketOf(long ts, long bucketNs) => ts - (((ts % bucketNs) + bucketNs) % bucketNs);

    // Both aggregate tables have the one layout, so that one statement shape reads and rolls up either.
    internal static readonly string Schema = AggregateTable(MinuteTable) + AggregateTable(HourTable);

    private static string AggregateTable(string table) => $"""
        CREATE TABLE IF NOT EXISTS {table} (
            series INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            total REAL NOT NULL,
            n INTEGER NOT NULL,
            lo REAL NOT NULL,
            hi REAL NOT NULL,
            last_ts INTEGER NOT NULL,
            last_value REAL NOT NULL,
            PRIMARY KEY (series, bucket)) WITHOUT ROWID;

        """;

    // Within one series timestamps are unique, so a bucket's last value is the one at its latest timestamp.
    private static string MinutesFromRaw(string where) => $"""
        INSERT OR REPLACE INTO samples_1m (series, bucket, total, n, lo, hi, last_ts, last_value)
        SELECT g.series, g.b, g.s, g.c, g.mn, g.mx, g.lt, (SELECT value FROM samples WHERE series = g.series AND ts = g.lt)
        FROM (SELECT series, ts - (((ts % {MinuteNs}) + {MinuteNs}) % {MinuteNs}) AS b,
                     total(value) AS s, count(*) AS c, min(value) AS mn, max(value) AS mx, max(ts) AS lt
              FROM samples {where} GROUP BY series, b) AS g;
        """;

    private static string HoursFromMinutes(string where) => $"""
        INSERT OR REPLACE INTO samples_1h (series, bucket, total, n, lo, hi, last_ts, last_value)
        SELECT g.series, g.b, g.s, g.c, g.mn, g.mx, g.lt,
               (SELECT last_value FROM samples_1m WHERE series = g.series AND bucket = g.lt - (((g.lt % {MinuteNs}) + {MinuteNs}) % {MinuteNs}))
        FROM (SELECT series, bucket - (((bucket % {HourNs}) + {HourNs}) % {HourNs}) AS b,
                     total(total) AS s, sum(n) AS c, min(lo) AS mn, max(hi) AS mx, max(last_ts) AS lt
              FROM samples_1m {where} GROUP BY series, b) AS g;
        """;

    /// <summary>Builds every aggregate from the raw points, once, for a file written before aggregates existed.</summary>
    internal static readonly string BuildAll = MinutesFromRaw("") + HoursFromMinutes("");

    private static readonly string RebuildMinute = MinutesFromRaw("WHERE series = $series AND ts >= $bucket AND ts < $bucket + " + MinuteNs);
    private static readonly string RebuildHour = HoursFromMinutes("WHERE series = $series AND bucket >= $bucket AND bucket < $bucket + " + HourNs);

    private static string Upsert(string table) => $"""
        INSERT INTO {table} (series, bucket, total, n, lo, hi, last_ts, last_value)
        VALUES ($series, $bucket, $total, $n, $lo, $hi, $last_ts, $last_value)
        ON CONFLICT (series, bucket) DO UPDATE SET
            total = total + excluded.total,
            n = n + excluded.n,
            lo = min(lo, excluded.lo),
            hi = max(hi, excluded.hi),
            last_value = CASE WHEN excluded.last_ts > last_ts THEN excluded.last_value ELSE last_value END,
            last_ts = max(last_ts, excluded.last_ts);
        """;

    /// <summary>
    /// Writes points into one transaction of the store: each raw point, and its share of the aggregates.
    /// A point already stored with the same value changes nothing; one stored with another value replaces
    /// it, and the buckets it touched are recomputed from what they hold (the raw points of its minute, the
    /// minutes of its hour), since a min or max cannot be taken back.
    /// </summary>
    public sealed class Writer : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteTransaction _transaction;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _replace;
        private readonly Dictionary<(long Series, long Bucket), Partial> _minutes = [];
        private readonly Dictionary<(long Series, long Bucket), Partial> _hours = [];
        private readonly HashSet<(long Series, long Minute)> _changed = [];

        /// <summary>Writes through <paramref name="connection"/> in <paramref name="transaction"/>, which the caller commits after <see cref="Flush"/>.</summary>
        public Writer(SqliteConnection connection, SqliteTransaction transaction)
        {
            _connection = connection;
            _transaction = transaction;
            _insert = PointCommand("INSERT INTO samples (series, ts, value) VALUES ($series, $ts, $value) ON CONFLICT (series, ts) DO NOTHING");
            _replace = PointCommand("UPDATE samples SET value = $value WHERE series = $series AND ts = $ts AND value <> $value");
        }

        /// <summary>Adds one point of series <paramref name="series"/> at <paramref name="ts"/> (unix nanoseconds).</summary>
        public void Add(long series, long ts, double value)
        {
            if (Run(_insert, series, ts, value) == 1)
            {
                Fold(_minutes, (series, BucketOf(ts, MinuteNs)), ts, value);
                Fold(_hours, (series, BucketOf(ts, HourNs)), ts, value);
            }
            else if (Run(_replace, series, ts, value) == 1)
            {
                _changed.Add((series, BucketOf(ts, MinuteNs)));
            }
        }

        /// <summary>Writes the aggregates of the points added so far.</summary>
        public void Flush()
        {
            Apply(MinuteTable, _minutes);
            using (var rebuild = Command(RebuildMinute))
            {
                foreach (var (series, minute) in _changed)
                {
                    rebuild.Parameters.AddWithValue("$series", series);
                    rebuild.Parameters.AddWithValue("$bucket", minute);
                    rebuild.ExecuteNonQuery();
                    rebuild.Parameters.Clear();
                }
            }
            Apply(HourTable, _hours);
            using (var rebuild = Command(RebuildHour))
            {
                foreach (var hour in _changed.Select(c => (c.Series, BucketOf(c.Minute, HourNs))).Distinct())
                {
                    rebuild.Parameters.AddWithValue("$series", hour.Series);
                    rebuild.Parameters.AddWithValue("$bucket", hour.Item2);
                    rebuild.ExecuteNonQuery();
                    rebuild.Parameters.Clear();
                }
            }
            _minutes.Clear();
            _hours.Clear();
            _changed.Clear();
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            _insert.Dispose();
            _replace.Dispose();
        }

        private void Apply(string table, Dictionary<(long Series, long Bucket), Partial> partials)
        {
            if (partials.Count == 0) return;
            using var upsert = Command(Upsert(table));
            var series = upsert.Parameters.Add("$series", SqliteType.Integer);
            var bucket = upsert.Parameters.Add("$bucket", SqliteType.Integer);
            var total = upsert.Parameters.Add("$total", SqliteType.Real);
            var n = upsert.Parameters.Add("$n", SqliteType.Integer);
            var lo = upsert.Parameters.Add("$lo", SqliteType.Real);
            var hi = upsert.Parameters.Add("$hi", SqliteType.Real);
            var lastTs = upsert.Parameters.Add("$last_ts", SqliteType.Integer);
            var lastValue = upsert.Parameters.Add("$last_value", SqliteType.Real);
            upsert.Prepare();
            foreach (var ((s, b), p) in partials)
            {
                series.Value = s;
                bucket.Value = b;
                total.Value = p.Total;
                n.Value = p.Count;
                lo.Value = p.Min;
                hi.Value = p.Max;
                lastTs.Value = p.LastTs;
                lastValue.Value = p.Last;
                upsert.ExecuteNonQuery();
            }
        }

        private static void Fold(Dictionary<(long, long), Partial> partials, (long, long) key, long ts, double value)
        {
            ref var p = ref CollectionsMarshal.GetValueRefOrAddDefault(partials, key, out var exists);
            p = exists ? p.With(ts, value) : new Partial(value, 1, value, value, ts, value);
        }

        private int Run(SqliteCommand command, long series, long ts, double value)
        {
            command.Parameters["$series"].Value = series;
            command.Parameters["$ts"].Value = ts;
            command.Parameters["$value"].Value = value;
            return command.ExecuteNonQuery();
        }

        private SqliteCommand Command(string text)
        {
            var command = _connection.CreateCommand();
            command.Transaction = _transaction;
            command.CommandText = text;
            return command;
        }

        private SqliteCommand PointCommand(string text)
        {
            var command = Command(text);
            command.Parameters.Add("$series", SqliteType.Integer);
            command.Parameters.Add("$ts", SqliteType.Integer);
            command.Parameters.Add("$value", SqliteType.Real);
            command.Prepare();
            return command;
        }
    }

    /// <summary>Sum, count, min, max and the last value with its time, of some points of one bucket.</summary>
    private readonly record struct Partial(double Total, long Count, double Min, double Max, long LastTs, double Last)
    {
        public Partial With(long ts, double value) => new(
            Total + value, Count + 1, Math.Min(Min, value), Math.Max(Max, value),
            ts > LastTs ? ts : LastTs, ts > LastTs ? value : Last);
    }
}
