//! A YAML tree in which every key and value keeps its span, built from saphyr-parser's events.
//!
//! Kubernetes decodes YAML the way go-yaml v2 does (YAML 1.1 scalars), so plain scalars are
//! resolved here the same way: `yes`/`on`/`y` are booleans, `0644` is octal, `1_000` is an int.
//! Duplicate keys are kept in the tree (lookups return the last one, as Kubernetes does) and
//! reported as diagnostics. `<<` merge keys are honoured at lookup time in go-yaml v2's order:
//! entries apply top to bottom, a `<<` at its own position (so a key before a `<<` is overridden
//! by the merged value, a key after it overrides it), and within `<<: [a, b]` the earlier source
//! wins.
//! Aliases are expanded by copying the anchored node, within a node budget, and nesting depth is
//! bounded, so hostile input costs bounded time and memory.

/// Deepest nesting of collections accepted in one document.
pub const MAX_DEPTH: usize = 256;
/// Nodes that alias expansion may copy per file, on top of a share proportional to the input.
pub const ALIAS_BUDGET_BASE: usize = 100_000;

mod builder;
mod fast;
#[cfg(test)]
mod fast_review_tests;
#[cfg(test)]
mod fast_tests;
#[cfg(test)]
mod go_yaml_v2_tests;
mod lean;
#[cfg(test)]
mod lean_tests;
mod node;
mod recovery;
mod repair;
#[cfg(test)]
mod repair_tests;
mod scalar;
mod span;
#[cfg(test)]
mod tests;

use self::recovery::parse_with_shifts;
use self::repair::{repair, MAX_REPAIRS};
use self::span::{normalize_breaks, Shifts};

pub(crate) use builder::check_duplicates;
pub use node::{scalar_text, Entry, Kind, Node};
pub use scalar::{resolve_plain, Scalar};
pub use span::{Pos, Span};

/// A problem found while reading the YAML itself.
#[derive(Clone, Debug, PartialEq)]
pub enum Diagnostic {
    /// The parser stopped: a syntax error, or text that is not YAML.
    Syntax { pos: Pos, message: String },
    /// A key that appears twice in one mapping.
    DuplicateKey {
        key: String,
        first: Span,
        second: Span,
    },
    /// A mapping key that is a sequence or mapping (Kubernetes needs string keys).
    NonScalarKey { span: Span },
    /// Alias expansion hit the node budget (a "billion laughs" document).
    AliasBudget { span: Span },
    /// Collections nested deeper than [`MAX_DEPTH`].
    TooDeep { span: Span },
    /// An alias to an anchor that was never defined.
    UnknownAnchor { span: Span },
    /// go-yaml v2 parses the text but refuses to decode it, so Kubernetes rejects the document:
    /// a tagged scalar that cannot have its tag's type (`!!int "abc"`), invalid `!!binary`, a
    /// merge of something other than mappings. The document is still scanned as read.
    Decode { span: Span, message: String },
}

/// One YAML document of a stream.
#[derive(Debug)]
pub struct Document {
    /// 0-based index of the document in the file.
    pub index: usize,
    /// Where the document's content starts.
    pub start: Pos,
    /// The root node; `None` for an empty document or one abandoned because of a diagnostic.
    pub root: Option<Node>,
}

/// A parsed file: its documents and the diagnostics met on the way.
#[derive(Debug, Default)]
pub struct Stream {
    pub documents: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a whole YAML (or JSON) stream into documents.
///
/// A syntax error ends the document it is in; parsing resumes at the next `---` line after it,
/// so that one broken document does not hide the rest of the file.
pub fn parse_stream(text: &str) -> Stream {
    parse_stream_with(text, false)
}

/// [`parse_stream`], and with `lean` without a tree for the subtrees no built-in rule reads
/// (the schemas of CustomResourceDefinitions, see the `lean` module): the diagnostics (syntax
/// errors, duplicate keys...) are exactly those of the full parse, and the left-out subtrees
/// are empty collections with their full spans. Only for scans whose rules are all built in.
pub fn parse_stream_with(text: &str, lean: bool) -> Stream {
    if lean {
        if let Some(stream) = parse_repaired(text, true) {
            return stream;
        }
    }
    parse_repaired(text, false).unwrap_or_default()
}

/// Parses with the repairs of [`repair`]; `None` when a lean parse needs the full tree.
fn parse_repaired(text: &str, lean: bool) -> Option<Stream> {
    let mut shifts = Shifts::default();
    let normalized = normalize_breaks(text).map(|(t, lines)| {
        shifts.lines = Some(lines);
        t
    });
    let text = normalized.as_deref().unwrap_or(text);
    let mut repaired: Option<String> = None;
    for _ in 0..MAX_REPAIRS {
        let current = repaired.as_deref().unwrap_or(text);
        let (stream, errors) = parse_with_shifts(current, &shifts, lean)?;
        match errors.iter().find_map(|e| repair(current, e)) {
            Some((fixed, added)) => {
                for (line, n) in added {
                    *shifts.added.entry(line).or_default() += n;
                }
                repaired = Some(fixed);
            }
            None => return Some(stream),
        }
    }
    let current = repaired.as_deref().unwrap_or(text);
    parse_with_shifts(current, &shifts, lean).map(|(stream, _)| stream)
}

/// Parses a YAML stream one document at a time, so that a file of many documents is never held
/// as one tree: `each` gets every document, with the diagnostics met in it, as soon as it ends,
/// and owns it (and drops it). The documents, their indexes and diagnostics are those of
/// [`parse_stream`] on the same text (with `lean`, those of the lean parse), unless the text has
/// a syntax error or a lean parse meets something that needs the full tree: then this returns
/// `false`, having stopped there, since recovery and indentation repair work on the whole text;
/// the caller discards what it got and parses the whole text.
pub fn each_document(
    text: &str,
    lean: bool,
    each: &mut dyn FnMut(Document, Vec<Diagnostic>),
) -> bool {
    let mut shifts = Shifts::default();
    let normalized = normalize_breaks(text).map(|(t, lines)| {
        shifts.lines = Some(lines);
        t
    });
    let text = normalized.as_deref().unwrap_or(text);
    // The budget of `parse_stream`'s first pass (the only pass when there is no syntax error).
    let budget = ALIAS_BUDGET_BASE + text.len() / 2;
    let mut index = 0usize;
    let mut left = Vec::new();
    let stopped = recovery::parse_part_with(
        text,
        0,
        &shifts,
        budget,
        lean,
        &mut left,
        &mut |start, root, diagnostics| {
            each(Document { index, start, root }, std::mem::take(diagnostics));
            index += 1;
        },
    );
    matches!(stopped, recovery::Part::Done) && left.is_empty()
}
