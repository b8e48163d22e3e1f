//! The draft rulebook's text: the document's tree with its recognised
//! rules, laid out by the project's formatter.

use crate::model::{Document, Kind, Node};
use crate::recognise::{self, Proposal};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A string as the language writes it: one line, no straight quotes.
pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    let mut open = true;
    for c in s.chars() {
        match c {
            '"' => {
                out.push(if open { '“' } else { '”' });
                open = !open;
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn fmt_dec(d: Decimal) -> String {
    d.normalize().to_string()
}

/// What the draft proposes for each node that holds a sentence.
pub type Proposals = BTreeMap<String, Proposal>;

/// Recognise every scored node's sentences.
pub fn propose(doc: &Document) -> Proposals {
    let mut out = Proposals::new();
    for s in &doc.sections {
        propose_in(s, s.bonus, None, &mut out);
    }
    out
}

fn propose_in(n: &Node, bonus: bool, parent: Option<&Node>, out: &mut Proposals) {
    if n.kind != Kind::Section && n.children.is_empty() {
        out.insert(n.id.clone(), recognise::recognise(n, parent, bonus));
    }
    for c in &n.children {
        propose_in(c, bonus, Some(n), out);
    }
}

/// The text of one node (and its children), rules included.
pub fn node_text(n: &Node, proposals: &Proposals, out: &mut String) {
    node_text_in(n, None, proposals, out)
}

fn node_text_in(n: &Node, parent: Option<&Node>, proposals: &Proposals, out: &mut String) {
    let _ = writeln!(out, "{} {} {} {{", n.kind.word(), n.id, quote(&n.title));
    if n.bonus {
        out.push_str("bonus\n");
    }
    if let Some(p) = n.points {
        let _ = writeln!(out, "points {}", fmt_dec(p));
    }
    let proposal = proposals.get(&n.id);
    if n.no_base && n.kind != Kind::Section {
        out.push_str("no base\n");
    }
    // 不设基础分，从第（1）—（4）项得分中扣分: `no base` and `off …`.
    for line in recognise::pool_statements(n, parent) {
        if !(line == "no base" && n.no_base) {
            let _ = writeln!(out, "{line}");
        }
    }
    for line in proposal.map(|p| p.statements.as_slice()).unwrap_or(&[]) {
        let _ = writeln!(out, "{line}");
    }
    if let Some(c) = n.cap {
        let _ = writeln!(out, "cap {}", fmt_dec(c));
    }
    for b in &n.by {
        let _ = writeln!(out, "by {}", quote(b));
    }
    for t in &n.text {
        let _ = writeln!(out, "text {}", quote(t));
    }
    if let Some(p) = proposal {
        p.write_body(out);
    }
    for c in &n.children {
        node_text_in(c, Some(n), proposals, out);
    }
    out.push_str("}\n");
}

/// The whole draft, formatted.
pub fn draft(doc: &Document, proposals: &Proposals) -> String {
    let mut out = String::new();
    out.push_str("# Draft written by `rulebook import`: check every rule against the\n");
    out.push_str("# document, rename the inputs (`rulebook rename OLD NEW FILE`) and write\n");
    out.push_str("# each `todo` (`rulebook check` lists them).\n\n");
    if let Some(t) = &doc.title {
        let _ = writeln!(out, "rulebook {}", quote(t));
    }
    if let Some(n) = &doc.number {
        let _ = writeln!(out, "document {}", quote(n));
    }
    if let Some(p) = doc.points {
        let _ = writeln!(out, "points {}", fmt_dec(p));
    }
    if proposals.values().any(|p| p.veto) {
        out.push_str("\ngrade \"不合格\" if vetoed\ngrade \"合格\" otherwise\n");
    }
    // An input several nodes read (a parent's condition) is declared once.
    let mut declared = std::collections::BTreeSet::new();
    for s in &doc.sections {
        out.push('\n');
        for n in s.walk() {
            let Some(p) = proposals.get(&n.id) else {
                continue;
            };
            let fresh: Vec<_> = p
                .inputs
                .iter()
                .filter(|i| declared.insert(i.name.clone()))
                .collect();
            if fresh.is_empty() {
                continue;
            }
            let _ = writeln!(out, "# ---- {} {}", n.id, short(&n.title));
            for i in fresh {
                let _ = writeln!(out, "{}", i.declaration());
            }
        }
        out.push('\n');
        node_text(s, proposals, &mut out);
    }
    rulebook_lang::format::format(&out)
}

fn short(s: &str) -> String {
    let t: String = s.chars().take(24).collect();
    if t.len() < s.len() {
        format!("{t}…")
    } else {
        t
    }
}
