//! Workbooks written by rust_xlsxwriter read back exactly (issue 10): a
//! units table placed anywhere on its sheet, each value written as a plain
//! number, as a number formatted as a percent, or as text, comes back as
//! the decimal that was meant.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use rulebook_eval::value::Value;
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook};
use std::str::FromStr;

fn program() -> rulebook_lang::ir::Program {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/attack/_shared/tiny.rules"
    );
    let text = std::fs::read_to_string(path).unwrap();
    rulebook_lang::check("tiny.rules", &text).program.unwrap()
}

/// How a rate is written into its cell.
#[derive(Debug, Clone, Copy)]
enum Cell {
    Number,
    Percent,
    Text,
}

#[derive(Debug, Clone)]
struct Unit {
    /// Hundredths of a percent, 0..=10000.
    rate: u32,
    how: Cell,
    late: u32,
}

fn unit() -> impl Strategy<Value = Unit> {
    (
        0u32..=10_000,
        prop_oneof![Just(Cell::Number), Just(Cell::Percent), Just(Cell::Text)],
        0u32..20,
    )
        .prop_map(|(rate, how, late)| Unit { rate, how, late })
}

fn workbook(units: &[Unit], row0: u32, col0: u16, gap: bool) -> Vec<u8> {
    let mut book = Workbook::new();
    let pct = Format::new().set_num_format("0.00%");
    let cases = book.add_worksheet().set_name("cases").unwrap();
    for (c, h) in ["单位", "matter", "level"].iter().enumerate() {
        cases.write_string(0, c as u16, *h).unwrap();
    }
    let params = book.add_worksheet().set_name("params").unwrap();
    params.write_string(row0, col0, "单位").unwrap();
    params.write_string(row0, col0 + 1, "target").unwrap();
    for (i, _) in units.iter().enumerate() {
        let r = row0 + 1 + i as u32;
        params.write_string(r, col0, format!("县{i}")).unwrap();
        params.write_number(r, col0 + 1, 50).unwrap();
    }
    let sheet = book.add_worksheet().set_name("units").unwrap();
    for (c, h) in ["单位", "rate", "late"].iter().enumerate() {
        sheet.write_string(row0, col0 + c as u16, *h).unwrap();
    }
    for (i, u) in units.iter().enumerate() {
        // An empty row between the header and the units changes nothing.
        let r = row0 + 1 + i as u32 + u32::from(gap);
        let rate = Decimal::new(i64::from(u.rate), 2);
        sheet.write_string(r, col0, format!("县{i}")).unwrap();
        match u.how {
            Cell::Number => {
                let f = f64::from(u.rate) / 100.0;
                sheet.write_number(r, col0 + 1, f).unwrap();
            }
            Cell::Percent => {
                let f = f64::from(u.rate) / 10_000.0;
                sheet
                    .write_number_with_format(r, col0 + 1, f, &pct)
                    .unwrap();
            }
            Cell::Text => {
                sheet
                    .write_string(r, col0 + 1, rate.normalize().to_string())
                    .unwrap();
            }
        }
        sheet.write_number(r, col0 + 2, f64::from(u.late)).unwrap();
    }
    book.save_to_buffer().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn values_come_back_exactly(
        units in prop::collection::vec(unit(), 1..6),
        row0 in 0u32..6,
        col0 in 0u16..6,
        gap in any::<bool>(),
    ) {
        let program = program();
        let bytes = workbook(&units, row0, col0, gap);
        let batch = rulebook_office::read_workbook(&program, "data.xlsx", &bytes)
            .map_err(|e| TestCaseError::fail(format!("{:?}", e.iter().map(|e| e.to_string()).collect::<Vec<_>>())))?;
        prop_assert_eq!(batch.units.len(), units.len());
        let rate = program.inputs.iter().position(|d| d.name == "rate").unwrap();
        let late = program.inputs.iter().position(|d| d.name == "late").unwrap();
        for (i, (got, want)) in batch.units.iter().zip(&units).enumerate() {
            prop_assert_eq!(&got.name, &format!("县{i}"));
            let want_rate = Decimal::new(i64::from(want.rate), 2).normalize();
            prop_assert_eq!(&got.inputs[rate], &Value::Num(want_rate), "{:?}", want);
            prop_assert_eq!(
                &got.inputs[late],
                &Value::Num(Decimal::from_str(&want.late.to_string()).unwrap())
            );
        }
    }
}
