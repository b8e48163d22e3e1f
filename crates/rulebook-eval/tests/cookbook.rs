//! `docs/cookbook.md` cannot rot: every entry's rule is wrapped in a small
//! rulebook (the convention is described at the top of the cookbook), which
//! must check with no error and no warning, and whose `test` blocks (values
//! computed by hand, written in the entry's `rules-test` block) must pass.
//!
//! An entry marked `<!-- waits: … -->` uses language planned in issue 8 that
//! has not landed yet: it is expected to fail, and this test fails when it
//! starts passing, so the marker is removed as soon as the feature lands.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_lang::Severity;
use std::path::Path;

/// One `###` entry of the cookbook.
struct Entry {
    heading: String,
    /// The line of the heading in the cookbook (1-based).
    line: usize,
    /// The document's sentence: the entry's first `> ` line.
    sentence: String,
    rules: Vec<String>,
    tests: Vec<String>,
    waits: Option<String>,
}

fn entries(md: &str) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut fence: Option<(String, String)> = None; // (kind, text)
    for (i, line) in md.lines().enumerate() {
        if let Some((_, text)) = fence.as_mut() {
            if line.trim_start().starts_with("```") {
                let (kind, text) = fence.take().unwrap();
                if let Some(e) = out.last_mut() {
                    match kind.as_str() {
                        "rules" => e.rules.push(text),
                        "rules-test" => e.tests.push(text),
                        _ => {}
                    }
                }
            } else {
                text.push_str(line);
                text.push('\n');
            }
            continue;
        }
        if let Some(h) = line.strip_prefix("### ") {
            out.push(Entry {
                heading: h.trim().to_string(),
                line: i + 1,
                sentence: String::new(),
                rules: Vec::new(),
                tests: Vec::new(),
                waits: None,
            });
        } else if line.starts_with("## ") {
            // a new chapter ends the entry above it
            out.push(Entry {
                heading: String::new(),
                line: i + 1,
                sentence: String::new(),
                rules: Vec::new(),
                tests: Vec::new(),
                waits: None,
            });
        } else if let Some(kind) = line.trim_start().strip_prefix("```") {
            fence = Some((kind.trim().to_string(), String::new()));
        } else if let Some(e) = out.last_mut() {
            if let Some(s) = line.strip_prefix("> ") {
                if e.sentence.is_empty() {
                    e.sentence = s.trim().to_string();
                }
            } else if let Some(w) = line.trim().strip_prefix("<!-- waits:") {
                e.waits = Some(w.trim_end_matches("-->").trim().to_string());
            }
        }
    }
    out.retain(|e| !e.heading.is_empty());
    out
}

/// Words that start a top-level line of a rulebook: a `rules` block with a
/// line starting with one of them (at the left margin) is written as is.
const TOP_LEVEL: [&str; 6] = ["item ", "section ", "grade ", "floor ", "round ", "year "];

/// The rulebook an entry stands for: its `rules-test` blocks at the top
/// level, then its `rules` blocks as the body of `item 1 "SENTENCE"`, or as
/// written when they hold top-level lines of their own (`item`, `section`,
/// `grade`, `floor`, `round`, `year`).
fn rulebook(e: &Entry) -> String {
    let mut src = String::from("rulebook \"cookbook\"\n");
    for t in &e.tests {
        src.push_str(t);
    }
    let rules = e.rules.concat();
    let own_nodes = rules
        .lines()
        .any(|l| TOP_LEVEL.iter().any(|w| l.starts_with(w)));
    if own_nodes {
        src.push_str(&rules);
    } else {
        let title = e.sentence.replace('"', "“");
        src.push_str(&format!("item 1 \"{title}\" {{\n{rules}}}\n"));
    }
    src
}

/// What is wrong with an entry, or `None` when it checks clean and its tests
/// pass.
fn problems(e: &Entry) -> Option<String> {
    let src = rulebook(e);
    let checked = rulebook_lang::check("cookbook.rules", &src);
    let diags: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| {
            let sev = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            format!("{sev} {}: {}", d.code, d.message)
        })
        .collect();
    if !diags.is_empty() {
        return Some(format!("does not check clean: {}", diags.join("; ")));
    }
    let program = checked.program?;
    let expects: usize = program.tests.iter().map(|t| t.expects.len()).sum();
    if expects == 0 {
        return Some("has no `test` with an `expect` in its `rules-test` block".into());
    }
    let mut no_files = |p: &str| {
        Err(vec![rulebook_eval::data::DataError {
            unit: None,
            field: None,
            location: rulebook_eval::data::Location::File(p.to_string()),
            message: "a cookbook test reads no files".into(),
            help: None,
        }])
    };
    let mut failed = Vec::new();
    for o in rulebook_eval::tests_run::run_tests(&program, &mut no_files) {
        if let Some(err) = &o.error {
            failed.push(format!("test `{}` could not run: {err}", o.name));
        }
        for m in &o.mismatches {
            failed.push(format!(
                "test `{}`: {} expected {}, got {}",
                o.name, m.what, m.expected, m.actual
            ));
        }
    }
    if failed.is_empty() {
        None
    } else {
        Some(format!("scores wrong: {}", failed.join("; ")))
    }
}

#[test]
fn every_cookbook_entry_checks_and_scores_as_written() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cookbook.md");
    let md = std::fs::read_to_string(&path).unwrap();
    let all = entries(&md);
    assert!(
        all.len() >= 40,
        "the cookbook has {} entries, wants at least 40",
        all.len()
    );
    let mut failures = Vec::new();
    for e in &all {
        let at = format!("docs/cookbook.md:{} `### {}`", e.line, e.heading);
        if e.sentence.is_empty() || e.rules.is_empty() || e.tests.is_empty() {
            failures.push(format!(
                "{at}: an entry needs a `> ` sentence, a ```rules block and a ```rules-test block"
            ));
            continue;
        }
        match (problems(e), &e.waits) {
            (Some(p), None) => failures.push(format!("{at}: {p}")),
            (None, Some(w)) => failures.push(format!(
                "{at}: passes now: remove its `<!-- waits: {w} -->` marker"
            )),
            (Some(p), Some(w)) => eprintln!("waiting on {w}: {at}: {p}"),
            (None, None) => {}
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_broken_entry_is_reported_by_name() {
    let md = "## x\n### 1. 每低…扣\n> 每低1分扣1分\n```rules\naward 3\ndeduct 1 per 1 of a below 5\n```\n```rules-test\ninput a: number \"a\"\ntest \"t\" {\n  given { a: 4 }\n  expect 1 = 1\n}\n```\n";
    let all = entries(md);
    assert_eq!(all.len(), 1);
    let p = problems(&all[0]).expect("a wrong expectation must be reported");
    assert!(p.contains("expected 1, got 2"), "{p}");
    let bad = md.replace("per 1 of a", "per 1 of b");
    let p = problems(&entries(&bad)[0]).expect("an unknown name must be reported");
    assert!(p.contains("unknown_name"), "{p}");
}
