//! Recovery: a syntax error ends its document, parsing resumes at the next `---`.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScanError, Span as PSpan};

use super::builder::Builder;
use super::fast::{self, Fast};
use super::lean::DocFacts;
use super::repair::RawError;
use super::span::{pos, span, Pos, Shifts, Span};
use super::{Diagnostic, Document, Node, Stream, ALIAS_BUDGET_BASE};

/// Parses `text` into a stream; with `lean`, leaves out the subtrees [`super::lean`] describes.
/// `None` when a lean parse met something that needs the full tree (parse again without `lean`).
pub(super) fn parse_with_shifts(
    text: &str,
    shifts: &Shifts,
    lean: bool,
) -> Option<(Stream, Vec<RawError>)> {
    let mut raw_errors = Vec::new();
    let mut stream = Stream::default();
    let budget = ALIAS_BUDGET_BASE + text.len() / 2;
    let mut offset_bytes = 0usize;
    let mut line_offset = 0u32;
    loop {
        let rest = text.get(offset_bytes..).unwrap_or("");
        match parse_part(rest, line_offset, shifts, budget, lean, &mut stream) {
            Part::Fallback => return None,
            Part::Done => break,
            Part::Error(err, open_doc) => {
                let err_line = u32::try_from(err.marker().line()).unwrap_or(u32::MAX);
                let pos_ = pos(*err.marker(), line_offset, shifts);
                raw_errors.push(RawError {
                    line: err_line.saturating_add(line_offset),
                    col: err.marker().col(),
                    message: err.info().to_string(),
                });
                // saphyr's own bound on flow nesting: valid YAML, too deep to scan.
                let diagnostic = if err.info() == "recursion limit exceeded" {
                    Diagnostic::TooDeep {
                        span: Span::point(pos_),
                    }
                } else {
                    Diagnostic::Syntax {
                        pos: pos_,
                        message: err.info().to_string(),
                    }
                };
                // Resuming at a `---` line (below) can meet the same error twice.
                if !stream.diagnostics.contains(&diagnostic) {
                    stream.diagnostics.push(diagnostic);
                }
                // The broken document keeps its place in the stream (so the documents after it
                // keep their indexes when it is fixed), unless parsing resumes at or before its
                // first line, which parses it again.
                let (doc_start, doc_line) =
                    open_doc.unwrap_or((pos_, err_line.saturating_add(line_offset)));
                // Resume at the next document marker after the error's line.
                let resume = next_doc_start(rest, err_line);
                let reparsed = resume.is_some_and(|(_, lines)| {
                    line_offset.saturating_add(lines).saturating_add(1) <= doc_line
                });
                if !reparsed {
                    let index = stream.documents.len();
                    stream.documents.push(Document {
                        index,
                        start: doc_start,
                        root: None,
                    });
                }
                match resume {
                    Some((bytes, lines)) => {
                        offset_bytes += bytes;
                        line_offset += lines;
                    }
                    None => break,
                }
            }
        }
    }
    Some((stream, raw_errors))
}

/// How one run of documents ended.
pub(super) enum Part {
    /// At the end of the text.
    Done,
    /// At a syntax error, with the start of the document it broke (file position, and 1-based
    /// line in the parsed text) when one was open.
    Error(ScanError, Option<(Pos, u32)>),
    /// A lean parse met something that needs the full tree.
    Fallback,
}

/// Byte offset and line count of the first line starting with `---` after line `after_line`
/// (1-based) of `text`.
pub(super) fn next_doc_start(text: &str, after_line: u32) -> Option<(usize, u32)> {
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let lineno = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1);
        // An error reported on a `---` line belongs to the document before it: resume at that
        // line (unless this run started there, so that parsing always moves on).
        let resume = lineno > after_line || (lineno == after_line && offset > 0);
        if resume && line.starts_with("---") {
            let rest = &line[3..];
            if rest.trim().is_empty() || rest.starts_with([' ', '\t']) {
                return Some((offset, lineno - 1));
            }
        }
        offset += line.len();
    }
    None
}

/// Parses one run of documents, until the end of the text or the syntax error that stops it.
pub(super) fn parse_part(
    text: &str,
    line_offset: u32,
    shifts: &Shifts,
    budget: usize,
    lean: bool,
    stream: &mut Stream,
) -> Part {
    let Stream {
        documents,
        diagnostics,
    } = stream;
    parse_part_with(
        text,
        line_offset,
        shifts,
        budget,
        lean,
        diagnostics,
        // The document's diagnostics stay in the stream's.
        &mut |start, root, _| {
            let index = documents.len();
            documents.push(Document { index, start, root });
        },
    )
}

/// What [`parse_part_with`] hands each document to.
pub(super) type EachDocument<'a> = dyn FnMut(Pos, Option<Node>, &mut Vec<Diagnostic>) + 'a;

/// [`parse_part`] with each document handed to `each` as soon as it ends: its start, its root
/// (`None` when empty or abandoned) and the stream's diagnostics, the document's own last
/// (`each` may take them; what it leaves stays in `diagnostics`).
///
/// Documents the fast scanner (see [`super::fast`]) can read are read by it; a document it is
/// not sure of is read by saphyr, and the fast scanner takes over again at the next `---` line
/// saphyr ends that document at. Both feed the same tree builder, with positions in `text`.
pub(super) fn parse_part_with(
    text: &str,
    line_offset: u32,
    shifts: &Shifts,
    budget: usize,
    lean: bool,
    diagnostics: &mut Vec<Diagnostic>,
    each: &mut EachDocument<'_>,
) -> Part {
    let mut b = Builder {
        src: text,
        cursor: (0, 0),
        ascii: text.is_ascii(),
        line_offset,
        shifts,
        anchors: HashMap::new(),
        stack: Vec::new(),
        items: Vec::new(),
        entries: Vec::new(),
        root: None,
        alias_budget: budget,
        abandoned: false,
        skip_depth: 0,
        diagnostics: Vec::new(),
        lean,
        doc: DocFacts::default(),
        skip: Vec::new(),
        skip_start: Pos::START,
        fallback: false,
        fast: false,
    };
    let mut st = DocState {
        doc_start: Pos::START,
        open_doc: None,
        line_offset,
    };
    if !(fast::enabled() && fast::eligible(text)) {
        return match saphyr_run(text, (0, 1, 0), false, &mut b, &mut st, diagnostics, each) {
            Run::Part(part) => part,
            Run::Stopped(..) => Part::Done,
        };
    }
    let mut scanner = Fast::new(text);
    loop {
        loop {
            let at = scanner.position();
            match scanner.document() {
                Ok(true) => {
                    fast::count(true);
                    b.fast = true;
                    for (ev, sp) in scanner.events.drain(..) {
                        if let Some(part) = feed(&mut b, &mut st, ev, sp, diagnostics, each) {
                            return part;
                        }
                    }
                    b.fast = false;
                }
                Ok(false) => {
                    diagnostics.append(&mut b.diagnostics);
                    return Part::Done;
                }
                Err(fast::Unsure) => {
                    scanner.seek(at);
                    break;
                }
            }
        }
        let from = scanner.position();
        match saphyr_run(text, from, true, &mut b, &mut st, diagnostics, each) {
            Run::Part(part) => return part,
            // Always forward (saphyr ends a document after the line it started at); should it
            // not, saphyr reads the rest.
            Run::Stopped(at) if at.0 > from.0 => scanner.seek(at),
            Run::Stopped(at) => {
                return match saphyr_run(text, at, false, &mut b, &mut st, diagnostics, each) {
                    Run::Part(part) => part,
                    Run::Stopped(..) => Part::Done,
                };
            }
        }
    }
}

/// The state of the document being read, across the events of both scanners.
struct DocState {
    doc_start: Pos,
    open_doc: Option<(Pos, u32)>,
    line_offset: u32,
}

/// How a run of saphyr ended.
enum Run {
    Part(Part),
    /// After one document, at the `---` line that starts the next one: its byte offset,
    /// 1-based line and character index in the text.
    Stopped((usize, usize, usize)),
}

/// Parses `text` from a line start (byte offset, 1-based line, character index) with saphyr,
/// its events moved to the positions of `text`; with `stop`, only until the end of a document
/// that ends at a `---` line.
#[allow(clippy::too_many_arguments)]
fn saphyr_run(
    text: &str,
    (from, line, from_char): (usize, usize, usize),
    stop: bool,
    b: &mut Builder<'_>,
    st: &mut DocState,
    diagnostics: &mut Vec<Diagnostic>,
    each: &mut EachDocument<'_>,
) -> Run {
    let rest = text.get(from..).unwrap_or("");
    let lines_before = line.saturating_sub(1);
    let moved = |m: Marker| Marker::new(m.index() + from_char, m.line() + lines_before, m.col());
    let mut parser = Parser::new_from_str(rest);
    // saphyr's parser keeps the anchors of earlier documents (an alias to one is an
    // `UnknownAnchor` of the tree builder, where a new parser would stop at a syntax error):
    // after an anchor, a run goes on to the end of the text when an alias may follow.
    let mut stop = stop;
    let mut anchored = false;
    while let Some(next) = parser.next_event() {
        let (ev, sp) = match next {
            Ok(x) => x,
            Err(e) => {
                diagnostics.append(&mut b.diagnostics);
                let e = ScanError::new(moved(*e.marker()), e.info().to_string());
                return Run::Part(Part::Error(e, st.open_doc));
            }
        };
        if matches!(ev, Event::StreamEnd) {
            break;
        }
        if matches!(ev, Event::DocumentStart(_)) {
            fast::count(false);
        }
        if matches!(
            ev,
            Event::Scalar(_, _, a, _) | Event::SequenceStart(a, _) | Event::MappingStart(a, _) if a > 0
        ) {
            anchored = true;
        }
        let end = matches!(ev, Event::DocumentEnd);
        let sp = PSpan::new(moved(sp.start), moved(sp.end));
        if let Some(part) = feed(b, st, ev, sp, diagnostics, each) {
            return Run::Part(part);
        }
        if stop && end && sp.start.col() == 0 {
            let at_char = sp.start.index();
            let at = b.byte_of_char(at_char);
            let line_start = at == 0 || text.as_bytes().get(at - 1) == Some(&b'\n');
            if line_start && text.get(at..at + 3) == Some("---") {
                if anchored && text.get(at..).is_some_and(|r| r.contains('*')) {
                    stop = false;
                } else {
                    return Run::Stopped((at, sp.start.line(), at_char));
                }
            }
        }
    }
    diagnostics.append(&mut b.diagnostics);
    Run::Part(Part::Done)
}

/// One event for the builder; `Some` when the parse ends here.
fn feed(
    b: &mut Builder<'_>,
    st: &mut DocState,
    ev: Event<'_>,
    sp: PSpan,
    diagnostics: &mut Vec<Diagnostic>,
    each: &mut EachDocument<'_>,
) -> Option<Part> {
    match ev {
        Event::DocumentStart(_) => {
            b.anchors.clear();
            b.abandoned = false;
            b.root = None;
            b.stack.clear();
            b.items.clear();
            b.entries.clear();
            b.skip.clear();
            b.doc = DocFacts::default();
            st.doc_start = span(sp, st.line_offset, b.shifts).start;
            let raw_line = u32::try_from(sp.start.line())
                .unwrap_or(u32::MAX)
                .saturating_add(st.line_offset);
            st.open_doc = Some((st.doc_start, raw_line));
        }
        Event::DocumentEnd => {
            if b.doc.contradicted() {
                return Some(Part::Fallback);
            }
            st.open_doc = None;
            let root = b.root.take();
            diagnostics.append(&mut b.diagnostics);
            each(
                st.doc_start,
                if b.abandoned { None } else { root },
                diagnostics,
            );
        }
        Event::StreamEnd => {}
        other => {
            b.event(other, sp);
            if b.fallback {
                return Some(Part::Fallback);
            }
        }
    }
    None
}
