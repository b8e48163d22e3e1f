//! `--format json` and `--format jsonl`, written one unit at a time.
//!
//! The document's static text (titles, sentences, points, responsible
//! units) is written once, under `rulebook`; each unit carries only its own
//! figures, and, by `--detail`, its item scores and the trace's reasons.
//! `json` is one document `{"rulebook": …, "units": [ … ]}`; `jsonl` is the
//! `rulebook` object on the first line, then one unit per line.

use crate::fmt_dec;
use crate::reason::reason;
use rulebook_eval::eval::UnitResult;
use rulebook_lang::ir::{NodeKind, Program};
use serde::Serialize;
use std::io::{self, Write};

/// What each unit carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Detail {
    /// Its figures, grade, rank and vetoes.
    Summary,
    /// And every item's (and part's) score and what it sends to the total.
    Items,
    /// And the trace: every reason, in words.
    #[default]
    Full,
}

/// A number as every report prints it ([`fmt_dec`]), serialised as a
/// string without one being allocated: a unit's JSON has hundreds.
pub struct Dec(pub rust_decimal::Decimal);

impl Serialize for Dec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        with_digits(self.0, |t| s.serialize_str(t))
    }
}

/// `f` of `d`'s text as [`fmt_dec`] writes it, made in a small buffer
/// rather than a text of its own.
fn with_digits<R>(d: rust_decimal::Decimal, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = Small::default();
    match crate::write_dec_to(&mut buf, d) {
        Ok(()) => f(buf.as_str()),
        Err(_) => f(&fmt_dec(d)),
    }
}

/// Room for any decimal's digits, sign and point.
struct Small {
    bytes: [u8; 64],
    len: usize,
}

impl Default for Small {
    fn default() -> Self {
        Small {
            bytes: [0; 64],
            len: 0,
        }
    }
}

impl Small {
    fn as_str(&self) -> &str {
        self.bytes
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl std::fmt::Write for Small {
    fn write_str(&mut self, t: &str) -> std::fmt::Result {
        let end = self.len + t.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        room.copy_from_slice(t.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[derive(Serialize)]
pub struct RulebookOut<'p> {
    pub title: &'p str,
    pub document: &'p str,
    /// Every node in document order (the root, id "", first).
    pub nodes: Vec<NodeInfo<'p>>,
}

#[derive(Serialize)]
pub struct NodeInfo<'p> {
    pub id: &'p str,
    pub kind: &'static str,
    pub title: &'p str,
    /// The document's sentences.
    pub text: &'p [String],
    /// Responsible units (考核单位).
    pub by: &'p [String],
    /// Its base, if it has one.
    pub points: Option<String>,
    /// The id of the node it belongs to.
    pub parent: Option<&'p str>,
}

fn kind(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Root => "root",
        NodeKind::Section => "section",
        NodeKind::Item => "item",
        NodeKind::Part => "part",
        NodeKind::Clause => "clause",
    }
}

/// The document's static text, once.
pub fn rulebook_out(program: &Program) -> RulebookOut<'_> {
    RulebookOut {
        title: &program.title,
        document: &program.document,
        nodes: program
            .nodes
            .iter()
            .map(|n| NodeInfo {
                id: &n.id,
                kind: kind(n.kind),
                title: &n.title,
                text: &n.text,
                by: &n.by,
                points: n.points.map(fmt_dec),
                parent: n
                    .parent
                    .and_then(|p| program.nodes.get(p as usize))
                    .map(|p| p.id.as_str()),
            })
            .collect(),
    }
}

/// Unit `u`'s JSON, as `detail` asks: `{"unit", "total", "base", "bonus",
/// "total_deductions", "grade", "rank", "vetoes", "items"}`, each item
/// `{"id", "score", "to_total", "parts", "trace"}` and each trace entry
/// `{"clause", "amount", "reason"}` (numbers as strings, [`Dec`]).
fn write_unit(program: &Program, u: &UnitResult, detail: Detail, t: &mut Text<'_>) {
    t.open(b'{');
    t.key("unit");
    t.string(&u.unit);
    for (k, d) in [
        ("total", u.total),
        ("base", u.base),
        ("bonus", u.bonus),
        ("total_deductions", u.total_deductions),
    ] {
        t.key(k);
        t.dec(d);
    }
    t.key("grade");
    t.string(&u.grade);
    t.key("rank");
    t.raw(u.rank.to_string().as_bytes());
    t.key("vetoes");
    t.open(b'[');
    for v in &u.vetoes {
        t.member();
        t.string(&v.id);
    }
    t.close(b']');
    if detail != Detail::Summary {
        let by_node = (detail == Detail::Full).then(|| ByNode::of(program, u));
        t.key("items");
        t.open(b'[');
        for i in program.items() {
            t.member();
            write_node(program, u, i, by_node.as_ref(), t);
        }
        t.close(b']');
    }
    t.close(b'}');
}

/// Node `i` of unit `u` and its parts in turn, with its trace entries
/// when `by_node` is given (`--detail full`).
fn write_node(
    program: &Program,
    u: &UnitResult,
    i: u32,
    by_node: Option<&ByNode>,
    t: &mut Text<'_>,
) {
    let def = program.nodes.get(i as usize);
    let score = u.nodes.get(i as usize).cloned().unwrap_or_default();
    t.open(b'{');
    t.key("id");
    t.string(def.map_or("", |d| d.id.as_str()));
    t.key("score");
    t.dec(score.score);
    t.key("to_total");
    t.dec(score.to_total);
    t.key("parts");
    t.open(b'[');
    for &c in def.map_or(&[][..], |d| d.children.as_slice()) {
        t.member();
        write_node(program, u, c, by_node, t);
    }
    t.close(b']');
    if let Some(by) = by_node {
        t.key("trace");
        t.open(b'[');
        for e in by.of_node(i).iter().filter_map(|&k| u.trace.get(k)) {
            t.member();
            t.open(b'{');
            t.key("clause");
            t.string(
                program
                    .nodes
                    .get(e.node as usize)
                    .map_or("", |n| n.id.as_str()),
            );
            t.key("amount");
            t.dec(e.amount);
            t.key("reason");
            t.string(&reason(program, u, e));
            t.close(b'}');
        }
        t.close(b']');
    }
    t.close(b'}');
}

/// JSON written by hand in serde_json's layout: compact, or pretty (two
/// spaces a level) with every line after the first indented by `base`.
/// Its strings are escaped as serde_json escapes them, but looked at eight
/// bytes at a time: serde_json tests every byte in turn, which was a
/// quarter of a JSON Lines run, a unit's reasons being most of its bytes.
/// (The tests hold what it writes to serde_json's own writing of it.)
struct Text<'o> {
    out: &'o mut Vec<u8>,
    base: Option<&'o [u8]>,
    level: usize,
    /// The list or object open has no member yet.
    first: bool,
}

impl<'o> Text<'o> {
    fn new(out: &'o mut Vec<u8>, base: Option<&'o [u8]>) -> Self {
        Text {
            out,
            base,
            level: 0,
            first: true,
        }
    }

    fn line(&mut self) {
        if let Some(base) = self.base {
            self.out.push(b'\n');
            self.out.extend_from_slice(base);
            for _ in 0..self.level {
                self.out.extend_from_slice(b"  ");
            }
        }
    }

    fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.level += 1;
        self.first = true;
    }

    fn close(&mut self, bracket: u8) {
        self.level = self.level.saturating_sub(1);
        if !self.first {
            self.line();
        }
        self.out.push(bracket);
        self.first = false;
    }

    /// Before each member of a list or an object.
    fn member(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.line();
    }

    /// A key: one of this file's own names, with nothing to escape.
    fn key(&mut self, k: &str) {
        self.member();
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.push(b'"');
        self.out
            .extend_from_slice(if self.base.is_some() { b": " } else { b":" });
    }

    fn raw(&mut self, v: &[u8]) {
        self.out.extend_from_slice(v);
    }

    /// A number as [`Dec`] writes it: its digits as a string (digits, a
    /// sign and a point, nothing to escape).
    fn dec(&mut self, d: rust_decimal::Decimal) {
        with_digits(d, |t| {
            self.out.push(b'"');
            self.out.extend_from_slice(t.as_bytes());
            self.out.push(b'"');
        });
    }

    fn string(&mut self, s: &str) {
        escape_into(self.out, s);
    }
}

/// `s` as a JSON string after `out`, escaped as serde_json escapes it:
/// `\"`, `\\`, `\b \t \n \f \r`, and any other byte below 0x20 as
/// `\u00xx`; everything else as it is.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    // Whether any of the eight bytes is below 0x20, a quote or a backslash
    // (it may say so of a byte after one that is: those are then looked
    // at one by one).
    let any_to_escape = |x: u64| {
        let below = x.wrapping_sub(ONES * 0x20) & !x;
        let q = x ^ (ONES * u64::from(b'"'));
        let quote = q.wrapping_sub(ONES) & !q;
        let b = x ^ (ONES * u64::from(b'\\'));
        let backslash = b.wrapping_sub(ONES) & !b;
        (below | quote | backslash) & HIGH != 0
    };
    let bytes = s.as_bytes();
    out.push(b'"');
    let mut done = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes, or the last few with spaces after them (a space
        // needs no escape).
        let rest = bytes.get(i..).unwrap_or(&[]);
        let n = rest.len().min(8);
        let chunk = match rest.get(..8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
            Some(c) => c,
            None => {
                let mut c = [b' '; 8];
                c.iter_mut().zip(rest).for_each(|(d, s)| *d = *s);
                c
            }
        };
        if !any_to_escape(u64::from_le_bytes(chunk)) {
            i += n;
            continue;
        }
        let Some(&byte) = bytes.get(i) else {
            break;
        };
        let short = match byte {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            0x08 => Some(b'b'),
            0x09 => Some(b't'),
            0x0A => Some(b'n'),
            0x0C => Some(b'f'),
            0x0D => Some(b'r'),
            _ => None,
        };
        if byte < 0x20 || short.is_some() {
            out.extend_from_slice(bytes.get(done..i).unwrap_or(&[]));
            out.push(b'\\');
            match short {
                Some(c) => out.push(c),
                None => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"u00");
                    out.push(HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0'));
                    out.push(HEX.get(usize::from(byte & 0xF)).copied().unwrap_or(b'0'));
                }
            }
            done = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(bytes.get(done..).unwrap_or(&[]));
    out.push(b'"');
}

/// A unit's trace entries node by node (each node's in the trace's
/// order), found once for the unit rather than by a pass over the whole
/// trace for each node.
struct ByNode {
    /// Where each node's entries start in `entries`; one more at the end.
    starts: Vec<usize>,
    /// Entries' places in the trace, node after node.
    entries: Vec<usize>,
}

impl ByNode {
    fn of(program: &Program, u: &UnitResult) -> ByNode {
        let mut starts = vec![0; program.nodes.len() + 1];
        for e in &u.trace {
            if let Some(n) = starts.get_mut(e.node as usize + 1) {
                *n += 1;
            }
        }
        for k in 1..starts.len() {
            let before = starts.get(k - 1).copied().unwrap_or(0);
            if let Some(n) = starts.get_mut(k) {
                *n += before;
            }
        }
        let mut next = starts.clone();
        let mut entries = vec![0; u.trace.len()];
        for (k, e) in u.trace.iter().enumerate() {
            if let Some(at) = next.get_mut(e.node as usize) {
                if let Some(slot) = entries.get_mut(*at) {
                    *slot = k;
                }
                *at += 1;
            }
        }
        ByNode { starts, entries }
    }

    /// The places in the trace of node `i`'s entries, in order.
    fn of_node(&self, i: u32) -> &[usize] {
        let i = i as usize;
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => self.entries.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// Writes units as they come: `begin`, `unit` for each, `finish`.
pub struct JsonWriter<'p, W: Write> {
    program: &'p Program,
    out: W,
    lines: bool,
    detail: Detail,
    first: bool,
    buf: Vec<u8>,
}

fn to_io(e: serde_json::Error) -> io::Error {
    io::Error::other(e)
}

impl<'p, W: Write> JsonWriter<'p, W> {
    /// `lines`: JSON Lines (one object per line) instead of one document.
    pub fn begin(
        program: &'p Program,
        mut out: W,
        lines: bool,
        detail: Detail,
    ) -> io::Result<Self> {
        let head = rulebook_out(program);
        if lines {
            out.write_all(b"{\"rulebook\":")?;
            serde_json::to_writer(&mut out, &head).map_err(to_io)?;
            out.write_all(b"}\n")?;
        } else {
            out.write_all(b"{\n  \"rulebook\": ")?;
            write_indented(&mut out, &head, b"  ")?;
            out.write_all(b",\n  \"units\": [")?;
        }
        Ok(JsonWriter {
            program,
            out,
            lines,
            detail,
            first: true,
            buf: Vec::new(),
        })
    }

    pub fn unit(&mut self, u: &UnitResult) -> io::Result<()> {
        let mut text = std::mem::take(&mut self.buf);
        text.clear();
        unit_text(self.program, u, self.lines, self.detail, &mut text);
        let written = self.unit_text(&text);
        self.buf = text;
        written
    }

    /// A unit's text as [`unit_text`] made it (on whichever thread scored
    /// the unit), written in its place.
    pub fn unit_text(&mut self, text: &[u8]) -> io::Result<()> {
        if !self.lines {
            self.out
                .write_all(if self.first { b"\n    " } else { b",\n    " })?;
        }
        self.out.write_all(text)?;
        self.first = false;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<W> {
        if !self.lines {
            self.out
                .write_all(if self.first { b"]\n}\n" } else { b"\n  ]\n}\n" })?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Unit `u`'s text as a [`JsonWriter`] writes it (`lines`: JSON Lines),
/// after `out`: a line of its own, or its place in the `units` list without
/// the comma before it. It needs only the program, so it can be made on
/// the thread that scored the unit while another writes.
pub fn unit_text(
    program: &Program,
    u: &UnitResult,
    lines: bool,
    detail: Detail,
    out: &mut Vec<u8>,
) {
    if lines {
        write_unit(program, u, detail, &mut Text::new(out, None));
        out.push(b'\n');
    } else {
        write_unit(program, u, detail, &mut Text::new(out, Some(b"    ")));
    }
}

/// serde_json's pretty layout (two spaces a level) with every line after
/// the first also indented by `base`: the `rulebook` object where it sits
/// in `--format json`'s document, written with no second pass over its
/// text. (Units are written by [`Text`], in the same layout.)
struct Indented<'a> {
    base: &'a [u8],
    level: usize,
    has_value: bool,
}

impl<'a> Indented<'a> {
    fn new(base: &'a [u8]) -> Self {
        Indented {
            base,
            level: 0,
            has_value: false,
        }
    }

    fn line<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\n")?;
        w.write_all(self.base)?;
        for _ in 0..self.level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level = self.level.saturating_sub(1);
        if self.has_value {
            self.line(w)?;
        }
        w.write_all(bracket)
    }

    fn next<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.line(w)
    }
}

impl serde_json::ser::Formatter for Indented<'_> {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.next(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.next(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `v` pretty-printed after `out`, every line after the first indented by `base`.
fn write_indented<T: Serialize + ?Sized>(out: impl Write, v: &T, base: &[u8]) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, Indented::new(base));
    v.serialize(&mut ser).map_err(to_io)
}

/// A whole batch as one JSON document (for tests and small batches).
pub fn render(program: &Program, units: &[UnitResult], detail: Detail) -> String {
    let run = || -> io::Result<Vec<u8>> {
        let mut w = JsonWriter::begin(program, Vec::new(), false, detail)?;
        for u in units {
            w.unit(u)?;
        }
        w.finish()
    };
    match run() {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod dec_tests {
    use super::Dec;
    use crate::fmt_dec;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        /// `Dec` writes every number as `fmt_dec` prints it.
        #[test]
        fn dec_is_fmt_dec(m in prop_oneof![-10_000i128..10_000, -(1i128 << 95)..(1i128 << 95)], s in 0u32..=28) {
            let d = Decimal::from_i128_with_scale(m, s);
            let json = serde_json::to_string(&Dec(d)).unwrap();
            prop_assert_eq!(json, serde_json::to_string(&fmt_dec(d)).unwrap());
        }
    }

    #[test]
    fn extremes_and_zeros() {
        for d in [
            Decimal::MAX,
            Decimal::MIN,
            -Decimal::ZERO,
            Decimal::new(-5, 28),
            Decimal::new(100, 2),
        ] {
            assert_eq!(
                serde_json::to_string(&Dec(d)).unwrap(),
                format!("\"{}\"", fmt_dec(d))
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod indented_tests {
    use super::write_indented;
    use proptest::prelude::*;
    use serde_json::Value;

    /// Any JSON value: nested lists and objects (empty ones too), and
    /// texts that hold line breaks, which must stay escaped.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            "[a-z\n 一二]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,3}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// With no indent of its own it is serde_json's pretty layout; with
        /// one, that layout with every line after the first indented by it.
        #[test]
        fn indented_is_pretty_moved_right(v in value(), base in prop_oneof![Just(""), Just("  "), Just("    ")]) {
            let pretty = serde_json::to_string_pretty(&v).unwrap();
            let moved = pretty.replace('\n', &format!("\n{base}"));
            let mut out = b"x".to_vec();
            write_indented(&mut out, &v, base.as_bytes()).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), format!("x{moved}"));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod escape_tests {
    use super::escape_into;
    use proptest::prelude::*;

    /// Texts with what must be escaped (quotes, backslashes, control
    /// characters) among plain, multibyte and line-separator characters,
    /// of lengths on both sides of eight bytes.
    fn text() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            any::<char>(),
            Just('"'),
            Just('\\'),
            (0u8..0x20).prop_map(char::from),
            Just('\u{7f}'),
            Just('\u{2028}'),
            Just('扣'),
            Just('a'),
        ];
        prop::collection::vec(c, 0..40).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        /// Escaped exactly as serde_json escapes a string.
        #[test]
        fn escaped_as_serde_json_escapes(s in text()) {
            let mut out = b"x".to_vec();
            escape_into(&mut out, &s);
            prop_assert_eq!(String::from_utf8(out).unwrap(), format!("x{}", serde_json::to_string(&s).unwrap()));
        }
    }
}
