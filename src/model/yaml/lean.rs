//! The lean parse: subtrees that no built-in rule reads are read by the parser (so every syntax
//! error is still found) and checked for duplicate keys, but no tree is built for them.
//!
//! Only the schemas of CustomResourceDefinitions are left out (`spec.versions[].schema`, and
//! `spec.validation` of `apiextensions.k8s.io/v1beta1`): they are most of the bytes of the
//! repositories that ship CRDs, and no built-in rule reads them. A document is left out of
//! this only when it is exactly what it looks like: a top-level mapping whose one `kind` key,
//! written before `spec`, is `CustomResourceDefinition`, with no merge key at the top. Inside
//! a left-out subtree, anything that needs the tree to be judged (an anchor, an alias, a tag,
//! a `<<` merge key, a key that is not a scalar, nesting near [`MAX_DEPTH`]) makes the whole
//! file parsed again with the full tree (see [`super::parse_stream_with`]), so the
//! diagnostics are always exactly those of the full parse.
//!
//! The subtree is replaced by an empty mapping (or sequence) with the span the full tree
//! would give it, so object spans, and the findings placed by them, do not change.

use std::collections::HashMap;

use saphyr_parser::{Event, ScalarStyle};

use super::builder::{collection_end, Builder, Frame, SMALL_MAP};
use super::node::{Kind, Node};
use super::span::{Pos, Span};
use super::{Diagnostic, MAX_DEPTH};

/// Where a collection sits in its document, as far as the lean parse cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
    Root,
    Spec,
    Versions,
    Version,
    Other,
}

/// What the lean parse knows of the current document's top-level mapping.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct DocFacts {
    /// `kind` keys seen at the top.
    pub(super) kind_keys: u32,
    /// The (last) `kind` is `CustomResourceDefinition`.
    pub(super) crd: bool,
    /// A `<<` merge key at the top.
    pub(super) merge: bool,
    /// A subtree of this document was left out.
    pub(super) skipped: bool,
}

impl DocFacts {
    /// Notes what an entry of the top-level mapping says about the document.
    pub(super) fn note_root_entry(&mut self, key: &Node, value: &Node, merge: bool) {
        if merge {
            self.merge = true;
        } else if key.text() == Some("kind") {
            self.kind_keys += 1;
            self.crd = value.as_str() == Some("CustomResourceDefinition");
        }
    }

    /// The document turned out not to be what the left-out subtree was judged by.
    pub(super) fn contradicted(&self) -> bool {
        self.skipped && (self.kind_keys != 1 || !self.crd || self.merge)
    }
}

/// An open collection inside a left-out subtree.
#[derive(Debug)]
pub(super) struct SkipFrame {
    map: bool,
    /// For a mapping: its keys so far, with their spans (for duplicate keys).
    keys: Vec<(String, Span)>,
    /// For a mapping: the next node is a key.
    expect_key: bool,
    /// The end of the last value (or item), for the collection's own end.
    last_end: Option<Pos>,
}

impl Builder<'_> {
    /// Where a collection starting now sits, and whether it is left out.
    pub(super) fn place_of_child(&self, is_map: bool) -> (Place, bool) {
        let place = match self.stack.last() {
            None if is_map => Place::Root,
            Some(Frame::Map {
                place,
                pending_key: Some((key, false)),
                ..
            }) => match (place, key.text()) {
                (Place::Root, Some("spec")) if is_map => Place::Spec,
                (Place::Spec, Some("versions")) if !is_map => Place::Versions,
                (Place::Spec, Some("validation")) | (Place::Version, Some("schema")) => {
                    let skip =
                        self.lean && self.doc.crd && self.doc.kind_keys == 1 && !self.doc.merge;
                    return (Place::Other, skip);
                }
                _ => Place::Other,
            },
            Some(Frame::Seq {
                place: Place::Versions,
                ..
            }) if is_map => Place::Version,
            _ => Place::Other,
        };
        (place, false)
    }

    /// Starts leaving out the collection that starts at `start`.
    pub(super) fn start_skip(&mut self, start: Pos, map: bool) {
        self.doc.skipped = true;
        self.skip_start = start;
        self.skip.push(SkipFrame {
            map,
            keys: Vec::new(),
            expect_key: map,
            last_end: None,
        });
    }

    /// One event inside a left-out subtree.
    pub(super) fn skip_event(&mut self, ev: Event<'_>, s: Span, sp: saphyr_parser::Span) {
        if self.fallback {
            // The file is parsed again in full: only the nesting matters until then.
            match ev {
                Event::SequenceStart(..) | Event::MappingStart(..) => self.skip.push(SkipFrame {
                    map: false,
                    keys: Vec::new(),
                    expect_key: false,
                    last_end: None,
                }),
                Event::SequenceEnd | Event::MappingEnd => {
                    self.skip.pop();
                    if self.skip.is_empty() {
                        self.end_skip(Span::point(s.start), false);
                    }
                }
                _ => {}
            }
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    self.fallback = true;
                    return;
                }
                let mut s = s;
                if !self.fast
                    && matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted)
                {
                    if let Some(end) = self.quoted_end(sp) {
                        s.end = end.min(s.end);
                    }
                }
                let Some(top) = self.skip.last_mut() else {
                    return;
                };
                if top.map && top.expect_key {
                    if style == ScalarStyle::Plain && text == "<<" {
                        self.fallback = true;
                        return;
                    }
                    top.keys.push((text.into_owned(), s));
                    top.expect_key = false;
                } else {
                    top.last_end = Some(s.end);
                    top.expect_key = top.map;
                }
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                let key_position = self.skip.last().is_some_and(|t| t.map && t.expect_key);
                if anchor != 0
                    || tag.is_some()
                    || key_position
                    || self.stack.len() + self.skip.len() + 1 >= MAX_DEPTH
                {
                    self.fallback = true;
                    // Keep the nesting so that the end of the subtree is still found.
                    self.skip.push(SkipFrame {
                        map: false,
                        keys: Vec::new(),
                        expect_key: false,
                        last_end: None,
                    });
                    return;
                }
                self.skip.push(SkipFrame {
                    map: matches!(ev, Event::MappingStart(..)),
                    keys: Vec::new(),
                    expect_key: matches!(ev, Event::MappingStart(..)),
                    last_end: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.skip.pop() else {
                    return;
                };
                if frame.map {
                    report_duplicates(&frame.keys, &mut self.diagnostics);
                }
                let end = collection_end(s, frame.last_end);
                match self.skip.last_mut() {
                    Some(parent) => {
                        parent.last_end = Some(end);
                        parent.expect_key = parent.map;
                    }
                    None => self.end_skip(Span::new(self.skip_start, end), frame.map),
                }
            }
            Event::Alias(_) => self.fallback = true,
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => {}
        }
    }

    /// The left-out subtree ended: its placeholder takes its place in the tree.
    fn end_skip(&mut self, span: Span, map: bool) {
        let kind = if map {
            Kind::Map(Vec::new())
        } else {
            Kind::Seq(Vec::new())
        };
        self.push_node(Node { span, kind }, 0, false, false);
    }
}

/// [`super::builder::check_duplicates`] over the keys of a left-out mapping (which has no `<<`
/// key: one makes the file parsed in full).
fn report_duplicates(keys: &[(String, Span)], diagnostics: &mut Vec<Diagnostic>) {
    if keys.len() < 2 {
        return;
    }
    if keys.len() <= SMALL_MAP {
        for (i, (k, span)) in keys.iter().enumerate() {
            let first = keys.get(..i).unwrap_or_default().iter().find(|f| f.0 == *k);
            if let Some((_, first)) = first {
                diagnostics.push(Diagnostic::DuplicateKey {
                    key: k.clone(),
                    first: *first,
                    second: *span,
                });
            }
        }
        return;
    }
    let mut seen: HashMap<&str, Span> = HashMap::with_capacity(keys.len());
    for (k, span) in keys {
        match seen.get(k.as_str()) {
            Some(first) => diagnostics.push(Diagnostic::DuplicateKey {
                key: k.clone(),
                first: *first,
                second: *span,
            }),
            None => {
                seen.insert(k, *span);
            }
        }
    }
}
