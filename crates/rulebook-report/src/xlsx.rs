//! `--format xlsx`: the official table with scores, one sheet per unit.
//!
//! In: a checked [`Program`] and the scored units. Out: the bytes of a
//! workbook: a 汇总 sheet (every unit's base, deductions from the total,
//! bonus, total, grade, vetoes and rank, each name linking to its sheet)
//! and, per unit, the document's table — 一级指标, 二级指标, 分值, 考核单位,
//! 计分标准 — with 得分 and 扣分说明 filled in, sections merged down their
//! items, the bonus items and their cap after the base items, and the
//! totals last. Numbers are numeric cells. Printable: A4 landscape, one
//! page wide, header row repeated, frozen and wrapped. The same results
//! always give the same bytes (a fixed creation date).

use crate::fmt_dec;
use crate::official::{self, Section};
use rulebook_eval::eval::UnitResult;
use rulebook_lang::ir::Program;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};
use unicode_width::UnicodeWidthStr;

const SUMMARY: &str = "汇总";
/// The summary sheet's columns and their widths.
const SUMMARY_HEADS: [(&str, u16); 8] = [
    ("单位", 16),
    ("基础得分", 10),
    ("从总分扣减", 11),
    ("加分", 8),
    ("总分", 9),
    ("等次", 9),
    ("一票否决", 40),
    ("排名", 7),
];
const FONT: &str = "宋体";
/// A4 in Excel's paper codes.
const A4: u8 = 9;
/// The official table's columns and their widths (in characters).
const COLUMNS: [(&str, u16); 7] = [
    ("一级指标", 12),
    ("二级指标", 20),
    ("分值", 7),
    ("考核单位", 16),
    ("计分标准", 56),
    ("得分", 8),
    ("扣分说明", 44),
];
const LINE_HEIGHT: u16 = 14;
const MAX_ROW_HEIGHT: u16 = 409;

/// The workbook's bytes.
pub fn render(program: &Program, units: &[UnitResult]) -> Result<Vec<u8>, String> {
    build(program, units).map_err(|e| format!("cannot write the workbook: {e}"))
}

/// A decimal as the number Excel stores.
///
/// Why an `f64` appears here: xlsx stores every number as an IEEE double
/// and `rust_xlsxwriter` takes one. This is the output boundary only —
/// nothing is computed with it. The decimal's own text is parsed, so the
/// double is the one nearest the exact value, which Excel shows as that
/// value (scores have far fewer than 15 significant digits).
fn excel_number(d: Decimal) -> f64 {
    fmt_dec(d).parse::<f64>().unwrap_or(0.0)
}

/// Cell formats, with one number format per count of decimal places so a
/// cell shows exactly its decimal (`0`, `0.0`, `0.00`, …).
struct Formats {
    title: Format,
    subtitle: Format,
    head: Format,
    text: Format,
    center: Format,
    bold_text: Format,
    link: Format,
    /// Numbers with 0 to [`MAX_PLACES`] places: plain, then bold.
    numbers: (Vec<Format>, Vec<Format>),
}

/// The most places a number's format shows.
const MAX_PLACES: u32 = 10;

/// A number's format: `places` places, centred, bold or not.
fn number_format(places: u32, bold: bool) -> Format {
    let pattern = if places == 0 {
        "0".to_string()
    } else {
        format!("0.{}", "0".repeat(places as usize))
    };
    let f = Format::new()
        .set_font_name(FONT)
        .set_font_size(10)
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_num_format(pattern);
    if bold {
        f.set_bold()
    } else {
        f
    }
}

impl Formats {
    fn new() -> Self {
        let base = Format::new()
            .set_font_name(FONT)
            .set_font_size(10)
            .set_border(FormatBorder::Thin)
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter);
        Formats {
            title: Format::new()
                .set_font_name(FONT)
                .set_font_size(16)
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            subtitle: Format::new()
                .set_font_name(FONT)
                .set_font_size(10)
                .set_text_wrap()
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::VerticalCenter),
            head: base
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_background_color(Color::RGB(0x00DD_EBF7)),
            text: base.clone().set_align(FormatAlign::Top),
            center: base.clone().set_align(FormatAlign::Center),
            bold_text: base.clone().set_bold(),
            link: base
                .clone()
                .set_font_color(Color::RGB(0x0000_56B3))
                .set_underline(rust_xlsxwriter::FormatUnderline::Single),
            numbers: (
                (0..=MAX_PLACES).map(|p| number_format(p, false)).collect(),
                (0..=MAX_PLACES).map(|p| number_format(p, true)).collect(),
            ),
        }
    }

    /// The format for `d`'s places (up to 10), bold or not: made once for
    /// every number of places rather than looked up and copied for each
    /// cell.
    fn number(&self, d: Decimal, bold: bool) -> &Format {
        let scale = d.normalize().scale().min(MAX_PLACES) as usize;
        let (plain, bold_ones) = &self.numbers;
        let set = if bold { bold_ones } else { plain };
        set.get(scale).unwrap_or(&self.text)
    }
}

fn build(program: &Program, units: &[UnitResult]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{} 考核结果", program.title))
            .set_creation_datetime(&ExcelDateTime::from_ymd(2024, 1, 1)?),
    );
    let mut fmt = Formats::new();
    let names = sheet_names(units);
    let sections = official::sections(program);
    let ws = wb.add_worksheet();
    summary_sheet(ws, program, units, &names, &mut fmt)?;
    for (u, name) in units.iter().zip(&names) {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        unit_sheet(ws, program, &sections, u, units.len(), &mut fmt)?;
    }
    wb.save_to_buffer()
}

/// A sheet name per unit, for any name the data reader accepts: Excel's
/// rules (at most 31 characters, none of `[]:*?/\\` or control characters,
/// no `'` at either end), unique without regard to case, and neither the
/// summary's name nor Excel's reserved `History`.
fn sheet_names(units: &[UnitResult]) -> Vec<String> {
    const MAX: usize = 31;
    let mut taken: Vec<String> = vec![SUMMARY.to_lowercase(), "history".into()];
    let mut out = Vec::new();
    let tidy = |s: &str| {
        s.trim_matches(|c: char| c == '\'' || c.is_whitespace())
            .to_owned()
    };
    for u in units {
        let clean: String = u
            .unit
            .chars()
            .map(|c| {
                if "[]:*?/\\".contains(c) || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let clean = tidy(&clean);
        let base = if clean.is_empty() {
            "单位".to_owned()
        } else {
            clean
        };
        let mut name = tidy(&base.chars().take(MAX).collect::<String>());
        let mut n = 2;
        while taken.contains(&name.to_lowercase()) {
            let suffix = format!("({n})");
            let keep = MAX - suffix.chars().count();
            name = tidy(&base.chars().take(keep).collect::<String>()) + &suffix;
            n += 1;
        }
        taken.push(name.to_lowercase());
        out.push(name);
    }
    out
}

fn page_setup(ws: &mut Worksheet, header_row: u32) -> Result<(), XlsxError> {
    ws.set_landscape();
    ws.set_paper_size(A4);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    ws.set_freeze_panes(header_row + 1, 0)?;
    ws.set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3);
    ws.set_print_center_horizontally(true);
    ws.set_footer("&C第 &P 页，共 &N 页");
    Ok(())
}

/// Rows needed to show `text` wrapped in a column `width` characters wide.
fn lines(text: &str, width: u16) -> u16 {
    let usable = usize::from(width.saturating_sub(1).max(1));
    text.split('\n')
        .map(|l| {
            let w = l.width();
            u16::try_from(w.div_ceil(usable).max(1)).unwrap_or(u16::MAX)
        })
        .fold(0u16, u16::saturating_add)
}

fn row_height(cells: &[(&str, u16)]) -> u16 {
    let n = cells
        .iter()
        .map(|(t, w)| lines(t, *w))
        .max()
        .unwrap_or(1)
        .max(1);
    n.saturating_mul(LINE_HEIGHT)
        .saturating_add(4)
        .min(MAX_ROW_HEIGHT)
}

fn summary_sheet(
    ws: &mut Worksheet,
    program: &Program,
    units: &[UnitResult],
    names: &[String],
    fmt: &mut Formats,
) -> Result<(), XlsxError> {
    ws.set_name(SUMMARY)?;
    let heads = SUMMARY_HEADS;
    ws.merge_range(
        0,
        0,
        0,
        7,
        &format!("{} 考核结果汇总", program.title),
        &fmt.title,
    )?;
    ws.set_row_height(0, 30)?;
    ws.merge_range(1, 0, 1, 7, &program.document, &fmt.subtitle)?;
    for (c, (h, w)) in (0u16..).zip(heads) {
        ws.write_string_with_format(2, c, h, &fmt.head)?;
        ws.set_column_width(c, w)?;
    }
    for (r, (u, name)) in (3u32..).zip(units.iter().zip(names)) {
        let link = format!("internal:'{}'!A1", name.replace('\'', "''"));
        ws.write_url_with_format(
            r,
            0,
            rust_xlsxwriter::Url::new(link).set_text(crate::safe::spreadsheet_cell(&u.unit)),
            &fmt.link,
        )?;
        for (c, d) in [
            (1u16, u.base),
            (2, u.total_deductions),
            (3, u.bonus),
            (4, u.total),
        ] {
            let f = fmt.number(d, c == 4);
            ws.write_number_with_format(r, c, excel_number(d), f)?;
        }
        ws.write_string_with_format(r, 5, &u.grade, &fmt.center)?;
        let vetoes: Vec<String> = u
            .vetoes
            .iter()
            .map(|v| format!("{} {}", v.id, v.reason))
            .collect();
        let vetoes = vetoes.join("\n");
        ws.write_string_with_format(r, 6, &vetoes, &fmt.text)?;
        ws.write_number_with_format(r, 7, u.rank, fmt.number(Decimal::ONE, false))?;
        ws.set_row_height(r, row_height(&[(&vetoes, 40)]).max(18))?;
    }
    page_setup(ws, 2)?;
    Ok(())
}

fn unit_sheet(
    ws: &mut Worksheet,
    program: &Program,
    sections: &[Section],
    u: &UnitResult,
    batch: usize,
    fmt: &mut Formats,
) -> Result<(), XlsxError> {
    let last = u16::try_from(COLUMNS.len() - 1).unwrap_or(0);
    ws.merge_range(
        0,
        0,
        0,
        last,
        &format!("{}（{}）", program.title, u.unit),
        &fmt.title,
    )?;
    ws.set_row_height(0, 30)?;
    let mut line = format!(
        "{}    {}；等次：{}；排名：{}/{}",
        program.document,
        crate::total_formula(u),
        u.grade,
        u.rank,
        batch
    );
    for v in &u.vetoes {
        line.push_str(&format!("\n一票否决 {}：{}", v.id, v.reason));
    }
    ws.merge_range(1, 0, 1, last, &line, &fmt.subtitle)?;
    ws.set_row_height(1, row_height(&[(&line, 160)]).max(20))?;
    for (c, (h, w)) in (0u16..).zip(COLUMNS) {
        ws.write_string_with_format(2, c, h, &fmt.head)?;
        ws.set_column_width(c, w)?;
    }
    let width = |c: usize| COLUMNS.get(c).map_or(10, |(_, w)| *w);
    let mut row = 3u32;
    for s in sections {
        let first = row;
        for it in &s.items {
            let item_first = row;
            let to_total = official::item_to_total(u, it.node);
            for (k, line) in it.lines.iter().enumerate() {
                let by = line.by.join("\n");
                let criteria = line.criteria.join("\n");
                let mut notes: Vec<String> = official::line_notes(program, u, it, k)
                    .iter()
                    .map(official::Note::line)
                    .collect();
                if k + 1 == it.lines.len() && it.points.is_some() && !to_total.is_zero() {
                    notes.push(format!("另从总分中扣减 {} 分", fmt_dec(to_total)));
                }
                let notes = notes.join("\n");
                ws.write_string_with_format(row, 3, &by, &fmt.text)?;
                ws.write_string_with_format(row, 4, &criteria, &fmt.text)?;
                ws.write_string_with_format(row, 6, &notes, &fmt.text)?;
                let label = if k == 0 { it.label.as_str() } else { "" };
                let h = row_height(&[
                    (label, width(1)),
                    (&by, width(3)),
                    (&criteria, width(4)),
                    (&notes, width(6)),
                ]);
                ws.set_row_height(row, h.max(20))?;
                row += 1;
            }
            // 二级指标, 分值 and 得分 span the item's rows.
            let last_row = row.saturating_sub(1).max(item_first);
            let points = it.points;
            let score = official::item_score(program, u, it.node);
            let score_fmt = fmt.number(score, false);
            let points_fmt = points.map(|p| fmt.number(p, false));
            let points_text = if it.to_total_only { "从总分扣" } else { "" };
            if last_row > item_first {
                ws.merge_range(item_first, 1, last_row, 1, &it.label, &fmt.text)?;
                ws.merge_range(item_first, 2, last_row, 2, "", &fmt.center)?;
                ws.merge_range(item_first, 5, last_row, 5, "", &fmt.center)?;
            } else {
                ws.write_string_with_format(item_first, 1, &it.label, &fmt.text)?;
            }
            match (points, points_fmt) {
                (Some(p), Some(f)) => {
                    ws.write_number_with_format(item_first, 2, excel_number(p), f)?;
                }
                _ => {
                    ws.write_string_with_format(item_first, 2, points_text, &fmt.center)?;
                }
            }
            ws.write_number_with_format(item_first, 5, excel_number(score), score_fmt)?;
        }
        if s.bonus {
            let text = s.text.join("\n");
            ws.write_string_with_format(row, 1, "加分合计", &fmt.bold_text)?;
            match s.cap {
                Some(c) => {
                    let f = fmt.number(c, false);
                    ws.write_number_with_format(row, 2, excel_number(c), f)?;
                }
                None => {
                    ws.write_string_with_format(row, 2, "", &fmt.center)?;
                }
            }
            ws.write_string_with_format(row, 3, "", &fmt.text)?;
            ws.write_string_with_format(row, 4, &text, &fmt.text)?;
            let score = u
                .nodes
                .get(s.node as usize)
                .map_or(Decimal::ZERO, |n| n.score);
            let f = fmt.number(score, true);
            ws.write_number_with_format(row, 5, excel_number(score), f)?;
            let note = match s.cap {
                Some(c) => format!("加分上限 {} 分", fmt_dec(c)),
                None => String::new(),
            };
            ws.write_string_with_format(row, 6, &note, &fmt.text)?;
            ws.set_row_height(row, row_height(&[(&text, width(4))]).max(20))?;
            row += 1;
        }
        // A section that names its responsible units for all its items.
        let items_name_none = s
            .items
            .iter()
            .all(|it| it.lines.iter().all(|l| l.by.is_empty()));
        if !s.by.is_empty() && items_name_none && row > first + 1 {
            ws.merge_range(first, 3, row - 1, 3, &s.by.join("\n"), &fmt.center)?;
        }
        if row > first + 1 {
            ws.merge_range(first, 0, row - 1, 0, &s.label, &fmt.center)?;
        } else if row == first + 1 {
            ws.write_string_with_format(first, 0, &s.label, &fmt.center)?;
        }
    }
    // 从总分扣减 and 总分.
    let takers: Vec<String> = sections
        .iter()
        .flat_map(|s| s.items.iter())
        .filter_map(|it| {
            let t = official::item_to_total(u, it.node);
            (!t.is_zero()).then(|| format!("{}：{}分", it.id, fmt_dec(t)))
        })
        .collect();
    let takers = takers.join("；");
    ws.merge_range(row, 0, row, 4, "从总分中扣减", &fmt.bold_text)?;
    let f = fmt.number(-u.total_deductions, true);
    ws.write_number_with_format(row, 5, excel_number(-u.total_deductions), f)?;
    ws.write_string_with_format(row, 6, &takers, &fmt.text)?;
    ws.set_row_height(row, row_height(&[(&takers, width(6))]).max(20))?;
    row += 1;
    let formula = crate::total_formula(u);
    ws.merge_range(row, 0, row, 4, &formula, &fmt.bold_text)?;
    let f = fmt.number(u.total, true);
    ws.write_number_with_format(row, 5, excel_number(u.total), f)?;
    let mut grade = format!("等次：{}", u.grade);
    for v in &u.vetoes {
        grade.push_str(&format!("\n一票否决 {}", v.id));
    }
    ws.write_string_with_format(row, 6, &grade, &fmt.bold_text)?;
    ws.set_row_height(row, row_height(&[(&grade, width(6))]).max(22))?;
    page_setup(ws, 2)?;
    Ok(())
}

/// The most units that get a sheet each by default; a larger batch gets the
/// summary and the long items sheet, and sheets only for the units named.
pub const SHEETS_LIMIT: usize = 200;
const ITEMS: &str = "得分明细";
/// Excel's last row (1 048 576 rows); an items sheet that fills up goes on
/// in 得分明细 2, 3, ….
const MAX_ROWS: u32 = 1_048_576;

/// A workbook for a batch of any size, written as units are scored in
/// rust_xlsxwriter's constant-memory mode: the 汇总 sheet (a row per unit),
/// the 得分明细 sheet (a row per unit and item: 单位, 指标, 名称, 分值, 得分,
/// 从总分扣减), and the official table for each unit `keep` names.
pub struct LargeWriter<'p> {
    program: &'p Program,
    wb: Workbook,
    fmt: Formats,
    items: Vec<u32>,
    summary_row: u32,
    items_sheet: usize,
    items_row: u32,
    kept: Vec<UnitResult>,
    keep: Vec<String>,
    batch: usize,
}

impl<'p> LargeWriter<'p> {
    pub fn begin(program: &'p Program, batch: usize, keep: &[String]) -> Result<Self, String> {
        let run = || -> Result<LargeWriter<'p>, XlsxError> {
            let mut wb = Workbook::new();
            wb.set_properties(
                &DocProperties::new()
                    .set_title(format!("{} 考核结果", program.title))
                    .set_creation_datetime(&ExcelDateTime::from_ymd(2024, 1, 1)?),
            );
            let fmt = Formats::new();
            let ws = wb.add_worksheet_with_constant_memory();
            ws.set_name(SUMMARY)?;
            let heads = SUMMARY_HEADS;
            for (c, (_, w)) in (0u16..).zip(heads) {
                ws.set_column_width(c, w)?;
            }
            ws.write_string_with_format(
                0,
                0,
                format!("{} 考核结果汇总", program.title),
                &fmt.title,
            )?;
            ws.write_string_with_format(1, 0, &program.document, &fmt.subtitle)?;
            for (c, (h, _)) in (0u16..).zip(heads) {
                ws.write_string_with_format(2, c, h, &fmt.head)?;
            }
            let items = program.items().collect();
            let mut w = LargeWriter {
                program,
                wb,
                fmt,
                items,
                summary_row: 3,
                items_sheet: 0,
                items_row: 0,
                kept: Vec::new(),
                keep: keep.to_vec(),
                batch,
            };
            w.new_items_sheet()?;
            Ok(w)
        };
        run().map_err(|e| format!("cannot write the workbook: {e}"))
    }

    fn new_items_sheet(&mut self) -> Result<(), XlsxError> {
        self.items_sheet = self.wb.worksheets().len();
        let n = self.items_sheet;
        let ws = self.wb.add_worksheet_with_constant_memory();
        ws.set_name(if n == 1 {
            ITEMS.to_string()
        } else {
            format!("{ITEMS} {n}")
        })?;
        for (c, (h, w)) in (0u16..).zip([
            ("单位", 16),
            ("指标", 8),
            ("名称", 40),
            ("分值", 8),
            ("得分", 8),
            ("从总分扣减", 11),
        ]) {
            ws.set_column_width(c, w)?;
            ws.write_string_with_format(0, c, h, &self.fmt.head)?;
        }
        self.items_row = 1;
        Ok(())
    }

    pub fn unit(&mut self, u: &UnitResult) -> Result<(), String> {
        self.unit_rows(u)
            .map_err(|e| format!("cannot write the workbook: {e}"))?;
        if self.keep.contains(&u.unit) {
            self.kept.push(u.clone());
        }
        Ok(())
    }

    fn unit_rows(&mut self, u: &UnitResult) -> Result<(), XlsxError> {
        let r = self.summary_row;
        let fmt = &mut self.fmt;
        let ws = self.wb.worksheet_from_index(0)?;
        ws.write_string_with_format(r, 0, &u.unit, &fmt.text)?;
        for (c, d) in [
            (1u16, u.base),
            (2, u.total_deductions),
            (3, u.bonus),
            (4, u.total),
        ] {
            let f = fmt.number(d, c == 4);
            ws.write_number_with_format(r, c, excel_number(d), f)?;
        }
        ws.write_string_with_format(r, 5, &u.grade, &fmt.center)?;
        ws.write_string_with_format(r, 6, u.veto_ids("、"), &fmt.text)?;
        ws.write_number_with_format(r, 7, u.rank, fmt.number(Decimal::ONE, false))?;
        self.summary_row += 1;
        for k in 0..self.items.len() {
            if self.items_row >= MAX_ROWS {
                self.new_items_sheet()?;
            }
            let Some(&i) = self.items.get(k) else {
                continue;
            };
            let Some(n) = self.program.nodes.get(i as usize) else {
                continue;
            };
            let s = u.nodes.get(i as usize).cloned().unwrap_or_default();
            let r = self.items_row;
            let fmt = &mut self.fmt;
            let ws = self.wb.worksheet_from_index(self.items_sheet)?;
            ws.write_string_with_format(r, 0, &u.unit, &fmt.text)?;
            ws.write_string_with_format(r, 1, &n.id, &fmt.center)?;
            ws.write_string_with_format(r, 2, &n.title, &fmt.text)?;
            if let Some(p) = n.points {
                let f = fmt.number(p, false);
                ws.write_number_with_format(r, 3, excel_number(p), f)?;
            }
            let score = official::item_score(self.program, u, i);
            let f = fmt.number(score, false);
            ws.write_number_with_format(r, 4, excel_number(score), f)?;
            let f = fmt.number(s.to_total, false);
            ws.write_number_with_format(r, 5, excel_number(s.to_total), f)?;
            self.items_row += 1;
        }
        Ok(())
    }

    /// The workbook's bytes, with a sheet for each unit named in `keep`.
    pub fn finish(mut self) -> Result<Vec<u8>, String> {
        let run = |w: &mut Self| -> Result<Vec<u8>, XlsxError> {
            let sections = official::sections(w.program);
            let names = sheet_names(&w.kept);
            for (u, name) in w.kept.iter().zip(&names) {
                let ws = w.wb.add_worksheet();
                ws.set_name(name)?;
                unit_sheet(ws, w.program, &sections, u, w.batch, &mut w.fmt)?;
            }
            w.wb.save_to_buffer()
        };
        run(&mut self).map_err(|e| format!("cannot write the workbook: {e}"))
    }
}
