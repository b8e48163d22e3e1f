//! Shared by the import tests: where the files are, and how a draft's
//! structure compares with the hand-written rulebook's.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_lang::ast::{Node, NodeBody};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, PartialEq, Clone)]
struct Shape {
    kind: &'static str,
    title: String,
    points: Option<String>,
    by: Vec<String>,
}

fn shapes(body: &NodeBody, out: &mut BTreeMap<String, Shape>) {
    for n in &body.children {
        shape(n, out);
    }
}

fn shape(n: &Node, out: &mut BTreeMap<String, Shape>) {
    out.insert(
        n.id.node.clone(),
        Shape {
            kind: n.kind.word(),
            title: n.title.as_ref().map(|t| t.node.clone()).unwrap_or_default(),
            points: n
                .body
                .points
                .as_ref()
                .map(|p| p.node.normalize().to_string()),
            by: n.body.by.iter().map(|b| b.node.clone()).collect(),
        },
    );
    shapes(&n.body, out);
}

pub fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The 2024 Ziyuan document as published (a copy kept with the tests).
pub fn source() -> std::path::PathBuf {
    root().join("tests/import/ziyuan-2024/source.txt")
}

/// Nodes of the hand-written rulebook matched by the draft (same id, kind,
/// sentence, points and units), the count of hand-written nodes, the
/// draft's extra nodes, and a report of the differences.
pub fn compare(draft: &str) -> (usize, usize, Vec<String>, String) {
    let hand = std::fs::read_to_string(root().join("rulebooks/ziyuan-2024.rules")).unwrap();
    let hand = rulebook_lang::parse::parse(&hand).unwrap();
    let drafted = rulebook_lang::parse::parse(draft).unwrap_or_else(|e| {
        panic!(
            "draft does not parse: {:?}",
            e.first().map(|d| d.message.clone())
        )
    });
    let (mut want, mut got) = (BTreeMap::new(), BTreeMap::new());
    shapes(&hand.root, &mut want);
    shapes(&drafted.root, &mut got);
    let mut matched = 0;
    let mut report = String::new();
    for (id, w) in &want {
        match got.get(id) {
            Some(g) if g == w => matched += 1,
            Some(g) => {
                for (what, a, b) in [
                    ("kind", w.kind.to_string(), g.kind.to_string()),
                    ("title", w.title.clone(), g.title.clone()),
                    (
                        "points",
                        format!("{:?}", w.points),
                        format!("{:?}", g.points),
                    ),
                    ("by", format!("{:?}", w.by), format!("{:?}", g.by)),
                ] {
                    if a != b {
                        report.push_str(&format!("{id} {what}: want {a}\n{id} {what}:  got {b}\n"));
                    }
                }
            }
            None => report.push_str(&format!("{id}: missing\n")),
        }
    }
    let extra: Vec<String> = got
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    (matched, want.len(), extra, report)
}
