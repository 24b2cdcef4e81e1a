#!/usr/bin/env bash
# Upload throughput and peak memory of the server for a 1 GiB recording over
# loopback, side by side with copying the same file on the same disk (the
# ceiling: every uploaded byte is written once to the blob store).
#
#   bench/upload.sh [size-in-MiB]     (default 1024)
#
# Needs curl. The server runs as an API process (no workers), so the job
# just waits in the queue: only the upload is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${1:-1024}"
port=18082

cargo build --release --quiet -p myqa
data="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT

# A valid WAV of the requested size: 16 kHz mono 16-bit noise (not zeros,
# which file systems may store sparsely and skew the comparison).
python3 - "$data/recording.wav" "$size_mib" <<'PY'
import struct, sys
path, mib = sys.argv[1], int(sys.argv[2])
data_len = mib * 1024 * 1024 - 44
with open(path, "wb") as f:
    f.write(b"RIFF" + struct.pack("<I", data_len + 36) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16) +
            b"data" + struct.pack("<I", data_len))
    import os
    block = os.urandom(1 << 20)
    left = data_len
    while left > 0:
        n = min(left, len(block)); f.write(block[:n]); left -= n
PY

MYQA_DATA_DIR="$data/server" MYQA_BIND="127.0.0.1:$port" \
  MYQA_TRANSCRIPTION_PROVIDER=openai MYQA_TRANSCRIPTION_BASE_URL=http://127.0.0.1:9/v1 \
  MYQA_TRANSCRIPTION_MODEL=whisper-1 \
  target/release/myqa serve --bootstrap --role api >"$data/stdout" 2>"$data/server.log" &
server=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
key="$(grep '^myqa_' "$data/stdout")"
rss() { awk '/VmHWM/ {print $2}' "/proc/$server/status"; }
before="$(rss)"

sync
start=$(date +%s.%N)
cp "$data/recording.wav" "$data/copy.wav"
sync
copy_s=$(echo "$(date +%s.%N) - $start" | bc -l)
rm -f "$data/copy.wav"

sync
start=$(date +%s.%N)
status=$(curl -s -o "$data/answer.json" -w '%{http_code}' \
  -H "Authorization: Bearer $key" -H 'Prefer: respond-async' \
  -F session_type=audit -F "audio=@$data/recording.wav;type=audio/wav" \
  "http://127.0.0.1:$port/api/v1/captureiq/analyze")
sync
upload_s=$(echo "$(date +%s.%N) - $start" | bc -l)
after="$(rss)"
[ "$status" = 202 ] || { echo "upload answered $status: $(cat "$data/answer.json")" >&2; exit 1; }

mib_s() { echo "$size_mib / $1" | bc -l; }
printf "file                 %d MiB\n" "$size_mib"
printf "upload (HTTP)        %6.2f s  %7.1f MiB/s\n" "$upload_s" "$(mib_s "$upload_s")"
printf "cp on the same disk  %6.2f s  %7.1f MiB/s\n" "$copy_s" "$(mib_s "$copy_s")"
printf "ratio upload/cp      %6.2f (throughput)\n" "$(echo "$copy_s / $upload_s" | bc -l)"
printf "server peak RSS      %6.1f MiB before, %6.1f MiB after the upload\n" \
  "$(echo "$before / 1024" | bc -l)" "$(echo "$after / 1024" | bc -l)"
