"""Sorts the samples of `perf script` into parts of the hub's ingest path and prints each part's share and its CPU
time per acknowledged point. A sample goes to the first group that any frame of its stack belongs to, in the order
below, so a grain turn that writes to the buffer counts as the buffer."""
import argparse
import collections
import re

GROUPS = [
    ("write-ahead buffer (append, fsync)", r"WriteAheadLog|Buffer committer"),
    ("parsing (line protocol, JSON)", r"TelemetryLines|TelemetryJson|LineReader"),
    ("formatting, splicing lines", r"LineProtocolFormatter"),
    ("the drainer's writes", r"BufferDrainer|TimeSeriesWriter|InfluxDB|RestSharp|Polly|PointBatch"),
    ("live path, units, roll-ups, notifiers", r"LivePath|UnitGrain|UpdatePump|UpwardReports|RollupGrain|PushNotifier|AlertsGrain|Ioc\.Silo"),
    ("Orleans' own", r"Orleans"),
    ("Kestrel, ASP.NET Core, the write gate", r"Kestrel|AspNetCore|TelemetryIngestor|WriteGate|InfluxWriteEndpoints"),
    ("the runtime's collector", r"gc_heap|WKS::|SVR::|GCHeap"),
    ("the JIT", r"libclrjit"),
]


def samples(path):
    block = []
    with open(path, errors="replace") as lines:
        for line in lines:
            if line.strip():
                block.append(line.rstrip())
            elif block:
                yield block
                block = []
    if block:
        yield block


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("stacks")
    parser.add_argument("--hz", type=float, default=499)
    parser.add_argument("--points", type=int, default=0, help="points acknowledged while perf recorded")
    args = parser.parse_args()
    patterns = [(name, re.compile(pattern)) for name, pattern in GROUPS]
    counts = collections.Counter()
    for block in samples(args.stacks):
        text = "\n".join(block[1:])
        group = next((name for name, pattern in patterns if pattern.search(text)), None)
        if group is None:
            group = "the kernel, the rest" if "kernel" in (block[1] if len(block) > 1 else "") else "other"
        counts[group] += 1
    total = sum(counts.values())
    if total == 0:
        print("no samples")
        return
    per_point = total / args.hz * 1e6 / args.points if args.points > 0 else None
    print(f"{total} samples" + (f", {per_point:.3f} µs of CPU per point acknowledged" if per_point else ""))
    for name, n in counts.most_common():
        line = f"  {name:<40} {100 * n / total:5.1f} %"
        if per_point:
            line += f"  {per_point * n / total:6.3f} µs a point"
        print(line)


if __name__ == "__main__":
    main()
