#!/usr/bin/env bash
# Regenerates the SnapReport evidence fixtures of myqa-media (SPEC §6: the file evidence table):
# PDFs with and without a text layer, photos in every accepted image format, a decompression
# bomb, a HEIC header, text files in and out of UTF-8, and a ZIP.
#
# Needs python3 with Pillow (WebP support included in its wheels) and reportlab:
#   pip install pillow reportlab
# Optional checks at the end use exiftool and pdftotext (Debian: libimage-exiftool-perl,
# poppler-utils) when they are installed.
#
# The files are committed; run this only to change them. Everything is deterministic (fixed
# pseudo-random seeds, reportlab's invariant mode, fixed ZIP timestamps), so a re-run gives the
# same bytes for the same library versions.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$here/crates/myqa-media/tests/fixtures/evidence"
mkdir -p "$out"

python3 - "$out" <<'PY'
import io, random, struct, sys, zipfile, zlib
from pathlib import Path

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

out = Path(sys.argv[1])
rng = random.Random(20240314)


def garbage(n):
    return bytes(rng.randrange(256) for _ in range(n))


# --- PDFs -------------------------------------------------------------------------------------

# audit-notes.pdf: two pages of real text (Helvetica, so no embedded font is needed).
pdf = canvas.Canvas(str(out / "audit-notes.pdf"), pagesize=A4, invariant=1)
pdf.setTitle("Audit notes")
pages = [
    [
        "Audit notes - site visit 2024-03-14",
        "Calibration certificate for thermometer T-12 expired on 2024-01-15.",
        "No corrective action recorded.",
    ],
    [
        "Pest control",
        "Pest control contract with Nordic Pest Services is valid until 2025-06-30.",
        "Bait station map dated 2024-02-01; station 7 was missing during the walk-through.",
    ],
]
for lines in pages:
    y = 780
    for line in lines:
        pdf.setFont("Helvetica", 12)
        pdf.drawString(60, y, line)
        y -= 20
    pdf.showPage()
pdf.save()

# scan.pdf: one page that is only a picture (no text layer), as a scanner makes it.
scan = Image.new("L", (400, 560), 235)
draw = ImageDraw.Draw(scan)
for i in range(14):
    draw.rectangle([40, 40 + i * 36, 360, 52 + i * 36], fill=60 + (i * 7) % 80)
jpeg = io.BytesIO()
scan.save(jpeg, "JPEG", quality=40)
jpeg.seek(0)
pdf = canvas.Canvas(str(out / "scan.pdf"), pagesize=A4, invariant=1)
pdf.drawImage(ImageReader(jpeg), 40, 60, width=515, height=720)
pdf.showPage()
pdf.save()

# broken.pdf: a PDF header, then garbage.
(out / "broken.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + garbage(2048))

# --- Images -----------------------------------------------------------------------------------


def photo(width, height):
    """A smooth synthetic scene (compresses well) with a few sharp shapes."""
    img = Image.new("RGB", (width, height))
    px = img.load()
    for y in range(height):
        for x in range(width):
            px[x, y] = (180 + x * 60 // width, 190 + y * 50 // height, 200)
    draw = ImageDraw.Draw(img)
    draw.rectangle([width // 5, height // 6, width * 4 // 5, height * 5 // 6], outline=(40, 40, 40), width=8)
    draw.rectangle([width // 3, height // 3, width * 2 // 3, height // 2], fill=(250, 250, 250))
    draw.text((width // 3 + 20, height // 3 + 20), "T-12  4.1 C", fill=(0, 0, 0))
    return img


# fridge.jpg: 1600x1200 with EXIF DateTimeOriginal (and a later DateTime, which must lose).
exif = Image.Exif()
exif[0x010F] = "MyQA"  # Make
exif[0x0110] = "Fixture camera"  # Model
exif[0x0132] = "2024:03:15 08:00:00"  # DateTime (last modified)
exif.get_ifd(0x8769)[0x9003] = "2024:03:14 09:26:53"  # DateTimeOriginal
photo(1600, 1200).save(out / "fridge.jpg", "JPEG", quality=50, exif=exif)

# rotated.jpg: stored 64x32 (landscape) with Orientation 6 (rotate 90° clockwise to display),
# so it is shown as 32x64 (portrait); the left half is black, so after rotation the top is.
rotated = Image.new("RGB", (64, 32), (255, 255, 255))
ImageDraw.Draw(rotated).rectangle([0, 0, 31, 31], fill=(0, 0, 0))
exif = Image.Exif()
exif[0x0112] = 6
rotated.save(out / "rotated.jpg", "JPEG", quality=90, exif=exif)

# chart.png: a bar chart on a transparent background (alpha must be flattened onto white).
chart = Image.new("RGBA", (800, 500), (0, 0, 0, 0))
draw = ImageDraw.Draw(chart)
for i, h in enumerate([120, 260, 200, 340, 180]):
    draw.rectangle([80 + i * 130, 450 - h, 160 + i * 130, 450], fill=(30, 90, 200, 255))
draw.line([60, 450, 760, 450], fill=(0, 0, 0, 255), width=3)
chart.save(out / "chart.png", optimize=True)

# label.webp: a lossy WebP photo of a label.
photo(640, 480).save(out / "label.webp", "WEBP", quality=50, method=6)

# sign.gif: two frames, the first red and the second blue; only the first counts.
red = Image.new("RGB", (120, 80), (255, 0, 0))
blue = Image.new("RGB", (120, 80), (0, 0, 255))
red.save(out / "sign.gif", save_all=True, append_images=[blue], duration=500, loop=0)


# bomb.png: a valid PNG whose IHDR declares 100000x100000 RGB (30 GB decoded), with one tiny
# IDAT. Refusing it must not allocate anything close to that.
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 301)) + chunk(b"IEND", b"")
(out / "bomb.png").write_bytes(bomb)

# photo.heic: only the start of a HEIC file (an `ftyp` box with brand heic, then an empty `meta`
# box); enough to be sniffed and refused by name, as no pure-Rust HEIC decoder exists.
ftyp = b"ftyp" + b"heic" + struct.pack(">I", 0) + b"mif1heic"
meta = b"meta" + b"\x00" * 4
(out / "photo.heic").write_bytes(struct.pack(">I", 4 + len(ftyp)) + ftyp + struct.pack(">I", 4 + len(meta)) + meta)

# --- Text, JSON and others --------------------------------------------------------------------

(out / "log.csv").write_text(
    "date,time,unit,temperature_c,initials\n"
    "2024-03-11,08:00,Fridge 2,3.8,AB\n"
    "2024-03-12,08:05,Fridge 2,4.2,AB\n"
    "2024-03-13,08:02,Fridge 2,7.9,CD\n"
    "2024-03-14,08:01,Fridge 2,4.0,AB\n",
    encoding="utf-8",
)
# notes.md starts with a UTF-8 byte-order mark, as some Windows editors write it.
(out / "notes.md").write_bytes(
    "\ufeff# Walk-through notes\n\n"
    "- Hand-wash station near the bakery: soap dispenser empty.\n"
    "- Température du frigo 2 relevée à 7,9 °C le 13/03.\n".encode("utf-8")
)
(out / "readings.json").write_text(
    '{\n  "unit": "Fridge 2",\n  "readings": [\n'
    '    {"at": "2024-03-13T08:02:00Z", "celsius": 7.9},\n'
    '    {"at": "2024-03-14T08:01:00Z", "celsius": 4.0}\n  ]\n}\n',
    encoding="utf-8",
)
(out / "latin1.txt").write_bytes("Température relevée: 7,9 °C à 08:02\n".encode("latin-1"))

with zipfile.ZipFile(out / "archive.zip", "w", zipfile.ZIP_DEFLATED) as archive:
    info = zipfile.ZipInfo("log.csv", date_time=(2024, 3, 14, 9, 0, 0))
    archive.writestr(info, (out / "log.csv").read_bytes())
PY

# Checks when the tools are there.
if command -v exiftool >/dev/null; then
    exiftool -s -DateTimeOriginal -ImageSize "$out/fridge.jpg"
fi
if command -v pdftotext >/dev/null; then
    pdftotext "$out/audit-notes.pdf" - | head -3
fi
du -sh "$out"
