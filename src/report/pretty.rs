//! A streaming writer of pretty-printed JSON, byte for byte what `serde_json::to_writer_pretty`
//! writes (two-space indent, `"key": value`, `[]` and `{}` for empty collections, serde_json's
//! string escapes), for the parts of the JSON and SARIF reports written once per finding: there
//! a value is written straight from the finding, without the typed structs, the allocations and
//! the serializer's dispatch of each field. The rest of a report goes through serde
//! ([`Pretty::value`]), indented to where it lands.

use std::io::{self, Write};

use serde::Serialize;

/// The deepest nesting the writer tracks; deeper levels are written correctly but share the
/// last slot (never reached by the reports).
const MAX_DEPTH: usize = 32;

/// A pretty JSON writer over `out`. Collections are opened and closed by the caller; an entry
/// of an object starts with [`Pretty::key`], an element of an array with [`Pretty::element`].
pub(crate) struct Pretty<W: Write> {
    out: W,
    depth: usize,
    /// Whether the collection open at each depth has an entry yet.
    has: [bool; MAX_DEPTH],
    /// Reused by [`Pretty::value`].
    scratch: Vec<u8>,
}

impl<W: Write> Pretty<W> {
    pub(crate) fn new(out: W) -> Pretty<W> {
        Pretty {
            out,
            depth: 0,
            has: [false; MAX_DEPTH],
            scratch: Vec::new(),
        }
    }

    /// The writer, once the document is complete.
    pub(crate) fn into_inner(self) -> W {
        self.out
    }

    fn has_slot(&mut self) -> Option<&mut bool> {
        self.has.get_mut(self.depth.min(MAX_DEPTH - 1))
    }

    fn indent(&mut self, depth: usize) -> io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        let mut n = depth * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.out.write_all(SPACES.get(..k).unwrap_or_default())?;
            n -= k;
        }
        Ok(())
    }

    fn open(&mut self, bracket: &[u8]) -> io::Result<()> {
        self.out.write_all(bracket)?;
        self.depth += 1;
        if let Some(h) = self.has_slot() {
            *h = false;
        }
        Ok(())
    }

    fn close(&mut self, bracket: &[u8]) -> io::Result<()> {
        let had = self.has_slot().is_some_and(|h| *h);
        self.depth = self.depth.saturating_sub(1);
        if had {
            self.out.write_all(b"\n")?;
            self.indent(self.depth)?;
        }
        self.out.write_all(bracket)
    }

    pub(crate) fn begin_object(&mut self) -> io::Result<()> {
        self.open(b"{")
    }

    pub(crate) fn end_object(&mut self) -> io::Result<()> {
        self.close(b"}")
    }

    pub(crate) fn begin_array(&mut self) -> io::Result<()> {
        self.open(b"[")
    }

    pub(crate) fn end_array(&mut self) -> io::Result<()> {
        self.close(b"]")
    }

    /// Starts the next entry of the innermost collection: its separator and indent.
    fn next_entry(&mut self) -> io::Result<()> {
        let first = match self.has_slot() {
            Some(h) => !std::mem::replace(h, true),
            None => true,
        };
        self.out.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(self.depth)
    }

    /// Starts an entry of the open object: `"key": `. Keys are the reports' own names (ASCII,
    /// nothing to escape).
    pub(crate) fn key(&mut self, key: &str) -> io::Result<()> {
        self.next_entry()?;
        self.out.write_all(b"\"")?;
        self.out.write_all(key.as_bytes())?;
        self.out.write_all(b"\": ")
    }

    /// Starts an element of the open array.
    pub(crate) fn element(&mut self) -> io::Result<()> {
        self.next_entry()
    }

    /// A string, escaped as serde_json escapes it.
    pub(crate) fn str(&mut self, s: &str) -> io::Result<()> {
        write_escaped(&mut self.out, s)
    }

    pub(crate) fn u64(&mut self, n: u64) -> io::Result<()> {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut n = n;
        loop {
            i -= 1;
            if let Some(d) = buf.get_mut(i) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.out.write_all(buf.get(i..).unwrap_or_default())
    }

    /// Bytes that are already JSON.
    pub(crate) fn raw(&mut self, json: &[u8]) -> io::Result<()> {
        self.out.write_all(json)
    }

    pub(crate) fn null(&mut self) -> io::Result<()> {
        self.out.write_all(b"null")
    }

    /// A string or `null`.
    pub(crate) fn opt_str(&mut self, s: Option<&str>) -> io::Result<()> {
        match s {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }

    /// An array of strings (`[]` when empty).
    pub(crate) fn str_array<'s>(
        &mut self,
        items: impl IntoIterator<Item = &'s str>,
    ) -> io::Result<()> {
        self.begin_array()?;
        for s in items {
            self.element()?;
            self.str(s)?;
        }
        self.end_array()
    }

    /// `"key": "value"`.
    pub(crate) fn key_str(&mut self, key: &str, s: &str) -> io::Result<()> {
        self.key(key)?;
        self.str(s)
    }

    /// `"key": n`.
    pub(crate) fn key_u64(&mut self, key: &str, n: u64) -> io::Result<()> {
        self.key(key)?;
        self.u64(n)
    }

    /// Any value through serde_json's pretty printer, its lines indented to the current depth.
    pub(crate) fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        serde_json::to_writer_pretty(&mut scratch, value).map_err(io::Error::other)?;
        // A JSON text holds no raw line break but those between its lines.
        let mut first = true;
        for line in scratch.split(|b| *b == b'\n') {
            if !first {
                self.out.write_all(b"\n")?;
                self.indent(self.depth)?;
            }
            first = false;
            self.out.write_all(line)?;
        }
        self.scratch = scratch;
        Ok(())
    }
}

/// Writes `s` as a JSON string, with serde_json's escapes: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
/// `\t`, and `\u00XX` (lower-case hex) for the other control characters; everything else as it
/// is. A string with nothing to escape (nearly all) is written in one piece.
pub(crate) fn write_escaped<W: Write + ?Sized>(out: &mut W, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    let needs = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    out.write_all(b"\"")?;
    let mut start = 0;
    // Eight bytes at a time while none needs an escape (nearly every string, whole).
    let clean = clean_prefix(bytes);
    for (i, &b) in bytes.iter().enumerate().skip(clean) {
        if !needs(b) {
            continue;
        }
        out.write_all(bytes.get(start..i).unwrap_or_default())?;
        start = i + 1;
        match b {
            b'"' => out.write_all(b"\\\"")?,
            b'\\' => out.write_all(b"\\\\")?,
            0x08 => out.write_all(b"\\b")?,
            0x0c => out.write_all(b"\\f")?,
            b'\n' => out.write_all(b"\\n")?,
            b'\r' => out.write_all(b"\\r")?,
            b'\t' => out.write_all(b"\\t")?,
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
                let lo = HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0');
                out.write_all(&[b'\\', b'u', b'0', b'0', hi, lo])?;
            }
        }
    }
    out.write_all(bytes.get(start..).unwrap_or_default())?;
    out.write_all(b"\"")
}

/// How many of the first bytes of `bytes`, a multiple of eight, are known to need no escape:
/// words of eight bytes are tested at once for a control character, `"` or `\\`.
fn clean_prefix(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether a byte of `w` is below `n` (n <= 128): exact as to "some byte".
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH != 0;
    let mut clean = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        if below(w, 0x20) || below(quote, 1) || below(backslash, 1) {
            break;
        }
        clean += 8;
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut all = String::new();
        for c in (0u32..0x80).chain([0xe9, 0x2028, 0x1f600]) {
            all.extend(char::from_u32(c));
        }
        let mut cases = vec![
            String::new(),
            "plain".to_string(),
            "a\"b\\c".to_string(),
            "\u{7f}".to_string(),
            "tab\tnl\ncr\r".to_string(),
            all.clone(),
        ];
        // Every byte that needs an escape, and a few that do not, at each place of a word.
        for c in (0u8..0x20).chain([b'"', b'\\', b' ', b'!', b'#', b'[', b']', 0x7f]) {
            for at in 0..17 {
                let mut t = "abcdefghijklmnopq".to_string();
                t.insert(at, char::from(c));
                cases.push(format!("é{t}ü"));
                cases.push(t);
            }
        }
        for s in &cases {
            let s = s.as_str();
            let mut ours = Vec::new();
            write_escaped(&mut ours, s).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    #[test]
    fn documents_are_written_as_serde_json_pretty_writes_them() {
        #[derive(Serialize)]
        struct Inner {
            a: Vec<u32>,
            b: Option<&'static str>,
            c: std::collections::BTreeMap<&'static str, u32>,
        }
        let inner = Inner {
            a: vec![1, 22],
            b: None,
            c: [("x", 1), ("y", 2)].into_iter().collect(),
        };
        let empty = Inner {
            a: Vec::new(),
            b: Some("s"),
            c: Default::default(),
        };
        #[derive(Serialize)]
        struct Item {
            k: &'static str,
            inner: Inner,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Doc {
            n: u64,
            zero: u32,
            s: &'static str,
            none: Option<&'static str>,
            empty: Vec<u32>,
            empty_object: std::collections::BTreeMap<&'static str, u32>,
            list: (
                Item,
                Vec<u32>,
                std::collections::BTreeMap<&'static str, u32>,
            ),
            more: Inner,
        }
        let want = Doc {
            n: u64::MAX,
            zero: 0,
            s: "é\"",
            none: None,
            empty: Vec::new(),
            empty_object: Default::default(),
            list: (
                Item {
                    k: "v",
                    inner: Inner {
                        a: vec![1, 22],
                        b: None,
                        c: [("x", 1), ("y", 2)].into_iter().collect(),
                    },
                },
                Vec::new(),
                Default::default(),
            ),
            more: Inner {
                a: Vec::new(),
                b: Some("s"),
                c: Default::default(),
            },
        };
        let mut w = Pretty::new(Vec::new());
        w.begin_object().unwrap();
        w.key_u64("n", u64::MAX).unwrap();
        w.key_u64("zero", 0).unwrap();
        w.key_str("s", "é\"").unwrap();
        w.key("none").unwrap();
        w.opt_str(None).unwrap();
        w.key("empty").unwrap();
        w.begin_array().unwrap();
        w.end_array().unwrap();
        w.key("emptyObject").unwrap();
        w.begin_object().unwrap();
        w.end_object().unwrap();
        w.key("list").unwrap();
        w.begin_array().unwrap();
        w.element().unwrap();
        w.begin_object().unwrap();
        w.key_str("k", "v").unwrap();
        w.key("inner").unwrap();
        w.value(&inner).unwrap();
        w.end_object().unwrap();
        w.element().unwrap();
        w.value(&Vec::<u32>::new()).unwrap();
        w.element().unwrap();
        w.begin_object().unwrap();
        w.end_object().unwrap();
        w.end_array().unwrap();
        w.key("more").unwrap();
        w.value(&empty).unwrap();
        w.end_object().unwrap();
        let ours = String::from_utf8(w.into_inner()).unwrap();
        assert_eq!(ours, serde_json::to_string_pretty(&want).unwrap());
    }
}
