//! Photos and pictures for a vision model: checked from the header, decoded under limits,
//! turned upright, flattened, downscaled and re-encoded as JPEG.
//!
//! - **Bombs**: a PNG header may declare 100,000 × 100,000 pixels in 70 bytes. The dimensions
//!   are read from the header alone and refused beyond `max_pixels` before any pixel buffer
//!   exists; the decode then runs under `image::Limits` (sides and allocation), so a header
//!   that lies about its size is still held to the bound.
//! - **Orientation**: phones store photos sideways with an EXIF orientation tag; the decoder
//!   reports it and the image is rotated, so the model sees it as the person did.
//! - **Transparency**: JPEG has no alpha. Transparent pixels are composited onto white, as a
//!   viewer shows them, rather than keeping whatever colour they hide (often black).
//! - **Capture time**: EXIF DateTimeOriginal, else DateTime, read by `kamadak-exif` from the
//!   bytes in memory (it allocates by what it actually reads, not by declared lengths).
//! - **Panics** inside a decoder become [`MediaError::Corrupt`].

use std::fs::File;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};

use super::read::read_at_most;
use super::sniff::image_format;
use super::{ImageFormat, ImageLimits, Picture, sniff_evidence};
use crate::MediaError;

/// JPEG quality of the prepared image: text on labels stays legible, files stay small.
const JPEG_QUALITY: u8 = 85;

/// Bytes per pixel the decode may allocate: 16-bit RGBA is the widest the four decoders
/// produce.
const MAX_BYTES_PER_PIXEL: u64 = 8;

/// Allocation head-room for the decoders' own tables and line buffers.
const DECODER_SLACK: u64 = 64 << 20;

/// Decodes, checks and downscales an image, keeping its capture time.
///
/// Accepts JPEG, PNG, WebP and GIF (its first frame). Refuses with
/// [`MediaError::Unsupported`] other formats and images over `limits.max_pixels`, with
/// [`MediaError::Corrupt`] what does not decode, and with [`MediaError::TooLarge`] files over
/// [`ImageLimits::MAX_FILE_BYTES`].
pub fn prepare_image(file: File, limits: ImageLimits) -> Result<Picture, MediaError> {
    let bytes = read_at_most(file, ImageLimits::MAX_FILE_BYTES)?;
    let Some(format) = image_format(&bytes) else {
        return Err(MediaError::Unsupported(format!(
            "it is not a JPEG, PNG, WebP or GIF image (it looks like {})",
            sniff_evidence(&bytes).mime()
        )));
    };
    let decoded = catch_unwind(AssertUnwindSafe(|| decode(&bytes, format, limits)))
        .map_err(|_| MediaError::Corrupt("the image decoder failed on malformed data".into()))??;
    let captured_at = match format {
        ImageFormat::Gif => None,
        _ => capture_time(&bytes),
    };
    let rgb = downscale(flatten(decoded), limits.max_side);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|e| MediaError::Corrupt(format!("the image cannot be re-encoded: {e}")))?;
    Ok(Picture {
        jpeg,
        width: rgb.width(),
        height: rgb.height(),
        captured_at,
    })
}

/// The image, upright, after its declared size passed the pixel bound.
fn decode(
    bytes: &[u8],
    format: ImageFormat,
    limits: ImageLimits,
) -> Result<DynamicImage, MediaError> {
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), to_image_format(format));
        reader.limits(decoder_limits(limits));
        reader
    };
    let (width, height) = reader().into_dimensions().map_err(corrupt)?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 {
        return Err(MediaError::Corrupt("the image has no pixels".into()));
    }
    if pixels > limits.max_pixels {
        return Err(MediaError::Unsupported(format!(
            "the image is {width} × {height} pixels, more than the limit of {} megapixels",
            limits.max_pixels as f64 / 1e6
        )));
    }
    let mut decoder = reader().into_decoder().map_err(corrupt)?;
    // A broken orientation tag should not cost the picture.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Ok(image)
}

/// `image`'s limits for a decode allowed `limits.max_pixels`: each side at most the pixel
/// bound (a 1-pixel-high panorama is fine), and allocations for that many pixels at the widest
/// pixel format.
fn decoder_limits(limits: ImageLimits) -> Limits {
    let side = u32::try_from(limits.max_pixels).unwrap_or(u32::MAX);
    let mut out = Limits::default();
    out.max_image_width = Some(side);
    out.max_image_height = Some(side);
    out.max_alloc = Some(
        limits
            .max_pixels
            .saturating_mul(MAX_BYTES_PER_PIXEL)
            .saturating_add(DECODER_SLACK),
    );
    out
}

fn to_image_format(format: ImageFormat) -> image::ImageFormat {
    match format {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Webp => image::ImageFormat::WebP,
        ImageFormat::Gif => image::ImageFormat::Gif,
    }
}

fn corrupt(error: image::ImageError) -> MediaError {
    match error {
        image::ImageError::Limits(e) => {
            MediaError::Unsupported(format!("the image is too large to decode ({e})"))
        }
        image::ImageError::Unsupported(e) => {
            MediaError::Unsupported(format!("this variant of the format is not supported ({e})"))
        }
        image::ImageError::IoError(e) => {
            MediaError::Corrupt(format!("the image is truncated ({e})"))
        }
        other => MediaError::Corrupt(format!("the image does not decode ({other})")),
    }
}

/// RGB, with any transparency composited onto white.
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
        let alpha = u16::from(px[3]);
        for channel in 0..3 {
            // c·a + 255·(1 − a), in integers (255 × 255 fits a u16).
            let mixed = (u16::from(px[channel]) * alpha + 255 * (255 - alpha) + 127) / 255;
            out[channel] = mixed as u8;
        }
    }
    rgb
}

/// Scales so the longest side is at most `max_side`, keeping the aspect ratio; never up.
fn downscale(image: RgbImage, max_side: u32) -> RgbImage {
    let (width, height) = image.dimensions();
    let longest = width.max(height);
    let max_side = max_side.max(1);
    if longest <= max_side {
        return image;
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(max_side) + u64::from(longest) / 2) / u64::from(longest);
        (scaled as u32).max(1)
    };
    // Catmull-Rom keeps small print sharper than a triangle filter, for little more time.
    image::imageops::resize(&image, scale(width), scale(height), FilterType::CatmullRom)
}

/// EXIF DateTimeOriginal, else DateTime, when it holds a plausible `YYYY:MM:DD HH:MM:SS`.
fn capture_time(bytes: &[u8]) -> Option<String> {
    let exif = catch_unwind(|| {
        exif::Reader::new()
            .read_from_container(&mut Cursor::new(bytes))
            .ok()
    })
    .ok()??;
    [exif::Tag::DateTimeOriginal, exif::Tag::DateTime]
        .into_iter()
        .find_map(|tag| {
            let field = exif.get_field(tag, exif::In::PRIMARY)?;
            match &field.value {
                exif::Value::Ascii(parts) => parts.first().and_then(|raw| exif_date(raw)),
                _ => None,
            }
        })
}

/// The EXIF date as written, if it is one: 19 characters, digits where digits belong, and not
/// the all-zero "unset" value some cameras write.
fn exif_date(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?.trim_end_matches(['\0', ' ']);
    let shape_ok = text.len() == 19
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 | 13 | 16 => b == b':',
            10 => b == b' ',
            _ => b.is_ascii_digit(),
        });
    (shape_ok && !text.starts_with("0000")).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_dates() {
        assert_eq!(
            exif_date(b"2024:03:14 09:26:53\0").as_deref(),
            Some("2024:03:14 09:26:53")
        );
        assert_eq!(exif_date(b"0000:00:00 00:00:00"), None);
        assert_eq!(exif_date(b"    :  :     :  :  "), None);
        assert_eq!(exif_date(b"2024-03-14T09:26:53"), None);
    }

    #[test]
    fn downscale_keeps_aspect_and_never_upscales() {
        let small = RgbImage::new(300, 200);
        assert_eq!(downscale(small, 1568).dimensions(), (300, 200));
        let wide = RgbImage::new(4000, 3000);
        assert_eq!(downscale(wide, 1568).dimensions(), (1568, 1176));
        let thin = RgbImage::new(10, 5000);
        assert_eq!(downscale(thin, 1000).dimensions(), (2, 1000));
    }

    #[test]
    fn transparency_becomes_white() {
        let mut rgba = image::RgbaImage::new(2, 1);
        rgba.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        rgba.put_pixel(1, 0, image::Rgba([10, 20, 30, 255]));
        let rgb = flatten(DynamicImage::ImageRgba8(rgba));
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(1, 0).0, [10, 20, 30]);
    }
}
