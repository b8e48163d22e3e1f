//! Spreadsheets through the command: `template`, xlsx data in, `--format
//! xlsx` and `--format html` out.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use std::path::Path;

const RULES: &str = "rulebooks/ziyuan-2024.rules";
const DATA: &str = "examples/ziyuan-2024/data.json";

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn templates_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("data.xlsx");
    let o = rulebook(&["template", RULES, "-o", path(&xlsx)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    // A blank workbook: the empty globals are reported by cell; exit 1.
    let o = rulebook(&["eval", RULES, path(&xlsx)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("globals!B2"));

    let csv = dir.path().join("csv");
    let o = rulebook(&["template", RULES, "--format", "csv", "-o", path(&csv)]);
    assert_eq!(o.status.code(), Some(0));
    assert!(csv.join("units.csv").exists() && csv.join("说明.md").exists());

    let o = rulebook(&["template", RULES, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"town_plants\": []"));

    // A workbook needs a file name.
    let o = rulebook(&["template", RULES]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn official_table_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let o = rulebook(&["eval", RULES, DATA, "--format", "xlsx"]);
    assert_eq!(o.status.code(), Some(2), "xlsx needs -o");
    let a = dir.path().join("a.xlsx");
    let b = dir.path().join("b.xlsx");
    for f in [&a, &b] {
        let o = rulebook(&["eval", RULES, DATA, "--format", "xlsx", "-o", path(f)]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let o = rulebook(&["eval", RULES, DATA, "--format", "html"]);
    assert_eq!(o.status.code(), Some(0));
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.contains("<svg") && !page.contains("https://"));
}
