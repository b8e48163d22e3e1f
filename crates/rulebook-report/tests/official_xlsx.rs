//! `--format xlsx`: the official table, read back cell by cell.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use rulebook_report::xlsx;
use std::io::Cursor;

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::Float(f) => format!("{f}"),
        other => other.to_string(),
    }
    .replace('\n', " ⏎ ")
}

/// A sheet as text rows: `row: A | B | …`, empty trailing cells dropped.
fn dump(book: &mut Xlsx<Cursor<Vec<u8>>>, sheet: &str) -> String {
    let range = book.worksheet_range(sheet).unwrap();
    let mut out = String::new();
    for (r, row) in range.rows().enumerate() {
        let mut cells: Vec<String> = row.iter().map(text).collect();
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        out.push_str(&format!("{:>3}: {}\n", r + 1, cells.join(" | ")));
    }
    let merged = book.worksheet_merge_cells(sheet).unwrap().unwrap();
    let mut merged: Vec<String> = merged
        .iter()
        .map(|d| format!("{:?}-{:?}", d.start, d.end))
        .collect();
    merged.sort();
    out.push_str(&format!(
        "merged (row, col) 0-based: {}\n",
        merged.join(", ")
    ));
    out
}

#[test]
fn official_table_cells() {
    let (program, units) = common::ziyuan();
    let bytes = xlsx::render(&program, &units).unwrap();
    assert_eq!(
        bytes,
        xlsx::render(&program, &units).unwrap(),
        "same bytes every run"
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    assert_eq!(names.len(), 1 + units.len());
    assert_eq!(names[0], "汇总");
    insta::assert_snapshot!("summary_sheet", dump(&mut book, "汇总"));
    insta::assert_snapshot!("typical_unit_sheet", dump(&mut book, "典型县"));
    // Numbers are numeric cells.
    let sheet = book.worksheet_range("汇总").unwrap();
    assert!(matches!(sheet.get_value((3, 4)), Some(Data::Float(_))));
}
