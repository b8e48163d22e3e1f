//! Shared by the import tests: where the files are, and how a draft's
//! structure compares with the hand-written rulebook's.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_lang::ast::{self, Node, NodeBody, RuleOrBlock, Span};
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
    compare_with("rulebooks/ziyuan-2024.rules", draft)
}

/// [`compare`] against another hand-written rulebook (a path from the root).
pub fn compare_with(rulebook: &str, draft: &str) -> (usize, usize, Vec<String>, String) {
    let hand = std::fs::read_to_string(root().join(rulebook)).unwrap();
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

fn find<'a>(body: &'a ast::NodeBody, id: &str) -> Option<&'a ast::Node> {
    for c in &body.children {
        if c.id.node == id {
            return Some(c);
        }
        if let Some(n) = find(&c.body, id) {
            return Some(n);
        }
    }
    None
}

/// Replace identifier tokens of a rule by their mapped expressions.
fn substitute(rule: &str, map: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match map.get(word.as_str()) {
            Some(e) => out.push_str(&format!("({e})")),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in rule.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn line_span(src: &str, s: Span) -> Span {
    let start = src[..s.start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = src[s.end..]
        .find('\n')
        .map(|i| s.end + i + 1)
        .unwrap_or(src.len());
    Span::new(start, end)
}

/// Every proposal of `source` (paths from the root), its inputs mapped by
/// `names_map` to the hand-written `rulebook`'s names, scores every unit
/// of `data` exactly as the hand-written rules do; and no proposal is left
/// out of the map. Returns (proposed, scored nodes).
pub fn verify_proposals(
    source: &str,
    rulebook: &str,
    names_map: &str,
    data: &str,
) -> (usize, usize) {
    let doc = rulebook_import::read_document(&root().join(source)).unwrap();
    let proposals = rulebook_import::write::propose(&doc);
    let map_text = std::fs::read_to_string(root().join(names_map)).unwrap();
    let mut maps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for line in map_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (lhs, expr) = line.split_once(" = ").unwrap();
        let (id, name) = lhs.split_once(' ').unwrap();
        maps.entry(id.into())
            .or_default()
            .insert(name.into(), expr.into());
    }
    let hand_path = root().join(rulebook);
    let hand = std::fs::read_to_string(&hand_path).unwrap();
    let file = rulebook_lang::parse::parse(&hand).unwrap();
    let mut edits: Vec<(Span, String)> = Vec::new();
    for (id, map) in &maps {
        let p = proposals
            .get(id)
            .unwrap_or_else(|| panic!("no proposal for {id}"));
        assert!(p.proposed(), "{id}: nothing proposed");
        for i in &p.inputs {
            assert!(
                map.contains_key(&i.name),
                "{id}: `{}` is not mapped",
                i.name
            );
        }
        let node = find(&file.root, id).unwrap_or_else(|| panic!("no node {id} in the rulebook"));
        let spans: Vec<Span> = node
            .body
            .rules
            .iter()
            .map(|r| match r {
                RuleOrBlock::Rule(r) => r.span,
                RuleOrBlock::Block { span, .. } => *span,
            })
            .collect();
        let rules: String = p.rules.iter().map(|r| substitute(r, map) + "\n").collect();
        let (first, rest) = spans.split_first().unwrap();
        edits.push((line_span(&hand, *first), rules));
        for s in rest {
            edits.push((line_span(&hand, *s), String::new()));
        }
    }
    edits.sort_by_key(|e| e.0.start);
    let mut spliced = String::new();
    let mut last = 0;
    for (s, t) in &edits {
        spliced.push_str(&hand[last..s.start]);
        spliced.push_str(t);
        last = s.end;
    }
    spliced.push_str(&hand[last..]);

    let name = hand_path.display().to_string();
    let original = rulebook_lang::check(&name, &hand).program.unwrap();
    let checked = rulebook_lang::check(&name, &spliced);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let spliced_program = checked.program.unwrap();
    let data = std::fs::read_to_string(root().join(data)).unwrap();
    let score = |program: &rulebook_lang::ir::Program| {
        let batch = rulebook_eval::data::load_json(program, "data.json", &data).unwrap();
        rulebook_eval::eval::evaluate_batch(program, &batch, Default::default()).unwrap()
    };
    let (want, got) = (score(&original), score(&spliced_program));
    let mut differences = Vec::new();
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(w.unit, g.unit);
        for (what, a, b) in [
            ("total", w.total, g.total),
            ("base", w.base, g.base),
            ("bonus", w.bonus, g.bonus),
            ("deductions", w.total_deductions, g.total_deductions),
        ] {
            if a != b {
                differences.push(format!("{} {what}: {a} → {b}", w.unit));
            }
        }
        if w.grade != g.grade || w.veto_ids(",") != g.veto_ids(",") {
            differences.push(format!("{} grade or vetoes differ", w.unit));
        }
        for (n, node) in original.nodes.iter().enumerate() {
            let m = spliced_program
                .nodes
                .iter()
                .position(|x| x.id == node.id)
                .unwrap();
            if w.nodes[n] != g.nodes[m] {
                differences.push(format!(
                    "{} node {}: {:?} → {:?}",
                    w.unit, node.id, w.nodes[n], g.nodes[m]
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{differences:#?}");

    let scored = proposals.len();
    let proposed = proposals.values().filter(|p| p.proposed()).count();
    eprintln!(
        "rules proposed for {proposed} of {scored} scored nodes ({:.1}%); {} of them verified against the hand-written rules on {} example units",
        proposed as f64 * 100.0 / scored as f64,
        maps.len(),
        want.len()
    );
    // Every proposal is verified: a node with rules that is not in the map
    // is a proposal nobody checked.
    let unverified: Vec<&String> = proposals
        .iter()
        .filter(|(id, p)| p.proposed() && !maps.contains_key(*id))
        .map(|(id, _)| id)
        .collect();
    assert!(
        unverified.is_empty(),
        "proposals not verified: {unverified:?}"
    );
    (proposed, scored)
}

/// `old → new` pairs as the summary holds them.
pub fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// A document (path from the root) carried over onto a rulebook (path).
pub fn carry(source: &str, rulebook: &str) -> rulebook_import::carry::Carried {
    let doc = rulebook_import::read_document(&root().join(source)).unwrap();
    let base = std::fs::read_to_string(root().join(rulebook)).unwrap();
    rulebook_import::carry::carry_over(&doc, &base).unwrap()
}

/// The errors `check` finds in a draft, and the warnings about unused names.
pub fn problems(text: &str) -> Vec<String> {
    rulebook_lang::check("draft.rules", text)
        .diagnostics
        .iter()
        .filter(|d| d.is_error() || d.code.as_str().contains("unused"))
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect()
}
