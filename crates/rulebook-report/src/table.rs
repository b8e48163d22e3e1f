//! The default terminal table: one row per unit, columns aligned by display width.

use crate::fmt_dec;
use rulebook_eval::eval::UnitResult;
use unicode_width::UnicodeWidthStr;

/// Lay out rows so that Chinese text lines up (display width, not bytes).
/// Columns from `right_align_from` up to (not including) `left_again_from` are
/// right-aligned (numbers); the others left-aligned.
pub fn layout(
    header: &[&str],
    rows: &[Vec<String>],
    right_align_from: usize,
    left_again_from: usize,
) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.width());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths.iter()).enumerate() {
            let pad = w.saturating_sub(c.width());
            if i >= right_align_from && i < left_again_from {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            }
            if i + 1 < cols {
                s.push_str("  ");
            }
        }
        s.trim_end().to_string()
    };
    let mut out = String::new();
    out.push_str(&line(header.to_vec()));
    out.push('\n');
    let total: usize = widths.iter().sum::<usize>() + 2 * cols.saturating_sub(1);
    out.push_str(&"─".repeat(total));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(|s| s.as_str()).collect()));
        out.push('\n');
    }
    out
}

pub fn render(units: &[UnitResult]) -> String {
    let header = [
        "单位 unit",
        "基础得分 base",
        "总分扣减 deductions",
        "加分 bonus",
        "总分 total",
        "排名 rank",
        "等次 grade",
        "否决 vetoes",
    ];
    let rows: Vec<Vec<String>> = units
        .iter()
        .map(|u| {
            vec![
                u.unit.clone(),
                fmt_dec(u.base),
                fmt_dec(u.total_deductions),
                fmt_dec(u.bonus),
                fmt_dec(u.total),
                u.rank.to_string(),
                u.grade.clone(),
                u.veto_ids(", "),
            ]
        })
        .collect();
    layout(&header, &rows, 1, 6)
}
