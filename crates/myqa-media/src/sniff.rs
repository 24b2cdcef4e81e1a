//! Deciding what a file is from its first bytes (SPEC §5: the declared type and the name are
//! hints only).
//!
//! `infer` knows the common magic numbers, but it is too coarse for audio: it cannot tell Ogg
//! Vorbis from Ogg Opus reliably, WebM from Matroska only by a substring, M4A from MP4 by the
//! major brand alone, and it misses MP3 frames with a CRC or from MPEG-2.5 and ADTS frames with
//! a CRC. So every accepted audio format is checked here by hand, field by field, and `infer` is
//! only asked to name what is *not* audio, so that the API can say "this is a PNG".

use crate::format::AudioFormat;

/// How many leading bytes [`sniff`] looks at. Reading this much of an upload is enough.
pub const SNIFF_LEN: usize = 8 * 1024;

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    /// One of the accepted audio formats. Whether it really decodes is [`probe`](crate::probe)'s
    /// question.
    Audio(AudioFormat),
    /// Anything else, named by a media type where one is known (`"image/png"`,
    /// `"video/x-matroska"`, `"audio/ogg; codecs=flac"`), else `"text/plain"`,
    /// `"application/octet-stream"` or `"empty"`.
    Other(String),
}

impl Sniffed {
    /// The audio format, if it is one.
    pub fn audio(&self) -> Option<AudioFormat> {
        match self {
            Sniffed::Audio(format) => Some(*format),
            Sniffed::Other(_) => None,
        }
    }
}

/// Decides the type of a file from its first bytes: up to [`SNIFF_LEN`] (more is ignored), or
/// the whole file if it is shorter.
pub fn sniff(head: &[u8]) -> Sniffed {
    let head = &head[..head.len().min(SNIFF_LEN)];
    if head.is_empty() {
        return Sniffed::Other("empty".to_owned());
    }
    if let Some(tag_len) = id3v2_len(head) {
        return after_id3(head, tag_len);
    }
    if let Some(found) = container(head) {
        return found;
    }
    if let Some(found) = elementary_stream(head) {
        return found;
    }
    other(head)
}

/// The length of an ID3v2 tag at the start of `head`, header and footer included.
///
/// Only the 10-byte header is needed, so the length is known even when the tag (cover art…) is
/// far longer than what was sniffed.
pub(crate) fn id3v2_len(head: &[u8]) -> Option<u64> {
    let header = head.get(..10)?;
    if &header[..3] != b"ID3" || header[3] == 0xFF || header[4] == 0xFF {
        return None;
    }
    // The size is "syncsafe": four 7-bit groups.
    let size_bytes = &header[6..10];
    if size_bytes.iter().any(|b| b & 0x80 != 0) {
        return None;
    }
    let size = size_bytes
        .iter()
        .fold(0u64, |acc, b| (acc << 7) | u64::from(*b));
    let has_footer = header[5] & 0x10 != 0;
    Some(10 + size + if has_footer { 10 } else { 0 })
}

/// An ID3v2 tag is an MP3 habit, occasionally put before ADTS or FLAC: look at what follows it.
fn after_id3(head: &[u8], tag_len: u64) -> Sniffed {
    let rest = usize::try_from(tag_len)
        .ok()
        .and_then(|len| head.get(len..));
    let Some(rest) = rest else {
        // The tag runs past what was sniffed (large cover art): MP3 is by far the likeliest, and
        // the probe decodes it before anything is accepted.
        return Sniffed::Audio(AudioFormat::Mp3);
    };
    // Some taggers pad beyond the declared size with zeros.
    let rest = &rest[rest.iter().position(|b| *b != 0).unwrap_or(rest.len())..];
    if rest.is_empty() {
        return Sniffed::Audio(AudioFormat::Mp3);
    }
    if rest.starts_with(b"fLaC") {
        return Sniffed::Audio(AudioFormat::Flac);
    }
    match elementary_stream(rest) {
        Some(found) => found,
        None => Sniffed::Other("application/octet-stream".to_owned()),
    }
}

/// Formats with a container signature at offset 0.
fn container(head: &[u8]) -> Option<Sniffed> {
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        return Some(Sniffed::Audio(AudioFormat::Wav));
    }
    if head.starts_with(b"fLaC") {
        return Some(Sniffed::Audio(AudioFormat::Flac));
    }
    if head.starts_with(b"OggS") {
        return Some(ogg(head));
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(ebml(head));
    }
    if head.len() >= 8 && &head[4..8] == b"ftyp" {
        return Some(iso_media(head));
    }
    None
}

/// Ogg is only a container: the first packet of the first page names the codec.
fn ogg(head: &[u8]) -> Sniffed {
    const PAGE_HEADER_LEN: usize = 27;
    let first_packet = head
        .get(26)
        .map(|segments| PAGE_HEADER_LEN + usize::from(*segments))
        .and_then(|start| head.get(start..));
    let other = |what: &str| Sniffed::Other(what.to_owned());
    match first_packet {
        Some(p) if p.starts_with(b"OpusHead") => Sniffed::Audio(AudioFormat::OggOpus),
        Some(p) if p.starts_with(b"\x01vorbis") => Sniffed::Audio(AudioFormat::OggVorbis),
        Some(p) if p.starts_with(b"\x7fFLAC") => other("audio/ogg; codecs=flac"),
        Some(p) if p.starts_with(b"Speex   ") => other("audio/ogg; codecs=speex"),
        Some(p) if p.starts_with(b"\x80theora") => other("video/ogg"),
        _ => other("application/ogg"),
    }
}

/// Matroska and WebM share the EBML header; its DocType element tells them apart.
fn ebml(head: &[u8]) -> Sniffed {
    match ebml_doc_type(head) {
        Some(b"webm") => Sniffed::Audio(AudioFormat::WebM),
        Some(b"matroska") => Sniffed::Other("video/x-matroska".to_owned()),
        _ => Sniffed::Other("application/x-ebml".to_owned()),
    }
}

/// The DocType string of the EBML header at the start of `head`.
fn ebml_doc_type(head: &[u8]) -> Option<&[u8]> {
    const DOC_TYPE: u64 = 0x4282;
    let mut pos = 4; // the EBML header's ID
    let (header_size, len) = ebml_vint(head.get(pos..)?, false)?;
    pos += len;
    let end = pos
        .saturating_add(usize::try_from(header_size).ok()?)
        .min(head.len());
    while pos < end {
        let (id, id_len) = ebml_vint(head.get(pos..)?, true)?;
        pos += id_len;
        let (size, size_len) = ebml_vint(head.get(pos..)?, false)?;
        pos += size_len;
        let size = usize::try_from(size).ok()?;
        let value = head.get(pos..pos.checked_add(size)?)?;
        if id == DOC_TYPE {
            // DocType may be zero-padded.
            let text_len = value.iter().position(|b| *b == 0).unwrap_or(value.len());
            return Some(&value[..text_len]);
        }
        pos += size;
    }
    None
}

/// An EBML variable-length integer: its value and length. IDs keep their length marker.
fn ebml_vint(bytes: &[u8], keep_marker: bool) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let raw = bytes
        .get(..len)?
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    if keep_marker {
        Some((raw, len))
    } else {
        Some((raw & !(1u64 << (7 * len)), len))
    }
}

/// ISO base media (MP4 family): the `ftyp` box's brands tell audio (M4A) from general MP4 and
/// from relatives the API does not take (QuickTime, 3GPP, HEIF images).
fn iso_media(head: &[u8]) -> Sniffed {
    let box_len = head
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .unwrap_or(0)
        .clamp(8, head.len());
    let brands: Vec<&[u8]> = head[8..box_len]
        .chunks_exact(4)
        .enumerate()
        // The second 4-byte word is the minor version, not a brand.
        .filter_map(|(i, brand)| (i != 1).then_some(brand))
        .collect();
    let Some(major) = brands.first() else {
        return Sniffed::Other("video/mp4".to_owned());
    };
    if let Some(found) = iso_brand(major) {
        return found;
    }
    // An unfamiliar major brand: trust a familiar compatible one.
    brands[1..]
        .iter()
        .find_map(|brand| iso_brand(brand))
        .unwrap_or_else(|| Sniffed::Other("video/mp4".to_owned()))
}

fn iso_brand(brand: &[u8]) -> Option<Sniffed> {
    let audio = |format| Some(Sniffed::Audio(format));
    let other = |what: &str| Some(Sniffed::Other(what.to_owned()));
    match brand {
        b"M4A " | b"M4B " | b"F4A " | b"F4B " => audio(AudioFormat::M4a),
        b"M4P " => other("audio/mp4; protected"),
        b"isom" | b"iso2" | b"iso3" | b"iso4" | b"iso5" | b"iso6" | b"iso8" | b"iso9" | b"mp41"
        | b"mp42" | b"mp71" | b"avc1" | b"dash" | b"mmp4" | b"MSNV" | b"M4V " | b"F4V "
        | b"NDAS" => audio(AudioFormat::Mp4),
        b"qt  " => other("video/quicktime"),
        b"3gp4" | b"3gp5" | b"3gp6" | b"3gp7" | b"3gs7" | b"3ge6" | b"3ge7" | b"3gg6" => {
            other("video/3gpp")
        }
        b"3g2a" | b"3g2b" | b"3g2c" => other("video/3gpp2"),
        b"heic" | b"heix" | b"mif1" | b"msf1" => other("image/heif"),
        b"avif" | b"avis" => other("image/avif"),
        _ => None,
    }
}

/// Formats made of bare frames, recognised by frame headers: MPEG audio and ADTS.
///
/// Both start with a 12-bit sync word `0xFFF`; the 2-bit "layer" field is `00` for ADTS and
/// non-zero for MPEG audio. To keep random binary data from passing, a second frame header must
/// follow the first where the head is long enough to hold it.
fn elementary_stream(head: &[u8]) -> Option<Sniffed> {
    if let Some(len) = adts_frame_len(head) {
        let next_ok = match head.get(len..) {
            Some(next) if next.len() >= 7 => adts_frame_len(next).is_some(),
            _ => true,
        };
        return next_ok.then_some(Sniffed::Audio(AudioFormat::Aac));
    }
    let first = mpeg_frame(head)?;
    let next_ok = match head.get(first.len..) {
        Some(next) if next.len() >= 4 => {
            mpeg_frame(next).is_some_and(|f| (f.version, f.layer) == (first.version, first.layer))
        }
        _ => true,
    };
    if !next_ok {
        return None;
    }
    Some(match first.layer {
        3 => Sniffed::Audio(AudioFormat::Mp3),
        2 => Sniffed::Other("audio/mpeg; layer=2".to_owned()),
        _ => Sniffed::Other("audio/mpeg; layer=1".to_owned()),
    })
}

/// The frame length of the ADTS header at the start of `bytes`.
fn adts_frame_len(bytes: &[u8]) -> Option<usize> {
    let h = bytes.get(..7)?;
    let sync = h[0] == 0xFF && h[1] & 0xF6 == 0xF0;
    let sample_rate_index = (h[2] >> 2) & 0x0F;
    let frame_len =
        (usize::from(h[3] & 0x03) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
    let header_len = if h[1] & 0x01 == 0 { 9 } else { 7 };
    (sync && sample_rate_index <= 12 && frame_len > header_len).then_some(frame_len)
}

struct MpegFrame {
    /// 0 = MPEG-2.5, 2 = MPEG-2, 3 = MPEG-1.
    version: u8,
    /// 3 = Layer III, 2 = Layer II, 1 = Layer I.
    layer: u8,
    len: usize,
}

/// The MPEG audio frame header at the start of `bytes`, if it is a plausible one.
fn mpeg_frame(bytes: &[u8]) -> Option<MpegFrame> {
    let h = bytes.get(..4)?;
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (h[1] >> 3) & 0x03;
    let layer_bits = (h[1] >> 1) & 0x03;
    let bitrate_index = usize::from(h[2] >> 4);
    let rate_index = usize::from((h[2] >> 2) & 0x03);
    let padding = usize::from((h[2] >> 1) & 0x01);
    // Reserved values; bitrate index 0 is "free format", which has no computable frame length.
    if version == 1
        || layer_bits == 0
        || bitrate_index == 0
        || bitrate_index == 15
        || rate_index == 3
    {
        return None;
    }
    let layer = 4 - layer_bits;
    let mpeg1 = version == 3;
    const V1_L1: [u32; 15] = [
        0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
    ];
    const V1_L2: [u32; 15] = [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
    ];
    const V1_L3: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const V2_L1: [u32; 15] = [
        0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
    ];
    const V2_L23: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let kbps = match (mpeg1, layer) {
        (true, 1) => V1_L1,
        (true, 2) => V1_L2,
        (true, _) => V1_L3,
        (false, 1) => V2_L1,
        (false, _) => V2_L23,
    }[bitrate_index];
    let rate = [44_100u32, 48_000, 32_000][rate_index]
        >> match version {
            3 => 0,
            2 => 1,
            _ => 2,
        };
    let bits_per_second = kbps * 1000;
    let len = match layer {
        1 => (12 * bits_per_second / rate + padding as u32) * 4,
        3 if !mpeg1 => 72 * bits_per_second / rate + padding as u32,
        _ => 144 * bits_per_second / rate + padding as u32,
    };
    Some(MpegFrame {
        version,
        layer,
        len: len as usize,
    })
}

/// Names what is not audio, for the API's error message.
fn other(head: &[u8]) -> Sniffed {
    if let Some(kind) = infer::get(head) {
        return Sniffed::Other(kind.mime_type().to_owned());
    }
    if looks_like_text(head) {
        return Sniffed::Other("text/plain".to_owned());
    }
    Sniffed::Other("application/octet-stream".to_owned())
}

/// UTF-8 without control characters other than whitespace (the head may cut a character short).
fn looks_like_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() => {
            // Only the last character is cut: the rest is valid by construction.
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(what: &str) -> Sniffed {
        Sniffed::Other(what.to_owned())
    }

    /// An MPEG-1 Layer III header: 128 kbit/s, 44.1 kHz, no padding → 417-byte frames.
    const MP3_HEADER: [u8; 4] = [0xFF, 0xFB, 0x90, 0x00];

    fn frames(header: &[u8], frame_len: usize, count: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..count {
            out.extend_from_slice(header);
            out.resize(out.len() + frame_len - header.len(), 0x55);
        }
        out
    }

    #[test]
    fn mpeg_frames_are_told_apart_by_layer() {
        assert_eq!(
            sniff(&frames(&MP3_HEADER, 417, 3)),
            Sniffed::Audio(AudioFormat::Mp3)
        );
        // With CRC (protection bit 0): 0xFA.
        assert_eq!(
            sniff(&frames(&[0xFF, 0xFA, 0x90, 0x00], 417, 3)),
            Sniffed::Audio(AudioFormat::Mp3)
        );
        // MPEG-2.5, 8 kHz, 8 kbit/s: 72 * 8000 / 8000 = 72 bytes.
        assert_eq!(
            sniff(&frames(&[0xFF, 0xE3, 0x18, 0x00], 72, 3)),
            Sniffed::Audio(AudioFormat::Mp3)
        );
        // Layer II, 128 kbit/s 44.1 kHz: 417 bytes.
        assert_eq!(
            sniff(&frames(&[0xFF, 0xFD, 0x80, 0x00], 417, 3)),
            other("audio/mpeg; layer=2")
        );
    }

    #[test]
    fn a_lone_sync_word_in_noise_is_not_mp3() {
        let mut bytes = MP3_HEADER.to_vec();
        bytes.resize(2000, 0x55);
        assert_ne!(sniff(&bytes), Sniffed::Audio(AudioFormat::Mp3));
    }

    #[test]
    fn adts_with_and_without_crc() {
        // MPEG-4, no CRC: FF F1; frame length 100.
        let header = [0xFF, 0xF1, 0x50, 0x80, 0x0C, 0x9F, 0xFC];
        assert_eq!(
            sniff(&frames(&header, 100, 3)),
            Sniffed::Audio(AudioFormat::Aac)
        );
        let with_crc = [0xFF, 0xF0, 0x50, 0x80, 0x0C, 0x9F, 0xFC, 0, 0];
        assert_eq!(
            sniff(&frames(&with_crc, 100, 3)),
            Sniffed::Audio(AudioFormat::Aac)
        );
    }

    #[test]
    fn id3_tag_before_frames_and_past_the_head() {
        let mut file = b"ID3\x03\x00\x00\x00\x00\x00\x14".to_vec(); // 20-byte body
        file.resize(30, 0);
        file.extend(frames(&MP3_HEADER, 417, 2));
        assert_eq!(sniff(&file), Sniffed::Audio(AudioFormat::Mp3));

        // A 1 MB tag: only its header is visible.
        let mut big = b"ID3\x04\x00\x00\x00\x40\x00\x00".to_vec();
        big.resize(SNIFF_LEN, 0x42);
        assert_eq!(id3v2_len(&big), Some(10 + (0x40 << 14)));
        assert_eq!(sniff(&big), Sniffed::Audio(AudioFormat::Mp3));

        let mut tagged_text = b"ID3\x03\x00\x00\x00\x00\x00\x02\x00\x00".to_vec();
        tagged_text.extend_from_slice(b"hello, this is not audio");
        assert_eq!(sniff(&tagged_text), other("application/octet-stream"));
    }

    #[test]
    fn ebml_doc_type_decides_webm() {
        let header = |doc_type: &[u8]| {
            let mut body = vec![
                0x42,
                0x86,
                0x81,
                0x01,
                0x42,
                0x82,
                0x80 | doc_type.len() as u8,
            ];
            body.extend_from_slice(doc_type);
            let mut out = vec![0x1A, 0x45, 0xDF, 0xA3, 0x80 | body.len() as u8];
            out.extend(body);
            out
        };
        assert_eq!(sniff(&header(b"webm")), Sniffed::Audio(AudioFormat::WebM));
        assert_eq!(sniff(&header(b"matroska")), other("video/x-matroska"));
        assert_eq!(
            sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0xFF]),
            other("application/x-ebml")
        );
    }

    #[test]
    fn ftyp_brands() {
        let ftyp = |major: &[u8; 4], compatible: &[&[u8; 4]]| {
            let mut out = Vec::new();
            out.extend_from_slice(&(16 + 4 * compatible.len() as u32).to_be_bytes());
            out.extend_from_slice(b"ftyp");
            out.extend_from_slice(major);
            out.extend_from_slice(&[0, 0, 2, 0]);
            for brand in compatible {
                out.extend_from_slice(*brand);
            }
            out.extend_from_slice(b"\x00\x00\x00\x08free");
            out
        };
        assert_eq!(
            sniff(&ftyp(b"M4A ", &[b"isom"])),
            Sniffed::Audio(AudioFormat::M4a)
        );
        assert_eq!(
            sniff(&ftyp(b"isom", &[b"iso2", b"mp41"])),
            Sniffed::Audio(AudioFormat::Mp4)
        );
        assert_eq!(
            sniff(&ftyp(b"XYZ1", &[b"M4A "])),
            Sniffed::Audio(AudioFormat::M4a)
        );
        assert_eq!(sniff(&ftyp(b"qt  ", &[b"qt  "])), other("video/quicktime"));
        assert_eq!(sniff(&ftyp(b"3gp4", &[])), other("video/3gpp"));
    }

    #[test]
    fn ogg_codecs() {
        let page = |packet: &[u8]| {
            let mut out = b"OggS\x00\x02".to_vec();
            out.resize(26, 0);
            out.push(1);
            out.push(packet.len() as u8);
            out.extend_from_slice(packet);
            out
        };
        assert_eq!(
            sniff(&page(b"OpusHead\x01\x01")),
            Sniffed::Audio(AudioFormat::OggOpus)
        );
        assert_eq!(
            sniff(&page(b"\x01vorbis\x00")),
            Sniffed::Audio(AudioFormat::OggVorbis)
        );
        assert_eq!(
            sniff(&page(b"\x7fFLAC\x01")),
            other("audio/ogg; codecs=flac")
        );
        assert_eq!(sniff(b"OggS"), other("application/ogg"));
    }

    #[test]
    fn text_binary_and_empty() {
        assert_eq!(
            sniff(b"Auditor: the fridge log is missing.\n"),
            other("text/plain")
        );
        // A multi-byte character cut by the head is still text.
        assert_eq!(
            sniff("Température: 4 °C".as_bytes()[..18].as_ref()),
            other("text/plain")
        );
        assert_eq!(
            sniff(&[0x00, 0x01, 0x02, 0x9F]),
            other("application/octet-stream")
        );
        assert_eq!(sniff(b""), other("empty"));
        assert_eq!(sniff(b"%PDF-1.7\n"), other("application/pdf"));
    }
}
