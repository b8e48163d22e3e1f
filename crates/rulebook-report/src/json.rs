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
        let n = self.0.normalize();
        if n.is_zero() {
            return s.serialize_str("0");
        }
        let mut buf = Small::default();
        match std::fmt::Write::write_fmt(&mut buf, format_args!("{n}")) {
            Ok(()) => s.serialize_str(buf.as_str()),
            Err(_) => s.serialize_str(&fmt_dec(self.0)),
        }
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

#[derive(Serialize)]
pub struct UnitOut<'u> {
    pub unit: &'u str,
    pub total: Dec,
    pub base: Dec,
    pub bonus: Dec,
    pub total_deductions: Dec,
    pub grade: &'u str,
    pub rank: u32,
    /// The ids of the vetoes that apply (their sentences are the nodes' `text`).
    pub vetoes: Vec<&'u str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<NodeOut<'u>>>,
}

#[derive(Serialize)]
pub struct NodeOut<'u> {
    pub id: &'u str,
    pub score: Dec,
    pub to_total: Dec,
    pub parts: Vec<NodeOut<'u>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceOut<'u>>>,
}

#[derive(Serialize)]
pub struct TraceOut<'u> {
    pub clause: &'u str,
    pub amount: Dec,
    pub reason: String,
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

/// One unit, as `detail` asks.
pub fn unit_out<'u>(program: &'u Program, u: &'u UnitResult, detail: Detail) -> UnitOut<'u> {
    let items = (detail != Detail::Summary).then(|| {
        let by_node = (detail == Detail::Full).then(|| ByNode::of(program, u));
        program
            .items()
            .map(|i| node_out(program, u, i, by_node.as_ref()))
            .collect()
    });
    UnitOut {
        unit: &u.unit,
        total: Dec(u.total),
        base: Dec(u.base),
        bonus: Dec(u.bonus),
        total_deductions: Dec(u.total_deductions),
        grade: &u.grade,
        rank: u.rank,
        vetoes: u.vetoes.iter().map(|v| v.id.as_str()).collect(),
        items,
    }
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

/// Node `i` and its parts; with their trace entries when `by_node` is
/// given (`--detail full`).
fn node_out<'u>(
    program: &'u Program,
    u: &'u UnitResult,
    i: u32,
    by_node: Option<&ByNode>,
) -> NodeOut<'u> {
    let def = program.nodes.get(i as usize);
    let score = u.nodes.get(i as usize).cloned().unwrap_or_default();
    NodeOut {
        id: def.map_or("", |d| d.id.as_str()),
        score: Dec(score.score),
        to_total: Dec(score.to_total),
        parts: def
            .map(|d| {
                d.children
                    .iter()
                    .map(|c| node_out(program, u, *c, by_node))
                    .collect()
            })
            .unwrap_or_default(),
        trace: by_node.map(|by| {
            by.of_node(i)
                .iter()
                .filter_map(|&k| u.trace.get(k))
                .map(|e| TraceOut {
                    clause: program
                        .nodes
                        .get(e.node as usize)
                        .map_or("", |n| n.id.as_str()),
                    amount: Dec(e.amount),
                    reason: reason(program, u, e),
                })
                .collect()
        }),
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
            let mut buf = Vec::new();
            serde_json::to_writer_pretty(&mut buf, &head).map_err(to_io)?;
            indent(&mut out, &buf, "  ")?;
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
        let written = unit_text(self.program, u, self.lines, self.detail, &mut text)
            .and_then(|()| self.unit_text(&text));
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
) -> io::Result<()> {
    let o = unit_out(program, u, detail);
    if lines {
        serde_json::to_writer(&mut *out, &o).map_err(to_io)?;
        out.push(b'\n');
    } else {
        let mut pretty = Vec::new();
        serde_json::to_writer_pretty(&mut pretty, &o).map_err(to_io)?;
        indent(out, &pretty, "    ")?;
    }
    Ok(())
}

/// Copy pretty-printed JSON, indenting every line after the first.
fn indent(out: &mut impl Write, json: &[u8], by: &str) -> io::Result<()> {
    for (k, line) in json.split(|b| *b == b'\n').enumerate() {
        if k > 0 {
            out.write_all(b"\n")?;
            out.write_all(by.as_bytes())?;
        }
        out.write_all(line)?;
    }
    Ok(())
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
