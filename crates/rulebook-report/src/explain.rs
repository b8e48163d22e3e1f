//! `rulebook explain`: every point one unit gained and lost, by item,
//! citing the clause number and the document's own sentence.

use crate::fmt_dec;
use crate::reason::reason;
use rulebook_eval::eval::UnitResult;
use rulebook_lang::ir::{NodeKind, Program};
use unicode_width::UnicodeWidthStr;

fn pad(s: &str, width: usize) -> String {
    let w = s.width();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

fn signed(d: rust_decimal::Decimal) -> String {
    if d > rust_decimal::Decimal::ZERO {
        format!("+{}", fmt_dec(d))
    } else if d.is_zero() {
        " 0".to_string()
    } else {
        format!("−{}", fmt_dec(-d))
    }
}

/// The sentence a node cites: its own text, else its title.
fn citation(program: &Program, node: u32) -> String {
    let Some(n) = program.nodes.get(node as usize) else {
        return String::new();
    };
    if n.text.is_empty() {
        n.title.clone()
    } else {
        n.text.join(" ")
    }
}

pub fn render(program: &Program, u: &UnitResult, batch_size: usize) -> String {
    let mut out = String::new();
    out.push_str(&format!("{} — {}\n", u.unit, program.title));
    out.push_str(&format!(
        "{}；等次 {}；排名 {}/{}\n",
        crate::total_formula(u),
        u.grade,
        u.rank,
        batch_size
    ));
    for v in &u.vetoes {
        out.push_str(&format!("一票否决 {}：{}\n", v.id, v.reason));
    }
    let mut current_section: Option<u32> = None;
    for (i, n) in program.nodes.iter().enumerate() {
        if n.kind != NodeKind::Item {
            continue;
        }
        if let Some(p) = n.parent.filter(|p| {
            program
                .nodes
                .get(*p as usize)
                .is_some_and(|s| s.kind == NodeKind::Section)
        }) {
            if current_section != Some(p) {
                current_section = Some(p);
                if let Some(s) = program.nodes.get(p as usize) {
                    out.push_str(&format!("\n{} {}\n", s.id, s.title));
                }
            }
        }
        let score = u.nodes.get(i).cloned().unwrap_or_default();
        let points = match n.points {
            Some(p) => format!("{} 分", fmt_dec(p)),
            None if n.bonus => "加分".to_string(),
            None => "不设基础分".to_string(),
        };
        let mut head = format!(
            "  {} {}（{}）得 {}",
            n.id,
            n.title,
            points,
            fmt_dec(score.score)
        );
        if !score.to_total.is_zero() {
            head.push_str(&format!("，从总分扣减 {}", fmt_dec(score.to_total)));
        }
        out.push_str(&head);
        out.push('\n');
        // Every entry under this item, in document order.
        let mut nodes_under = vec![i as u32];
        let mut k = 0;
        while let Some(&x) = nodes_under.get(k) {
            if let Some(d) = program.nodes.get(x as usize) {
                nodes_under.extend(d.children.iter().copied());
            }
            k += 1;
        }
        nodes_under.sort_unstable();
        let id_width = nodes_under
            .iter()
            .filter_map(|x| program.nodes.get(*x as usize).map(|d| d.id.width()))
            .max()
            .unwrap_or(0);
        for x in nodes_under {
            let entries: Vec<_> = u.trace.iter().filter(|e| e.node == x).collect();
            if entries.is_empty() {
                continue;
            }
            let id = program
                .nodes
                .get(x as usize)
                .map(|d| d.id.clone())
                .unwrap_or_default();
            for (j, e) in entries.iter().enumerate() {
                let label = if j == 0 {
                    pad(&id, id_width)
                } else {
                    pad("", id_width)
                };
                out.push_str(&format!(
                    "    {}  {:>6}  {}\n",
                    label,
                    signed(e.amount),
                    reason(program, u, e)
                ));
            }
            let cite = citation(program, x);
            if !cite.is_empty() {
                out.push_str(&format!(
                    "    {}  {:>6}  「{}」\n",
                    pad("", id_width),
                    "",
                    cite
                ));
            }
        }
    }
    out
}
