//! `--format md`: tables to paste into a report.

use crate::fmt_dec;
use crate::reason::reason;
use rulebook_eval::eval::UnitResult;
use rulebook_lang::ir::{NodeKind, Program};

fn cell(s: &str) -> String {
    crate::safe::markdown_cell(s).into_owned()
}

pub fn render(program: &Program, units: &[UnitResult]) -> String {
    let mut out = format!("# {}\n\n", cell(&program.title));
    out.push_str("| 单位 | 基础得分 | 总分扣减 | 加分 | 总分 | 等次 | 否决 | 排名 |\n");
    out.push_str("|---|---:|---:|---:|---:|---|---|---:|\n");
    for u in units {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            cell(&u.unit),
            fmt_dec(u.base),
            fmt_dec(u.total_deductions),
            fmt_dec(u.bonus),
            fmt_dec(u.total),
            cell(&u.grade),
            cell(&u.veto_ids(", ")),
            u.rank
        ));
    }
    for u in units {
        out.push_str(&format!("\n## {}\n\n", cell(&u.unit)));
        out.push_str(
            "| 编号 | 指标 | 分值 | 得分 | 从总分扣减 | 扣分说明 |\n|---|---|---:|---:|---:|---|\n",
        );
        for (i, n) in program.nodes.iter().enumerate() {
            if n.kind != NodeKind::Item {
                continue;
            }
            let s = u.nodes.get(i).cloned().unwrap_or_default();
            let reasons: Vec<String> = u
                .trace
                .iter()
                .filter(|e| e.amount < rust_decimal::Decimal::ZERO)
                .filter(|e| is_under(program, e.node, i as u32))
                .map(|e| {
                    let id = program
                        .nodes
                        .get(e.node as usize)
                        .map(|d| d.id.as_str())
                        .unwrap_or("");
                    format!("{id} {}：{}", fmt_dec(e.amount), reason(program, u, e))
                })
                .collect();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                cell(&n.id),
                cell(&n.title),
                n.points.map(fmt_dec).unwrap_or_default(),
                fmt_dec(s.score),
                fmt_dec(s.to_total),
                cell(&reasons.join("；"))
            ));
        }
    }
    out
}

/// Is node `x` inside node `ancestor` (or the same)?
pub fn is_under(program: &Program, x: u32, ancestor: u32) -> bool {
    let mut at = Some(x);
    while let Some(a) = at {
        if a == ancestor {
            return true;
        }
        at = program.nodes.get(a as usize).and_then(|n| n.parent);
    }
    false
}
