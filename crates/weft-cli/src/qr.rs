//! Invitation links as QR codes, for a phone or laptop camera.

use anyhow::Context;
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module, and modules of white border (the quiet zone scanners need).
const SCALE: usize = 8;
const QUIET: usize = 4;

/// The text as a black-on-white QR code, PNG-encoded.
pub fn png(text: &str) -> anyhow::Result<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .context("the invitation link is too long for a QR code")?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let side = u32::try_from(side).context("QR code too large")?;
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().context("could not write the QR code")?;
        writer.write_image_data(&pixels).context("could not write the QR code")?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_link_becomes_a_png() {
        let png = super::png("weft://join/abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnop").unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
