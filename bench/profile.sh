#!/usr/bin/env bash
# Profiles the Release hub with perf under one load shape from tools/LoadGen, beside a VictoriaMetrics it writes to,
# on loopback only, and prints the hub's CPU per acknowledged point by part of the ingest path.
#
#   bash bench/profile.sh [--warm 35] [--record 15] [--units 1000] [--metrics 10] -- PUSH-ARGUMENTS...
#   bash bench/profile.sh -- --protocol lp --shape spread --batch 500 --concurrency 8
#   PROFILE_HUB_ARGS='--Ingest:LiveUnitInterval=00:00:00.050' bash bench/profile.sh -- ...   (extra hub settings)
#
# Needs perf (Debian package linux-perf), python3 and VictoriaMetrics (victoria-metrics). Profile after a warm-up of
# about 30 s or more: a shorter one measures the JIT and tier-0 code, not the hub. The perf data, the stacks, the load
# generator's and the servers' logs stay in artifacts/profile/<time>-<commit>-<shape>/.
set -euo pipefail
cd "$(dirname "$0")/.."

warm=35 record=15 units=1000 metrics=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --warm) warm=$2; shift 2 ;;
    --record) record=$2; shift 2 ;;
    --units) units=$2; shift 2 ;;
    --metrics) metrics=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1 (push arguments go after --)" >&2; exit 2 ;;
  esac
done
for tool in perf python3 victoria-metrics; do
  command -v "$tool" > /dev/null || { echo "$tool is not installed" >&2; exit 2; }
done

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then commit="$commit+dirty"; fi
work="$PWD/artifacts/profile/$(date -u +%Y%m%d-%H%M%S)-${commit}-$(echo "$*" | tr -c 'a-z0-9\n' '-' | tr -s '-')"
mkdir -p "$work/vm" "$work/hub"

echo "Building Release..." >&2
dotnet build Ioc.sln -c Release -nologo -v quiet -clp:ErrorsOnly >&2
loadgen=(dotnet tools/LoadGen/bin/Release/net10.0/Ioc.LoadGen.dll)
"${loadgen[@]}" catalog --out "$work/catalog.json" --units "$units" --metrics "$metrics" > /dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
vm_port=$(free_port) hub_port=$(free_port) silo_port=$(free_port) gateway_port=$(free_port)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

victoria-metrics -httpListenAddr="127.0.0.1:$vm_port" -storageDataPath="$work/vm" -loggerLevel=ERROR > "$work/vm.log" 2>&1 &
pids+=($!)
bin="$PWD/src/Silo/bin/Release/net10.0"
# Perf maps name the JIT's code; W^X off, so that perf sees it where it runs.
(cd "$work/hub" && exec env ASPNETCORE_ENVIRONMENT=Development DOTNET_ENVIRONMENT=Development DOTNET_PerfMapEnabled=1 \
  DOTNET_EnableWriteXorExecute=0 dotnet "$bin/Ioc.Silo.dll" --contentRoot="$bin" --Hub:CatalogPath="$work/catalog.json" \
  --Simulator:Enabled=false --Cluster:SiloPort="$silo_port" --Cluster:GatewayPort="$gateway_port" --Logging:LogLevel:Default=Warning \
  --Storage:DataDirectory="$work/hub" --Ingest:RateLimit:PointsPerSecond=0 --TimeSeries:Server=VictoriaMetrics \
  --TimeSeries:Url="http://127.0.0.1:$vm_port" --TimeSeries:Token=bench --urls "http://127.0.0.1:$hub_port" ${PROFILE_HUB_ARGS:-}) > "$work/hub.log" 2>&1 &
hub=$!
pids+=($hub)
for _ in $(seq 1 240); do
  curl -sf "http://127.0.0.1:$hub_port/health/ready" > /dev/null && break
  kill -0 "$hub" 2>/dev/null || { echo "the hub ended; see $work/hub.log" >&2; exit 1; }
  sleep 0.5
done
curl -sf "http://127.0.0.1:$hub_port/health/ready" > /dev/null || { echo "the hub was not ready in 2 minutes" >&2; exit 1; }

"${loadgen[@]}" push --url "http://127.0.0.1:$hub_port" --catalog "$work/catalog.json" --units "$units" --metrics "$metrics" \
  --seconds $((warm + record + 3)) "$@" > "$work/push.log" 2>&1 &
load=$!
sleep "$warm"
io_before=$(cat "/proc/$hub/io")
perf record -F 499 -g -p "$hub" -o "$work/perf.data" -- sleep "$record" > "$work/perf.log" 2>&1
io_after=$(cat "/proc/$hub/io")
wait "$load"
kill -INT "$hub"
perf script -i "$work/perf.data" 2> /dev/null > "$work/stacks.txt"

# The points acknowledged while perf recorded, from the generator's once-a-second progress lines.
acked_at() { grep -E "^push: +$1\.0 s" "$work/push.log" | head -1 | sed -E 's/.*acked ([0-9,]+).*/\1/' | tr -d ,; }
points=$(( $(acked_at $((warm + record))) - $(acked_at "$warm") ))
tail -1 "$work/push.log"
# What the hub handed to write calls while perf recorded (wchar: the buffer's records and the zeros ahead of them; sockets
# are not counted), a point's share of the buffer's bytes.
io() { echo "$1" | awk -v k="$2:" '$1 == k { print $2 }'; }
echo "written by write calls: $(( ($(io "$io_after" wchar) - $(io "$io_before" wchar)) / (points > 0 ? points : 1) )) bytes a point"
python3 bench/profile-groups.py "$work/stacks.txt" --hz 499 --points "$points" | tee "$work/groups.txt"
echo "Profile: $work" >&2
