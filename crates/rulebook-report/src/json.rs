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
    pub total: String,
    pub base: String,
    pub bonus: String,
    pub total_deductions: String,
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
    pub score: String,
    pub to_total: String,
    pub parts: Vec<NodeOut<'u>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceOut<'u>>>,
}

#[derive(Serialize)]
pub struct TraceOut<'u> {
    pub clause: &'u str,
    pub amount: String,
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
        program
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind == NodeKind::Item)
            .map(|(i, _)| node_out(program, u, i as u32, detail))
            .collect()
    });
    UnitOut {
        unit: &u.unit,
        total: fmt_dec(u.total),
        base: fmt_dec(u.base),
        bonus: fmt_dec(u.bonus),
        total_deductions: fmt_dec(u.total_deductions),
        grade: &u.grade,
        rank: u.rank,
        vetoes: u.vetoes.iter().map(|v| v.id.as_str()).collect(),
        items,
    }
}

fn node_out<'u>(program: &'u Program, u: &'u UnitResult, i: u32, detail: Detail) -> NodeOut<'u> {
    let def = program.nodes.get(i as usize);
    let score = u.nodes.get(i as usize).cloned().unwrap_or_default();
    NodeOut {
        id: def.map_or("", |d| d.id.as_str()),
        score: fmt_dec(score.score),
        to_total: fmt_dec(score.to_total),
        parts: def
            .map(|d| {
                d.children
                    .iter()
                    .map(|c| node_out(program, u, *c, detail))
                    .collect()
            })
            .unwrap_or_default(),
        trace: (detail == Detail::Full).then(|| {
            u.trace
                .iter()
                .filter(|e| e.node == i)
                .map(|e| TraceOut {
                    clause: program
                        .nodes
                        .get(e.node as usize)
                        .map_or("", |n| n.id.as_str()),
                    amount: fmt_dec(e.amount),
                    reason: reason(program, e),
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
        let o = unit_out(self.program, u, self.detail);
        self.buf.clear();
        if self.lines {
            serde_json::to_writer(&mut self.buf, &o).map_err(to_io)?;
            self.buf.push(b'\n');
            self.out.write_all(&self.buf)?;
        } else {
            serde_json::to_writer_pretty(&mut self.buf, &o).map_err(to_io)?;
            self.out
                .write_all(if self.first { b"\n    " } else { b",\n    " })?;
            indent(&mut self.out, &self.buf, "    ")?;
        }
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
