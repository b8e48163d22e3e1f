//! The bad-rulebook corpus: every file in `tests/check/` holds one mistake and
//! names the diagnostic it must produce in its first line
//! (`# expect: rulebook::code`). The rendered diagnostics are snapshotted,
//! so a change in wording or location shows up in review.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_lang::diag::{render_plain, Code, Source};
use std::collections::BTreeSet;

#[test]
fn bad_rulebooks() {
    insta::glob!("../../../tests/check", "*.rules", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| {
                panic!(
                    "{} must start with `# expect: rulebook::code`",
                    path.display()
                )
            })
            .trim()
            .to_string();
        let name = format!(
            "tests/check/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let checked = rulebook_lang::check(&name, &text);
        let codes: Vec<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert!(
            codes.contains(&expected.as_str()),
            "{name}: expected `{expected}`, got {codes:?}"
        );
        // Every diagnostic is located inside the file.
        for d in &checked.diagnostics {
            assert!(!d.labels.is_empty(), "{name}: `{}` has no label", d.code);
            for l in &d.labels {
                assert!(
                    l.span.end <= text.len() && l.span.start <= l.span.end,
                    "{name}: bad span"
                );
            }
            assert!(d.help.is_some(), "{name}: `{}` has no help", d.code);
        }
        // Errors stop compilation; warnings alone do not.
        let has_error = checked.diagnostics.iter().any(|d| d.is_error());
        assert_eq!(checked.program.is_none(), has_error, "{name}");
        let rendered = render_plain(
            &Source::new(name.as_str(), text.as_str()),
            &checked.diagnostics,
        );
        insta::assert_snapshot!(rendered);
    });
}

/// Every code the checker can give has a bad rulebook in the corpus, and
/// every `# expect:` line names a code the checker knows.
#[test]
fn every_code_has_a_corpus_file() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/check");
    let mut expected = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rules") {
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("# expect: "))
                .unwrap_or_else(|| panic!("{} has no `# expect:` line", path.display()))
                .trim()
                .to_string();
            assert!(
                Code::parse(&code).is_some(),
                "{}: `{code}` is not a code the checker gives (see `Code` in diag.rs)",
                path.display()
            );
            expected.insert(code);
        }
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !expected.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes with no bad rulebook in tests/check/ (add `CODE.rules` starting `# expect: CODE`): {missing:?}"
    );
}

/// The shipped rulebooks check clean, without a single warning.
#[test]
fn shipped_rulebooks_check_clean() {
    for rel in [
        "../../rulebooks/ziyuan-2024.rules",
        "../../examples/small/small.rules",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let checked = rulebook_lang::check(rel, &text);
        let rendered = render_plain(&Source::new(rel, text.as_str()), &checked.diagnostics);
        assert!(checked.diagnostics.is_empty(), "{rel}:\n{rendered}");
        assert!(checked.program.is_some());
    }
}

/// The IR of a small good rulebook, as `rulebook compile` writes it.
#[test]
fn small_rulebook_ir() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/small/small.rules");
    let text = std::fs::read_to_string(&path).unwrap();
    let checked = rulebook_lang::check("small.rules", &text);
    let program = checked.program.expect("small.rules checks clean");
    insta::assert_json_snapshot!(program);
}

/// Labels sit under the text they name even when the line holds Chinese
/// (each CJK character is two columns wide on a terminal).
#[test]
fn labels_line_up_under_chinese_text() {
    use unicode_width::UnicodeWidthStr;
    let src = "input 督办次数: count \"明显应督办而未督办的次数\"\nitem 1 \"示例\" {\n  points 2\n  clause 1.1 \"（3）明显应督办而未督办的，每次扣0.5分。\" { deduct 0.5 each 督办次处 }\n}\n";
    let checked = rulebook_lang::check("cjk.rules", src);
    let d = checked
        .diagnostics
        .iter()
        .find(|d| d.code == "rulebook::unknown_name")
        .expect("an unknown name");
    let rendered = render_plain(&Source::new("cjk.rules", src), std::slice::from_ref(d));
    let lines: Vec<&str> = rendered.lines().collect();
    let source_line = lines
        .iter()
        .position(|l| l.contains("deduct 0.5 each 督办次处"))
        .expect("the source line is shown");
    let text = lines[source_line];
    let underline = lines[source_line + 1];
    // Display column where the name starts, and where the underline starts.
    let name_col = text[..text.find("督办次处").unwrap()].width();
    let mark_col = underline[..underline.find(['─', '┬']).unwrap()].width();
    assert_eq!(mark_col, name_col, "\n{rendered}");
}

/// A clause still to write has no points yet: its parent's sum is not
/// checked against them, so the `todo` is the one error to act on.
#[test]
fn a_todo_hides_the_sum_of_points_it_leaves_unknown() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/check/todo_points_unknown.rules");
    let text = std::fs::read_to_string(path).unwrap();
    let checked = rulebook_lang::check("todo_points_unknown.rules", &text);
    let codes: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, vec!["rulebook::todo"]);
    // Written, the clause's award makes the sum check again: 1 + 3 = 4.
    let done = text.replace(
        "    todo \"not read: 「完成目标任务得3分，未完成不得分，另加扣2分」\"",
        "    award 3",
    );
    assert!(rulebook_lang::check("done.rules", &done)
        .diagnostics
        .is_empty());
    let short = text.replace(
        "    todo \"not read: 「完成目标任务得3分，未完成不得分，另加扣2分」\"",
        "    award 2",
    );
    let codes: Vec<&str> = rulebook_lang::check("short.rules", &short)
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, vec!["rulebook::points_mismatch"]);
}
