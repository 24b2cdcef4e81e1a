//! A PDF stream's filters applied under a size cap.
//!
//! `lopdf` inflates streams with `read_to_end`, so one 50 MiB stream of zeros would become
//! 50 GiB. Before `lopdf` or `pdf-extract` decode a stream, it is decoded here with the same
//! filters and the same fallbacks, stopping one byte past the cap: a stream that passes is known
//! to decode to at most the cap, whoever decodes it next.
//!
//! Mirrored from `lopdf::Stream::decompressed_content` (0.42): `FlateDecode` (zlib, then raw
//! deflate when zlib yields nothing), `LZWDecode` and `ASCII85Decode`, in order; any other filter
//! makes `lopdf` fail, and then `pdf-extract` uses the raw bytes. PNG predictors never enlarge
//! data, so they are not applied here.

use std::io::{self, Read, Write};

use pdf_extract::{Dictionary, Object, Stream};

/// The stream decodes to more than the cap.
#[derive(Debug)]
pub(super) struct Oversize;

/// The decoded bytes of `stream`, or [`Oversize`] past `cap` bytes. Undecodable data yields what
/// `lopdf` would hand on: a partial result, or the raw bytes.
pub(super) fn decode_bounded(stream: &Stream, cap: usize) -> Result<Vec<u8>, Oversize> {
    let raw = || {
        if stream.content.len() > cap {
            Err(Oversize)
        } else {
            Ok(stream.content.clone())
        }
    };
    let Ok(filters) = stream.filters() else {
        return raw();
    };
    let params = stream
        .dict
        .get(b"DecodeParms")
        .and_then(Object::as_dict)
        .ok();
    let mut data = stream.content.clone();
    for filter in filters {
        data = match filter {
            b"FlateDecode" => inflate(&data, cap)?,
            b"LZWDecode" => unlzw(&data, params, cap)?,
            b"ASCII85Decode" => ascii85(&data, cap)?,
            // `lopdf` decodes the layers before an unknown filter (bounded above), then gives up
            // and the raw bytes are used.
            _ => return raw(),
        };
    }
    Ok(data)
}

/// zlib, falling back to raw deflate after the 2-byte header when zlib yields nothing (as
/// `lopdf` does for streams with a broken checksum or header).
fn inflate(input: &[u8], cap: usize) -> Result<Vec<u8>, Oversize> {
    let limit = cap as u64 + 1;
    let mut out = Vec::new();
    let zlib = flate2::read::ZlibDecoder::new(input)
        .take(limit)
        .read_to_end(&mut out);
    if zlib.is_err() && out.is_empty() && input.len() > 2 {
        // Partial output is kept, as `lopdf` keeps it.
        let _ = flate2::read::DeflateDecoder::new(&input[2..])
            .take(limit)
            .read_to_end(&mut out);
    }
    within(out, cap)
}

fn unlzw(input: &[u8], params: Option<&Dictionary>, cap: usize) -> Result<Vec<u8>, Oversize> {
    use weezl::{BitOrder, decode::Decoder};
    let early_change = params
        .and_then(|p| p.get(b"EarlyChange").ok())
        .and_then(|v| v.as_i64().ok())
        .is_none_or(|v| v != 0);
    let mut decoder = if early_change {
        Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
    } else {
        Decoder::new(BitOrder::Msb, 8)
    };
    let mut out = Capped {
        bytes: Vec::new(),
        cap,
        over: false,
    };
    // Errors (including ours, past the cap) end the stream; what was decoded is kept.
    let _ = decoder.into_stream(&mut out).decode_all(input);
    if out.over {
        return Err(Oversize);
    }
    Ok(out.bytes)
}

/// ASCII85 never grows data more than fourfold ('z' is four zero bytes), so the exact output
/// length is counted first and `lopdf` decodes only what fits.
fn ascii85(input: &[u8], cap: usize) -> Result<Vec<u8>, Oversize> {
    let body = input.strip_suffix(b"~>").unwrap_or(input);
    let (mut len, mut group) = (0usize, 0usize);
    for &ch in body {
        match ch {
            b'z' if group == 0 => len += 4,
            c if c.is_ascii_whitespace() => {}
            b'!'..=b'u' => {
                group += 1;
                if group == 5 {
                    len += 4;
                    group = 0;
                }
            }
            _ => break,
        }
    }
    len += group.saturating_sub(1);
    if len > cap {
        return Err(Oversize);
    }
    let mut dict = Dictionary::new();
    dict.set("Filter", Object::Name(b"ASCII85Decode".to_vec()));
    Ok(Stream::new(dict, input.to_vec())
        .decompressed_content()
        .unwrap_or_default())
}

fn within(bytes: Vec<u8>, cap: usize) -> Result<Vec<u8>, Oversize> {
    if bytes.len() > cap {
        Err(Oversize)
    } else {
        Ok(bytes)
    }
}

/// A sink that refuses to grow past its cap.
struct Capped {
    bytes: Vec<u8>,
    cap: usize,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buf.len() > self.cap {
            self.over = true;
            return Err(io::Error::other("decoded stream exceeds its cap"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(filter: &str, content: Vec<u8>) -> Stream {
        let mut dict = Dictionary::new();
        dict.set("Filter", Object::Name(filter.as_bytes().to_vec()));
        Stream::new(dict, content)
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn a_deflate_bomb_stops_at_the_cap() {
        let bomb = zlib(&vec![0u8; 8 << 20]); // about 8 KB compressed
        assert!(bomb.len() < 20_000);
        assert!(decode_bounded(&stream("FlateDecode", bomb.clone()), 1 << 20).is_err());
        assert_eq!(
            decode_bounded(&stream("FlateDecode", bomb), 8 << 20)
                .unwrap()
                .len(),
            8 << 20
        );
    }

    #[test]
    fn chains_and_unknown_filters() {
        // Compressed twice: the cap holds for the second layer too.
        let twice = zlib(&zlib(&vec![7u8; 4 << 20]));
        let mut dict = Dictionary::new();
        dict.set(
            "Filter",
            Object::Array(vec![
                Object::Name(b"FlateDecode".to_vec()),
                Object::Name(b"FlateDecode".to_vec()),
            ]),
        );
        let chained = Stream::new(dict, twice);
        assert!(decode_bounded(&chained, 1 << 20).is_err());
        assert_eq!(decode_bounded(&chained, 4 << 20).unwrap().len(), 4 << 20);
        // DCT (JPEG) is not decoded: the raw bytes are what a reader would get.
        let jpeg = stream("DCTDecode", vec![1, 2, 3]);
        assert_eq!(decode_bounded(&jpeg, 10).unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn ascii85_is_counted_before_decoding() {
        let zeros = stream("ASCII85Decode", b"zzzz~>".to_vec());
        assert_eq!(decode_bounded(&zeros, 16).unwrap(), vec![0u8; 16]);
        assert!(decode_bounded(&zeros, 15).is_err());
        let text = stream("ASCII85Decode", b"87cURD]i,\"Ebo80~>".to_vec());
        assert_eq!(decode_bounded(&text, 100).unwrap(), b"Hello World!");
    }
}
