//! Text encodings besides UTF-8: UTF-16 (PowerShell, .NET and Windows configuration files
//! are often saved so) is recognised by its byte-order mark, or without one by the zero
//! high bytes of ASCII text, and decoded to UTF-8 so that it is scanned like any text.
//! Lines and characters survive decoding, so line and column numbers stay right.

/// Byte order of UTF-16 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf16 {
    Little,
    Big,
}

/// Bytes looked at to recognise UTF-16 without a byte-order mark.
const SNIFF: usize = 4096;

/// Whether `bytes` (the start of a file at least) look like UTF-16, and in which order: a
/// byte-order mark, or at least 32 code units of which 90% are ASCII with a zero high byte
/// and no unit is zero (text has no NUL characters; binary files do).
pub fn utf16(bytes: &[u8]) -> Option<Utf16> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some(Utf16::Little),
        [0xFE, 0xFF, ..] => return Some(Utf16::Big),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(SNIFF)];
    // Most files: no NUL at all, so not BOM-less UTF-16 (one memchr, the binary check's).
    if head.len() < 64 || memchr::memchr(0, head).is_none() {
        return None;
    }
    let units = || head.chunks_exact(2);
    if units().any(|u| u == [0, 0]) {
        return None;
    }
    let ascii = |byte: u8, zero: u8| zero == 0 && (byte.is_ascii_graphic() || byte.is_ascii_whitespace());
    let share = |f: &dyn Fn(&[u8]) -> bool| units().filter(|u| f(u)).count() * 10 >= (head.len() / 2) * 9;
    if share(&|u| ascii(u[0], u[1])) {
        Some(Utf16::Little)
    } else if share(&|u| ascii(u[1], u[0])) {
        Some(Utf16::Big)
    } else {
        None
    }
}

/// `bytes` decoded from UTF-16 to UTF-8, without a byte-order mark; unpaired surrogates and
/// an odd last byte become U+FFFD.
pub fn decode(bytes: &[u8], order: Utf16) -> String {
    let body = match (order, bytes) {
        (Utf16::Little, [0xFF, 0xFE, rest @ ..]) | (Utf16::Big, [0xFE, 0xFF, rest @ ..]) => rest,
        _ => bytes,
    };
    let units = body.chunks_exact(2).map(|c| match order {
        Utf16::Little => u16::from_le_bytes([c[0], c[1]]),
        Utf16::Big => u16::from_be_bytes([c[0], c[1]]),
    });
    let mut out: String =
        char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
    if body.len() % 2 == 1 {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(text: &str, order: Utf16, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for unit in std::iter::once(0xFEFF).filter(|_| bom).chain(text.encode_utf16()) {
            out.extend(match order {
                Utf16::Little => unit.to_le_bytes(),
                Utf16::Big => unit.to_be_bytes(),
            });
        }
        out
    }

    #[test]
    fn recognises_and_decodes_both_orders_with_and_without_a_mark() {
        let text = "$greeting = \"Hi-é-€-𝄞\"\r\nWrite-Host 'a longer line of ordinary text'\r\n";
        for order in [Utf16::Little, Utf16::Big] {
            for bom in [true, false] {
                let bytes = encode(text, order, bom);
                assert_eq!(utf16(&bytes), Some(order), "{order:?} {bom}");
                assert_eq!(decode(&bytes, order), text);
            }
        }
        assert_eq!(utf16(text.as_bytes()), None);
        assert_eq!(utf16(&[0u8; 200]), None, "NULs are binary");
        assert_eq!(utf16(&[0x41, 0]), None, "too short to tell");
        assert_eq!(decode(&[0x00, 0xD8, 0x41], Utf16::Little), "\u{FFFD}\u{FFFD}");
    }
}
