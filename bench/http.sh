#!/usr/bin/env bash
# Throughput of an authenticated catalogue read against an unauthenticated
# liveness probe, on the same release server in the same run. Prints requests
# per second for each and their ratio (authenticated / health).
#
#   bench/http.sh [duration-seconds] [connections]
#
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-64}"
rounds=3
port=18080

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet -p myqa

data="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
MYQA_DATA_DIR="$data" MYQA_BIND="127.0.0.1:$port" \
  target/release/myqa serve --bootstrap >"$data/stdout" 2>"$data/server.log" &
server=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
key="$(grep '^myqa_' "$data/stdout")"
curl -fs -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/v1/standards" >/dev/null

rps() { # url [header]
  local args=(-t2 "-c$connections" "-d${duration}s" --latency)
  [ $# -gt 1 ] && args+=(-H "$2")
  wrk "${args[@]}" "$1" | awk '/Requests\/sec/ {print $2}'
}

health=0; standards=0
echo "round  healthz_rps  standards_rps  ratio"
for round in $(seq 1 "$rounds"); do
  h="$(rps "http://127.0.0.1:$port/healthz")"
  s="$(rps "http://127.0.0.1:$port/api/v1/standards" "Authorization: Bearer $key")"
  printf "%5d  %11.0f  %13.0f  %5.2f\n" "$round" "$h" "$s" "$(echo "$s / $h" | bc -l)"
  health="$(echo "$health + $h" | bc -l)"; standards="$(echo "$standards + $s" | bc -l)"
done
printf "mean   %11.0f  %13.0f  %5.2f\n" "$(echo "$health / $rounds" | bc -l)" \
  "$(echo "$standards / $rounds" | bc -l)" "$(echo "$standards / $health" | bc -l)"
