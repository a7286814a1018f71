//! A per-file line index: from 1-based (line, column in code points) to byte offsets and text.

/// Byte offsets of the start of every line of a file.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        if !has_cr(bytes) {
            // Only `\n` breaks lines. Counted first (the list is made at its size), then found
            // eight bytes at a time: as cheap on the texts the reports keep, which are mostly
            // line breaks (see `report::snippets::sparse`), as on ordinary text.
            let mut starts = Vec::with_capacity(count_newlines(bytes) + 1);
            starts.push(0);
            push_newlines(bytes, &mut starts);
            return LineIndex { starts };
        }
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
        }
        LineIndex { starts }
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The text of a 1-based line, without its line break.
    pub fn line<'t>(&self, text: &'t str, line: u32) -> Option<&'t str> {
        let i = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).copied().unwrap_or(text.len());
        let s = text.get(start..end)?;
        Some(s.trim_end_matches(['\n', '\r']))
    }

    /// The 1-based line that holds a byte offset.
    pub fn line_of_offset(&self, offset: usize) -> u32 {
        let i = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        u32::try_from(i + 1).unwrap_or(u32::MAX)
    }

    /// The 1-based (line, column in code points) of a byte offset.
    pub fn pos_of_offset(&self, text: &str, offset: usize) -> (u32, u32) {
        let line = self.line_of_offset(offset);
        let start = self
            .starts
            .get(line as usize - 1)
            .copied()
            .unwrap_or_default();
        let col = text
            .get(start..offset.min(text.len()))
            .map_or(0, |s| s.chars().count());
        (line, u32::try_from(col + 1).unwrap_or(u32::MAX))
    }
}

/// Whether `bytes` holds a `\r`, looked for a block at a time (the compiler tests whole vectors;
/// a search that stops at the first match goes byte by byte).
pub fn has_cr(bytes: &[u8]) -> bool {
    const BLOCK: usize = 64;
    let mut blocks = bytes.chunks_exact(BLOCK);
    for block in &mut blocks {
        if block.iter().fold(false, |found, b| found | (*b == b'\r')) {
            return true;
        }
    }
    blocks.remainder().contains(&b'\r')
}

/// The number of `\n` bytes in `bytes`, summed a block at a time (the compiler compares and
/// adds whole vectors).
pub fn count_newlines(bytes: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let mut blocks = bytes.chunks_exact(BLOCK);
    let mut n = 0usize;
    for block in &mut blocks {
        // At most 64 per block: summed in bytes.
        n += usize::from(block.iter().map(|b| u8::from(*b == b'\n')).sum::<u8>());
    }
    n + blocks.remainder().iter().filter(|b| **b == b'\n').count()
}

/// Appends to `starts` the offset after every `\n` of `bytes`, in order. Eight bytes are tested
/// at once: a word's `\n` bytes become the top bits of a mask (exactly: no carry crosses a
/// byte), whose set bits are taken lowest first.
fn push_newlines(bytes: &[u8], starts: &mut Vec<usize>) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const NEWLINES: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut words = bytes.chunks_exact(8);
    let mut base = 0usize;
    for word in &mut words {
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break;
        };
        // A byte of `x` is zero where the text has a `\n`.
        let x = u64::from_le_bytes(word) ^ NEWLINES;
        let mut mask = !(((x & LOW7) + LOW7) | x | LOW7);
        while mask != 0 {
            starts.push(base + (mask.trailing_zeros() / 8) as usize + 1);
            mask &= mask - 1;
        }
        base += 8;
    }
    for (i, b) in words.remainder().iter().enumerate() {
        if *b == b'\n' {
            starts.push(base + i + 1);
        }
    }
}

/// Whether `hay` holds `needle`: a substring search when `hay` is UTF-8 (a file's bytes nearly
/// always are), else a scan of every window.
pub fn contains_bytes(hay: &[u8], needle: &str) -> bool {
    match std::str::from_utf8(hay) {
        Ok(text) => text.contains(needle),
        Err(_) => hay.windows(needle.len()).any(|w| w == needle.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_crlf() {
        let t = "a: 1\r\nbé: 2\r\nc";
        let idx = LineIndex::new(t);
        assert_eq!(idx.len(), 3);
        assert_eq!(idx.line(t, 2), Some("bé: 2"));
        assert_eq!(idx.line(t, 3), Some("c"));
        assert_eq!(idx.line(t, 4), None);
        assert_eq!(idx.line(t, 0), None);
        assert_eq!(idx.pos_of_offset(t, 10), (2, 4));
        let lf = "a\nb\n\nc";
        assert_eq!(LineIndex::new(lf).len(), 4);
        assert_eq!(LineIndex::new(lf).line(lf, 4), Some("c"));
        assert_eq!(LineIndex::new("").len(), 1);
        let cr = "a\rb\r\nc\n";
        assert_eq!(LineIndex::new(cr).len(), 4);
        assert_eq!(LineIndex::new(cr).line(cr, 3), Some("c"));
    }

    /// The line starts of a text without `\r`, one byte at a time.
    fn starts_by_bytes(text: &str) -> Vec<usize> {
        let mut starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        starts
    }

    #[test]
    fn line_starts_found_word_by_word_are_those_found_byte_by_byte() {
        // Every length around the word and block sizes, line breaks dense and sparse, next to
        // bytes whose difference from `\n` is one bit or a borrow (`\t`, `\x0b`, `\x8a`...).
        let alphabet = ["\n", "a", "\t", "\u{b}", "\u{8a}", "é", "\u{10a0a}", " "];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 0..200usize {
            for density in [1u64, 2, 8] {
                let mut text = String::new();
                for _ in 0..len {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let pick = if seed % density == 0 {
                        0
                    } else {
                        (seed >> 8) % 8
                    };
                    text.push_str(alphabet.get(pick as usize).copied().unwrap_or("a"));
                }
                let idx = LineIndex::new(&text);
                assert_eq!(idx.starts, starts_by_bytes(&text), "{text:?}");
                assert_eq!(idx.starts.len(), count_newlines(text.as_bytes()) + 1);
            }
        }
        for len in 0..300 {
            let mut text = "a\n".repeat(len);
            assert!(!has_cr(text.as_bytes()));
            for at in (0..text.len()).step_by(7) {
                let mut with = text.clone().into_bytes();
                if let Some(b) = with.get_mut(at) {
                    *b = b'\r';
                }
                assert!(has_cr(&with), "{len} {at}");
            }
            text.push('\r');
            assert!(has_cr(text.as_bytes()));
        }
        let all = "\n".repeat(1000);
        assert_eq!(LineIndex::new(&all).len(), 1001);
        assert_eq!(LineIndex::new(&all).line(&all, 1001), Some(""));
    }

    #[test]
    fn contains_bytes_in_utf8_and_other_bytes() {
        assert!(contains_bytes(
            b"x # clustersec:ignore",
            "clustersec:ignore"
        ));
        assert!(!contains_bytes(
            b"x # clustersec:ignor",
            "clustersec:ignore"
        ));
        assert!(contains_bytes(
            b"\xff\xfe clustersec:ignore",
            "clustersec:ignore"
        ));
        assert!(!contains_bytes(b"\xff\xfe", "clustersec:ignore"));
    }
}
