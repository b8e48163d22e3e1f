//! `rulebook template`: a blank data file for a rulebook.
//!
//! In: a checked [`Program`]. Out: an xlsx workbook (the sheets of
//! [`crate::layout`], headers in Chinese with a note on each, input prompts
//! and drop-down lists where Excel can check a value, and a 说明 sheet
//! listing every input), the same sheets as CSV files (with `说明.md`), or
//! a JSON skeleton with every input null (lists empty). Same rulebook, same
//! bytes.

use crate::fixed_date;
use crate::layout::{self, Column, Sheet, SheetKind, NOTES_COLUMN, NOTES_SHEET, UNIT_HEADER};
use rulebook_lang::ast::CmpOp;
use rulebook_lang::ir::{Program, Type, Unit};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, DocProperties, Format,
    FormatAlign, FormatBorder, Formula, Note, Workbook, Worksheet, XlsxError,
};
use serde_json::{Map, Value};

/// Rows that get input prompts and checks in a blank sheet.
const FILL_ROWS: u32 = 500;
/// Excel's limits for a validation's prompt.
const PROMPT_TITLE: usize = 32;
const PROMPT_TEXT: usize = 255;

/// A blank workbook to fill in.
pub fn xlsx(program: &Program) -> Result<Vec<u8>, String> {
    build_xlsx(program).map_err(|e| format!("cannot write the workbook: {e}"))
}

fn build_xlsx(program: &Program) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let date = fixed_date()?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{} 数据填报表", program.title))
            .set_creation_datetime(&date),
    );
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0x00DD_EBF7))
        .set_border(FormatBorder::Thin);
    let fmt = Formats {
        head,
        wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        text: Format::new().set_num_format("@"),
    };
    let sheets = layout::sheets(program);
    for sheet in &sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name)?;
        match sheet.kind {
            SheetKind::Globals => globals_sheet(ws, sheet, &fmt)?,
            _ => table_sheet(ws, sheet, &fmt)?,
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name(NOTES_SHEET)?;
    notes_sheet(ws, program, &sheets, &fmt)?;
    wb.save_to_buffer()
}

struct Formats {
    head: Format,
    wrap: Format,
    date: Format,
    text: Format,
}

/// A sheet with a header row: the unit, then a column per input or field.
fn table_sheet(ws: &mut Worksheet, sheet: &Sheet, fmt: &Formats) -> Result<(), XlsxError> {
    ws.write_string_with_format(0, 0, UNIT_HEADER, &fmt.head)?;
    let what = match sheet.kind {
        SheetKind::Units => "每个考核单位一行".to_string(),
        SheetKind::Records { single: true } => "每个单位一行（一条记录）".to_string(),
        SheetKind::Records { single: false } => {
            "每条记录一行，同一单位可有多行；没有记录的单位不写".to_string()
        }
        SheetKind::Params => "只在单位的目标值与文件规定不同时填写；留空则用文件规定值".to_string(),
        SheetKind::Globals => String::new(),
    };
    ws.insert_note(
        0,
        0,
        &Note::new(format!("单位名称（与 units 表一致）\n{what}")),
    )?;
    ws.set_column_width(0, 14)?;
    ws.set_row_height(0, 75)?;
    for (i, c) in sheet.columns.iter().enumerate() {
        let col = u16::try_from(i + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        ws.write_string_with_format(0, col, &c.header, &fmt.head)?;
        ws.insert_note(
            0,
            col,
            &Note::new(layout::describe(c))
                .set_width(300)
                .set_height(200),
        )?;
        ws.set_column_width(col, 18)?;
        match &c.ty {
            Type::Date => {
                ws.set_column_format(col, &fmt.date)?;
            }
            Type::Text | Type::List(_) => {
                ws.set_column_format(col, &fmt.text)?;
            }
            _ => {}
        }
        if let Some(v) = validation(c)? {
            ws.add_data_validation(1, col, FILL_ROWS, col, &v)?;
        }
    }
    ws.set_freeze_panes(1, 1)?;
    Ok(())
}

/// `key`, `value`, and a note column people read and the reader skips.
fn globals_sheet(ws: &mut Worksheet, sheet: &Sheet, fmt: &Formats) -> Result<(), XlsxError> {
    ws.write_string_with_format(0, 0, "key", &fmt.head)?;
    ws.write_string_with_format(0, 1, "value", &fmt.head)?;
    ws.write_string_with_format(0, 2, NOTES_COLUMN, &fmt.head)?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 16)?;
    ws.set_column_width(2, 60)?;
    for (i, c) in sheet.columns.iter().enumerate() {
        let row = u32::try_from(i + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        ws.write_string(row, 0, &c.id)?;
        ws.write_string_with_format(
            row,
            2,
            format!("{}\n{}", c.label, layout::describe(c)),
            &fmt.wrap,
        )?;
        if matches!(c.ty, Type::Date) {
            ws.set_cell_format(row, 1, &fmt.date)?;
        }
        if let Some(v) = validation(c)? {
            ws.add_data_validation(row, 1, row, 1, &v)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Excel's own check of a cell, where it has one, with a prompt.
fn validation(c: &Column) -> Result<Option<DataValidation>, XlsxError> {
    let v = match &c.ty {
        Type::Bool => DataValidation::new().allow_list_strings(&["是", "否", "TRUE", "FALSE"])?,
        Type::Enum(names) => match DataValidation::new().allow_list_strings(names) {
            Ok(v) => v,
            // Too long for Excel's list: the prompt still names them.
            Err(_) => DataValidation::new().allow_any_value(),
        },
        Type::Num(u) => match number_rule(*u, &c.range) {
            Some(rule) if u.is_integral() => DataValidation::new().allow_whole_number_formula(rule),
            Some(rule) => DataValidation::new().allow_decimal_number_formula(rule),
            None => DataValidation::new().allow_any_value(),
        },
        _ => DataValidation::new().allow_any_value(),
    };
    let title: String = c.id.chars().take(PROMPT_TITLE).collect();
    let mut text = format!("{}\n", c.label);
    text.push_str(&layout::describe(c));
    let text: String = text.chars().take(PROMPT_TEXT).collect();
    Ok(Some(
        v.set_input_title(title)?
            .set_input_message(text)?
            .set_error_style(DataValidationErrorStyle::Warning),
    ))
}

/// The bounds of a number as one Excel rule (formulas: exact decimal text).
fn number_rule(
    unit: Unit,
    range: &[(CmpOp, rust_decimal::Decimal)],
) -> Option<DataValidationRule<Formula>> {
    let mut lo = unit.intrinsic_min();
    let mut hi = None;
    for (op, v) in range {
        match op {
            CmpOp::Ge | CmpOp::Gt => lo = Some(lo.map_or(*v, |l: rust_decimal::Decimal| l.max(*v))),
            CmpOp::Le | CmpOp::Lt => hi = Some(hi.map_or(*v, |h: rust_decimal::Decimal| h.min(*v))),
            _ => {}
        }
    }
    let f = |d| Formula::new(layout::dec(d));
    match (lo, hi) {
        (Some(l), Some(h)) => Some(DataValidationRule::Between(f(l), f(h))),
        (Some(l), None) => Some(DataValidationRule::GreaterThanOrEqualTo(f(l))),
        (None, Some(h)) => Some(DataValidationRule::LessThanOrEqualTo(f(h))),
        (None, None) => None,
    }
}

const NOTES_HEAD: [&str; 10] = [
    "工作表",
    "列名",
    "编号",
    "类型",
    "计量单位",
    "取值范围",
    "可选值",
    "是否必填",
    "用于条款",
    "填写方法",
];

fn notes_sheet(
    ws: &mut Worksheet,
    program: &Program,
    sheets: &[Sheet],
    fmt: &Formats,
) -> Result<(), XlsxError> {
    let intro = intro_lines(program);
    let mut row = 0u32;
    for line in &intro {
        ws.write_string(row, 0, line)?;
        row += 1;
    }
    row += 1;
    let head_row = row;
    for (c, h) in NOTES_HEAD.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
        ws.write_string_with_format(row, c, *h, &fmt.head)?;
    }
    for (c, w) in [12, 36, 26, 12, 10, 14, 24, 8, 16, 40].iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
        ws.set_column_width(c, *w)?;
    }
    for line in notes_rows(sheets) {
        row += 1;
        for (c, s) in line.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
            ws.write_string_with_format(row, c, s, &fmt.wrap)?;
        }
    }
    ws.set_freeze_panes(head_row + 1, 0)?;
    Ok(())
}

fn intro_lines(program: &Program) -> Vec<String> {
    vec![
        format!("{}（{}）数据填报说明", program.title, program.document),
        "units 表：每个考核单位一行，第一列“单位”填单位名称，其余每列一项数据（列名可用中文名称或编号）。".into(),
        "记录表（以数据编号命名）：每条记录一行，第一列“单位”填所属单位；没有记录的单位不写。".into(),
        "globals 表：全市（共同）数据，在 value 列填写。params 表：只有目标值与文件规定不同的单位才填。".into(),
        "填好后运行：rulebook eval 规则文件.rules 本文件.xlsx（出错时会列出每个出错的单元格，如 units!C5）。".into(),
    ]
}

/// One row per column of every sheet: the 说明 table.
fn notes_rows(sheets: &[Sheet]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for s in sheets {
        for c in &s.columns {
            let how = match (&s.kind, c.defaults.is_empty()) {
                (SheetKind::Params, false) => {
                    let d: Vec<String> = c
                        .defaults
                        .iter()
                        .map(|(u, v)| format!("{u} {}", layout::dec(*v)))
                        .collect();
                    format!(
                        "{}；文件规定值：{}",
                        layout::how_to_fill(&c.ty),
                        d.join("、")
                    )
                }
                _ => layout::how_to_fill(&c.ty),
            };
            let header = if s.kind == SheetKind::Globals {
                format!("{}（key 列）", c.id)
            } else {
                c.header.clone()
            };
            rows.push(vec![
                s.name.clone(),
                if header == c.label || c.label.is_empty() {
                    header
                } else {
                    format!("{header}\n{}", c.label)
                },
                c.id.clone(),
                layout::kind_words(&c.ty),
                layout::measure(&c.ty),
                layout::range_words(&c.ty, &c.range),
                layout::allowed(&c.ty).join("、"),
                if c.optional { "否" } else { "是" }.to_string(),
                c.used_by.join("、"),
                how,
            ]);
        }
    }
    rows
}

/// The same sheets as CSV files (name, text), with `说明.md`.
pub fn csv_files(program: &Program) -> Result<Vec<(String, String)>, String> {
    let sheets = layout::sheets(program);
    let mut files = Vec::new();
    for s in &sheets {
        let mut w = csv::Writer::from_writer(Vec::new());
        let res = match s.kind {
            SheetKind::Globals => w.write_record(["key", "value"]).and_then(|()| {
                s.columns
                    .iter()
                    .try_for_each(|c| w.write_record([c.id.as_str(), ""]))
            }),
            _ => w.write_record(
                std::iter::once(UNIT_HEADER).chain(s.columns.iter().map(|c| c.header.as_str())),
            ),
        };
        res.map_err(|e| format!("cannot write `{}.csv`: {e}", s.name))?;
        let bytes = w
            .into_inner()
            .map_err(|e| format!("cannot write `{}.csv`: {e}", s.name))?;
        let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
        files.push((format!("{}.csv", s.name), text));
    }
    let mut md = String::new();
    for line in intro_lines(program) {
        md.push_str(&line.replace(".xlsx", "/"));
        md.push_str("\n\n");
    }
    md.push_str("globals.csv 的表头必须是 `key,value`；CSV 文件中没有“说明”列。\n\n");
    md.push('|');
    for h in NOTES_HEAD {
        md.push_str(&format!(" {h} |"));
    }
    md.push_str("\n|");
    md.push_str(&"---|".repeat(NOTES_HEAD.len()));
    md.push('\n');
    for row in notes_rows(&sheets) {
        md.push('|');
        for cell in row {
            md.push_str(&format!(
                " {} |",
                cell.replace('|', "\\|").replace('\n', "<br>")
            ));
        }
        md.push('\n');
    }
    files.push((format!("{NOTES_SHEET}.md"), md));
    Ok(files)
}

/// A JSON skeleton: every global and input null (lists empty), one unit.
pub fn json(program: &Program) -> String {
    let blank = |ty: &Type| match ty {
        Type::List(_) => Value::Array(Vec::new()),
        _ => Value::Null,
    };
    let mut globals = Map::new();
    for g in &program.globals {
        globals.insert(g.name.clone(), blank(&g.ty));
    }
    let mut unit = Map::new();
    unit.insert("unit".into(), Value::String(String::new()));
    for d in &program.inputs {
        unit.insert(d.name.clone(), blank(&d.ty));
    }
    unit.insert("params".into(), Value::Object(Map::new()));
    let mut top = Map::new();
    top.insert("globals".into(), Value::Object(globals));
    top.insert("units".into(), Value::Array(vec![Value::Object(unit)]));
    let mut s = serde_json::to_string_pretty(&Value::Object(top)).unwrap_or_default();
    s.push('\n');
    s
}
