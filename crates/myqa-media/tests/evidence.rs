//! The SnapReport evidence readers on the committed fixtures (made by
//! `scripts/make-evidence-fixtures.sh`), plus a few hostile files built in the tests.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use myqa_media::{
    AudioFormat, EvidenceFile, ImageFormat, ImageLimits, MediaError, PdfLimits, Picture, SNIFF_LEN,
    pdf_text, prepare_image, read_text, sniff_evidence,
};

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn evidence(name: &str) -> File {
    File::open(path(&format!("evidence/{name}"))).expect("fixture present")
}

fn head(relative: &str) -> Vec<u8> {
    let mut bytes = std::fs::read(path(relative)).expect("fixture present");
    bytes.truncate(SNIFF_LEN);
    bytes
}

/// A temporary file holding `bytes`, opened for reading.
fn temp_file(bytes: &[u8]) -> File {
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(bytes).unwrap();
    use std::io::Seek;
    file.rewind().unwrap();
    file
}

fn other(what: &str) -> EvidenceFile {
    EvidenceFile::Other(what.to_owned())
}

#[test]
fn sniffs_every_evidence_fixture() {
    let expected = [
        ("audit-notes.pdf", EvidenceFile::Pdf),
        ("scan.pdf", EvidenceFile::Pdf),
        ("broken.pdf", EvidenceFile::Pdf),
        ("fridge.jpg", EvidenceFile::Image(ImageFormat::Jpeg)),
        ("rotated.jpg", EvidenceFile::Image(ImageFormat::Jpeg)),
        ("chart.png", EvidenceFile::Image(ImageFormat::Png)),
        ("bomb.png", EvidenceFile::Image(ImageFormat::Png)),
        ("label.webp", EvidenceFile::Image(ImageFormat::Webp)),
        ("sign.gif", EvidenceFile::Image(ImageFormat::Gif)),
        ("photo.heic", other("image/heic")),
        ("log.csv", EvidenceFile::Text),
        ("notes.md", EvidenceFile::Text),
        ("readings.json", EvidenceFile::Json),
        ("latin1.txt", other("text/plain; charset=unknown")),
        ("archive.zip", other("application/zip")),
    ];
    for (name, kind) in expected {
        let sniffed = sniff_evidence(&head(&format!("evidence/{name}")));
        assert_eq!(sniffed, kind, "{name}");
    }
    assert_eq!(EvidenceFile::Image(ImageFormat::Webp).mime(), "image/webp");
    assert_eq!(other("image/heic").mime(), "image/heic");
}

#[test]
fn audio_fixtures_are_still_audio() {
    let audio = [
        ("speech.mp3", AudioFormat::Mp3),
        ("speech.wav", AudioFormat::Wav),
        ("speech.aac", AudioFormat::Aac),
        ("speech.flac", AudioFormat::Flac),
        ("speech.ogg", AudioFormat::OggVorbis),
        ("speech.opus", AudioFormat::OggOpus),
        ("speech.webm", AudioFormat::WebM),
        ("speech.m4a", AudioFormat::M4a),
        ("speech.mp4", AudioFormat::Mp4),
    ];
    for (name, format) in audio {
        assert_eq!(
            sniff_evidence(&head(name)),
            EvidenceFile::Audio(format),
            "{name}"
        );
    }
    // The PNG named .mp3 among the audio fixtures is an image, whatever its name.
    assert_eq!(
        sniff_evidence(&head("picture.mp3")),
        EvidenceFile::Image(ImageFormat::Png)
    );
}

// --- PDF ------------------------------------------------------------------------------------

#[test]
fn pdf_text_reads_both_pages() {
    let text = pdf_text(evidence("audit-notes.pdf"), PdfLimits::default()).unwrap();
    assert!(
        text.contains("Calibration certificate for thermometer T-12 expired on 2024-01-15"),
        "{text}"
    );
    assert!(text.contains("No corrective action recorded."), "{text}");
    assert!(text.contains("Pest control"), "{text}");
    assert!(text.contains("station 7 was missing"), "{text}");
}

#[test]
fn pdf_text_honours_the_page_limit() {
    let limits = PdfLimits {
        max_pages: 1,
        ..PdfLimits::default()
    };
    let text = pdf_text(evidence("audit-notes.pdf"), limits).unwrap();
    assert!(text.contains("thermometer T-12"), "{text}");
    assert!(!text.contains("Pest control"), "{text}");
}

#[test]
fn pdf_text_honours_the_text_limit() {
    let limits = PdfLimits {
        max_text_bytes: 40,
        ..PdfLimits::default()
    };
    let text = pdf_text(evidence("audit-notes.pdf"), limits).unwrap();
    assert!(text.len() <= 40, "{} bytes: {text}", text.len());
    assert!(text.starts_with("Audit notes"), "{text}");
    assert!(!text.contains("Pest control"));
}

#[test]
fn a_scan_has_no_text() {
    assert_eq!(
        pdf_text(evidence("scan.pdf"), PdfLimits::default()).unwrap(),
        ""
    );
}

#[test]
fn a_broken_pdf_is_an_error() {
    let error = pdf_text(evidence("broken.pdf"), PdfLimits::default()).unwrap_err();
    assert!(matches!(error, MediaError::Corrupt(_)), "{error:?}");
    assert!(error.to_string().contains("cross-reference"), "{error}");
    let error = pdf_text(evidence("notes.md"), PdfLimits::default()).unwrap_err();
    assert!(error.to_string().contains("not a PDF"), "{error}");
}

/// A minimal one-page PDF around `content` (a content stream with the given dictionary
/// entries and raw data) and `extra` objects, with a correct cross-reference table.
fn pdf_with(content_dict: &str, content: &[u8], resources: &str, extra: &[&[u8]]) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R \
             /Resources {resources} >>"
        )
        .into_bytes(),
    ];
    let mut stream =
        format!("<< /Length {} {content_dict} >>\nstream\n", content.len()).into_bytes();
    stream.extend_from_slice(content);
    stream.extend_from_slice(b"\nendstream");
    objects.push(stream);
    objects.extend(extra.iter().map(|o| o.to_vec()));

    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

const FONT: &str = "<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>";

#[test]
fn a_hand_made_pdf_reads() {
    let pdf = pdf_with(
        "",
        b"BT /F1 12 Tf 20 100 Td (Fridge 2 at 7.9 C) Tj ET",
        FONT,
        &[],
    );
    let text = pdf_text(temp_file(&pdf), PdfLimits::default()).unwrap();
    assert_eq!(text, "Fridge 2 at 7.9 C");
}

#[test]
fn a_content_stream_bomb_is_refused() {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![b' '; 100 << 20]).unwrap();
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 200_000);
    let pdf = pdf_with("/Filter /FlateDecode", &bomb, FONT, &[]);
    let error = pdf_text(temp_file(&pdf), PdfLimits::default()).unwrap_err();
    assert!(matches!(error, MediaError::Unsupported(_)), "{error:?}");
    assert!(error.to_string().contains("expand beyond"), "{error}");
}

#[test]
fn a_form_that_draws_itself_is_refused() {
    // Object 5 is a form whose resources name itself, and which draws itself: `pdf-extract`
    // would recurse until the stack overflows.
    let form: &[u8] = b"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] \
        /Resources << /XObject << /X 5 0 R >> >> /Length 6 >>\nstream\n/X Do\nendstream";
    let pdf = pdf_with("", b"/X Do", "<< /XObject << /X 5 0 R >> >>", &[form]);
    let error = pdf_text(temp_file(&pdf), PdfLimits::default()).unwrap_err();
    assert!(matches!(error, MediaError::Corrupt(_)), "{error:?}");
    assert!(error.to_string().contains("draws itself"), "{error}");
}

#[test]
fn an_encrypted_pdf_is_refused() {
    let mut pdf = pdf_with("", b"", FONT, &[]);
    // Point the trailer at an encryption dictionary (its content does not matter: the trailer
    // entry alone decides).
    let at = pdf.windows(9).rposition(|w| w == b"/Root 1 0").unwrap();
    pdf.splice(at..at, b"/Encrypt 1 0 R ".iter().copied());
    let error = pdf_text(temp_file(&pdf), PdfLimits::default()).unwrap_err();
    assert!(matches!(error, MediaError::Unsupported(_)), "{error:?}");
    assert!(error.to_string().contains("encrypted"), "{error}");
}

// --- Images ---------------------------------------------------------------------------------

fn limits(max_side: u32) -> ImageLimits {
    ImageLimits {
        max_side,
        ..ImageLimits::default()
    }
}

fn decode_jpeg(picture: &Picture) -> image::RgbImage {
    assert!(picture.jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
    let image = image::load_from_memory_with_format(&picture.jpeg, image::ImageFormat::Jpeg)
        .unwrap()
        .into_rgb8();
    assert_eq!(image.dimensions(), (picture.width, picture.height));
    image
}

#[test]
fn every_image_format_becomes_a_bounded_jpeg() {
    for (name, original) in [
        ("fridge.jpg", (1600, 1200)),
        ("chart.png", (800, 500)),
        ("label.webp", (640, 480)),
        ("sign.gif", (120, 80)),
    ] {
        let picture = prepare_image(evidence(name), limits(100)).unwrap();
        decode_jpeg(&picture);
        assert_eq!(picture.width, 100, "{name}");
        // Aspect ratio kept (to the pixel).
        let expected_short = (original.1 * 100 + original.0 / 2) / original.0;
        assert_eq!(picture.height, expected_short, "{name}");
    }
}

#[test]
fn small_images_are_not_upscaled() {
    let picture = prepare_image(evidence("sign.gif"), ImageLimits::default()).unwrap();
    assert_eq!((picture.width, picture.height), (120, 80));
}

#[test]
fn capture_time_comes_from_exif() {
    let picture = prepare_image(evidence("fridge.jpg"), ImageLimits::default()).unwrap();
    assert_eq!(picture.captured_at.as_deref(), Some("2024:03:14 09:26:53"));
    assert_eq!((picture.width, picture.height), (1568, 1176));
    let chart = prepare_image(evidence("chart.png"), ImageLimits::default()).unwrap();
    assert_eq!(chart.captured_at, None);
}

#[test]
fn exif_orientation_is_applied() {
    // Stored 64x32 with its left half black, tagged "rotate 90° clockwise".
    let picture = prepare_image(evidence("rotated.jpg"), ImageLimits::default()).unwrap();
    assert_eq!((picture.width, picture.height), (32, 64));
    let image = decode_jpeg(&picture);
    assert!(
        image.get_pixel(16, 8).0.iter().all(|c| *c < 60),
        "top is black"
    );
    assert!(
        image.get_pixel(16, 56).0.iter().all(|c| *c > 200),
        "bottom is white"
    );
}

#[test]
fn transparency_is_flattened_onto_white() {
    let picture = prepare_image(evidence("chart.png"), ImageLimits::default()).unwrap();
    let image = decode_jpeg(&picture);
    assert!(
        image.get_pixel(5, 5).0.iter().all(|c| *c > 240),
        "{:?}",
        image.get_pixel(5, 5)
    );
}

#[test]
fn gif_gives_its_first_frame() {
    let picture = prepare_image(evidence("sign.gif"), ImageLimits::default()).unwrap();
    let [r, g, b] = decode_jpeg(&picture).get_pixel(60, 40).0;
    assert!(r > 200 && g < 60 && b < 60, "red, not blue: {r} {g} {b}");
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let error = prepare_image(evidence("bomb.png"), ImageLimits::default()).unwrap_err();
    assert!(matches!(error, MediaError::Unsupported(_)), "{error:?}");
    assert!(error.to_string().contains("100000 × 100000"), "{error}");
}

#[test]
fn the_pixel_limit_is_the_callers() {
    let tight = ImageLimits {
        max_pixels: 1600 * 1200 - 1,
        max_side: 1568,
    };
    let error = prepare_image(evidence("fridge.jpg"), tight).unwrap_err();
    assert!(matches!(error, MediaError::Unsupported(_)), "{error:?}");
}

#[test]
fn other_formats_and_damage_are_refused() {
    let heic = prepare_image(evidence("photo.heic"), ImageLimits::default()).unwrap_err();
    assert!(matches!(heic, MediaError::Unsupported(_)), "{heic:?}");
    assert!(heic.to_string().contains("image/heic"), "{heic}");

    // A JPEG signature, then noise: no frame header to decode.
    let mut garbage = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    garbage.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    match prepare_image(temp_file(&garbage), ImageLimits::default()) {
        Err(error) => assert!(error.is_bad_input(), "{error:?}"),
        Ok(picture) => panic!("garbage decoded to {} × {}", picture.width, picture.height),
    }
}

// --- Text -----------------------------------------------------------------------------------

#[test]
fn read_text_drops_the_bom() {
    let text = read_text(evidence("notes.md"), 10_000).unwrap();
    assert!(text.starts_with("# Walk-through notes"), "{text:?}");
    assert!(text.contains("7,9 °C"));
    let csv = read_text(evidence("log.csv"), 10_000).unwrap();
    assert!(csv.starts_with("date,time,unit"));
}

#[test]
fn read_text_refuses_latin1() {
    let error = read_text(evidence("latin1.txt"), 10_000).unwrap_err();
    assert!(matches!(error, MediaError::Corrupt(_)), "{error:?}");
    assert!(error.to_string().contains("is not UTF-8 text"), "{error}");
}

#[test]
fn read_text_enforces_its_limit() {
    let size = std::fs::metadata(path("evidence/log.csv")).unwrap().len() as usize;
    assert!(read_text(evidence("log.csv"), size).is_ok());
    let error = read_text(evidence("log.csv"), size - 1).unwrap_err();
    assert!(
        matches!(error, MediaError::TooLarge { limit } if limit == size as u64 - 1),
        "{error:?}"
    );
}

#[test]
fn an_object_stream_bomb_is_refused_while_loading() {
    // `lopdf` unpacks object streams as it loads; this one would inflate to 64 MiB of zeros.
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![b'0'; 64 << 20]).unwrap();
    let bomb = encoder.finish().unwrap();
    let mut object = format!(
        "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
        bomb.len()
    )
    .into_bytes();
    object.extend_from_slice(&bomb);
    object.extend_from_slice(b"\nendstream");
    let pdf = pdf_with("", b"", FONT, &[&object]);
    let error = pdf_text(temp_file(&pdf), PdfLimits::default()).unwrap_err();
    assert!(matches!(error, MediaError::Unsupported(_)), "{error:?}");
    assert!(error.to_string().contains("object streams"), "{error}");
}

#[test]
fn the_text_reads_as_lines() {
    let text = pdf_text(evidence("audit-notes.pdf"), PdfLimits::default()).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines[0], "Audit notes - site visit 2024-03-14");
    assert_eq!(lines.len(), 6, "{lines:#?}");
}
