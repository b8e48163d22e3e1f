//! `rulebook import` and `rulebook rename` as a user runs them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[test]
fn import_against_last_year_then_rename() {
    let dir = tempfile::tempdir().unwrap();
    let draft = dir.path().join("ziyuan-2025.rules");
    let draft_s = draft.to_str().unwrap();
    let out = rulebook(&[
        "import",
        "tests/import/ziyuan-2025/source.txt",
        "--base",
        "rulebooks/ziyuan-2024.rules",
        "-o",
        draft_s,
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    // One to-do left: exit 1, and the summary says what changed.
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(
            "191 unchanged, 3 with numbers updated, 1 new, 1 removed, 1 reworded, 1 to do\n"
        ),
        "{err}"
    );
    assert!(err.contains("  numbers updated  5.4.1: 16 → 20\n"), "{err}");
    // `check` lists the to-do at its clause.
    let check = rulebook(&["check", draft_s]);
    let text = String::from_utf8(check.stderr).unwrap();
    assert!(
        text.contains("rulebook::todo") && text.contains("clause 5.11.3"),
        "{text}"
    );
    // Rename the invented name; a taken name is refused and nothing changes.
    let out = rulebook(&["rename", "c1_3_n", "supervision_overdue", draft_s]);
    assert_eq!(out.status.code(), Some(0));
    let after = std::fs::read_to_string(&draft).unwrap();
    assert!(after.contains("deduct 0.5 each supervision_overdue cap 2"));
    assert!(!after.contains("c1_3_n"));
    let out = rulebook(&["rename", "supervision_overdue", "pm25", draft_s]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&draft).unwrap(), after);
}

#[test]
fn import_of_the_same_year_changes_nothing() {
    let src = root().join("tests/import/ziyuan-2024/source.txt");
    let out = rulebook(&[
        "import",
        src.to_str().unwrap(),
        "--base",
        "rulebooks/ziyuan-2024.rules",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let base = std::fs::read_to_string(root().join("rulebooks/ziyuan-2024.rules")).unwrap();
    assert_eq!(text, base);
}

#[test]
fn an_unreadable_document_is_a_usage_error() {
    let out = rulebook(&["import", "no/such/file.docx"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no/such/file.docx"), "{err}");
}
