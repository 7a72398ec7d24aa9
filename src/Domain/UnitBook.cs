using System.Collections.Immutable;

namespace Ioc.Domain;

/// <summary>How one of a unit's metrics is judged: when its value goes stale, whether it is an indicator due each period, and the rule in force.</summary>
/// <param name="Metric">The metric's id.</param>
/// <param name="StaleAfter">How long a value counts as fresh (<see cref="Freshness.StaleAfter"/>).</param>
/// <param name="Indicator">Whether the metric is an indicator a unit must report every <paramref name="Period"/>.</param>
/// <param name="Period">The reporting period of the metric.</param>
/// <param name="Rule">The rule the metric is judged by until another is set.</param>
public sealed record UnitMetric(string Metric, TimeSpan StaleAfter, bool Indicator, ReportingPeriodKind Period, MetricRule Rule);

/// <summary>A value to send up the tree: as judged, and the partial it adds to the parents' roll-ups (empty to withdraw it).</summary>
/// <param name="Index">The metric's place among the unit's metrics.</param>
/// <param name="Metric">The metric's id.</param>
/// <param name="Value">The newest value.</param>
/// <param name="Timestamp">When it was measured.</param>
/// <param name="Status">How it is judged (offline once stale).</param>
/// <param name="Partial">What it adds to the roll-ups; <see cref="MetricPartial.Empty"/> when it no longer counts.</param>
public readonly record struct MetricChange(int Index, string Metric, double Value, DateTimeOffset Timestamp, HealthStatus Status, MetricPartial Partial);

/// <summary>A condition a unit tells its alerts: the unit's own (no metric: offline or not) or one metric's breach.</summary>
/// <param name="Metric">The metric, or null for the unit itself.</param>
/// <param name="Severity">What it breaches; null when nothing.</param>
/// <param name="Value">The value judged; null for the unit itself.</param>
/// <param name="Threshold">The threshold crossed; null when none is.</param>
public readonly record struct UnitCondition(string? Metric, AlertSeverity? Severity, double? Value, double? Threshold);

/// <summary>What a re-judgement found.</summary>
/// <param name="Changed">The status, a count or a value's contribution changed, or values wait to be sent.</param>
/// <param name="Conditions">The conditions to tell the alerts when a severity in them changed; default when none did.</param>
public readonly record struct UnitJudgement(bool Changed, ImmutableArray<UnitCondition> Conditions)
{
    /// <summary>Whether the alerts must be told <see cref="Conditions"/>.</summary>
    public bool ConditionsChanged => !Conditions.IsDefault;
}

/// <summary>
/// One unit's book: the newest value of each of its metrics, judged by the rules in force, and what was
/// last sent of it. Given a value, a rule or a time, it answers what changed, what to alert on and what to
/// report up; the grain that owns it only loads, saves and sends. Slots are indexed in the unit's metric
/// order, so that a point is looked up once rather than by name per field.
/// </summary>
/// <remarks>
/// The book keeps "below target since" in the dictionary it is given, which is the unit's stored state, so
/// that what it tracks is what is saved.
/// </remarks>
public sealed class UnitBook
{
    private readonly string[] _metrics;
    private readonly TimeSpan[] _staleAfter;
    private readonly bool[] _indicator;
    private readonly ReportingPeriodKind[] _period;
    private readonly MetricRule[] _rules;
    private readonly TimeSpan _offlineAfter;
    private readonly double _clearMargin;
    private readonly IDictionary<string, DateTimeOffset> _belowTargetSince;

    private readonly double[] _value;
    private readonly DateTimeOffset[] _timestamp;
    private readonly bool[] _has;
    // Metrics to send in the next update.
    private readonly bool[] _changed;
    private int _changedCount;
    // Metrics whose values currently count in the parents' roll-ups: fresh values of an online unit.
    private readonly bool[] _contributing;
    // Metrics in the below-target-since dictionary.
    private readonly bool[] _missing;
    // The severity last told to the alerts per metric (index 0 is the unit's own, offline or not), and a
    // scratch copy that a re-judgement fills, so that an unchanged judgement allocates nothing.
    private readonly AlertSeverity?[] _told;
    private readonly bool[] _toldPresent;
    private readonly AlertSeverity?[] _judged;
    private readonly bool[] _judgedPresent;
    // What the parents' indexes were last told of the standing, per metric: whether it was below target or
    // unreported, and the value, period start and rule it was judged with. An update carries the standing
    // only when one of these differs, so a unit whose standing holds sends none with its values.
    private bool _standingSent;
    private readonly bool[] _sentBelow;
    private readonly bool[] _sentUnreported;
    private readonly double[] _sentValue;
    private readonly DateTimeOffset[] _sentTimestamp;
    private readonly DateTimeOffset[] _sentPeriodStart;
    private readonly MetricRule?[] _sentRule;

    /// <summary>A book for a unit reporting <paramref name="slots"/>, that has not reported yet.</summary>
    /// <param name="slots">The unit's metrics, in the order the book indexes them.</param>
    /// <param name="belowTargetSince">Per metric whose latest value misses its target, since when; kept up to date by the book.</param>
    /// <param name="clearMargin">How far back inside its threshold a value must be to clear a breach already told.</param>
    public UnitBook(IReadOnlyList<UnitMetric> slots, IDictionary<string, DateTimeOffset> belowTargetSince, double clearMargin)
    {
        var n = slots.Count;
        _metrics = [.. slots.Select(s => s.Metric)];
        _staleAfter = [.. slots.Select(s => s.StaleAfter)];
        _indicator = [.. slots.Select(s => s.Indicator)];
        _period = [.. slots.Select(s => s.Period)];
        _rules = [.. slots.Select(s => s.Rule)];
        // A unit is offline once silent for as long as its most frequent metric may be.
        _offlineAfter = _staleAfter.Min();
        _clearMargin = clearMargin;
        _belowTargetSince = belowTargetSince;
        (_value, _timestamp, _has, _changed, _contributing) = (new double[n], new DateTimeOffset[n], new bool[n], new bool[n], new bool[n]);
        _missing = [.. _metrics.Select(belowTargetSince.ContainsKey)];
        (_told, _toldPresent, _judged, _judgedPresent) = (new AlertSeverity?[n + 1], new bool[n + 1], new AlertSeverity?[n + 1], new bool[n + 1]);
        (_sentBelow, _sentUnreported, _sentValue, _sentTimestamp, _sentPeriodStart, _sentRule) =
            (new bool[n], new bool[n], new double[n], new DateTimeOffset[n], new DateTimeOffset[n], new MetricRule?[n]);
    }

    /// <summary>How many metrics the unit reports.</summary>
    public int Count => _metrics.Length;

    /// <summary>The unit's status as last judged.</summary>
    public HealthStatus Status { get; private set; } = HealthStatus.Offline;

    /// <summary>How many fresh values missed their targets when last judged.</summary>
    public int BelowTarget { get; private set; }

    /// <summary>How many indicators were not reported for their current period when last judged.</summary>
    public int NotReported { get; private set; }

    /// <summary>When the unit was last judged: what is reported up is as of then, so that the status, the counts and the values agree.</summary>
    public DateTimeOffset JudgedAt { get; private set; }

    /// <summary>The id of the metric at <paramref name="i"/>.</summary>
    public string MetricAt(int i) => _metrics[i];

    /// <summary>Whether the metric at <paramref name="i"/> has a value.</summary>
    public bool Has(int i) => _has[i];

    /// <summary>The newest value of the metric at <paramref name="i"/> (when <see cref="Has"/>).</summary>
    public double ValueAt(int i) => _value[i];

    /// <summary>When the newest value of the metric at <paramref name="i"/> was measured (when <see cref="Has"/>).</summary>
    public DateTimeOffset TimestampAt(int i) => _timestamp[i];

    /// <summary>The rule in force for the metric at <paramref name="i"/>.</summary>
    public MetricRule RuleAt(int i) => _rules[i];

    /// <summary>The reporting period of the metric at <paramref name="i"/>.</summary>
    public ReportingPeriodKind PeriodOf(int i) => _period[i];

    /// <summary>Since when the value of the metric at <paramref name="i"/> has missed its target (its own timestamp when the book has no record).</summary>
    public DateTimeOffset BelowTargetSince(int i) => _belowTargetSince.TryGetValue(_metrics[i], out var since) ? since : _timestamp[i];

    /// <summary>The place of <paramref name="metric"/> among the unit's metrics, or -1.</summary>
    public int IndexOf(string metric)
    {
        // Ids from the ingest path are the catalog's own strings, so the first loop nearly always answers.
        var metrics = _metrics;
        for (var i = 0; i < metrics.Length; i++)
            if (ReferenceEquals(metrics[i], metric)) return i;
        for (var i = 0; i < metrics.Length; i++)
            if (string.Equals(metrics[i], metric, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>Puts back a stored value after a restart; it is sent again, and "below since" keeps what was stored.</summary>
    public void Restore(int i, double value, DateTimeOffset timestamp)
    {
        (_value[i], _timestamp[i], _has[i]) = (value, timestamp, true);
        MarkChanged(i);
    }

    /// <summary>
    /// Records a reported value unless a newer one is held: "latest" is the newest timestamp, not the last
    /// arrival. A value that newly misses its target has missed it since it was measured.
    /// </summary>
    /// <returns>Whether the value became the latest.</returns>
    public bool Record(int i, double value, DateTimeOffset timestamp)
    {
        if (_has[i] && _timestamp[i] > timestamp)
            return false;
        (_value[i], _timestamp[i], _has[i]) = (value, timestamp, true);
        MarkChanged(i);
        TrackTarget(i, timestamp);
        return true;
    }

    /// <summary>Sets the rule in force for the metric at <paramref name="i"/>; <see cref="RulesChanged"/> re-judges by it.</summary>
    public void SetRule(int i, MetricRule rule) => _rules[i] = rule;

    /// <summary>
    /// After new rules: every value is sent again, and a value that a new target now misses has been below
    /// target since <paramref name="now"/>.
    /// </summary>
    /// <returns>Whether "below target since" changed (the stored state must be saved).</returns>
    public bool RulesChanged(DateTimeOffset now)
    {
        var tracked = false;
        for (var i = 0; i < _metrics.Length; i++)
        {
            if (!_has[i]) continue;
            tracked |= TrackTarget(i, now);
            MarkChanged(i);
        }
        return tracked;
    }

    /// <summary>Marks every value to be sent again.</summary>
    public void MarkAllChanged()
    {
        for (var i = 0; i < _metrics.Length; i++)
            if (_has[i]) MarkChanged(i);
    }

    /// <summary>
    /// Re-judges the unit as of <paramref name="now"/>, the unit having last reported at
    /// <paramref name="lastReport"/>: its status, counts, which values count in the roll-ups and which
    /// conditions it breaches.
    /// </summary>
    public UnitJudgement Judge(DateTimeOffset now, DateTimeOffset? lastReport)
    {
        JudgedAt = now;
        var status = CurrentStatus(now, lastReport);
        var changed = status != Status;
        Status = status;

        int below = 0, notReported = 0;
        DateTimeOffset? day = null, month = null;
        for (var i = 0; i < _metrics.Length; i++)
        {
            if (_has[i] && _contributing[i] != Contributes(i, now))
            {
                MarkChanged(i);
                changed = true;
            }
            if (IsBelowTarget(i, now)) below++;
            if (_indicator[i])
            {
                var start = _period[i] == ReportingPeriodKind.Daily
                    ? day ??= ReportingPeriod.StartOf(ReportingPeriodKind.Daily, now)
                    : month ??= ReportingPeriod.StartOf(ReportingPeriodKind.Monthly, now);
                if (IsUnreported(i, start)) notReported++;
            }
        }
        if (below != BelowTarget || notReported != NotReported)
        {
            (BelowTarget, NotReported) = (below, notReported);
            changed = true;
        }

        var conditions = JudgeConditions(now, lastReport) ? Conditions() : default;
        return new UnitJudgement(changed || _changedCount > 0, conditions);
    }

    /// <summary>
    /// The values marked to send (every value when <paramref name="full"/>), judged as of <see cref="JudgedAt"/>,
    /// with what each adds to the roll-ups; they are no longer marked.
    /// </summary>
    public ImmutableArray<MetricChange> TakeChanges(bool full)
    {
        var now = JudgedAt;
        if (full)
            MarkAllChanged();
        var changes = ImmutableArray.CreateBuilder<MetricChange>(_changedCount);
        for (var i = 0; i < _metrics.Length && _changedCount > 0; i++)
        {
            if (!_changed[i]) continue;
            _changed[i] = false;
            _changedCount--;
            if (!_has[i]) continue;
            _contributing[i] = Contributes(i, now);
            changes.Add(new MetricChange(i, _metrics[i], _value[i], _timestamp[i], StatusOf(i, now),
                _contributing[i]
                    ? MetricPartial.Of(_metrics[i], _value[i], _timestamp[i])
                    // An empty partial withdraws this unit's contribution.
                    : MetricPartial.Empty(_metrics[i])));
        }
        return changes.Count == changes.Capacity ? changes.MoveToImmutable() : changes.ToImmutable();
    }

    /// <summary>
    /// Whether the standing as of <see cref="JudgedAt"/> must go to the parents' indexes: it differs from
    /// what they were last told, or <paramref name="full"/>. Notes it as told.
    /// </summary>
    public bool TakeStandingChange(bool full)
    {
        var now = JudgedAt;
        var changed = !_standingSent;
        for (var i = 0; i < _metrics.Length; i++)
        {
            var below = IsBelowTarget(i, now);
            var start = _indicator[i] ? ReportingPeriod.StartOf(_period[i], now) : default;
            var unreported = IsUnreported(i, start);
            if (below != _sentBelow[i] || unreported != _sentUnreported[i]
                || ((below || unreported) && (!_value[i].Equals(_sentValue[i]) || _timestamp[i] != _sentTimestamp[i]
                    || start != _sentPeriodStart[i] || !ReferenceEquals(_rules[i], _sentRule[i]))))
                changed = true;
            (_sentBelow[i], _sentUnreported[i], _sentValue[i], _sentTimestamp[i], _sentPeriodStart[i], _sentRule[i]) =
                (below, unreported, _value[i], _timestamp[i], start, _rules[i]);
        }
        if (!changed && !full)
            return false;
        _standingSent = true;
        return true;
    }

    /// <summary>Whether the value of the metric at <paramref name="i"/> is fresh and misses its target.</summary>
    public bool IsBelowTarget(int i, DateTimeOffset now) => _has[i] && Judging.IsLowAchievement(_rules[i], _value[i], IsStale(i, now));

    /// <summary>Whether the metric at <paramref name="i"/> is an indicator with no value since <paramref name="periodStart"/>.</summary>
    public bool IsUnreported(int i, DateTimeOffset periodStart) => _indicator[i] && ReportingPeriod.IsUnreported(_has[i] ? _timestamp[i] : null, periodStart);

    /// <summary>How the value of the metric at <paramref name="i"/> is judged as of <paramref name="now"/> (when <see cref="Has"/>).</summary>
    public HealthStatus StatusOf(int i, DateTimeOffset now) => Judging.StatusOf(_rules[i], _value[i], IsStale(i, now));

    private void MarkChanged(int i)
    {
        if (_changed[i]) return;
        _changed[i] = true;
        _changedCount++;
    }

    /// <summary>Notes when a value first missed its target, and forgets it once a value meets it; true when that changed.</summary>
    private bool TrackTarget(int i, DateTimeOffset firstMissedAt)
    {
        var missed = _rules[i].IsBelowTarget(_value[i]);
        if (missed == _missing[i]) return false;
        _missing[i] = missed;
        if (missed) _belowTargetSince.TryAdd(_metrics[i], firstMissedAt);
        else _belowTargetSince.Remove(_metrics[i]);
        return true;
    }

    private HealthStatus CurrentStatus(DateTimeOffset now, DateTimeOffset? lastReport)
    {
        if (Freshness.IsOffline(lastReport, _offlineAfter, now))
            return HealthStatus.Offline;
        var worst = HealthStatus.Ok;
        for (var i = 0; i < _metrics.Length; i++)
        {
            if (!_has[i] || IsStale(i, now)) continue;
            worst = Judging.Worse(worst, _rules[i].Classify(_value[i]));
        }
        return worst;
    }

    private bool IsStale(int i, DateTimeOffset now) => Freshness.IsStale(_timestamp[i], _staleAfter[i], now);

    private bool Contributes(int i, DateTimeOffset now) => Judging.Contributes(Status, IsStale(i, now));

    /// <summary>
    /// Judges every condition the unit can judge now into the scratch arrays: whether it is offline (once it
    /// has ever reported) and, for each fresh value, whether it breaches a threshold, a breach already told
    /// holding within the clear margin. True when a severity differs from what the alerts were last told.
    /// </summary>
    private bool JudgeConditions(DateTimeOffset now, DateTimeOffset? lastReport)
    {
        var differs = false;
        _judgedPresent[0] = lastReport is not null;
        _judged[0] = AlertRules.UnitCondition(Status);
        differs |= _judgedPresent[0] != _toldPresent[0] || (_judgedPresent[0] && _judged[0] != _told[0]);
        for (var i = 0; i < _metrics.Length; i++)
        {
            var k = i + 1;
            _judgedPresent[k] = _has[i] && !IsStale(i, now);
            _judged[k] = null;
            if (_judgedPresent[k] && _rules[i].Thresholds is { } thresholds)
                _judged[k] = AlertRules.Breach(thresholds, _value[i], _toldPresent[k] ? _told[k] : null, _clearMargin);
            differs |= _judgedPresent[k] != _toldPresent[k] || (_judgedPresent[k] && _judged[k] != _told[k]);
        }
        return differs;
    }

    /// <summary>The conditions just judged, with the values and thresholds behind them; they become what was told.</summary>
    private ImmutableArray<UnitCondition> Conditions()
    {
        var conditions = ImmutableArray.CreateBuilder<UnitCondition>(_metrics.Length + 1);
        if (_judgedPresent[0])
            conditions.Add(new UnitCondition(null, _judged[0], null, null));
        for (var i = 0; i < _metrics.Length; i++)
        {
            var k = i + 1;
            if (!_judgedPresent[k]) continue;
            var value = _value[i];
            conditions.Add(_judged[k] is { } severity
                ? new UnitCondition(_metrics[i], severity, value, AlertRules.ThresholdCrossed(_rules[i].Thresholds!, severity))
                : new UnitCondition(_metrics[i], null, value, null));
        }
        Array.Copy(_judged, _told, _told.Length);
        Array.Copy(_judgedPresent, _toldPresent, _toldPresent.Length);
        return conditions.ToImmutable();
    }
}
