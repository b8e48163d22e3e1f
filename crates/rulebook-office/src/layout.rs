//! Where each input lives in a workbook (or a folder of CSV files).
//!
//! In: a checked [`Program`]. Out: the sheets a data file has — `units`
//! (one row per unit, a column per plain input), one sheet per record input
//! (named by its id, a row per record tagged by its unit), `globals`
//! (`key`, `value`) and `params` — with, for every column, what a person
//! filling it in needs to know. The template writers and the 说明 sheet
//! read this; the workbook reader uses the same sheet names. The layout is
//! the CSV reader's (`rulebook_eval::data::load_csv`), one sheet per file.

use rulebook_lang::ast::CmpOp;
use rulebook_lang::ir::{FieldDef, InputDef, Program, Type, Unit};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// The sheet of the units' facts.
pub const UNITS: &str = "units";
pub const GLOBALS: &str = "globals";
pub const PARAMS: &str = "params";
/// The instructions sheet; the reader skips it.
pub const NOTES_SHEET: &str = "说明";
/// A column with this header is a note for people; the reader skips it.
pub const NOTES_COLUMN: &str = "说明";
/// The header of the column naming each row's unit.
pub const UNIT_HEADER: &str = "单位";
/// Excel's longest sheet name.
pub const MAX_SHEET_NAME: usize = 31;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    Units,
    Records { single: bool },
    Globals,
    Params,
}

/// One column to fill in (or, in `globals`, one row).
#[derive(Debug, Clone)]
pub struct Column {
    /// What the header says: the label, or the id when the label is empty or shared.
    pub header: String,
    pub id: String,
    pub label: String,
    pub ty: Type,
    pub optional: bool,
    pub range: Vec<(CmpOp, Decimal)>,
    pub used_by: Vec<String>,
    /// For a parameter: the document's value per named unit.
    pub defaults: Vec<(String, Decimal)>,
}

#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    /// The record input a record sheet holds.
    pub input: Option<String>,
    pub kind: SheetKind,
    pub columns: Vec<Column>,
}

/// The fields of a record input (a single record or a list of them).
pub fn record_fields(ty: &Type) -> Option<(&[FieldDef], bool)> {
    match ty {
        Type::Record(fields) => Some((fields, true)),
        Type::List(elem) => match elem.as_ref() {
            Type::Record(fields) => Some((fields, false)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a value of this type fits in one cell.
pub fn cell_ok(ty: &Type) -> bool {
    match ty {
        Type::Bool | Type::Num(_) | Type::Date | Type::Text | Type::Enum(_) => true,
        Type::List(elem) => matches!(
            elem.as_ref(),
            Type::Bool | Type::Num(_) | Type::Date | Type::Text | Type::Enum(_)
        ),
        Type::Record(_) | Type::Group(..) => false,
    }
}

/// A record input's sheet name: its id, cut to Excel's 31 characters.
pub fn sheet_name(id: &str) -> String {
    id.chars().take(MAX_SHEET_NAME).collect()
}

fn column(def: &InputDef, header: String) -> Column {
    Column {
        header,
        id: def.name.clone(),
        label: def.label.clone(),
        ty: def.ty.clone(),
        optional: def.optional,
        range: def.range.clone(),
        used_by: def.used_by.clone(),
        defaults: Vec::new(),
    }
}

/// Headers by label where the label names one input only, else by id.
fn headers<'a>(items: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for (id, label) in items.clone() {
        *count.entry(id).or_default() += 1;
        if !label.is_empty() && label != id {
            *count.entry(label).or_default() += 1;
        }
    }
    items
        .map(|(id, label)| {
            let unique = count.get(label).copied() == Some(1);
            if label.is_empty() || !unique || label == NOTES_COLUMN || label == UNIT_HEADER {
                id.to_owned()
            } else {
                label.to_owned()
            }
        })
        .collect()
}

/// Every sheet of a data workbook for `program`, in order.
pub fn sheets(program: &Program) -> Vec<Sheet> {
    let mut out = Vec::new();
    let plain: Vec<&InputDef> = program
        .inputs
        .iter()
        .filter(|d| record_fields(&d.ty).is_none() && cell_ok(&d.ty))
        .collect();
    let hs = headers(plain.iter().map(|d| (d.name.as_str(), d.label.as_str())));
    out.push(Sheet {
        name: UNITS.into(),
        input: None,
        kind: SheetKind::Units,
        columns: plain.iter().zip(hs).map(|(d, h)| column(d, h)).collect(),
    });
    for def in &program.inputs {
        let Some((fields, single)) = record_fields(&def.ty) else {
            continue;
        };
        let fields: Vec<&FieldDef> = fields.iter().filter(|f| cell_ok(&f.ty)).collect();
        let hs = headers(fields.iter().map(|f| (f.name.as_str(), f.label.as_str())));
        out.push(Sheet {
            name: sheet_name(&def.name),
            input: Some(def.name.clone()),
            kind: SheetKind::Records { single },
            columns: fields
                .iter()
                .zip(hs)
                .map(|(f, h)| Column {
                    header: h,
                    id: f.name.clone(),
                    label: f.label.clone(),
                    ty: f.ty.clone(),
                    optional: f.optional,
                    range: f.range.clone(),
                    used_by: def.used_by.clone(),
                    defaults: Vec::new(),
                })
                .collect(),
        });
    }
    out.push(Sheet {
        name: GLOBALS.into(),
        input: None,
        kind: SheetKind::Globals,
        columns: program
            .globals
            .iter()
            .filter(|d| cell_ok(&d.ty))
            .map(|d| column(d, d.name.clone()))
            .collect(),
    });
    let hs = headers(
        program
            .params
            .iter()
            .map(|p| (p.input.name.as_str(), p.input.label.as_str())),
    );
    out.push(Sheet {
        name: PARAMS.into(),
        input: None,
        kind: SheetKind::Params,
        columns: program
            .params
            .iter()
            .zip(hs)
            .map(|(p, h)| {
                let mut c = column(&p.input, h);
                c.defaults = p.values.clone();
                // A unit without its own value takes the document's.
                c.optional = true;
                c
            })
            .collect(),
    });
    out
}

/// A decimal as people write it.
pub fn dec(d: Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        "0".into()
    } else {
        n.to_string()
    }
}

/// The unit of measure in words, if any.
pub fn measure(ty: &Type) -> String {
    match ty {
        Type::Num(u) => match u {
            Unit::Count => "个（次、件）".into(),
            Unit::Plain => String::new(),
            other => other.symbol().into(),
        },
        Type::List(t) => measure(t),
        _ => String::new(),
    }
}

/// The type in Chinese words.
pub fn kind_words(ty: &Type) -> String {
    match ty {
        Type::Bool => "是/否".into(),
        Type::Num(Unit::Count) => "整数".into(),
        Type::Num(Unit::Rank) => "名次（整数）".into(),
        Type::Num(Unit::Pct) => "百分数".into(),
        Type::Num(Unit::Pp) => "百分点".into(),
        Type::Num(Unit::Days) => "天数".into(),
        Type::Num(_) => "数值".into(),
        Type::Date => "日期".into(),
        Type::Text => "文本".into(),
        Type::Enum(_) => "名称（从可选值中选一个）".into(),
        Type::List(t) => format!("多个{}", kind_words(t)),
        Type::Record(_) | Type::Group(..) => "记录".into(),
    }
}

/// The allowed names of an enum (or a list of one).
pub fn allowed(ty: &Type) -> Vec<String> {
    match ty {
        Type::Enum(names) => names.clone(),
        Type::List(t) => allowed(t),
        _ => Vec::new(),
    }
}

/// The bounds a value must satisfy, its unit's own included (`≥ 0，≤ 100`).
pub fn range_words(ty: &Type, range: &[(CmpOp, Decimal)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let unit = match ty {
        Type::Num(u) => Some(*u),
        Type::List(t) => match t.as_ref() {
            Type::Num(u) => Some(*u),
            _ => None,
        },
        _ => None,
    };
    if let Some(min) = unit.and_then(Unit::intrinsic_min) {
        let covered = range
            .iter()
            .any(|(op, v)| matches!(op, CmpOp::Ge | CmpOp::Gt) && *v >= min);
        if !covered {
            parts.push(format!("≥ {}", dec(min)));
        }
    }
    for (op, v) in range {
        parts.push(format!("{} {}", op.symbol(), dec(*v)));
    }
    parts.join("，")
}

/// How to write a value of this type in a cell.
pub fn how_to_fill(ty: &Type) -> String {
    match ty {
        Type::Bool => "填“是”或“否”（也可填 TRUE / FALSE）".into(),
        Type::Num(Unit::Count) | Type::Num(Unit::Rank) => "填整数".into(),
        Type::Num(Unit::Pct) => "填百分数的数值：96.5 表示 96.5%，不要输入 % 号".into(),
        Type::Num(_) => "填数字".into(),
        Type::Date => "填日期，如 2024-03-01（日期格式的单元格也可以）".into(),
        Type::Text => "填文字".into(),
        Type::Enum(_) => "填可选值之一，照原样（英文小写）".into(),
        Type::List(t) => format!(
            "一格填多个值，用分号 ; 分隔；没有则留空。每个值：{}",
            how_to_fill(t)
        ),
        Type::Record(_) | Type::Group(..) => "在各自的工作表中填写".into(),
    }
}

/// One line describing a column, for notes and prompts.
pub fn describe(c: &Column) -> String {
    let mut s = format!("编号：{}\n类型：{}", c.id, kind_words(&c.ty));
    let m = measure(&c.ty);
    if !m.is_empty() {
        s.push_str(&format!("（{m}）"));
    }
    let r = range_words(&c.ty, &c.range);
    if !r.is_empty() {
        s.push_str(&format!("\n范围：{r}"));
    }
    let a = allowed(&c.ty);
    if !a.is_empty() {
        s.push_str(&format!("\n可选值：{}", a.join("、")));
    }
    s.push_str(if c.optional {
        "\n可不填"
    } else {
        "\n必填"
    });
    if !c.used_by.is_empty() {
        s.push_str(&format!("\n用于：{}", c.used_by.join("、")));
    }
    if !c.defaults.is_empty() {
        let d: Vec<String> = c
            .defaults
            .iter()
            .map(|(u, v)| format!("{u} {}", dec(*v)))
            .collect();
        s.push_str(&format!("\n文件规定值：{}", d.join("、")));
    }
    s.push_str(&format!("\n填法：{}", how_to_fill(&c.ty)));
    s
}
