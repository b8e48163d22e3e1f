//! Citing the clause whose table row applied.
//!
//! A hit policy across clauses (同一事项同时出现多种情形的，按最高分项扣分) is one
//! rule over a lookup table, `deduct sum(max(points[s] for …) for m in …
//! grouped by id)`, so its trace entry belongs to the node holding the rule.
//! When the table's rows `cite` clauses, the entry is split after scoring
//! into one entry per value taken from a row, each under the clause that row
//! cites, with the group (事项) it came from. Only the trace changes: the
//! entries add up to the original one, and no score moves.

use super::{describe, table_row, Acc, CitedDetail, Cx, Detail, Facts, TraceEntry};
use crate::value::Value;
use rulebook_lang::ir::{self, Agg, Amount, Expr, Program};
use rust_decimal::Decimal;

/// One value taken from a cited table row.
struct Part {
    node: u32,
    amount: Decimal,
    /// The table and row it came from: the row's keys are put in words
    /// only for the parts an entry is made of.
    row: (u32, usize),
    group: Option<String>,
    largest: bool,
}

/// One record's value, its cited parts and its group.
type Item = (Option<Decimal>, Option<Vec<Part>>, Option<String>);

/// Does the expression read a table some of whose rows cite a node?
fn reads_cited_table(program: &Program, e: &Expr) -> bool {
    let cited = |t: &u32| {
        program
            .tables
            .get(*t as usize)
            .is_some_and(|d| d.cites.iter().any(Option::is_some))
    };
    match e {
        Expr::Table(t, _) => cited(t),
        Expr::Agg { body, .. } => reads_cited_table(program, body),
        _ => false,
    }
}

/// Split every traced rule entry whose amount comes from cited table rows.
pub(crate) fn split_cited(cx: &mut Cx<'_>, trace: &mut Vec<TraceEntry>) {
    let program = cx.program;
    if program
        .tables
        .iter()
        .all(|t| t.cites.iter().all(Option::is_none))
    {
        return;
    }
    // In place: most entries stay where they are, not moved at all.
    let all: Vec<usize> = (0..trace.len()).collect();
    split_these(cx, trace, &all);
}

/// Does the rule's amount read a table some of whose rows cite a node (so
/// that its trace entries may be split)?
pub(crate) fn reads_cited(program: &Program, rule: &ir::RuleDef) -> bool {
    matches!(&rule.amount, Amount::Expr(e) if reads_cited_table(program, e))
}

/// Split the entries at `these` (in order, as they were before any split)
/// whose amount comes from cited table rows: the entries of the rules that
/// [`reads_cited`], noted as the walk made them.
pub(crate) fn split_these(cx: &mut Cx<'_>, trace: &mut Vec<TraceEntry>, these: &[usize]) {
    let program = cx.program;
    // Each split moves the entries after it on by its parts less one.
    let mut moved = 0;
    for &k in these {
        let i = k + moved;
        let Some(parts) = trace.get(i).and_then(|e| split_one(cx, program, e)) else {
            continue;
        };
        moved += parts.len().saturating_sub(1);
        trace.splice(i..=i, parts);
    }
}

/// The amount expression of an entry that may be split: a plain amount,
/// not scaled, waived or rounded, read from a table whose rows cite nodes.
fn may_split<'p>(program: &'p Program, e: &TraceEntry) -> Option<&'p Expr> {
    if !matches!(e.detail, Detail::Amount { .. }) {
        return None;
    }
    if e.amount.is_zero() || e.scaled().is_some() || e.waived().is_some() || e.rounded().is_some() {
        return None;
    }
    let rule = program
        .nodes
        .get(e.node as usize)?
        .rules
        .get(e.rule? as usize)?;
    let Amount::Expr(expr) = &rule.amount else {
        return None;
    };
    reads_cited_table(program, expr).then_some(expr)
}

fn split_one(cx: &mut Cx<'_>, program: &Program, e: &TraceEntry) -> Option<Vec<TraceEntry>> {
    let Detail::Amount { raw } = e.detail else {
        return None;
    };
    let expr = may_split(program, e)?;
    let parts = cx.cited(expr).ok()?.parts?;
    let sum = parts
        .iter()
        .fold(Decimal::ZERO, |s, p| s.saturating_add(p.amount));
    if parts.is_empty() || sum != raw {
        return None;
    }
    // What caps left of the amount, handed out in order.
    let negative = e.amount.is_sign_negative();
    let mut left = e.amount.abs();
    Some(
        parts
            .into_iter()
            .map(|p| {
                let take = p.amount.min(left).max(Decimal::ZERO);
                left -= take;
                let mut entry = TraceEntry::new(
                    p.node,
                    e.rule,
                    if negative { -take } else { take },
                    Detail::Cited(Box::new(CitedDetail {
                        from: e.node,
                        raw: p.amount,
                        row: program
                            .tables
                            .get(p.row.0 as usize)
                            .and_then(|t| t.rows.get(p.row.1))
                            .map(|(keys, _)| keys.clone())
                            .unwrap_or_default(),
                        group: p.group,
                        largest: p.largest,
                    })),
                    Facts::default(),
                );
                if take < p.amount {
                    entry.set_capped_at(e.capped_at());
                }
                entry
            })
            .collect(),
    )
}

/// What an expression came to, and the cited table rows it came from.
#[derive(Default)]
struct Cited {
    value: Option<Decimal>,
    /// `None` when some part of the value comes from elsewhere.
    parts: Option<Vec<Part>>,
}

impl Cx<'_> {
    /// The value of `e` and the values it is made of, each from a cited
    /// table row; worked out together, in one pass over the records.
    fn cited(&mut self, e: &Expr) -> Result<Cited, String> {
        match e {
            Expr::Table(t, keys) => {
                // The row read as the evaluator reads it (keys in words,
                // no row: 0).
                let mut ks = Vec::with_capacity(keys.len());
                for k in keys {
                    match self.eval(k)? {
                        Value::Text(s) => ks.push(s),
                        _ => return Ok(Cited::default()),
                    }
                }
                let Some(table) = self.program.tables.get(*t as usize) else {
                    return Ok(Cited::default());
                };
                let at = table_row(table, &ks);
                let value = Some(
                    at.and_then(|at| table.rows.get(at))
                        .map(|(_, v)| *v)
                        .unwrap_or_default(),
                );
                let parts = at.and_then(|at| match (table.rows.get(at), table.cites.get(at)) {
                    (Some((_, amount)), Some(Some(node))) => Some(vec![Part {
                        node: *node,
                        amount: *amount,
                        row: (*t, at),
                        group: None,
                        largest: false,
                    }]),
                    _ => None,
                });
                Ok(Cited { value, parts })
            }
            Expr::Agg {
                agg: agg @ (Agg::Sum | Agg::Max),
                body,
                loops,
                filter,
            } => {
                let mut items = Vec::new();
                let mut acc = Acc::new(*agg);
                self.bindings(loops, filter.as_deref(), &mut |cx: &mut Self| {
                    let c = cx.cited(body)?;
                    acc.add(c.value.map_or(Value::Missing, Value::Num))?;
                    let group = loops
                        .first()
                        .and_then(|(slot, _)| cx.locals.get(*slot as usize))
                        .and_then(|v| match v {
                            Value::Group(g) => Some(describe(&g.0)),
                            _ => None,
                        });
                    items.push((c.value, c.parts, group));
                    Ok(())
                })?;
                let value = acc.value()?.as_num();
                Ok(Cited {
                    value,
                    parts: Self::cited_parts(*agg, items),
                })
            }
            _ => Ok(Cited {
                value: self.num(e)?,
                parts: None,
            }),
        }
    }

    /// The parts of a sum or a largest value, from each record's value,
    /// parts and group.
    fn cited_parts(agg: Agg, items: Vec<Item>) -> Option<Vec<Part>> {
        if agg == Agg::Max {
            // The first of the largest applies.
            let mut best: Option<(Decimal, Option<Vec<Part>>)> = None;
            for (v, parts, _) in items {
                let Some(v) = v else { continue };
                if best.as_ref().is_none_or(|(b, _)| v > *b) {
                    best = Some((v, parts));
                }
            }
            return best.and_then(|(_, p)| p).map(|mut ps| {
                for p in &mut ps {
                    p.largest = true;
                }
                ps
            });
        }
        let mut all = Vec::new();
        for (v, parts, group) in items {
            if v.is_none_or(|v| v.is_zero()) {
                continue;
            }
            for mut p in parts? {
                if p.group.is_none() {
                    p.group.clone_from(&group);
                }
                all.push(p);
            }
        }
        Some(all)
    }
}
