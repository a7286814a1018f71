//! A per-file line index: from 1-based (line, column in code points) to byte offsets and text.

/// Byte offsets of the start of every line of a file.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        if !text.contains('\r') {
            // Only `\n` breaks lines: the searcher skips through the text word by word.
            starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
            return LineIndex { starts };
        }
        let bytes = text.as_bytes();
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
