#!/usr/bin/env bash
# Runs every benchmark scenario of BENCHMARKS.md against the Release hub and a VictoriaMetrics on this
# machine, on loopback only, and prints the tables (also written to artifacts/bench/<time>/results.md).
#
#   bash bench/run.sh            # the full run, about 25 minutes on 2 cores
#   bash bench/run.sh --quick    # a short smoke run of every scenario, a few minutes; its figures are not benchmarks
#   bash bench/run.sh --only province [--quick]   # scenario 8 alone: 20,000 units against 1,000 (quick: 2,000 against 200)
#   bash bench/run.sh --only mqtt [--quick]       # scenario 9 alone: the same points over MQTT QoS 1 and JSON HTTP, rate and ingest-to-screen
#
# Any other option goes to the suite: --runs N, --only 1,2,6, --screens 1,100, --concurrency 8, --province-units 1000,20000, ... (see
# `dotnet tools/LoadGen/bin/Release/net10.0/Ioc.LoadGen.dll help`).
#
# Settings the hub is started with, beyond catalog, ports and Development environment:
#   BENCH_HUB_ARGS       extra hub arguments for every start; {data} is the start's own data directory
#   BENCH_HUB_TSDB_ARGS  hub arguments that point its time-series writer at VictoriaMetrics; {url} is its base address
#   BENCH_VM             the VictoriaMetrics binary (default /usr/bin/victoria-metrics)
set -euo pipefail
cd "$(dirname "$0")/.."

: "${BENCH_VM:=/usr/bin/victoria-metrics}"
# The settings of the time-series issue's branch (section Storage and TimeSeries); a hub built before
# they exist ignores them, and the suite then reports the writer's figures as not available.
# (Plain assignments: a "${X:=…}" default would end at the first closing brace of {url}.)
# The per-token rate limit (20,000 points/s by default) is turned off: the suite measures the hub, not its limiter.
if [[ -z "${BENCH_HUB_ARGS+set}" ]]; then BENCH_HUB_ARGS='--Storage:DataDirectory={data} --Ingest:RateLimit:PointsPerSecond=0'; fi
if [[ -z "${BENCH_HUB_TSDB_ARGS+set}" ]]; then BENCH_HUB_TSDB_ARGS='--TimeSeries:Server=VictoriaMetrics --TimeSeries:Url={url} --TimeSeries:Token=bench'; fi

if [[ ! -x "$BENCH_VM" ]]; then
  echo "VictoriaMetrics is not installed at $BENCH_VM (apt-get install victoria-metrics)." >&2
  exit 2
fi

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then commit="$commit+dirty"; fi
work="$PWD/artifacts/bench/$(date -u +%Y%m%d-%H%M%S)-${commit}"
mkdir -p "$work"

echo "Building Release..." >&2
dotnet build Ioc.sln -c Release -nologo -v quiet -clp:ErrorsOnly >&2

suite=(dotnet tools/LoadGen/bin/Release/net10.0/Ioc.LoadGen.dll suite
  --hub src/Silo/bin/Release/net10.0/Ioc.Silo.dll
  --vm "$BENCH_VM"
  --work "$work"
  --commit "$commit"
  "--hub-tsdb-args=$BENCH_HUB_TSDB_ARGS")
if [[ -n "$BENCH_HUB_ARGS" ]]; then suite+=("--hub-args=$BENCH_HUB_ARGS"); fi

# The suite stops every server it started, also on Ctrl+C or SIGTERM, which are passed on to it.
"${suite[@]}" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" || true' INT TERM
status=0
wait "$pid" || status=$?
echo "Results: $work/results.md (server logs in $work/logs)" >&2
exit $status
