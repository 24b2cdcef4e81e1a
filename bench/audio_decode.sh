#!/usr/bin/env bash
# Audio preparation speed: our decode → mono → 16 kHz → 10-minute WAV chunks (myqa-media's
# split_file example) against ffmpeg doing the same conversion, on the same 1-hour MP3 in the
# same run. Prints both times, the ratio ours/ffmpeg, and both peak RSS figures.
#
#   bench/audio_decode.sh [runs]
#
# Needs espeak-ng, ffmpeg and /usr/bin/time (Debian: apt-get install espeak-ng ffmpeg time);
# uses hyperfine when installed (apt-get install hyperfine), else times with date.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
target="${CARGO_TARGET_DIR:-target}"

for tool in espeak-ng ffmpeg /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
cargo build --release --quiet -p myqa-media --example split_file
ours_bin="$target/release/examples/split_file"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The recording: spoken sentences with pauses between them, looped to one hour, as a typical
# upload: MP3, 44.1 kHz stereo, 128 kbit/s (so the down-mix and a 44.1→16 kHz resample run).
sentences=(
  "The calibration certificate for the probe thermometer expired in March."
  "Cleaning records for the slicer were not signed on two days last week."
  "Good practice: allergen labels are checked against the recipe at every changeover."
  "Action: the supervisor will retrain night staff on hand washing by Friday."
)
for i in "${!sentences[@]}"; do
  espeak-ng -v en-us -s 150 -w "$work/s$i.wav" "${sentences[$i]}"
  printf "file '%s'\nfile '%s'\n" "$work/s$i.wav" "$work/pause.wav" >> "$work/list.txt"
done
ffmpeg -nostdin -v error -f lavfi -i anullsrc=r=22050:cl=mono -t 1.7 "$work/pause.wav"
ffmpeg -nostdin -v error -f concat -safe 0 -i "$work/list.txt" -c pcm_s16le "$work/loop.wav"
ffmpeg -nostdin -v error -stream_loop -1 -i "$work/loop.wav" -t 3600 \
  -ac 2 -ar 44100 -c:a libmp3lame -b:a 128k "$work/hour.mp3"
echo "input: $(du -h "$work/hour.mp3" | cut -f1) MP3, $(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$work/hour.mp3") s, 44.1 kHz stereo 128 kbit/s"

ours_cmd="$ours_bin $work/hour.mp3 $work/ours 2>/dev/null"
ffmpeg_cmd="ffmpeg -nostdin -v error -i $work/hour.mp3 -ac 1 -ar 16000 -f segment -segment_time 600 $work/ffmpeg/%03d.wav"
prepare="rm -rf $work/ours $work/ffmpeg && mkdir -p $work/ours $work/ffmpeg"

if command -v hyperfine >/dev/null; then
  hyperfine --style basic --warmup 1 --runs "$runs" --prepare "$prepare" \
    --export-json "$work/times.json" -n ours "$ours_cmd" -n ffmpeg "$ffmpeg_cmd" >&2
  read -r ours ffmpeg_s < <(python3 -c '
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print(r["ours"], r["ffmpeg"])' "$work/times.json")
else
  mean() { # command
    local total=0 start end
    for _ in $(seq 1 "$runs"); do
      bash -c "$prepare"
      start="$(date +%s.%N)"; bash -c "$1"; end="$(date +%s.%N)"
      total="$(echo "$total + $end - $start" | bc -l)"
    done
    echo "$total / $runs" | bc -l
  }
  ours="$(mean "$ours_cmd")"; ffmpeg_s="$(mean "$ffmpeg_cmd")"
fi

peak() { # command → peak RSS in MB
  bash -c "$prepare"
  /usr/bin/time -v bash -c "exec $1" 2>&1 >/dev/null | awk '/Maximum resident set size/ {printf "%.0f", $6 / 1024}'
}
ours_rss="$(peak "$ours_bin $work/hour.mp3 $work/ours")"
ours_chunks="$(ls "$work/ours" | wc -l)"
ffmpeg_rss="$(peak "$ffmpeg_cmd")"
ffmpeg_chunks="$(ls "$work/ffmpeg" | wc -l)"

printf "\n%-8s %9s %12s %7s\n" "" "mean_s" "peak_rss_mb" "chunks"
printf "%-8s %9.2f %12s %7s\n" ours "$ours" "$ours_rss" "$ours_chunks"
printf "%-8s %9.2f %12s %7s\n" ffmpeg "$ffmpeg_s" "$ffmpeg_rss" "$ffmpeg_chunks"
printf "ratio ours/ffmpeg: %.2f  (real-time factor: ours %.0fx, ffmpeg %.0fx)\n" \
  "$(echo "$ours / $ffmpeg_s" | bc -l)" "$(echo "3600 / $ours" | bc -l)" "$(echo "3600 / $ffmpeg_s" | bc -l)"
