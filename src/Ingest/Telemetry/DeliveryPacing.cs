using System.Diagnostics;

namespace Ioc.Ingest.Telemetry;

/// <summary>
/// How long the live path leaves between two deliveries to one unit: <see cref="IngestOptions.LiveUnitInterval"/>
/// while the units take their points at once, and longer, up to <see cref="IngestOptions.LiveUnitMaxInterval"/>,
/// while deliveries wait for their turn. A delivery that takes long is one queued behind other work on a busy
/// machine; delivering to the same unit again sooner shows nothing on the wall sooner, and each delivery costs the
/// unit's turn, its judging and its reports up the tree, which is what the machine is short of.
/// </summary>
/// <remarks>
/// The interval aims at <see cref="Stretch"/> times the mean time a delivery took over the last window, halfway from
/// where it was, so that one slow window does not swing it. Deliveries answered in a millisecond or two keep the
/// shortest interval; the units of a saturated one-command hub, which took 4–12 ms, are delivered to at most every
/// 40–100 ms. A unit that is quiet for the interval still gets its points at once: only a unit sent points faster than
/// the interval waits, and its points then go together.
/// <para>
/// The live path notes only deliveries in its own process (<see cref="LocalUnits"/>): there the time is the unit's wait
/// for this machine's CPU. A grain call to a silo elsewhere also waits for the network and for the other process, and
/// after a silo is lost, calls given up after a second would stretch every unit's interval just when the wall must come
/// back; and the gain was measured only for the one-command hub. So an Ingest process of a cluster keeps
/// <see cref="IngestOptions.LiveUnitInterval"/>.
/// </para>
/// </remarks>
public sealed class DeliveryPacing
{
    /// <summary>How many times the mean delivery time the interval aims at.</summary>
    public const int Stretch = 10;

    private readonly long _shortest;
    private readonly long _longest;
    private readonly long _window;
    private long _tookTicks;
    private long _took;
    private long _windowStart;

    /// <summary>Paces between <paramref name="shortest"/> and <paramref name="longest"/> (taken as the shortest when less), judged every <paramref name="window"/>.</summary>
    public DeliveryPacing(TimeSpan shortest, TimeSpan longest, TimeSpan window)
    {
        _shortest = ToTicks(shortest);
        _longest = Math.Max(_shortest, ToTicks(longest));
        _window = ToTicks(window);
        IntervalTicks = _shortest;
    }

    /// <summary>The interval now, in <see cref="Stopwatch"/> ticks.</summary>
    public long IntervalTicks { get; private set; }

    /// <summary>The interval now.</summary>
    public TimeSpan Interval => Stopwatch.GetElapsedTime(0, IntervalTicks);

    /// <summary>Notes a delivery that ended <paramref name="ticks"/> (<see cref="Stopwatch"/> ticks) after it was sent. Thread-safe.</summary>
    public void Took(long ticks)
    {
        Interlocked.Add(ref _tookTicks, ticks);
        Interlocked.Increment(ref _took);
    }

    /// <summary>
    /// At <paramref name="now"/> (a <see cref="Stopwatch"/> timestamp), moves the interval once a window has passed
    /// since the last move and deliveries ended in it; the loop that delivers calls this.
    /// </summary>
    public void Update(long now)
    {
        if (now - _windowStart < _window)
            return;
        _windowStart = now;
        var took = Interlocked.Exchange(ref _took, 0);
        var ticks = Interlocked.Exchange(ref _tookTicks, 0);
        if (took == 0 || _longest == _shortest)
            return;
        var aim = Math.Clamp(Stretch * (ticks / took), _shortest, _longest);
        // Halfway, rounded away from where it was, so that it reaches the aim rather than stopping a tick short.
        var step = (Math.Abs(aim - IntervalTicks) + 1) / 2;
        IntervalTicks += aim > IntervalTicks ? step : -step;
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
