//! Building the spanned tree from saphyr-parser events.

use std::collections::HashMap;

use saphyr_parser::{Event, ScalarStyle, Span as PSpan};

use super::lean::{DocFacts, Place, SkipFrame};
use super::node::{Entry, Kind, Node};
use super::scalar::{resolve, Scalar, CORE};
use super::span::{span, Pos, Shifts, Span};
use super::{Diagnostic, MAX_DEPTH};

pub(super) enum Frame {
    Seq {
        start: Pos,
        anchor: usize,
        /// Where the items start in [`Builder::items`].
        items: usize,
        /// Tagged `!!null`: go-yaml reads the whole collection as null.
        null: bool,
        place: Place,
    },
    Map {
        start: Pos,
        anchor: usize,
        /// Where the entries start in [`Builder::entries`].
        entries: usize,
        /// The key waiting for its value, and whether it is a merge key.
        pending_key: Option<(Node, bool)>,
        null: bool,
        place: Place,
    },
}

pub(super) struct Builder<'s> {
    /// The text being parsed, to find where a quoted scalar really ends (see [`quoted_end`]).
    pub(super) src: &'s str,
    /// (char index, byte offset) of the last position looked up in `src`.
    pub(super) cursor: (usize, usize),
    /// `src` is ASCII: char indexes are byte offsets.
    pub(super) ascii: bool,
    pub(super) line_offset: u32,
    pub(super) shifts: &'s Shifts,
    pub(super) anchors: HashMap<usize, Node>,
    pub(super) stack: Vec<Frame>,
    /// The items of the open sequences and the entries of the open mappings, innermost last:
    /// one buffer each for the whole parse, so a collection is allocated once, at its exact
    /// size, when it ends (rather than grown push by push).
    pub(super) items: Vec<Node>,
    pub(super) entries: Vec<Entry>,
    pub(super) root: Option<Node>,
    pub(super) alias_budget: usize,
    /// Set when the current document was abandoned: events are skipped until its end.
    pub(super) abandoned: bool,
    pub(super) skip_depth: usize,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Leave out the subtrees no built-in rule reads (see [`super::lean`]).
    pub(super) lean: bool,
    /// What the current document's top-level mapping says (for [`super::lean`]).
    pub(super) doc: DocFacts,
    /// The open collections of the subtree being left out; empty when building.
    pub(super) skip: Vec<SkipFrame>,
    /// Where the subtree being left out starts.
    pub(super) skip_start: Pos,
    /// A left-out subtree held something that needs the full tree: parse the file again.
    pub(super) fallback: bool,
    /// The events come from the fast scanner, whose quoted scalars' spans already end at the
    /// closing quote (no [`Builder::quoted_end`] needed).
    pub(super) fast: bool,
}

impl Builder<'_> {
    /// The byte offset in `src` of a char index (events arrive in order, so this walks forward
    /// from the last lookup).
    pub(super) fn byte_of_char(&mut self, idx: usize) -> usize {
        let bytes = self.src.as_bytes();
        if self.ascii {
            // One byte per character: no walk (most manifests).
            return idx.min(bytes.len());
        }
        let (mut c, mut b) = self.cursor;
        if idx < c {
            (c, b) = (0, 0);
        }
        // Counts character starts (every byte but UTF-8 continuation bytes), which is what
        // `chars()` would count, without decoding.
        while c < idx && b < bytes.len() {
            b += 1;
            while bytes.get(b).is_some_and(|&x| x & 0xC0 == 0x80) {
                b += 1;
            }
            c += 1;
        }
        self.cursor = (c, b);
        b
    }

    /// saphyr ends a quoted scalar's span after the blanks and comment that follow it; this
    /// finds the closing quote instead, so a region never covers a trailing `# comment`.
    pub(super) fn quoted_end(&mut self, sp: PSpan) -> Option<Pos> {
        let b = self.byte_of_char(sp.start.index());
        let mut chars = self.src.get(b..)?.chars().peekable();
        // Counted in the parsed text, then mapped to the file like every other position.
        let mut line = u32::try_from(sp.start.line())
            .ok()?
            .saturating_add(self.line_offset);
        // The column of the next character.
        let mut col = u32::try_from(sp.start.col()).ok()?.saturating_add(1);
        // The span starts at the node's properties (`!!str`, `&anchor`) when it has some: skip
        // them, and the blanks, line breaks and comments after them.
        while matches!(chars.peek(), Some('!' | '&')) {
            while chars
                .next_if(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'))
                .is_some()
            {
                col += 1;
            }
            loop {
                match chars.peek() {
                    Some(' ' | '\t') => col += 1,
                    Some('\n') => {
                        line += 1;
                        col = 1;
                    }
                    Some('\r') => {}
                    Some('#') => {
                        while chars.next_if(|c| !matches!(c, '\n' | '\r')).is_some() {}
                        continue;
                    }
                    _ => break,
                }
                chars.next();
            }
        }
        let quote = chars.next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        col += 1;
        while let Some(ch) = chars.next() {
            let ch = if quote == '"' && ch == '\\' {
                col += 1;
                chars.next()?
            } else if ch == quote {
                if quote == '\'' && chars.peek() == Some(&'\'') {
                    chars.next();
                    col += 2;
                    continue;
                }
                return Some(self.shifts.map(line, col + 1));
            } else {
                ch
            };
            match ch {
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' | '\r' => {
                    line += 1;
                    col = 1;
                }
                _ => col += 1,
            }
        }
        None
    }

    /// Adds a finished node to its parent. `merge_key`: a scalar that merges as a key;
    /// `alias`: the node is an alias's copy.
    pub(super) fn push_node(&mut self, node: Node, anchor: usize, merge_key: bool, alias: bool) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { .. }) => self.items.push(node),
            Some(Frame::Map {
                pending_key, place, ..
            }) => match pending_key.take() {
                None => {
                    if !matches!(node.kind, Kind::Scalar { .. }) {
                        self.diagnostics
                            .push(Diagnostic::NonScalarKey { span: node.span });
                    }
                    *pending_key = Some((node, merge_key && !alias));
                }
                Some((key, merge)) => {
                    // go-yaml merges a mapping, an alias of a mapping, or a sequence of those;
                    // anything else is an error that rejects the document.
                    if merge {
                        let valid = match &node.kind {
                            Kind::Map(_) => true,
                            Kind::Seq(items) => !alias && items.iter().all(Node::is_map),
                            Kind::Scalar { .. } => false,
                        };
                        if !valid {
                            self.diagnostics.push(Diagnostic::Decode {
                                span: node.span,
                                message: "map merge requires map or sequence of maps as the value"
                                    .to_string(),
                            });
                        }
                    }
                    if *place == Place::Root {
                        self.doc.note_root_entry(&key, &node, merge);
                    }
                    self.entries.push(Entry {
                        key,
                        value: node,
                        merge,
                    });
                }
            },
        }
    }

    pub(super) fn abandon(&mut self, diag: Diagnostic) {
        self.diagnostics.push(diag);
        self.abandoned = true;
        self.skip_depth = 0;
        self.stack.clear();
        self.items.clear();
        self.entries.clear();
        self.skip.clear();
        self.root = None;
    }

    pub(super) fn event(&mut self, ev: Event<'_>, sp: PSpan) {
        let s = span(sp, self.line_offset, self.shifts);
        if self.abandoned {
            match ev {
                Event::SequenceStart(..) | Event::MappingStart(..) => self.skip_depth += 1,
                Event::SequenceEnd | Event::MappingEnd => {
                    self.skip_depth = self.skip_depth.saturating_sub(1)
                }
                _ => {}
            }
            return;
        }
        if !self.skip.is_empty() {
            self.skip_event(ev, s, sp);
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let resolved = resolve(&text, style, tag.as_deref());
                let mut s = s;
                if !self.fast
                    && matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted)
                {
                    if let Some(end) = self.quoted_end(sp) {
                        s.end = end.min(s.end);
                    }
                }
                if let Some(message) = resolved.error {
                    self.diagnostics
                        .push(Diagnostic::Decode { span: s, message });
                }
                let node = Node {
                    span: s,
                    kind: Kind::Scalar {
                        text: resolved.text.unwrap_or_else(|| text.into_owned()),
                        quoted: style != ScalarStyle::Plain,
                        value: resolved.value,
                    },
                };
                self.push_node(node, anchor, resolved.merge_key, false);
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                let null = tag
                    .as_deref()
                    .is_some_and(|t| t.handle == CORE && t.suffix == "null");
                if self.stack.len() >= MAX_DEPTH {
                    self.abandon(Diagnostic::TooDeep { span: s });
                    return;
                }
                let is_map = matches!(ev, Event::MappingStart(..));
                let (place, skip) = self.place_of_child(is_map);
                if skip && anchor == 0 && tag.is_none() {
                    self.start_skip(s.start, is_map);
                    return;
                }
                let frame = if !is_map {
                    Frame::Seq {
                        start: s.start,
                        anchor,
                        items: self.items.len(),
                        null,
                        place,
                    }
                } else {
                    Frame::Map {
                        start: s.start,
                        anchor,
                        entries: self.entries.len(),
                        pending_key: None,
                        null,
                        place,
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let (mut node, anchor, null) = match frame {
                    Frame::Seq {
                        start,
                        anchor,
                        items,
                        null,
                        ..
                    } => {
                        let items: Vec<Node> =
                            self.items.drain(items.min(self.items.len())..).collect();
                        let end = collection_end(s, items.last().map(|n| n.span.end));
                        (
                            Node {
                                span: Span::new(start, end),
                                kind: Kind::Seq(items),
                            },
                            anchor,
                            null,
                        )
                    }
                    Frame::Map {
                        start,
                        anchor,
                        entries,
                        null,
                        ..
                    } => {
                        let entries: Vec<Entry> = self
                            .entries
                            .drain(entries.min(self.entries.len())..)
                            .collect();
                        self.check_duplicates(&entries);
                        let end = collection_end(s, entries.last().map(|e| e.value.span.end));
                        (
                            Node {
                                span: Span::new(start, end),
                                kind: Kind::Map(entries),
                            },
                            anchor,
                            null,
                        )
                    }
                };
                if null {
                    node.kind = Kind::Scalar {
                        text: String::new(),
                        quoted: false,
                        value: Scalar::Null,
                    };
                }
                self.push_node(node, anchor, false, false);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(target) => {
                    let n = target.count();
                    if n > self.alias_budget {
                        self.abandon(Diagnostic::AliasBudget { span: s });
                        return;
                    }
                    self.alias_budget -= n;
                    let node = target.clone();
                    self.push_node(node, 0, false, true);
                }
                None => {
                    self.diagnostics.push(Diagnostic::UnknownAnchor { span: s });
                    let node = Node {
                        span: s,
                        kind: Kind::Scalar {
                            text: String::new(),
                            quoted: false,
                            value: Scalar::Null,
                        },
                    };
                    self.push_node(node, 0, false, true);
                }
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => {}
        }
    }

    pub(super) fn check_duplicates(&mut self, entries: &[Entry]) {
        check_duplicates(entries, &mut self.diagnostics);
    }
}

/// Up to this many entries, duplicate keys are found by comparing keys pairwise.
pub(super) const SMALL_MAP: usize = 12;

/// Reports every later occurrence of a key of a mapping against the first one.
pub(crate) fn check_duplicates(entries: &[Entry], diagnostics: &mut Vec<Diagnostic>) {
    if entries.len() < 2 {
        return;
    }
    if entries.len() <= SMALL_MAP {
        // Most mappings are small: comparing the keys pairwise costs less than hashing them.
        for (i, e) in entries.iter().enumerate() {
            if e.is_merge() {
                continue;
            }
            let Some(k) = e.key.text() else { continue };
            let first = entries
                .get(..i)
                .unwrap_or_default()
                .iter()
                .find(|f| !f.is_merge() && f.key.text() == Some(k));
            if let Some(first) = first {
                diagnostics.push(Diagnostic::DuplicateKey {
                    key: k.to_string(),
                    first: first.key.span,
                    second: e.key.span,
                });
            }
        }
        return;
    }
    let mut seen: HashMap<&str, Span> = HashMap::with_capacity(entries.len());
    for e in entries {
        // Every `<<` of a mapping applies (see [`Node::get_entry`]): not a duplicate.
        if e.is_merge() {
            continue;
        }
        let Some(k) = e.key.text() else { continue };
        match seen.get(k) {
            Some(first) => diagnostics.push(Diagnostic::DuplicateKey {
                key: k.to_string(),
                first: *first,
                second: e.key.span,
            }),
            None => {
                seen.insert(k, e.key.span);
            }
        }
    }
}

/// Where a collection ends: after the `]` or `}` of a flow collection (its end event has a
/// width; like a quoted scalar's, it runs over the blanks and comment that follow, so only its
/// first character counts), else at the end of its last child (a block collection's end event
/// sits on the next token, possibly lines further down).
pub(super) fn collection_end(end_event: Span, last_child: Option<Pos>) -> Pos {
    if end_event.start != end_event.end {
        return Pos::new(end_event.start.line, end_event.start.col + 1);
    }
    last_child.unwrap_or(end_event.start)
}
