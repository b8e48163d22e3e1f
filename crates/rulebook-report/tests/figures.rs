//! The figures add up in every format: for random units of the Ziyuan
//! rulebook, each report shows the same base (Σ item scores), deductions off
//! the total, bonus and total, with total = max(0, base − deductions) + bonus,
//! and every formula line a report prints (HTML, XLSX, explain) holds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use proptest::prelude::*;
use rulebook_eval::data::{load_json, Batch};
use rulebook_eval::eval::{evaluate_batch, Options, UnitResult};
use rulebook_eval::Value;
use rulebook_lang::ir::{NodeKind, Program, Type, Unit};
use rulebook_report::{csv_out, explain, html, json, markdown, table, xlsx};
use rust_decimal::Decimal;
use std::io::Cursor;
use std::str::FromStr;
use std::sync::OnceLock;

fn setup() -> &'static (Program, Batch) {
    static S: OnceLock<(Program, Batch)> = OnceLock::new();
    S.get_or_init(|| {
        let root = common::root();
        let src = std::fs::read_to_string(root.join("rulebooks/ziyuan-2024.rules")).unwrap();
        let data = std::fs::read_to_string(root.join("examples/ziyuan-2024/data.json")).unwrap();
        let program = rulebook_lang::check("ziyuan-2024.rules", &src)
            .program
            .unwrap();
        let batch = load_json(&program, "data.json", &data).unwrap();
        (program, batch)
    })
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s.trim()).unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// The four figures as a report shows them.
#[derive(Debug, PartialEq)]
struct Figures {
    base: Decimal,
    deductions: Decimal,
    bonus: Decimal,
    total: Decimal,
}

impl Figures {
    fn of(u: &UnitResult) -> Self {
        Figures {
            base: u.base,
            deductions: u.total_deductions,
            bonus: u.bonus,
            total: u.total,
        }
    }
    fn from_cells(cells: &[&str]) -> Self {
        Figures {
            base: dec(cells[0]),
            deductions: dec(cells[1]),
            bonus: dec(cells[2]),
            total: dec(cells[3]),
        }
    }
    fn adds_up(&self) -> bool {
        self.total == (self.base - self.deductions).max(Decimal::ZERO) + self.bonus
    }
}

/// The number written after `label` in `line`.
fn after(line: &str, label: &str) -> Decimal {
    let at = line
        .find(label)
        .unwrap_or_else(|| panic!("no {label} in {line}"))
        + label.len();
    let num: String = line[at..]
        .chars()
        .skip_while(|c| *c == ' ')
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    dec(&num)
}

/// A printed formula 「总分 T ＝ 基础得分 B − 从总分扣减 D ＋ 加分 X」 (or its
/// 「不足 0 记 0」 form) holds and shows the unit's figures.
fn formula_holds(line: &str, u: &UnitResult) {
    let f = Figures {
        total: after(line, "总分 "),
        base: after(line, "基础得分 "),
        deductions: after(line, "从总分扣减 "),
        bonus: after(line, "加分 "),
    };
    assert_eq!(f, Figures::of(u), "{line}");
    let floored = line.contains("不足 0 记 0");
    assert_eq!(floored, f.base < f.deductions, "{line}");
    let net = if floored {
        Decimal::ZERO
    } else {
        f.base - f.deductions
    };
    assert_eq!(
        f.total,
        net + f.bonus,
        "the formula does not add up: {line}"
    );
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Float(f) => format!("{f}"),
        other => other.to_string(),
    }
}

fn check_every_format(program: &Program, units: &[UnitResult]) {
    // The identity itself, and base = Σ item scores.
    for u in units {
        let f = Figures::of(u);
        assert!(f.adds_up(), "{}: {f:?}", u.unit);
        let items: Decimal = program
            .nodes
            .iter()
            .zip(&u.nodes)
            .filter(|(n, _)| n.kind == NodeKind::Item && n.has_base() && !n.bonus)
            .map(|(_, s)| s.score)
            .sum();
        assert_eq!(u.base, items, "{}: base is not Σ item scores", u.unit);
    }
    // Table.
    let t = table::render(units);
    for u in units {
        let line = t
            .lines()
            .find(|l| l.split_whitespace().next() == Some(u.unit.as_str()))
            .unwrap();
        let cells: Vec<&str> = line.split_whitespace().skip(1).take(4).collect();
        assert_eq!(Figures::from_cells(&cells), Figures::of(u), "table: {line}");
    }
    // JSON.
    let j: serde_json::Value =
        serde_json::from_str(&json::render(program, units, json::Detail::Full)).unwrap();
    let ju = j["units"].as_array().unwrap();
    for (u, o) in units.iter().zip(ju) {
        let cells: Vec<&str> = ["base", "total_deductions", "bonus", "total"]
            .iter()
            .map(|k| o[*k].as_str().unwrap())
            .collect();
        assert_eq!(Figures::from_cells(&cells), Figures::of(u), "json: {o}");
    }
    // CSV.
    let c = csv_out::render(program, units).unwrap();
    let mut rd = csv::Reader::from_reader(c.as_bytes());
    let header = rd.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let cols = [
        col("base"),
        col("total_deductions"),
        col("bonus"),
        col("total"),
    ];
    for (u, rec) in units.iter().zip(rd.records()) {
        let rec = rec.unwrap();
        let cells: Vec<&str> = cols.iter().map(|&k| &rec[k]).collect();
        assert_eq!(Figures::from_cells(&cells), Figures::of(u), "csv: {rec:?}");
    }
    // Markdown.
    let md = markdown::render(program, units);
    for u in units {
        let row = format!("| {} | ", u.unit);
        let line = md.lines().find(|l| l.starts_with(&row)).unwrap();
        let cells: Vec<&str> = line.split('|').skip(2).take(4).collect();
        assert_eq!(
            Figures::from_cells(&cells),
            Figures::of(u),
            "markdown: {line}"
        );
    }
    // HTML: the summary rows and each unit's formula.
    let h = html::render(program, units);
    let formulas: Vec<&str> = h
        .lines()
        .filter(|l| l.starts_with("<p class=\"totals\">"))
        .collect();
    assert_eq!(formulas.len(), units.len());
    for (u, line) in units.iter().zip(formulas) {
        formula_holds(line, u);
    }
    // Explain.
    for u in units {
        let e = explain::render(program, u, units.len());
        formula_holds(e.lines().nth(1).unwrap(), u);
    }
    // XLSX: the summary sheet, and the formula lines of each unit's sheet.
    let bytes = xlsx::render(program, units).unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    let summary = book.worksheet_range(&names[0]).unwrap();
    for u in units {
        let row = summary.rows().find(|r| cell_text(&r[0]) == u.unit).unwrap();
        let cells: Vec<String> = row[1..5].iter().map(cell_text).collect();
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        assert_eq!(Figures::from_cells(&cells), Figures::of(u), "xlsx summary");
    }
    for (u, name) in units.iter().zip(&names[1..]) {
        let sheet = book.worksheet_range(name).unwrap();
        let lines: Vec<String> = sheet
            .rows()
            .flat_map(|r| r.iter().map(cell_text).collect::<Vec<_>>())
            .filter(|t| t.contains("基础得分 "))
            .collect();
        assert_eq!(lines.len(), 2, "sheet {name}: {lines:?}");
        for l in &lines {
            formula_holds(l, u);
        }
    }
}

#[test]
fn the_example_batch_adds_up() {
    let (program, units) = common::ziyuan();
    check_every_format(&program, &units);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_units_add_up(draws in proptest::collection::vec((0usize..8, 0usize..400, 0u32..100_000, 0u32..4), 1..80)) {
        let (program, batch) = setup();
        let mut b = batch.clone();
        for (unit, slot, draw, scale) in draws {
            let i = slot % program.inputs.len();
            let v = match &program.inputs[i].ty {
                Type::Bool => Value::Bool(draw % 2 == 0),
                // Counts up to 30, so deductions can exceed the base.
                Type::Num(Unit::Count) => Value::Num(Decimal::from(draw % 31)),
                Type::Num(Unit::Rank) => Value::Num(Decimal::from(1 + draw % 20)),
                // Two decimals, 0 to 1000.
                Type::Num(_) => Value::Num(Decimal::new(i64::from(draw), 2 + scale)),
                _ => continue,
            };
            let u = unit % b.units.len();
            b.units[u].inputs[i] = v;
        }
        let units = evaluate_batch(program, &b, Options { trace: true, parallel: false }).unwrap();
        check_every_format(program, &units);
    }
}
