//! `--format csv`: one row per unit with totals and one column per item.

use crate::fmt_dec;
use rulebook_eval::eval::UnitResult;
use rulebook_lang::ir::{NodeKind, Program};

pub fn render(program: &Program, units: &[UnitResult]) -> Result<String, String> {
    let items: Vec<(usize, &str)> = program
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind == NodeKind::Item)
        .map(|(i, n)| (i, n.id.as_str()))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "unit".to_string(),
        "total".to_string(),
        "base".to_string(),
        "bonus".to_string(),
        "total_deductions".to_string(),
        "grade".to_string(),
        "rank".to_string(),
        "vetoes".to_string(),
    ];
    for (_, id) in &items {
        header.push(format!("item_{id}"));
        header.push(format!("item_{id}_to_total"));
    }
    w.write_record(&header).map_err(|e| e.to_string())?;
    for u in units {
        let mut row = vec![
            crate::safe::spreadsheet_cell(&u.unit).into_owned(),
            fmt_dec(u.total),
            fmt_dec(u.base),
            fmt_dec(u.bonus),
            fmt_dec(u.total_deductions),
            crate::safe::spreadsheet_cell(&u.grade).into_owned(),
            u.rank.to_string(),
            crate::safe::spreadsheet_cell(&u.veto_ids(";")).into_owned(),
        ];
        for (i, _) in &items {
            let s = u.nodes.get(*i).cloned().unwrap_or_default();
            row.push(fmt_dec(s.score));
            row.push(fmt_dec(s.to_total));
        }
        w.write_record(&row).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}
