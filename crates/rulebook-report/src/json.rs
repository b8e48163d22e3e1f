//! `--format json`: every unit with its items, parts and trace.

use crate::fmt_dec;
use crate::reason::reason;
use rulebook_eval::eval::UnitResult;
use rulebook_lang::ir::{NodeKind, Program};
use serde::Serialize;

#[derive(Serialize)]
pub struct BatchOut {
    pub rulebook: String,
    pub units: Vec<UnitOut>,
}

#[derive(Serialize)]
pub struct UnitOut {
    pub unit: String,
    pub total: String,
    pub base: String,
    pub bonus: String,
    pub total_deductions: String,
    pub grade: String,
    pub rank: u32,
    pub vetoes: Vec<VetoOut>,
    pub items: Vec<NodeOut>,
}

#[derive(Serialize)]
pub struct VetoOut {
    pub id: String,
    pub reason: String,
}

#[derive(Serialize)]
pub struct NodeOut {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub points: Option<String>,
    pub score: String,
    pub to_total: String,
    pub parts: Vec<NodeOut>,
    pub trace: Vec<TraceOut>,
}

#[derive(Serialize)]
pub struct TraceOut {
    pub clause: String,
    pub amount: String,
    pub reason: String,
}

/// The items of a unit (every `item` node, in document order) as output nodes.
pub fn unit_out(program: &Program, u: &UnitResult) -> UnitOut {
    let mut items = Vec::new();
    for (i, n) in program.nodes.iter().enumerate() {
        if n.kind == NodeKind::Item {
            let section = n
                .parent
                .and_then(|p| program.nodes.get(p as usize))
                .filter(|p| p.kind == NodeKind::Section)
                .map(|p| p.title.clone());
            let mut out = node_out(program, u, i as u32);
            out.section = section;
            items.push(out);
        }
    }
    UnitOut {
        unit: u.unit.clone(),
        total: fmt_dec(u.total),
        base: fmt_dec(u.base),
        bonus: fmt_dec(u.bonus),
        total_deductions: fmt_dec(u.total_deductions),
        grade: u.grade.clone(),
        rank: u.rank,
        vetoes: u
            .vetoes
            .iter()
            .map(|v| VetoOut {
                id: v.id.clone(),
                reason: v.reason.clone(),
            })
            .collect(),
        items,
    }
}

pub fn node_out(program: &Program, u: &UnitResult, i: u32) -> NodeOut {
    let def = program.nodes.get(i as usize);
    let score = u.nodes.get(i as usize).cloned().unwrap_or_default();
    NodeOut {
        id: def.map(|d| d.id.clone()).unwrap_or_default(),
        title: def.map(|d| d.title.clone()).unwrap_or_default(),
        section: None,
        points: def.and_then(|d| d.points).map(fmt_dec),
        score: fmt_dec(score.score),
        to_total: fmt_dec(score.to_total),
        parts: def
            .map(|d| {
                d.children
                    .iter()
                    .map(|c| node_out(program, u, *c))
                    .collect()
            })
            .unwrap_or_default(),
        trace: u
            .trace
            .iter()
            .filter(|e| e.node == i)
            .map(|e| TraceOut {
                clause: program
                    .nodes
                    .get(e.node as usize)
                    .map(|n| n.id.clone())
                    .unwrap_or_default(),
                amount: fmt_dec(e.amount),
                reason: reason(program, e),
            })
            .collect(),
    }
}

pub fn render(program: &Program, units: &[UnitResult]) -> String {
    let out = BatchOut {
        rulebook: program.title.clone(),
        units: units.iter().map(|u| unit_out(program, u)).collect(),
    };
    let mut s =
        serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
