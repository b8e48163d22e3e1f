//! Template → a filled-in workbook → the same batch and scores as the JSON
//! path; a bad workbook → every bad cell, located.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use calamine::{open_workbook_auto_from_rs, Reader};
use rulebook_eval::data::load_json;
use rulebook_eval::eval::{evaluate_batch, Options};
use rulebook_lang::ir::{Program, Type};
use rulebook_office::layout::{self, SheetKind};
use rulebook_office::{read_workbook, template};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::Value;
use std::io::Cursor;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

fn ziyuan() -> Program {
    let src = std::fs::read_to_string(root().join("rulebooks/ziyuan-2024.rules")).unwrap();
    let checked = rulebook_lang::check("ziyuan-2024.rules", &src);
    checked.program.expect("the Ziyuan rulebook checks")
}

fn data_json() -> String {
    std::fs::read_to_string(root().join("examples/ziyuan-2024/data.json")).unwrap()
}

/// A cell of the workbook a test writes.
#[derive(Debug, Clone)]
enum Cell {
    Blank,
    Bool(bool),
    /// A number cell, from its decimal text.
    Num(String),
    Text(String),
    Date(String),
}

struct SheetModel {
    name: String,
    rows: Vec<Vec<Cell>>,
}

/// A JSON value as the cell a person would type.
fn cell(v: Option<&Value>, ty: &Type) -> Cell {
    match v {
        None | Some(Value::Null) => Cell::Blank,
        Some(Value::Bool(b)) => Cell::Bool(*b),
        Some(Value::Number(n)) => Cell::Num(n.to_string()),
        Some(Value::String(s)) if matches!(ty, Type::Date) => Cell::Date(s.clone()),
        Some(Value::String(s)) => Cell::Text(s.clone()),
        Some(Value::Array(items)) => Cell::Text(
            items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(";"),
        ),
        Some(Value::Object(_)) => panic!("an object in a cell"),
    }
}

/// The template's sheets and headers, filled with `data.json`'s values.
fn fill(program: &Program, template_bytes: &[u8], json: &str) -> Vec<SheetModel> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(template_bytes.to_vec())).unwrap();
    let data: Value = serde_json::from_str(json).unwrap();
    let units = data["units"].as_array().unwrap();
    let mut out = Vec::new();
    for sheet in layout::sheets(program) {
        // The template's header row is the layout's.
        let range = book.worksheet_range(&sheet.name).unwrap();
        let header: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let mut rows: Vec<Vec<Cell>> = vec![header.iter().map(|h| Cell::Text(h.clone())).collect()];
        match sheet.kind {
            SheetKind::Units => {
                assert_eq!(header[0], layout::UNIT_HEADER);
                for (h, c) in header[1..].iter().zip(&sheet.columns) {
                    assert_eq!(h, &c.header);
                }
                for u in units {
                    let mut row = vec![Cell::Text(u["unit"].as_str().unwrap().into())];
                    for c in &sheet.columns {
                        row.push(cell(u.get(&c.id), &c.ty));
                    }
                    rows.push(row);
                }
            }
            SheetKind::Records { .. } => {
                let input = sheet.input.clone().unwrap();
                for u in units {
                    for rec in u[&input].as_array().unwrap() {
                        let mut row = vec![Cell::Text(u["unit"].as_str().unwrap().into())];
                        for c in &sheet.columns {
                            row.push(cell(rec.get(&c.id), &c.ty));
                        }
                        rows.push(row);
                    }
                }
            }
            SheetKind::Globals => {
                assert_eq!(header, ["key", "value", layout::NOTES_COLUMN]);
                for (r, c) in sheet.columns.iter().enumerate() {
                    let key = range.get_value((r as u32 + 1, 0)).unwrap().to_string();
                    assert_eq!(key, c.id);
                    let note = Cell::Text(range.get_value((r as u32 + 1, 2)).unwrap().to_string());
                    rows.push(vec![
                        Cell::Text(key),
                        cell(data["globals"].get(&c.id), &c.ty),
                        note,
                    ]);
                }
            }
            SheetKind::Params => {
                for u in units {
                    let Some(p) = u.get("params").and_then(Value::as_object) else {
                        continue;
                    };
                    let mut row = vec![Cell::Text(u["unit"].as_str().unwrap().into())];
                    for c in &sheet.columns {
                        row.push(cell(p.get(&c.id), &c.ty));
                    }
                    rows.push(row);
                }
            }
        }
        out.push(SheetModel {
            name: sheet.name.clone(),
            rows,
        });
    }
    out
}

fn write(sheets: &[SheetModel]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&s.name).unwrap();
        for (r, row) in s.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match v {
                    Cell::Blank => {}
                    Cell::Bool(b) => {
                        ws.write_boolean(r, c, *b).unwrap();
                    }
                    Cell::Num(n) => {
                        ws.write_number(r, c, n.parse::<f64>().unwrap()).unwrap();
                    }
                    Cell::Text(t) => {
                        ws.write_string(r, c, t).unwrap();
                    }
                    Cell::Date(d) => match ExcelDateTime::parse_from_str(d) {
                        Ok(dt) => {
                            ws.write_datetime_with_format(r, c, &dt, &date).unwrap();
                        }
                        Err(_) => {
                            ws.write_string(r, c, d).unwrap();
                        }
                    },
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn filled_template_scores_like_json() {
    let program = ziyuan();
    let json = data_json();
    let from_json = load_json(&program, "data.json", &json).unwrap();
    let tpl = template::xlsx(&program).unwrap();
    let sheets = fill(&program, &tpl, &json);
    let bytes = write(&sheets);
    let from_xlsx = match read_workbook(&program, "data.xlsx", &bytes) {
        Ok(b) => b,
        Err(es) => panic!(
            "{}",
            es.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    assert_eq!(from_xlsx, from_json);
    let opts = Options {
        trace: true,
        parallel: false,
    };
    let a = evaluate_batch(&program, &from_json, opts).unwrap();
    let b = evaluate_batch(&program, &from_xlsx, opts).unwrap();
    assert_eq!(a, b);
    assert_eq!(b.len(), 8);
}

#[test]
fn template_is_deterministic_and_documented() {
    let program = ziyuan();
    let a = template::xlsx(&program).unwrap();
    let b = template::xlsx(&program).unwrap();
    assert_eq!(a, b);
    let mut book = open_workbook_auto_from_rs(Cursor::new(a)).unwrap();
    let names = book.sheet_names();
    assert_eq!(names.first().map(String::as_str), Some("units"));
    assert_eq!(names.last().map(String::as_str), Some("说明"));
    assert!(names.iter().any(|n| n == "town_plants"));
    // Every input and global is listed in 说明 with its id.
    let notes = book.worksheet_range("说明").unwrap();
    let ids: Vec<String> = notes
        .rows()
        .filter_map(|r| r.get(2).map(ToString::to_string))
        .collect();
    for d in program.inputs.iter().chain(&program.globals) {
        let listed = ids.contains(&d.name)
            || layout::record_fields(&d.ty)
                .is_some_and(|(fields, _)| fields.iter().all(|f| ids.contains(&f.name)));
        assert!(listed, "`{}` is not in 说明", d.name);
    }
    // The blank template itself reads back: only the empty globals are wrong.
    let errors = read_workbook(&program, "t.xlsx", &template::xlsx(&program).unwrap()).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!("blank_template_errors", text.join("\n"));
}

#[test]
fn csv_and_json_templates() {
    let program = ziyuan();
    let files = template::csv_files(&program).unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"units.csv")
            && names.contains(&"globals.csv")
            && names.contains(&"说明.md")
    );
    let town = files.iter().find(|(n, _)| n == "town_plants.csv").unwrap();
    insta::assert_snapshot!("town_plants_csv", town.1);
    // The CSV template, with a unit, reads like data.
    let json = template::json(&program);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert!(v["units"][0]["town_plants"].as_array().unwrap().is_empty());
    assert!(v["units"][0]["pm25"].is_null());
    assert!(v["globals"]["city_emission_met"].is_null());
}

#[test]
fn bad_workbook_reports_every_cell() {
    let program = ziyuan();
    let json = data_json();
    let tpl = template::xlsx(&program).unwrap();
    let mut sheets = fill(&program, &tpl, &json);
    let col = |s: &SheetModel, id: &str| -> usize {
        let sheet = layout::sheets(&program)
            .into_iter()
            .find(|x| x.name == s.name)
            .unwrap();
        1 + sheet.columns.iter().position(|c| c.id == id).unwrap()
    };
    let units = &mut sheets[0];
    let c_count = col(units, "supervision_missed");
    let c_neg = col(units, "two_high_projects");
    let c_date = col(units, "rural_project_done_on");
    let c_pct = col(units, "good_days_rate");
    units.rows[1][c_count] = Cell::Text("三".into());
    units.rows[2][c_neg] = Cell::Num("-1".into());
    units.rows[3][c_date] = Cell::Text("2024-02-30".into());
    units.rows[4][c_pct] = Cell::Num("0.30000000000000004".into());
    // A value under no header.
    let width = units.rows[0].len();
    units.rows[5].resize(width + 2, Cell::Blank);
    units.rows[5][width + 1] = Cell::Text("备注".into());
    // A record for a unit the units sheet does not list.
    let plants = sheets.iter_mut().find(|s| s.name == "town_plants").unwrap();
    let mut row = plants.rows[1].clone();
    row[0] = Cell::Text("不存在县".into());
    plants.rows.push(row);
    let bytes = write(&sheets);
    let errors = read_workbook(&program, "bad.xlsx", &bytes).unwrap_err();
    let text: Vec<String> = errors
        .iter()
        .map(|e| match &e.help {
            Some(h) => format!("{e}\n    help: {h}"),
            None => e.to_string(),
        })
        .collect();
    insta::assert_snapshot!("bad_workbook_errors", text.join("\n"));
}

#[test]
fn not_a_workbook() {
    let program = ziyuan();
    let errors = read_workbook(&program, "x.xlsx", b"not a zip").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]
        .to_string()
        .starts_with("x.xlsx: cannot read the workbook"));
}

#[test]
fn odd_workbooks_are_reported_not_panicked() {
    let program = ziyuan();
    // A new workbook's empty `Sheet1` only.
    let mut wb = Workbook::new();
    wb.add_worksheet();
    let errors = read_workbook(&program, "new.xlsx", &wb.save_to_buffer().unwrap()).unwrap_err();
    assert!(errors
        .iter()
        .any(|e| e.to_string().contains("missing sheet `units`")));

    // The table starts at C3; huge and tiny numbers; an unknown sheet.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("units").unwrap();
    ws.write_string(2, 2, "单位").unwrap();
    ws.write_string(2, 3, "supervision_missed").unwrap();
    ws.write_string(3, 2, "甲县").unwrap();
    ws.write_number(3, 3, 1e300).unwrap();
    ws.write_string(4, 2, "乙县").unwrap();
    ws.write_number(4, 3, 1e-300).unwrap();
    wb.add_worksheet()
        .set_name("Sheet2")
        .unwrap()
        .write_string(0, 0, "x")
        .unwrap();
    let errors = read_workbook(&program, "odd.xlsx", &wb.save_to_buffer().unwrap()).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let text = text.join("\n");
    assert!(text.contains("units!D4"), "{text}");
    assert!(text.contains("units!D5"), "{text}");
    assert!(text.contains("unknown sheet `Sheet2`"), "{text}");
}
