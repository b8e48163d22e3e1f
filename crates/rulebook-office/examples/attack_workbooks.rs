//! Writes the workbooks of the `tests/attack/` corpus (run from the
//! repository root: `cargo run -p rulebook-office --example attack_workbooks`).
//! Each is a filled-in data workbook for `tests/attack/_shared/tiny.rules`
//! with one hostile twist; the corpus keeps the files, this keeps how they
//! were made.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::io::{Read, Write};

const ATTACK: &str = "tests/attack";

/// units (单位, rate, late), cases, params for 乙县, as `tiny.rules` asks.
fn base(book: &mut Workbook) -> Result<&mut Worksheet, XlsxError> {
    let cases = book.add_worksheet().set_name("cases")?;
    for (c, h) in ["单位", "matter", "level"].iter().enumerate() {
        cases.write_string(0, c as u16, *h)?;
    }
    cases.write_string(1, 0, "甲县")?;
    cases.write_string(1, 1, "A1")?;
    cases.write_string(1, 2, "national")?;
    let params = book.add_worksheet().set_name("params")?;
    params.write_string(0, 0, "单位")?;
    params.write_string(0, 1, "target")?;
    params.write_string(1, 0, "乙县")?;
    params.write_number(1, 1, 85)?;
    let units = book.add_worksheet().set_name("units")?;
    for (c, h) in ["单位", "rate", "late"].iter().enumerate() {
        units.write_string(0, c as u16, *h)?;
    }
    units.write_string(1, 0, "甲县")?;
    units.write_string(2, 0, "乙县")?;
    Ok(units)
}

fn save(book: &mut Workbook, case: &str) -> Vec<u8> {
    let dir = format!("{ATTACK}/{case}");
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    std::fs::write(format!("{dir}/data.xlsx"), &bytes).unwrap();
    bytes
}

/// Rewrite one part of a saved workbook.
fn patch(case: &str, bytes: &[u8], part: &str, edit: impl Fn(String) -> String) {
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().to_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name == part {
            data = edit(String::from_utf8(data).unwrap()).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    let bytes = out.finish().unwrap().into_inner();
    std::fs::write(format!("{ATTACK}/{case}/data.xlsx"), bytes).unwrap();
}

fn main() -> Result<(), XlsxError> {
    // #4: 95% and 80.0% typed into the percent column `rate`.
    let mut book = Workbook::new();
    let pct = Format::new().set_num_format("0%");
    let pct1 = Format::new().set_num_format("0.0%");
    let units = base(&mut book)?;
    units.write_number_with_format(1, 1, 0.95, &pct)?;
    units.write_number_with_format(2, 1, 0.8, &pct1)?;
    units.write_number(1, 2, 1)?;
    units.write_number(2, 2, 0)?;
    save(&mut book, "04-xlsx-percent-read-as-percent");

    // #4: a percent format on the count column `late` (100% = 1).
    let mut book = Workbook::new();
    let pct = Format::new().set_num_format_index(9);
    let units = base(&mut book)?;
    units.write_number(1, 1, 95)?;
    units.write_number(2, 1, 80)?;
    units.write_number_with_format(1, 2, 1, &pct)?;
    units.write_number(2, 2, 0)?;
    save(&mut book, "04-xlsx-percent-in-count-column");

    // #7: a formula whose result was never saved (as programs that do not
    // calculate write it), and, beside it, one with its result saved.
    let mut book = Workbook::new();
    let units = base(&mut book)?;
    units.write_number(1, 1, 95)?;
    units.write_number(2, 1, 80)?;
    units.write_formula(1, 2, "=1+0")?;
    units.set_formula_result(1, 2, "1");
    units.write_formula(2, 2, "=0*1")?;
    let bytes = save(&mut book, "07-xlsx-formula-never-calculated");
    patch(
        "07-xlsx-formula-never-calculated",
        &bytes,
        "xl/worksheets/sheet3.xml",
        |xml| xml.replace("<f>0*1</f><v>0</v>", "<f>0*1</f>"),
    );

    // #7: formulas with saved results are read as those results.
    let mut book = Workbook::new();
    let units = base(&mut book)?;
    units.write_formula(1, 1, "=90+5")?;
    units.set_formula_result(1, 1, "95");
    units.write_number(2, 1, 80)?;
    units.write_formula(1, 2, "=1+0")?;
    units.set_formula_result(1, 2, "1");
    units.write_number(2, 2, 0)?;
    save(&mut book, "07-xlsx-formula-result-used");

    // #12: two values far apart (XFD5 and A1048576) used to allocate the
    // whole grid (half a terabyte) and abort.
    let mut book = Workbook::new();
    let units = base(&mut book)?;
    units.write_number(1, 1, 95)?;
    units.write_number(2, 1, 80)?;
    units.write_number(1, 2, 1)?;
    units.write_number(2, 2, 0)?;
    units.write_string(4, 16_383, "far right")?;
    units.write_string(1_048_575, 0, "far down")?;
    save(&mut book, "12-xlsx-far-apart-cells");

    // #18: a unit given twice in the units sheet.
    let mut book = Workbook::new();
    let units = base(&mut book)?;
    units.write_number(1, 1, 95)?;
    units.write_number(2, 1, 80)?;
    units.write_number(1, 2, 1)?;
    units.write_number(2, 2, 0)?;
    units.write_string(3, 0, "甲县")?;
    units.write_number(3, 1, 90)?;
    units.write_number(3, 2, 0)?;
    save(&mut book, "18-xlsx-duplicate-unit-cell");

    // #5: `甲县` and `甲县 ` (a trailing space) were two units.
    let mut book = Workbook::new();
    let units = base(&mut book)?;
    units.write_number(1, 1, 95)?;
    units.write_number(2, 1, 80)?;
    units.write_number(1, 2, 1)?;
    units.write_number(2, 2, 0)?;
    units.write_string(3, 0, "甲县 ")?;
    units.write_number(3, 1, 90)?;
    units.write_number(3, 2, 0)?;
    save(&mut book, "05-xlsx-names-differ-in-spaces");
    Ok(())
}
