//! Bytes to text, the way Kubernetes' readers decode a manifest file.
//!
//! - go-yaml v2 (the API server's YAML decoder) and kubectl (which reads files through
//!   `unicode.BOMOverride`) both accept UTF-8, and UTF-16 LE or BE when the file starts with its
//!   byte order mark. Without a BOM the file is UTF-8.
//! - UTF-32 is read by neither (go-yaml has no UTF-32; kubectl takes `FF FE 00 00` for UTF-16 LE
//!   and then meets NUL characters). A UTF-32 file with a BOM is still decoded and scanned, so
//!   that nothing in it goes unseen, and the encoding is reported.
//! - Invalid sequences are reported at the first one (line and column of the decoded text
//!   before it). kubectl replaces them with U+FFFD and goes on, so the text is decoded the same
//!   way and scanned in full: an invalid byte never hides the rest of a file.

use std::borrow::Cow;

use super::lines::LineIndex;
use super::yaml::Pos;

/// The encoding a file was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Utf32Le => "UTF-32LE",
            Encoding::Utf32Be => "UTF-32BE",
        }
    }
}

/// A problem met while decoding: where (in the decoded text) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub pos: Pos,
    pub message: String,
}

/// A decoded file.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The text, without its byte order mark; invalid sequences replaced by U+FFFD.
    pub text: Cow<'a, str>,
    pub encoding: Encoding,
    /// The first invalid sequence, and for UTF-32 a note that Kubernetes cannot read it.
    pub errors: Vec<DecodeError>,
}

/// Decodes a file's bytes (see the module documentation).
pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE\x00\x00") {
        return decode_utf32(rest, Encoding::Utf32Le);
    }
    if let Some(rest) = bytes.strip_prefix(b"\x00\x00\xFE\xFF") {
        return decode_utf32(rest, Encoding::Utf32Be);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return decode_utf16(rest, Encoding::Utf16Le);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return decode_utf16(rest, Encoding::Utf16Be);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Decoded {
            text: Cow::Borrowed(text),
            encoding: Encoding::Utf8,
            errors: Vec::new(),
        },
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            // The prefix is valid UTF-8 by construction.
            let prefix = std::str::from_utf8(valid).unwrap_or("");
            let bad = bytes.get(e.valid_up_to()).copied().unwrap_or(0);
            Decoded {
                text: Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
                encoding: Encoding::Utf8,
                errors: vec![DecodeError {
                    pos: end_of(prefix),
                    message: format!(
                        "not valid UTF-8: byte 0x{bad:02X}; Kubernetes requires UTF-8 (kubectl reads it as U+FFFD, the API server rejects the file)"
                    ),
                }],
            }
        }
    }
}

/// The position just after `text`.
fn end_of(text: &str) -> Pos {
    let (line, col) = LineIndex::new(text).pos_of_offset(text, text.len());
    Pos::new(line, col)
}

fn decode_utf16(bytes: &[u8], enc: Encoding) -> Decoded<'static> {
    let units = bytes.chunks_exact(2).map(|c| {
        let pair = [
            c.first().copied().unwrap_or(0),
            c.get(1).copied().unwrap_or(0),
        ];
        if enc == Encoding::Utf16Le {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    let mut errors = Vec::new();
    for r in char::decode_utf16(units) {
        match r {
            Ok(c) => text.push(c),
            Err(e) => {
                if errors.is_empty() {
                    errors.push(DecodeError {
                        pos: end_of(&text),
                        message: format!(
                            "not valid {}: unpaired surrogate 0x{:04X}",
                            enc.name(),
                            e.unpaired_surrogate()
                        ),
                    });
                }
                text.push('\u{FFFD}');
            }
        }
    }
    if bytes.len() % 2 == 1 {
        if errors.is_empty() {
            errors.push(DecodeError {
                pos: end_of(&text),
                message: format!("not valid {}: odd number of bytes", enc.name()),
            });
        }
        text.push('\u{FFFD}');
    }
    Decoded {
        text: Cow::Owned(text),
        encoding: enc,
        errors,
    }
}

fn decode_utf32(bytes: &[u8], enc: Encoding) -> Decoded<'static> {
    let mut text = String::with_capacity(bytes.len() / 4);
    let mut errors = vec![DecodeError {
        pos: Pos::START,
        message: format!(
            "encoded in {}: kubectl and the API server read only UTF-8 and UTF-16; the file was decoded and scanned anyway",
            enc.name()
        ),
    }];
    let mut invalid = false;
    for c in bytes.chunks(4) {
        let quad = <[u8; 4]>::try_from(c).ok();
        let ch = quad.and_then(|q| {
            let v = if enc == Encoding::Utf32Le {
                u32::from_le_bytes(q)
            } else {
                u32::from_be_bytes(q)
            };
            char::from_u32(v)
        });
        match ch {
            Some(ch) => text.push(ch),
            None => {
                if !invalid {
                    invalid = true;
                    errors.push(DecodeError {
                        pos: end_of(&text),
                        message: format!("not valid {}: not a Unicode scalar value", enc.name()),
                    });
                }
                text.push('\u{FFFD}');
            }
        }
    }
    Decoded {
        text: Cow::Owned(text),
        encoding: enc,
        errors,
    }
}

/// The text of a file for report snippets: decoded like [`decode`].
pub fn source_text(bytes: &[u8]) -> String {
    decode(bytes).text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, le: bool) -> Vec<u8> {
        let mut out = if le {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for u in text.encode_utf16() {
            out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    #[test]
    fn boms_select_the_encoding() {
        let text = "a: é\u{1F600}\n";
        for le in [true, false] {
            let d = decode_owned(&utf16(text, le));
            assert_eq!(d.0, text);
            assert!(d.1.is_empty());
        }
        let mut le32 = vec![0xFF, 0xFE, 0, 0];
        let mut be32 = vec![0, 0, 0xFE, 0xFF];
        for c in text.chars() {
            le32.extend((c as u32).to_le_bytes());
            be32.extend((c as u32).to_be_bytes());
        }
        for b in [le32, be32] {
            let d = decode(&b);
            assert_eq!(d.text, text);
            assert_eq!(d.errors.len(), 1);
            assert!(d.errors[0].message.contains("UTF-32"));
        }
        let d = decode(b"\xEF\xBB\xBFa: 1\n");
        assert_eq!(d.text, "a: 1\n");
        assert_eq!(d.encoding, Encoding::Utf8);
    }

    fn decode_owned(b: &[u8]) -> (String, Vec<DecodeError>) {
        let d = decode(b);
        (d.text.into_owned(), d.errors)
    }

    #[test]
    fn invalid_sequences_are_reported_and_replaced() {
        let mut b = utf16("a: 1\nb: x", true);
        b.extend([0x00, 0xD8]); // a lone high surrogate
        b.extend(utf16("y\n", true).get(2..).unwrap());
        let (text, errors) = decode_owned(&b);
        assert_eq!(text, "a: 1\nb: x\u{FFFD}y\n");
        assert_eq!(errors[0].pos, Pos::new(2, 5));
        assert!(errors[0].message.contains("surrogate"), "{errors:?}");
        let (text, errors) = decode_owned(b"a: caf\xE9\nb: 1\n");
        assert_eq!(text, "a: caf\u{FFFD}\nb: 1\n");
        assert_eq!(errors[0].pos, Pos::new(1, 7));
        let (_, errors) = decode_owned(&[0xFF, 0xFE, b'a']);
        assert!(errors[0].message.contains("odd"));
    }
}
