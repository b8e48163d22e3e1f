//! Unit names anyone can write (issue 10 #8, #11): every output stays a
//! valid file and no name turns into a formula.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use calamine::{open_workbook_from_rs, Reader, Xlsx};
use std::io::Cursor;

const NAMES: [&str; 8] = [
    "甲\u{7}县\u{1b}[2J",
    "'乙县'",
    "丙县 '",
    "一个非常非常非常非常非常非常非常非常非常长的单位名称超过三十一个字符'",
    "一个非常非常非常非常非常非常非常非常非常长的单位名称超过三十一个字符X",
    "=HYPERLINK(\"http://x\",\"a\")",
    "history",
    "汇总",
];

fn hostile() -> (
    rulebook_lang::ir::Program,
    Vec<rulebook_eval::eval::UnitResult>,
) {
    let (program, units) = common::ziyuan();
    let template = units[0].clone();
    let units = NAMES
        .iter()
        .map(|n| {
            let mut u = template.clone();
            u.unit = (*n).to_owned();
            u
        })
        .collect();
    (program, units)
}

#[test]
fn any_unit_name_gives_a_workbook_excel_opens() {
    let (program, units) = hostile();
    let bytes = rulebook_report::xlsx::render(&program, &units).unwrap();
    let book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    assert_eq!(names.len(), NAMES.len() + 1, "{names:?}");
    let mut seen = std::collections::HashSet::new();
    for n in &names {
        assert!(!n.is_empty() && n.chars().count() <= 31, "{n:?}");
        assert!(!n.starts_with('\'') && !n.ends_with('\''), "{n:?}");
        assert!(
            !n.chars().any(|c| c.is_control() || "[]:*?/\\".contains(c)),
            "{n:?}"
        );
        assert!(seen.insert(n.to_lowercase()), "{n:?} twice");
        assert_ne!(n.to_lowercase(), "history");
    }
}

#[test]
fn csv_names_are_not_formulas() {
    let (program, units) = hostile();
    let csv = rulebook_report::csv_out::render(&program, &units).unwrap();
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let first = rec.get(0).unwrap().chars().next().unwrap();
        assert!(!"=+-@\t\r".contains(first), "{rec:?}");
    }
}

/// A CSV row made ahead as text and written with its rank later (what
/// `eval --format csv` does) is the row the CSV writer writes whole, for
/// names, grades and vetoes that need quoting or none, with and without
/// item columns.
#[test]
fn csv_rows_made_ahead_are_the_rows_written_whole() {
    use rulebook_report::csv_out::CsvWriter;
    use rulebook_report::fmt_dec;
    use rulebook_report::json::Detail;
    let (program, mut units) = hostile();
    let extra = ["甲,乙", "say \"x\"", "", "line\nbreak", "  spaced  "];
    for (k, name) in extra.iter().enumerate() {
        let mut u = units[0].clone();
        u.unit = (*name).to_owned();
        u.grade = extra[(k + 1) % extra.len()].to_owned();
        u.vetoes = vec![rulebook_eval::eval::Veto {
            id: extra[(k + 2) % extra.len()].to_owned(),
            reason: String::new(),
        }];
        units.push(u);
    }
    for (k, u) in units.iter_mut().enumerate() {
        u.rank = 1 + (k as u32 * 7) % 11;
    }
    let items: Vec<usize> = program.items().map(|i| i as usize).collect();
    for detail in [Detail::Items, Detail::Summary] {
        let writer = CsvWriter::begin(&program, Vec::new(), detail).unwrap();
        for u in &units {
            // The row as the CSV crate writes it whole, record by record.
            let cell = |s: &str| rulebook_report::safe::spreadsheet_cell(s).into_owned();
            let mut fields = vec![
                cell(&u.unit),
                fmt_dec(u.total),
                fmt_dec(u.base),
                fmt_dec(u.bonus),
                fmt_dec(u.total_deductions),
                cell(&u.grade),
                u.rank.to_string(),
                cell(&u.veto_ids(";")),
            ];
            if detail == Detail::Items {
                for &i in &items {
                    fields.push(fmt_dec(u.nodes[i].score));
                    fields.push(fmt_dec(u.nodes[i].to_total));
                }
            }
            let mut whole = csv::Writer::from_writer(Vec::new());
            whole.write_record(&fields).unwrap();
            let whole = whole.into_inner().unwrap();

            let mut text = Vec::new();
            let at = writer.unit_text(u, &mut text);
            let mut ahead = CsvWriter::begin(&program, Vec::new(), detail).unwrap();
            ahead.unit_text_with_rank(&text, at, u.rank).unwrap();
            let ahead = ahead.finish().unwrap();
            let header_end = ahead.iter().position(|&b| b == b'\n').unwrap() + 1;
            assert_eq!(
                String::from_utf8(ahead[header_end..].to_vec()).unwrap(),
                String::from_utf8(whole).unwrap(),
                "{detail:?}"
            );
        }
    }
}
