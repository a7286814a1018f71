//! Scalar resolution as go-yaml v2 (and so Kubernetes) does it.

use std::borrow::Cow;

use saphyr_parser::{ScalarStyle, Tag};

/// The resolved value of a scalar, the way Kubernetes' YAML decoder sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

/// Resolves a plain scalar as go-yaml v2 (and so Kubernetes) does.
pub fn resolve_plain(text: &str) -> Scalar {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Scalar::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Scalar::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes().first().copied().unwrap_or(b' ');
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Scalar::Str;
    }
    if first == b'.' {
        // go-yaml tries `strconv.ParseFloat` on the text as written (no `_` removal).
        return match text.parse::<f64>() {
            Ok(f) if is_float_syntax(text) => Scalar::Float(f),
            _ => Scalar::Str,
        };
    }
    let plain: Cow<'_, str> = if text.contains('_') {
        Cow::Owned(text.chars().filter(|&c| c != '_').collect())
    } else {
        Cow::Borrowed(text)
    };
    if let Some(i) = parse_go_int(&plain) {
        return Scalar::Int(i);
    }
    if is_float_syntax(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Scalar::Float(f);
        }
    }
    Scalar::Str
}

/// `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`, `0o`, `0b`, a leading `0` (octal) or
/// decimal digits.
pub(super) fn parse_go_int(s: &str) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let (neg, digits) = if let Some(rest) = s.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = s.strip_prefix('+') {
        (false, rest)
    } else {
        (false, s)
    };
    let (radix, body) = if let Some(r) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, r)
    } else if let Some(r) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, r)
    } else if let Some(r) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, r)
    } else if let Some(r) = digits.strip_prefix('0').filter(|r| !r.is_empty()) {
        (8, r)
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(body, radix).ok()?;
    let value = if neg { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

pub(super) fn is_float_syntax(s: &str) -> bool {
    // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    fn digits(b: &[u8]) -> usize {
        b.iter().take_while(|c| c.is_ascii_digit()).count()
    }
    let b = s.as_bytes();
    let b = b
        .strip_prefix(b"-")
        .or_else(|| b.strip_prefix(b"+"))
        .unwrap_or(b);
    let int_digits = digits(b);
    let mut rest = b.get(int_digits..).unwrap_or_default();
    let mut frac_digits = 0;
    if let Some(r) = rest.strip_prefix(b".") {
        frac_digits = digits(r);
        rest = r.get(frac_digits..).unwrap_or_default();
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if let Some(r) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let r = r
            .strip_prefix(b"-")
            .or_else(|| r.strip_prefix(b"+"))
            .unwrap_or(r);
        let exp_digits = digits(r);
        if exp_digits == 0 {
            return false;
        }
        rest = r.get(exp_digits..).unwrap_or_default();
    }
    rest.is_empty()
}

/// The long form of the YAML core tags (`!!int` is `tag:yaml.org,2002:int`).
pub(super) const CORE: &str = "tag:yaml.org,2002:";

/// A scalar as go-yaml v2 decodes it into an `interface{}` (what sigs.k8s.io/yaml, and so
/// Kubernetes, does), from its text, style and tag.
#[derive(Debug, PartialEq)]
pub(super) struct Resolved {
    pub(super) value: Scalar,
    /// The text Kubernetes reads when it is not the scalar's own (a decoded `!!binary`).
    pub(super) text: Option<String>,
    /// A `<<` key that merges: plain and untagged (or tagged `!`), or tagged `!!merge`.
    pub(super) merge_key: bool,
    /// go-yaml refuses the document: a tagged value that cannot have its tag's type.
    pub(super) error: Option<String>,
}

/// go-yaml v2's rules, in its order:
/// - a `!!null` tag makes any node null; so does an untagged `null` or `~`, quoted or not, and
///   an empty plain scalar;
/// - an untagged quoted scalar is a string;
/// - `!!binary` is base64, decoded to a string (invalid base64 is an error);
/// - any tag other than the core `!!str`, `!!bool`, `!!int`, `!!float`, `!!null` and
///   `!!timestamp` (a local `!foo`, the non-specific `!`, `!!map`, `!!merge`...) leaves the text
///   a string;
/// - otherwise the text is resolved as a plain scalar and must give the tag's type (`!!float`
///   also takes an integer; `!!timestamp` is kept as its text), else the document is an error.
pub(super) fn resolve(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Resolved {
    let tag: Cow<'_, str> = match tag {
        None => Cow::Borrowed(""),
        Some(t) if t.handle.is_empty() => Cow::Borrowed(t.suffix.as_str()),
        Some(t) => Cow::Owned(format!("{}{}", t.handle, t.suffix)),
    };
    let tag = tag.as_ref();
    let implicit = (tag.is_empty() && style == ScalarStyle::Plain) || tag == "!";
    let mut out = Resolved {
        value: Scalar::Str,
        text: None,
        merge_key: text == "<<" && (implicit || tag == "tag:yaml.org,2002:merge"),
        error: None,
    };
    let short = tag.strip_prefix(CORE);
    if short == Some("null")
        || (tag.is_empty() && (text == "null" || text == "~" || (text.is_empty() && implicit)))
    {
        out.value = Scalar::Null;
        return out;
    }
    if tag.is_empty() && !implicit {
        return out;
    }
    if short == Some("binary") {
        match decode_base64(text) {
            Some(bytes) => out.text = Some(String::from_utf8_lossy(&bytes).into_owned()),
            None => out.error = Some("!!binary value contains invalid base64 data".to_string()),
        }
        return out;
    }
    let want = match short {
        _ if tag.is_empty() => None,
        Some(t @ ("str" | "bool" | "int" | "float" | "timestamp")) => Some(t),
        _ => return out,
    };
    if want == Some("str") {
        return out;
    }
    let timestamp = matches!(want, None | Some("timestamp")) && is_timestamp(text);
    let (got, value) = if timestamp {
        ("timestamp", Scalar::Str)
    } else {
        let v = resolve_plain(text);
        let name = match v {
            Scalar::Null => "null",
            Scalar::Bool(_) => "bool",
            Scalar::Int(_) => "int",
            Scalar::Float(_) => "float",
            Scalar::Str => "str",
        };
        (name, v)
    };
    out.value = match (want, got, value) {
        (None, _, v) => v,
        (Some(w), g, v) if w == g => v,
        #[allow(clippy::cast_precision_loss)]
        (Some("float"), "int", Scalar::Int(i)) => Scalar::Float(i as f64),
        (Some(w), g, _) => {
            out.error = Some(format!("cannot decode !!{g} `{text}` as a !!{w}"));
            Scalar::Str
        }
    };
    out
}

/// go-yaml v2's `parseTimestamp`: `YYYY-` then one of the formats it accepts (RFC 3339 with
/// short date fields, `T` or `t`, a space-separated date and time without zone, a date only).
pub(super) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits != 4 || b.get(4) != Some(&b'-') {
        return false;
    }
    // Date: Y-M-D with one or two digit month and day.
    let mut i = 5;
    let num = |i: &mut usize, max: usize| -> Option<u32> {
        let st = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) && *i - st < max {
            *i += 1;
        }
        if *i == st {
            return None;
        }
        s.get(st..*i)?.parse().ok()
    };
    let Some(month) = num(&mut i, 2) else {
        return false;
    };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = num(&mut i, 2) else {
        return false;
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let sep = b.get(i).copied().unwrap_or(0);
    if !matches!(sep, b'T' | b't' | b' ') {
        return false;
    }
    i += 1;
    let (Some(h), true, Some(m), true, Some(sec)) = (
        num(&mut i, 2),
        b.get(i) == Some(&b':') && {
            i += 1;
            true
        },
        num(&mut i, 2),
        b.get(i) == Some(&b':') && {
            i += 1;
            true
        },
        num(&mut i, 2),
    ) else {
        return false;
    };
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let st = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == st || i - st > 9 {
            return false;
        }
    }
    let rest = b.get(i..).unwrap_or_default();
    if sep == b' ' {
        return rest.is_empty();
    }
    // Z07:00: `Z` or a numeric offset.
    match rest {
        [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// Go's `base64.StdEncoding.DecodeString`: the standard alphabet with `=` padding; `\r` and
/// `\n` are ignored.
pub(super) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let clean: Vec<u8> = s.bytes().filter(|&c| c != b'\r' && c != b'\n').collect();
    if clean.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let quads = clean.len() / 4;
    for (q, chunk) in clean.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && q + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in chunk.get(..4 - pad)? {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = n.to_be_bytes();
        out.extend_from_slice(bytes.get(1..4 - pad)?);
    }
    Some(out)
}
