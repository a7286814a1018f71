//! The text `kubectl kustomize` prints for one object.
//!
//! Kustomize prints each object as `yaml.JSONToYAML` of its JSON (sigs.k8s.io/yaml): the JSON is
//! read back by go-yaml v2 and written by go-yaml v2's encoder, a port of libyaml's emitter. So
//! the text is a function of the object's JSON value alone: map keys sorted in go-yaml v2's
//! "natural" order, strings plain when they read back as strings and the emitter allows it, else
//! single- or double-quoted, multi-line strings as literal blocks, long lines folded at spaces
//! past column 80, sequences in a mapping not indented. This module writes that text; where the
//! rules are not certain (a string that could be a YAML 1.1 timestamp, a key longer than a
//! simple key may be, a literal block that keeps trailing newlines) it returns `None`, and the
//! build falls back to kustomize itself.

use std::cmp::Ordering;

use super::value::V;

/// go-yaml v2's line width.
const BEST_WIDTH: usize = 80;
/// go-yaml v2's indentation step.
const BEST_INDENT: usize = 2;

/// The YAML text of one object (a mapping), as kustomize prints it, ending with a newline.
pub fn document(v: &V) -> Option<String> {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
    };
    match v {
        V::Map(entries) if !entries.is_empty() => e.block_map(entries, 0)?,
        _ => return None,
    }
    e.put_break();
    Some(e.out)
}

struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn indicator(
        &mut self,
        text: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in text.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    /// A block mapping whose keys are at column `indent`.
    fn block_map(&mut self, entries: &[(String, V)], indent: usize) -> Option<()> {
        let mut sorted: Vec<&(String, V)> = entries.iter().collect();
        sorted.sort_by(|a, b| key_order(&a.0, &b.0));
        for (k, v) in sorted {
            self.write_indent(indent);
            self.key(k)?;
            self.indicator(":", false, false, false);
            self.node(v, indent, true)?;
        }
        Some(())
    }

    /// A block sequence whose `-` are at column `indent`.
    fn block_seq(&mut self, items: &[V], indent: usize) -> Option<()> {
        for item in items {
            self.write_indent(indent);
            self.indicator("-", true, false, true);
            self.node(item, indent, false)?;
        }
        Some(())
    }

    /// A value in a mapping whose keys are at `indent` (`in_map`), or an item of a sequence
    /// whose `-` are at `indent`.
    fn node(&mut self, v: &V, indent: usize, in_map: bool) -> Option<()> {
        match v {
            V::Map(entries) if entries.is_empty() => {
                self.indicator("{", true, true, false);
                self.indicator("}", false, false, false);
            }
            V::Seq(items) if items.is_empty() => {
                self.indicator("[", true, true, false);
                self.indicator("]", false, false, false);
            }
            V::Map(entries) => self.block_map(entries, indent + BEST_INDENT)?,
            // A sequence that is a mapping's value is not indented ("indentless").
            V::Seq(items) if in_map => self.block_seq(items, indent)?,
            V::Seq(items) => self.block_seq(items, indent + BEST_INDENT)?,
            V::Null => self.plain("null", indent + BEST_INDENT, true),
            V::Bool(b) => self.plain(
                if *b { "true" } else { "false" },
                indent + BEST_INDENT,
                true,
            ),
            V::Int(i) => self.plain(&i.to_string(), indent + BEST_INDENT, true),
            V::Float(f) => {
                let text = float_text(*f)?;
                self.plain(&text, indent + BEST_INDENT, true)
            }
            V::Str(s) => self.string(s, indent + BEST_INDENT, false)?,
        }
        Some(())
    }

    /// A mapping key (a simple key: no line breaks, no folding).
    fn key(&mut self, k: &str) -> Option<()> {
        // Longer keys are written as complex keys (`? key`).
        if k.len() > 128 {
            return None;
        }
        self.string(k, 0, true)
    }

    /// A string as go-yaml v2 writes it (`encoder.stringv`, then the emitter's style choice).
    fn string(&mut self, s: &str, indent: usize, simple_key: bool) -> Option<()> {
        if s.chars()
            .any(|c| matches!(c, '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'))
        {
            return None;
        }
        let wanted = if s.contains('\n') {
            Style::Literal
        } else if reads_as_string(s)? {
            Style::Plain
        } else {
            Style::Double
        };
        let a = analyze(s);
        let mut style = wanted;
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::Double;
        }
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.plain(s, indent, allow_breaks),
            Style::Single => self.single(s, indent, allow_breaks),
            Style::Double => self.double(s, indent, allow_breaks),
            Style::Literal => self.literal(s, indent)?,
        }
        Some(())
    }

    fn plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        // Without a space where a line may break, every character is put as it is.
        if !allow_breaks || !s.contains(' ') {
            self.out.push_str(s);
            self.column += s.chars().count();
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_space {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("'", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let last = chars.len().saturating_sub(1);
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i != last
                    && !next_space
                {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                spaces = false;
            }
        }
        self.indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn double(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("\"", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let last = chars.len().saturating_sub(1);
        let mut spaces = false;
        let mut i = 0;
        while let Some(&c) = chars.get(i) {
            if !printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    other => {
                        let v = other as u32;
                        let (letter, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for ch in format!("{v:0width$X}").chars() {
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i != last {
                    self.write_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
            i += 1;
        }
        self.indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn literal(&mut self, s: &str, indent: usize) -> Option<()> {
        self.indicator("|", true, false, false);
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.put(char::from(b'0' + BEST_INDENT as u8));
        }
        // `|+` (kept trailing newlines) makes the document "open ended" (a `...` may follow).
        if s.ends_with("\n\n") || s == "\n" {
            return None;
        }
        if !s.ends_with('\n') {
            self.put('-');
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in s.chars() {
            if c == '\n' {
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                    breaks = false;
                }
                self.put(c);
                self.indention = false;
            }
        }
        Some(())
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// go-yaml's `is_printable` (by UTF-8 bytes: no C1 controls, no characters past U+FFFF).
fn printable(c: char) -> bool {
    match c {
        '\n' | ' '..='~' | '\u{A0}'..='\u{D7FF}' => true,
        '\u{E000}'..='\u{FFFD}' => c != '\u{FEFF}',
        _ => false,
    }
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// libyaml's `yaml_emitter_analyze_scalar`, for block context.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    // An ASCII string's bytes are its characters: read without collecting them.
    if s.is_ascii() {
        return analyze_in(s, s.as_bytes());
    }
    let chars: Vec<char> = s.chars().collect();
    analyze_in(s, &chars)
}

/// [`analyze`] of the non-empty `s`, given as its characters (`u8` when it is ASCII).
fn analyze_in<C: Copy + Into<char>>(s: &str, chars: &[C]) -> Analysis {
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut special, mut line_breaks) =
        (false, false, false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let last = chars.len().saturating_sub(1);
    for (i, c) in chars.iter().enumerate() {
        let c: char = (*c).into();
        let followed_by_whitespace = chars.get(i + 1).is_none_or(|n| {
            let n: char = (*n).into();
            n == ' ' || n == '\t' || is_break(n)
        });
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == last {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i == last {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = c == ' ' || c == '\t' || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Whether go-yaml v2 reads `s`, written plain, back as a string (its `resolve`); `None` where
/// that is not certain here (something like a YAML 1.1 timestamp).
fn reads_as_string(s: &str) -> Option<bool> {
    use crate::model::yaml::{resolve_plain, Scalar};
    if !matches!(resolve_plain(s), Scalar::Str) || s == "<<" {
        return Some(false);
    }
    let b = s.as_bytes();
    // A timestamp: four digits and a dash (go-yaml v2's `parseTimestamp` then tries its layouts).
    if b.len() > 4 && b.iter().take(4).all(u8::is_ascii_digit) && b.get(4) == Some(&b'-') {
        return timestamp(s).map(|t| !t);
    }
    if is_base60_float(s) {
        return Some(false);
    }
    if s == "=" {
        return None;
    }
    Some(true)
}

/// Whether go-yaml v2 reads `s` (which starts with `YYYY-`) as a timestamp: Go's `time.Parse`
/// with the layouts `2006-1-2T15:4:5.999999999Z07:00` (also with `t`), `2006-1-2 15:4:5.999999999`
/// and `2006-1-2`. `None` where Go's parser has details not reproduced here.
fn timestamp(s: &str) -> Option<bool> {
    let b = s.as_bytes();
    let mut i = 5;
    // Go's getnum: one digit, or two.
    let num = |i: &mut usize| -> Option<u32> {
        let d0 = b.get(*i).filter(|c| c.is_ascii_digit())?;
        *i += 1;
        let mut n = u32::from(d0 - b'0');
        if let Some(d1) = b.get(*i).filter(|c| c.is_ascii_digit()) {
            *i += 1;
            n = n * 10 + u32::from(d1 - b'0');
        }
        Some(n)
    };
    let year: u32 = s.get(..4)?.parse().ok()?;
    let Some(month) = num(&mut i) else {
        return Some(false);
    };
    if b.get(i) != Some(&b'-') {
        return Some(false);
    }
    i += 1;
    let Some(day) = num(&mut i) else {
        return Some(false);
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Some(false),
    };
    if day < 1 || day > days {
        return Some(false);
    }
    let zone = match b.get(i) {
        None => return Some(true),
        Some(b'T' | b't') => true,
        Some(b' ') => false,
        Some(_) => return Some(false),
    };
    i += 1;
    let mut clock = [0u32; 3];
    for (n, slot) in clock.iter_mut().enumerate() {
        if n > 0 {
            if b.get(i) != Some(&b':') {
                return Some(false);
            }
            i += 1;
        }
        let Some(v) = num(&mut i) else {
            return Some(false);
        };
        *slot = v;
    }
    if clock[0] >= 24 || clock[1] >= 60 || clock[2] >= 60 {
        return Some(false);
    }
    match b.get(i) {
        Some(b',') => return None,
        Some(b'.') if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => {}
    }
    if !zone {
        return Some(i == b.len());
    }
    match b.get(i) {
        Some(b'Z') => Some(i + 1 == b.len()),
        Some(b'+' | b'-') => {
            let tz = b.get(i + 1..)?;
            match tz {
                [h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) => {
                    let h = u32::from(h1 - b'0') * 10 + u32::from(h2 - b'0');
                    let m = u32::from(m1 - b'0') * 10 + u32::from(m2 - b'0');
                    (h <= 24 && m <= 60).then_some(true)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// go-yaml v2's `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i = 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) && i - start < 2 {
            i += 1;
        }
        let digits = b.get(start..i).unwrap_or_default();
        let ok = match digits {
            [d] => d.is_ascii_digit(),
            [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// A JSON number that is not an integer, through encoding/json, go-yaml v2's decoder and its
/// encoder (`strconv.FormatFloat(f, 'g', -1, 64)`).
pub fn float_text(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    if f.fract() == 0.0 {
        // encoding/json writes it without a fraction: go-yaml reads an int.
        return (f.abs() < 1e15).then(|| format!("{}", f as i64));
    }
    // Shortest digits and exponent: `d.ddde±x`.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let point = usize::try_from(exp).ok()? + 1;
        if digits.len() <= point {
            out.push_str(&digits);
            for _ in digits.len()..point {
                out.push('0');
            }
        } else {
            let (int, frac) = digits.split_at(point);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        }
    }
    Some(out)
}

/// go-yaml v2's map key order (`keyList.Less` for two strings): letters by code point, a
/// non-letter before a letter, runs of digits by their value.
pub fn key_order(a: &str, b: &str) -> Ordering {
    if key_less(a, b) {
        Ordering::Less
    } else if key_less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

fn key_less(a: &str, b: &str) -> bool {
    // Keys are nearly always ASCII: their bytes are their characters (same code points, same
    // letter and digit classes), read without collecting them.
    if a.is_ascii() && b.is_ascii() {
        return key_less_in(a.as_bytes(), b.as_bytes());
    }
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    key_less_in(&ar, &br)
}

/// [`key_less`] over the characters of two keys (`u8` for ASCII keys, else `char`).
fn key_less_in<C: Copy + Into<char>>(ar: &[C], br: &[C]) -> bool {
    for (i, (ac, bc)) in ar.iter().zip(br).enumerate() {
        let (ac, bc): (char, char) = ((*ac).into(), (*bc).into());
        if ac == bc {
            continue;
        }
        let al = ac.is_alphabetic();
        let bl = bc.is_alphabetic();
        if al && bl {
            return ac < bc;
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ac == '0' || bc == '0' {
            for c in ar.get(..i).unwrap_or_default().iter().rev() {
                let c: char = (*c).into();
                if !c.is_ascii_digit() {
                    break;
                }
                if c != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while let Some(d) = ar.get(ai).and_then(|c| go_digit((*c).into())) {
            an = an.wrapping_mul(10).wrapping_add(d);
            ai += 1;
        }
        let mut bi = i;
        while let Some(d) = br.get(bi).and_then(|c| go_digit((*c).into())) {
            bn = bn.wrapping_mul(10).wrapping_add(d);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ac < bc;
    }
    ar.len() < br.len()
}

/// A digit as go-yaml's sorter counts it (`unicode.IsDigit`, value `r - '0'`): ASCII only here;
/// other decimal digits are rare in keys and make the order uncertain, so they count as
/// non-digits (the build refuses such keys, see `value`).
fn go_digit(c: char) -> Option<i64> {
    c.is_ascii_digit().then(|| i64::from(c as u8 - b'0'))
}

#[cfg(test)]
mod key_order_tests {
    use super::*;

    #[test]
    fn ascii_scalars_read_as_bytes_are_analyzed_as_characters() {
        let texts = [
            "a",
            " a",
            "a ",
            "a\n",
            "\na",
            "a \nb",
            "a\n b",
            "---",
            "...",
            "- a",
            "-a",
            "? x",
            ":",
            "a: b",
            "a:b",
            "a #b",
            "a#b",
            "#a",
            "\t",
            "a\tb",
            "\u{7f}",
            "\r",
            "x\ry",
            "&a",
            "*",
            "!t",
            "|",
            ">",
            "'",
            "\"",
            "%",
            "@",
            "`",
            ",",
            "[",
            "]",
            "{",
            "}",
            "a,b",
            "http://x",
            "0",
            "-",
            "--",
            "a  b",
            "line one\nline two\n",
            "é",
            "\u{1}",
        ];
        for t in texts {
            let chars: Vec<char> = t.chars().collect();
            let (a, b) = (analyze(t), analyze_in(t, &chars));
            assert_eq!(
                (
                    a.multiline,
                    a.block_plain_allowed,
                    a.single_quoted_allowed,
                    a.block_allowed
                ),
                (
                    b.multiline,
                    b.block_plain_allowed,
                    b.single_quoted_allowed,
                    b.block_allowed
                ),
                "{t:?}"
            );
        }
    }

    #[test]
    fn ascii_keys_read_as_bytes_sort_as_characters() {
        let keys = [
            "",
            "a",
            "b",
            "A",
            "Z",
            "_",
            "-",
            ".",
            "/",
            "0",
            "00",
            "007",
            "1",
            "01",
            "10",
            "9",
            "a1",
            "a01",
            "a10",
            "a2",
            "a0",
            "a00",
            "a1b",
            "a01b",
            "ab",
            "aB",
            "a-b",
            "a_b",
            "x9y",
            "x10y",
            "x09y",
            "1a",
            "10a",
            "spec",
            "specs",
            "apiVersion",
            "kind",
            "metadata",
            "z0",
            "z00",
            "z000",
            "0z",
            "00z",
            "9223372036854775807",
            "99999999999999999999",
            "a.b",
            "a/b",
            "~",
            "é",
        ];
        for a in keys {
            for b in keys {
                let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                assert_eq!(key_less(a, b), key_less_in(&ac, &bc), "{a:?} < {b:?}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> V {
        V::Str(x.to_string())
    }

    fn doc(entries: Vec<(&str, V)>) -> String {
        document(&V::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ))
        .unwrap()
    }

    #[test]
    fn keys_sort_naturally() {
        let mut keys = vec!["a10", "a9", "A", "_x", "1x", "a", "b"];
        keys.sort_by(|a, b| key_order(a, b));
        assert_eq!(keys, ["_x", "1x", "A", "a", "a9", "a10", "b"]);
    }

    #[test]
    fn strings_are_quoted_as_go_yaml_v2_does() {
        let text = doc(vec![
            ("a", s("x: y")),
            ("b", s(" lead")),
            ("c", s("12")),
            ("e", s("1:20")),
            ("g", s("*")),
            ("h", s("tab\there")),
            ("i", s("")),
            ("k", s("multi\nline\n")),
            ("l", s("multi\nline")),
            ("m", s("trail \nx")),
            ("n", s("- x")),
            ("p", s("a #b")),
            ("q", s("null")),
            ("t", s("-")),
            ("u", s("é ü")),
            ("v", s("it's")),
            ("w", s("  lead\nx")),
            ("x", s(".5")),
            ("y", s("~")),
            ("z", s("=x")),
        ]);
        assert_eq!(
            text,
            "a: 'x: y'\nb: ' lead'\nc: \"12\"\ne: \"1:20\"\ng: '*'\nh: \"tab\\there\"\ni: \"\"\nk: |\n  multi\n  line\nl: |-\n  multi\n  line\nm: \"trail \\nx\"\n\"n\": '- x'\np: 'a #b'\nq: \"null\"\nt: '-'\nu: é ü\nv: it's\nw: |2-\n    lead\n  x\nx: \".5\"\n\"y\": \"~\"\nz: =x\n"
        );
    }

    #[test]
    fn long_strings_fold_past_column_80() {
        let text = doc(vec![(
            "f",
            s("this is a very long string that should be wrapped by the go yaml emitter because it is longer than eighty characters"),
        )]);
        assert_eq!(
            text,
            "f: this is a very long string that should be wrapped by the go yaml emitter because\n  it is longer than eighty characters\n"
        );
    }

    #[test]
    fn numbers_and_nesting() {
        let text = doc(vec![
            ("e", V::Seq(vec![])),
            ("m", V::Map(vec![])),
            ("f1", V::Float(0.5)),
            ("f2", V::Float(1.0)),
            ("f3", V::Float(1234567.5)),
            ("i", V::Int(-3)),
            ("n", V::Null),
            (
                "s",
                V::Seq(vec![
                    V::Seq(vec![s("a"), s("b")]),
                    V::Seq(vec![s("c")]),
                    V::Map(vec![
                        ("k".into(), V::Bool(true)),
                        ("j".into(), V::Map(vec![])),
                    ]),
                ]),
            ),
        ]);
        assert_eq!(
            text,
            "e: []\nf1: 0.5\nf2: 1\nf3: 1.2345675e+06\ni: -3\nm: {}\n\"n\": null\ns:\n- - a\n  - b\n- - c\n- j: {}\n  k: true\n"
        );
        assert_eq!(float_text(0.0001).as_deref(), Some("0.0001"));
        assert_eq!(float_text(0.00001).as_deref(), Some("1e-05"));
        assert_eq!(float_text(-2.5).as_deref(), Some("-2.5"));
        assert_eq!(float_text(123456.5).as_deref(), Some("123456.5"));
    }

    #[test]
    fn timestamps_are_quoted() {
        assert_eq!(timestamp("2001-12-14"), Some(true));
        assert_eq!(timestamp("2019-03-20T17:54:53Z"), Some(true));
        assert_eq!(timestamp("2019-3-20t7:4:5.123+01:00"), Some(true));
        assert_eq!(timestamp("2019-03-20 17:54:53"), Some(true));
        assert_eq!(timestamp("2019-02-30"), Some(false));
        assert_eq!(timestamp("2019-03-20T17:54:53"), None);
        assert_eq!(timestamp("2019-03-20x"), Some(false));
        let text = doc(vec![
            ("a", s("2019-03-20T17:54:53Z")),
            ("b", s("2019-13-01")),
        ]);
        assert_eq!(text, "a: \"2019-03-20T17:54:53Z\"\nb: 2019-13-01\n");
    }

    #[test]
    fn uncertain_cases_are_refused() {
        assert!(document(&V::Map(vec![("d".into(), s("2001-12-14T1:2:3,5Z"))])).is_none());
        assert!(document(&V::Map(vec![("d".into(), s("a\n\n"))])).is_none());
        assert!(document(&V::Map(vec![("x".repeat(129), s("a"))])).is_none());
    }
}
