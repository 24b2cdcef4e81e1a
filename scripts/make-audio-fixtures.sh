#!/usr/bin/env bash
# Regenerates the audio fixtures of myqa-media: one short spoken English sentence in every
# format the API accepts (SPEC §5), plus two files that must be refused.
#
# Needs espeak-ng and ffmpeg (Debian: apt-get install espeak-ng ffmpeg).
# The files are committed; run this only to change them, then update the expected durations in
# crates/myqa-media/tests/fixtures.rs (this script prints them, measured with ffprobe).
#
# Sample rates differ on purpose so that the tests go through the resampler both up (8 kHz) and
# down (22.05, 24, 44.1, 48 kHz) as well as the 16 kHz pass-through.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$here/crates/myqa-media/tests/fixtures"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sentence="The calibration certificate for the probe thermometer expired in March."
espeak-ng -v en-us -s 150 -w "$work/voice.wav" "$sentence"

# -bitexact and -map_metadata -1 keep the files reproducible (no encoder version strings).
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y -i "$work/voice.wav" -ac 1 -map_metadata -1 -fflags +bitexact -flags:a +bitexact "$@"; }

ff -ar 22050 -c:a libmp3lame -b:a 32k -id3v2_version 3 -write_xing 1 "$out/speech.mp3"
ff -ar 8000 -c:a pcm_s16le "$out/speech.wav"
ff -ar 16000 -c:a aac -b:a 24k -f adts "$out/speech.aac"
ff -ar 16000 -c:a flac -compression_level 8 "$out/speech.flac"
ff -ar 22050 -c:a libvorbis -q:a 0 "$out/speech.ogg"
ff -c:a libopus -b:a 16k -application voip "$out/speech.opus"
ff -c:a libopus -b:a 16k -application voip -f webm "$out/speech.webm"
ff -ar 44100 -c:a aac -b:a 32k -f ipod "$out/speech.m4a"
ff -ar 24000 -c:a aac -b:a 24k -f mp4 "$out/speech.mp4"

# corrupt.mp3: the start of a real MP3 (its ID3 tag, its Xing/Info frame and the first part of
# the first audio frame, so its bytes say "MP3"), then garbage where the audio should be. No
# audio frame in it decodes.
head -c 300 "$out/speech.mp3" > "$out/corrupt.mp3"
# A fixed pseudo-random filler (not /dev/urandom) so the fixture is reproducible.
python3 -c 'import sys; x = 12345
buf = bytearray()
for _ in range(4000):
    x = (1103515245 * x + 12345) % 2**31
    buf.append((x >> 16) & 0xFF)
sys.stdout.buffer.write(bytes(buf))' >> "$out/corrupt.mp3"

# picture.mp3: a real PNG (8x8 grey) given an audio name.
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i color=c=gray:s=8x8 -frames:v 1 \
  -fflags +bitexact -flags +bitexact -f image2 -c:v png "$out/picture.mp3"

# The container's duration (ffprobe) is an estimate for ADTS, so the tests use the decoded
# length: what ffmpeg decodes, counted in 16 kHz samples.
echo "durations in ms: ffprobe's container figure, ffmpeg's decoded length"
for f in speech.mp3 speech.wav speech.aac speech.flac speech.ogg speech.opus speech.webm speech.m4a speech.mp4; do
  container="$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$out/$f")"
  bytes="$(ffmpeg -nostdin -v error -i "$out/$f" -ac 1 -ar 16000 -f s16le - | wc -c)"
  printf '  %-12s %8s %6s\n' "$f" "$container" "$((bytes / 32))"
done
du -ch "$out"/* | tail -1
