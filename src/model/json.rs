//! JSON input read the way Kubernetes reads it, into the same spanned tree as YAML.
//!
//! kubectl reads manifest files with apimachinery's `yaml.NewYAMLOrJSONDecoder`: when the first
//! character that is not white space is `{`, the file is a stream of JSON values decoded one
//! after another by `encoding/json` (`{...}{...}` or one object per line), each one an object of
//! its own. Strings follow `encoding/json`: `\uD83D\uDE00` surrogate pairs are joined, and a lone
//! surrogate becomes U+FFFD. Numbers are integers when written as integers and in range,
//! otherwise floats. With duplicate keys the last one wins (and is reported, as in YAML).
//!
//! Positions are 1-based lines (`\n`, `\r\n`, `\r`) and columns in code points, like YAML's; the
//! parser is a single pass over the bytes, so a large minified file costs linear time.

use super::yaml::{
    check_duplicates, parse_stream, parse_stream_with, Diagnostic, Document, Entry, Kind, Node,
};
use super::yaml::{Pos, Scalar, Span, Stream, MAX_DEPTH};

/// Whether kubectl's decoder reads `text` as JSON: it starts, after white space, with `{`.
pub fn is_json(text: &str) -> bool {
    text.trim_start_matches(char::is_whitespace)
        .starts_with('{')
}

/// Reads a manifest file the way kubectl does: a JSON stream when it starts with `{`, else a
/// YAML stream. A file that starts with `{` but is not valid JSON (YAML flow style, trailing
/// commas) is read as YAML when that succeeds, so that nothing valid to the API server's YAML
/// decoder goes unscanned; otherwise the JSON error is reported.
pub fn parse_input(text: &str) -> Stream {
    parse_input_with(text, false)
}

/// [`parse_input`], with `lean` as in [`super::yaml::parse_stream_with`] (the YAML side only: a
/// JSON document is read in full).
pub fn parse_input_with(text: &str, lean: bool) -> Stream {
    if !is_json(text) {
        return parse_stream_with(text, lean);
    }
    let json = parse_json_stream(text);
    let failed = json
        .diagnostics
        .iter()
        .any(|d| matches!(d, Diagnostic::Syntax { .. }));
    if failed {
        let yaml = parse_stream(text);
        let yaml_failed = yaml
            .diagnostics
            .iter()
            .any(|d| matches!(d, Diagnostic::Syntax { .. }));
        if !yaml_failed {
            return yaml;
        }
    }
    json
}

/// Parses a stream of JSON values; each value is one document. A syntax error ends the stream
/// (`encoding/json`'s decoder cannot resume either).
pub fn parse_json_stream(text: &str) -> Stream {
    let mut p = Parser {
        b: text.as_bytes(),
        text,
        i: 0,
        line: 1,
        col: 1,
        diagnostics: Vec::new(),
    };
    let mut stream = Stream::default();
    loop {
        p.skip_ws();
        if p.i >= p.b.len() {
            break;
        }
        let start = p.pos();
        let index = stream.documents.len();
        match p.value(0) {
            Ok(root) => stream.documents.push(Document {
                index,
                start,
                root: Some(root),
            }),
            Err(d) => {
                stream.documents.push(Document {
                    index,
                    start,
                    root: None,
                });
                p.diagnostics.push(d);
                break;
            }
        }
    }
    stream.diagnostics = p.diagnostics;
    stream
}

struct Parser<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
    line: u32,
    /// Column of the character at `i`.
    col: u32,
    diagnostics: Vec<Diagnostic>,
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

impl Parser<'_> {
    fn pos(&self) -> Pos {
        Pos::new(self.line, self.col)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Consumes one byte, keeping line and column (code points) current.
    fn bump(&mut self) {
        let Some(c) = self.peek() else { return };
        self.i += 1;
        match c {
            b'\n' => {
                self.line = self.line.saturating_add(1);
                self.col = 1;
            }
            b'\r' if self.peek() != Some(b'\n') => {
                self.line = self.line.saturating_add(1);
                self.col = 1;
            }
            // UTF-8 continuation bytes belong to the character already counted.
            _ if c & 0xC0 == 0x80 => {}
            _ => self.col = self.col.saturating_add(1),
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    /// The character at the cursor, for messages.
    fn current_char(&self) -> Option<char> {
        self.text.get(self.i..).and_then(|s| s.chars().next())
    }

    fn error(&self, context: &str) -> Diagnostic {
        let message = match self.current_char() {
            None => "unexpected end of JSON input".to_string(),
            Some(c) => format!("invalid character {} {context}", quote_char(c)),
        };
        Diagnostic::Syntax {
            pos: self.pos(),
            message,
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, Diagnostic> {
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let start = self.pos();
                let text = self.string()?;
                Ok(scalar(start, self.pos(), text, true, Scalar::Str))
            }
            Some(b't') => self.literal("true", Scalar::Bool(true)),
            Some(b'f') => self.literal("false", Scalar::Bool(false)),
            Some(b'n') => self.literal("null", Scalar::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("looking for beginning of value")),
        }
    }

    fn too_deep(&self, depth: usize) -> Result<(), Diagnostic> {
        if depth >= MAX_DEPTH {
            return Err(Diagnostic::TooDeep {
                span: Span::point(self.pos()),
            });
        }
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Result<Node, Diagnostic> {
        self.too_deep(depth)?;
        let start = self.pos();
        self.bump();
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.bump();
            return Ok(Node {
                span: Span::new(start, self.pos()),
                kind: Kind::Map(entries),
            });
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.error("looking for beginning of object key string"));
            }
            let key_start = self.pos();
            let key_text = self.string()?;
            let key = scalar(key_start, self.pos(), key_text, true, Scalar::Str);
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("after object key"));
            }
            self.bump();
            self.skip_ws();
            let value = self.value(depth + 1)?;
            entries.push(Entry {
                key,
                value,
                merge: false,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                    self.skip_ws();
                }
                Some(b'}') => {
                    self.bump();
                    break;
                }
                _ => return Err(self.error("after object key:value pair")),
            }
        }
        check_duplicates(&entries, &mut self.diagnostics);
        Ok(Node {
            span: Span::new(start, self.pos()),
            kind: Kind::Map(entries),
        })
    }

    fn array(&mut self, depth: usize) -> Result<Node, Diagnostic> {
        self.too_deep(depth)?;
        let start = self.pos();
        self.bump();
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.bump();
            return Ok(Node {
                span: Span::new(start, self.pos()),
                kind: Kind::Seq(items),
            });
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                    self.skip_ws();
                }
                Some(b']') => {
                    self.bump();
                    break;
                }
                _ => return Err(self.error("after array element")),
            }
        }
        Ok(Node {
            span: Span::new(start, self.pos()),
            kind: Kind::Seq(items),
        })
    }

    fn literal(&mut self, word: &str, value: Scalar) -> Result<Node, Diagnostic> {
        let start = self.pos();
        for (n, expected) in word.bytes().enumerate() {
            if self.peek() != Some(expected) {
                let context = format!("in literal {word} (expecting '{}')", expected as char);
                return Err(if n == 0 {
                    self.error("looking for beginning of value")
                } else {
                    self.error(&context)
                });
            }
            self.bump();
        }
        Ok(scalar(start, self.pos(), word.to_string(), false, value))
    }

    fn number(&mut self) -> Result<Node, Diagnostic> {
        let start = self.pos();
        let from = self.i;
        let digits = |p: &mut Self| {
            let n = p.i;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.bump();
            }
            p.i - n
        };
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek() {
            Some(b'0') => self.bump(),
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("in numeric literal")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.bump();
            if digits(self) == 0 {
                return Err(self.error("after decimal point in numeric literal"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            if digits(self) == 0 {
                return Err(self.error("in exponent of numeric literal"));
            }
        }
        let text = self.text.get(from..self.i).unwrap_or("");
        let value = match integer.then(|| text.parse::<i64>().ok()).flatten() {
            Some(i) => Scalar::Int(i),
            None => Scalar::Float(text.parse::<f64>().unwrap_or(f64::INFINITY)),
        };
        Ok(scalar(start, self.pos(), text.to_string(), false, value))
    }

    /// Four hex digits at the cursor (after `\u`), consumed.
    fn hex4(&mut self) -> Result<u32, Diagnostic> {
        let mut v = 0u32;
        for _ in 0..4 {
            match self.peek() {
                Some(c) if is_hex(c) => {
                    v = v * 16 + char::from(c).to_digit(16).unwrap_or(0);
                    self.bump();
                }
                _ => return Err(self.error("in \\u hexadecimal character escape")),
            }
        }
        Ok(v)
    }

    /// A string at the cursor (on its `"`), unescaped like `encoding/json`.
    fn string(&mut self) -> Result<String, Diagnostic> {
        self.bump();
        let mut out = String::new();
        loop {
            // Copy a run of plain characters at once.
            let run = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.bump();
            }
            out.push_str(self.text.get(run..self.i).unwrap_or(""));
            match self.peek() {
                None => return Err(self.error("")),
                Some(b'"') => {
                    self.bump();
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.bump();
                    let Some(e) = self.peek() else {
                        return Err(self.error(""));
                    };
                    let simple = match e {
                        b'"' => Some('"'),
                        b'\\' => Some('\\'),
                        b'/' => Some('/'),
                        b'b' => Some('\u{8}'),
                        b'f' => Some('\u{c}'),
                        b'n' => Some('\n'),
                        b'r' => Some('\r'),
                        b't' => Some('\t'),
                        _ => None,
                    };
                    if let Some(c) = simple {
                        self.bump();
                        out.push(c);
                        continue;
                    }
                    if e != b'u' {
                        return Err(self.error("in string escape code"));
                    }
                    self.bump();
                    let first = self.hex4()?;
                    out.push(self.surrogate(first)?);
                }
                Some(_) => return Err(self.error("in string literal")),
            }
        }
    }

    /// The character of a `\u` escape: a high surrogate joins a following `\u` low surrogate;
    /// any other surrogate is U+FFFD (and a following escape is read on its own).
    fn surrogate(&mut self, first: u32) -> Result<char, Diagnostic> {
        if !(0xD800..0xE000).contains(&first) {
            return Ok(char::from_u32(first).unwrap_or('\u{FFFD}'));
        }
        let pair_follows = (0xD800..0xDC00).contains(&first)
            && self.b.get(self.i) == Some(&b'\\')
            && self.b.get(self.i + 1) == Some(&b'u')
            && self
                .b
                .get(self.i + 2..self.i + 6)
                .is_some_and(|h| h.iter().all(|&c| is_hex(c)));
        if pair_follows {
            let low = self
                .text
                .get(self.i + 2..self.i + 6)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .unwrap_or(0);
            if (0xDC00..0xE000).contains(&low) {
                for _ in 0..6 {
                    self.bump();
                }
                let c = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
        }
        Ok('\u{FFFD}')
    }
}

fn scalar(start: Pos, end: Pos, text: String, quoted: bool, value: Scalar) -> Node {
    Node {
        span: Span::new(start, end),
        kind: Kind::Scalar {
            text,
            quoted,
            value,
        },
    }
}

/// A character in a message, quoted the way Go's `encoding/json` does.
fn quote_char(c: char) -> String {
    match c {
        '\'' => "'\\''".to_string(),
        '"' => "'\"'".to_string(),
        c if c.is_control() => format!("{c:?}"),
        c => format!("'{c}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str, i: usize) -> Node {
        parse_input(text).documents.remove(i).root.unwrap()
    }

    #[test]
    fn objects_arrays_scalars_with_spans() {
        let r = doc("{\"a\": 1, \"bé\": [true, null, -2.5e1], \"c\": \"x\"}", 0);
        let a = r.get_entry("a").unwrap();
        assert_eq!(a.key.span, Span::new(Pos::new(1, 2), Pos::new(1, 5)));
        assert_eq!(a.value.as_i64(), Some(1));
        let b = r.get("bé").unwrap();
        assert_eq!(b.span, Span::new(Pos::new(1, 16), Pos::new(1, 36)));
        let items = b.as_seq().unwrap();
        assert_eq!(items[0].as_bool(), Some(true));
        assert!(items[1].is_null());
        assert_eq!(items[2].scalar(), Some(&Scalar::Float(-25.0)));
        assert_eq!(r.get("c").unwrap().as_str(), Some("x"));
        assert_eq!(r.span, Span::new(Pos::new(1, 1), Pos::new(1, 47)));
    }

    #[test]
    fn surrogates_like_encoding_json() {
        let r = doc(
            r#"{"a": "\ud83d\ude00", "b": "\ud83dx", "c": "\ude00\u0041", "d": "\ud83d\ud83d\ude00"}"#,
            0,
        );
        assert_eq!(r.get("a").unwrap().as_str(), Some("\u{1F600}"));
        assert_eq!(r.get("b").unwrap().as_str(), Some("\u{FFFD}x"));
        assert_eq!(r.get("c").unwrap().as_str(), Some("\u{FFFD}A"));
        assert_eq!(r.get("d").unwrap().as_str(), Some("\u{FFFD}\u{1F600}"));
        // Escaped keys are keys.
        let r = doc(r#"{"privil\u0065ged": true}"#, 0);
        assert_eq!(r.get("privileged").unwrap().as_bool(), Some(true));
    }

    #[test]
    fn a_stream_of_values_is_a_stream_of_documents() {
        for text in [
            "{\"a\":1}{\"a\":2}",
            "{\"a\":1}\n{\"a\":2}\n",
            "  {\"a\":1} \r\n\t{\"a\":2}",
        ] {
            let s = parse_input(text);
            assert!(s.diagnostics.is_empty(), "{text:?}: {:?}", s.diagnostics);
            assert_eq!(s.documents.len(), 2);
            assert_eq!(s.documents[1].index, 1);
            let a = s.documents[1].root.as_ref().unwrap().get("a").unwrap();
            assert_eq!(a.as_i64(), Some(2));
        }
        let s = parse_input("{\"a\":1}\n{\"a\":2}");
        assert_eq!(s.documents[1].start, Pos::new(2, 1));
    }

    #[test]
    fn duplicates_last_wins_and_numbers() {
        let s = parse_input(r#"{"a": false, "a": true, "n": 9223372036854775808, "m": 10}"#);
        let r = s.documents[0].root.as_ref().unwrap();
        assert_eq!(r.get("a").unwrap().as_bool(), Some(true));
        assert!(matches!(&s.diagnostics[0], Diagnostic::DuplicateKey { key, .. } if key == "a"));
        assert!(matches!(
            r.get("n").unwrap().scalar(),
            Some(Scalar::Float(_))
        ));
        assert_eq!(r.get("m").unwrap().as_i64(), Some(10));
    }

    #[test]
    fn errors_are_positioned_and_yaml_flow_style_still_reads() {
        let s = parse_json_stream("{\"a\": 1,\n \"b\": tru}");
        assert_eq!(
            s.diagnostics,
            vec![Diagnostic::Syntax {
                pos: Pos::new(2, 10),
                message: "invalid character '}' in literal true (expecting 'e')".to_string()
            }]
        );
        assert_eq!(s.documents.len(), 1);
        // Broken for both JSON and YAML: the JSON error.
        let s = parse_input("{\"a\": 1,\n \"b\": [}");
        assert!(
            matches!(&s.diagnostics[0], Diagnostic::Syntax { message, .. } if message.contains("looking for beginning of value")),
            "{:?}",
            s.diagnostics
        );
        // Not JSON, but YAML the API server reads.
        let s = parse_input("{a: 1, b: [x, y],}");
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        assert_eq!(
            s.documents[0]
                .root
                .as_ref()
                .unwrap()
                .get("a")
                .unwrap()
                .as_i64(),
            Some(1)
        );
        // Deep nesting is bounded.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let s = parse_json_stream(&format!("{{\"a\": {deep}}}"));
        assert!(matches!(s.diagnostics[0], Diagnostic::TooDeep { .. }));
        assert!(is_json("\u{2028} \n{"));
        assert!(!is_json("a: {}"));
    }
}
