//! The reference interpreter's walk of one unit: its nodes bottom-up, each
//! rule's amount, and where each deduction settles (the node, a pool of
//! parts, the total), as the settlement plan in the IR says.
//!
//! In: a checked [`Program`] and one unit's data, ranks and aggregates.
//! Out: its [`UnitResult`], the model the compiled evaluator is held to
//! (`tests/compiled_vs_reference.rs`).

use super::{
    cite, describe, mul, proportion_amount, steps_amount, AcrossValue, Adjusted, Cx, Detail,
    EvalError, Fact, Facts, NodeScore, RuleOutcome, TraceEntry, UnitResult, Veto,
};
use crate::data::UnitData;
use crate::value::Value;
use rulebook_lang::ir::{self, Amount, Expr, Program, RuleKind, SettleTo, Settlement};
use rust_decimal::prelude::*;

/// Score one unit. `ranks` holds the unit's rank for each `rank(...)` of the program.
pub fn evaluate_unit(
    program: &Program,
    globals: &[Value],
    unit: &UnitData,
    ranks: &[Decimal],
    trace: bool,
) -> Result<UnitResult, EvalError> {
    evaluate_unit_in(program, globals, unit, ranks, &[], trace)
}

/// [`evaluate_unit`] within a batch: `across` holds the batch's aggregates
/// (`max(E across units)`), from [`compute_across`](super::compute_across).
pub fn evaluate_unit_in(
    program: &Program,
    globals: &[Value],
    unit: &UnitData,
    ranks: &[Decimal],
    across: &[AcrossValue],
    trace: bool,
) -> Result<UnitResult, EvalError> {
    let mut cx = Cx::new(program, globals, unit, ranks, across);
    cx.tracing = trace;
    let mut st = State {
        nodes: vec![NodeScore::default(); program.nodes.len()],
        trace: Vec::new(),
        facts: Vec::new(),
        vetoes: Vec::new(),
        pending: Vec::with_capacity(16),
        parts: Vec::with_capacity(32),
        inner_bonus: Decimal::ZERO,
    };
    eval_node(&mut cx, &mut st, 0).map_err(|(node, message)| EvalError {
        unit: unit.name.clone(),
        node,
        message,
    })?;
    if trace {
        cite::split_cited(&mut cx, &mut st.trace);
    }
    // Nodes are numbered parents first, so walking backwards sums each
    // subtree: what it sends to the total, and what no-base parts took.
    for i in (0..program.nodes.len()).rev() {
        let Some(def) = program.nodes.get(i) else {
            continue;
        };
        let mut to_total = Decimal::ZERO;
        let mut taken = Decimal::ZERO;
        for &c in &def.children {
            let Some(cs) = st.nodes.get(c as usize) else {
                continue;
            };
            to_total = to_total.saturating_add(cs.to_total);
            if program
                .nodes
                .get(c as usize)
                .is_some_and(|n| n.deducts_only())
            {
                taken = taken.saturating_add(cs.score);
            }
        }
        if let Some(ns) = st.nodes.get_mut(i) {
            ns.to_total = ns.to_total.saturating_add(to_total);
            if def.deducts_only() {
                ns.score = ns.score.saturating_add(taken);
            }
        }
    }
    // Σ scores of the scored top-level nodes, and of the bonus ones.
    let root_def = program.nodes.first();
    let root_score = st.nodes.first().map(|n| n.score).unwrap_or_default();
    let total_deductions = st.nodes.first().map(|n| n.to_total).unwrap_or_default();
    let mut bonus = Decimal::ZERO;
    let mut base_sum = Decimal::ZERO;
    if root_def.is_some_and(|r| r.points.is_some()) {
        base_sum = root_score;
    }
    for &c in root_def.map(|r| r.children.as_slice()).unwrap_or(&[]) {
        let Some(def) = program.nodes.get(c as usize) else {
            continue;
        };
        let score = st
            .nodes
            .get(c as usize)
            .map(|n| n.score)
            .unwrap_or_default();
        if def.bonus {
            bonus = bonus.saturating_add(score);
        } else if root_def.is_some_and(|r| r.points.is_none()) && def.points.is_some() {
            base_sum = base_sum.saturating_add(score);
        }
    }
    // Bonus points inside items join the bonus, under the bonus section's
    // cap (加分上限) when there is one.
    if !st.inner_bonus.is_zero() {
        bonus = bonus.saturating_add(st.inner_bonus);
        for &c in root_def.map(|r| r.children.as_slice()).unwrap_or(&[]) {
            let Some(def) = program.nodes.get(c as usize).filter(|d| d.bonus) else {
                continue;
            };
            if let Some(cap) = def.cap.as_ref() {
                if let Some(cap) = cx.num(cap).map_err(|m| EvalError {
                    unit: unit.name.clone(),
                    node: def.id.clone(),
                    message: m,
                })? {
                    bonus = bonus.min(cap);
                }
            }
        }
    }
    // base = Σ item scores; total = max(0, base − Σ to total) + bonus.
    let base = base_sum;
    let net = base_sum.saturating_sub(total_deductions);
    // The rulebook's floor (0 unless it says otherwise) under base − deductions.
    let floored = match program.floor {
        Some(f) if net < f => Some(net),
        _ => None,
    };
    let total = match (program.floor, floored) {
        (Some(f), Some(_)) => f,
        _ => net,
    }
    .saturating_add(bonus);
    let vetoed = !st.vetoes.is_empty();
    let mut grade = String::new();
    cx.builtins = Some((total, base, bonus, vetoed));
    for g in &program.grades {
        let holds = match &g.condition {
            None => true,
            Some(c) => cx
                .eval(c)
                .map_err(|m| EvalError {
                    unit: unit.name.clone(),
                    node: format!("grade `{}`", g.name),
                    message: m,
                })?
                .as_bool()
                .unwrap_or(false),
        };
        if holds {
            grade = g.name.clone();
            break;
        }
    }
    Ok(UnitResult {
        unit: unit.name.clone(),
        base,
        bonus,
        total,
        total_deductions,
        grade,
        vetoes: st.vetoes,
        nodes: st.nodes,
        trace: st.trace,
        facts: st.facts,
        rank: 1,
        floored,
    })
}

struct State<'p> {
    nodes: Vec<NodeScore>,
    trace: Vec<TraceEntry>,
    facts: Vec<Fact>,
    vetoes: Vec<Veto>,
    /// Deductions on their way up the tree: each node's pending ones sit
    /// above the mark it took when it started (no allocation per node).
    pending: Vec<Ded<'p>>,
    /// Scores of the scored parts of the nodes being evaluated, likewise stacked.
    parts: Vec<(u32, Decimal)>,
    /// Bonus points awarded inside scored items (加分 within an indicator),
    /// after their own caps; they join the bonus, not the item's score.
    inner_bonus: Decimal,
}

/// A deduction on its way to where its plan settles it.
struct Ded<'p> {
    amount: Decimal,
    plan: &'p Settlement,
    /// The node whose rule made it.
    origin: u32,
    /// Index of its trace entry, to note what happened to it.
    entry: Option<usize>,
}

impl Ded<'_> {
    /// Taken by node `i`, a node with a base.
    fn taken_by(&self, i: u32) -> bool {
        self.plan.at == i && self.plan.to == SettleTo::Node
    }
    /// Taken from a pool of `i`'s parts.
    fn pooled_at(&self, i: u32) -> bool {
        self.plan.at == i && matches!(self.plan.to, SettleTo::Pool { .. })
    }
}

type NodeErr = (String, String);

/// Evaluate node `i` and its parts. Returns the node's score (None when it
/// has no base); deductions it passes on are left on `st.pending`.
fn eval_node<'p>(cx: &mut Cx<'p>, st: &mut State<'p>, i: u32) -> Result<Option<Decimal>, NodeErr> {
    let program = cx.program;
    let Some(node) = program.nodes.get(i as usize) else {
        return Ok(None);
    };
    let err = |m: String| (node.id.clone(), m);
    let mark = st.pending.len();
    let parts_mark = st.parts.len();

    // Rules.
    let mut awards = Decimal::ZERO;
    // What each capped block has given or taken so far.
    let mut few = [Decimal::ZERO; 8];
    let mut many = Vec::new();
    let block_used: &mut [Decimal] = match few.get_mut(..node.blocks.len()) {
        Some(s) => s,
        None => {
            many.resize(node.blocks.len(), Decimal::ZERO);
            &mut many
        }
    };
    for (ri, rule) in node.rules.iter().enumerate() {
        let cond = match &rule.condition {
            None => true,
            Some(c) => cx.truth(c).map_err(err)?,
        };
        // An exemption from a deduction (免扣) is shown with what it spared;
        // an award's `unless` is a plain condition.
        let exempt = match &rule.unless {
            None => false,
            Some(u) => cond && cx.truth(u).map_err(err)?,
        };
        let waived = exempt && rule.kind == RuleKind::Deduct;
        let met = cond && !exempt;
        if rule.kind == RuleKind::Veto {
            if met {
                st.vetoes.push(Veto {
                    id: rule.cite.clone(),
                    reason: node.text.join(" "),
                });
                if cx.tracing {
                    let facts = Facts::keep(&mut st.facts, facts(cx, rule));
                    st.trace.push(TraceEntry::new(
                        i,
                        Some(ri as u32),
                        Decimal::ZERO,
                        Detail::Veto,
                        facts,
                    ));
                }
            }
            continue;
        }
        let mut detail = None;
        // An exempted rule is still worked out when explaining, to show
        // what the exemption spared.
        let mut raw = if met || (waived && cx.tracing) {
            rule_amount(cx, &rule.amount, rule.times.is_none(), &mut detail).map_err(err)?
        } else {
            Decimal::ZERO
        };
        let mut scaled = None;
        if let (Some(t), false) = (&rule.times, raw.is_zero()) {
            let applies = match &t.when {
                None => true,
                Some(w) => cx.truth(w).map_err(err)?,
            };
            if applies {
                if let Some(f) = cx.num(&t.factor).map_err(err)? {
                    scaled = Some((raw, f));
                    raw = mul(raw, f).map_err(err)?;
                }
            }
        }
        let mut rounded = None;
        if let Some(p) = rule.round {
            let r = raw.round_dp_with_strategy(p, RoundingStrategy::MidpointAwayFromZero);
            if r != raw {
                rounded = Some((raw, p));
                raw = r;
            }
        }
        let mut amount = if raw.is_sign_negative() {
            Decimal::ZERO
        } else {
            raw
        };
        let mut capped_at = None;
        if let Some(c) = &rule.cap {
            if let Some(cap) = cx.num(c).map_err(err)? {
                if amount > cap {
                    amount = cap;
                    capped_at = Some(cap);
                }
            }
        }
        let waived_amount = if waived {
            let would = std::mem::take(&mut amount);
            raw = Decimal::ZERO;
            (!would.is_zero()).then_some(would)
        } else {
            None
        };
        if let Some(b) = rule.block {
            let cap = match node.blocks.get(b as usize) {
                Some(e) => cx.num(e).map_err(err)?,
                None => None,
            };
            if let (Some(cap), Some(used)) = (cap, block_used.get_mut(b as usize)) {
                let room = (cap - *used).max(Decimal::ZERO);
                if amount > room {
                    amount = room;
                    capped_at = Some(cap);
                }
                *used = used.saturating_add(amount);
            }
        }
        // Records a `where` left out, so a deduction that came to nothing
        // (or less) because of its filter says so.
        let excluded = if cx.tracing && met {
            filtered_out(cx, &rule.amount)
                .map_err(err)?
                .filter(|(out, _)| *out > 0)
        } else {
            None
        };
        let outcome = RuleOutcome {
            kind: rule.kind,
            met,
            waived,
            raw,
            amount,
            detail,
            adjusted: Adjusted {
                capped_at,
                scaled,
                waived: waived_amount,
                rounded,
                excluded,
            },
        };
        let entry = if cx.tracing && outcome.shown() {
            let facts = Facts::keep(&mut st.facts, facts(cx, rule));
            st.trace.push(outcome.entry(i, ri as u32, facts));
            Some(st.trace.len() - 1)
        } else {
            None
        };
        match rule.kind {
            RuleKind::Award => awards = awards.saturating_add(amount),
            _ if amount.is_zero() => {}
            _ => st.pending.push(Ded {
                amount,
                plan: &rule.settle,
                origin: i,
                entry,
            }),
        }
    }

    // Parts.
    let mut bonus_children = Decimal::ZERO;
    for &c in &node.children {
        if let Some(s) = eval_node(cx, st, c)? {
            if program.nodes.get(c as usize).is_some_and(|n| n.bonus) {
                bonus_children = bonus_children.saturating_add(s);
            } else {
                st.parts.push((c, s));
            }
        }
    }
    // A bonus part inside a scored item adds to the unit's bonus (the
    // root's own bonus children are the bonus section, summed at the end).
    if !node.bonus && node.parent.is_some() {
        st.inner_bonus = st.inner_bonus.saturating_add(bonus_children);
    }
    // Pools settled here: deductions that may overflow go last.
    let mut k = mark;
    while let Some(d) = st.pending.get(k) {
        let plan: &'p Settlement = d.plan;
        if let (true, SettleTo::Pool { members, .. }) = (d.pooled_at(i), &plan.to) {
            let first_of_pool = !st
                .pending
                .get(mark..k)
                .unwrap_or(&[])
                .iter()
                .any(|e| same_pool(e.plan, plan));
            if first_of_pool {
                for overflow_pass in [false, true] {
                    for j in k..st.pending.len() {
                        let Some(e) = st.pending.get(j) else { continue };
                        let then_total = matches!(
                            e.plan.to,
                            SettleTo::Pool {
                                then_total: true,
                                ..
                            }
                        );
                        if !same_pool(e.plan, plan) || then_total != overflow_pass {
                            continue;
                        }
                        let (amount, origin, entry) = (e.amount, e.origin, e.entry);
                        let mut left = amount;
                        for m in members {
                            let parts = st.parts.get_mut(parts_mark..).unwrap_or(&mut []);
                            if let Some((_, s)) = parts.iter_mut().find(|(c, _)| c == m) {
                                let take = left.min(*s).max(Decimal::ZERO);
                                *s -= take;
                                left -= take;
                            }
                        }
                        credit_taken(st, program, origin, amount - left);
                        if !left.is_zero() {
                            settle_leftover(cx, st, origin, entry, left, then_total);
                        }
                    }
                }
            }
        }
        k += 1;
    }

    let score = if node.bonus {
        let mut s = awards.saturating_add(bonus_children);
        if let Some(c) = &node.cap {
            if let Some(cap) = cx.num(c).map_err(err)? {
                s = s.min(cap);
            }
        }
        Some(s)
    } else if let Some(points) = node.points {
        let start = if node.starts_full {
            points
        } else {
            st.parts
                .get(parts_mark..)
                .unwrap_or(&[])
                .iter()
                .fold(awards, |acc, (_, s)| acc.saturating_add(*s))
        };
        let mut avail = start.min(points).max(Decimal::ZERO);
        // On a node with a base, `cap N` bounds the deductions it takes (「最高扣N分」).
        let mut room = match &node.cap {
            Some(c) => cx.num(c).map_err(err)?,
            None => None,
        };
        for j in mark..st.pending.len() {
            let Some(d) = st.pending.get_mut(j) else {
                continue;
            };
            if !d.taken_by(i) {
                continue;
            }
            if let Some(r) = room.as_mut() {
                if d.amount > *r {
                    let cut = d.amount - *r;
                    d.amount = *r;
                    if let Some(e) = d.entry.and_then(|e| st.trace.get_mut(e)) {
                        e.amount = e.amount.saturating_add(cut);
                        e.set_capped_at(node.cap.as_ref().and_then(rulebook_lang::ir::const_num));
                    }
                }
                *r -= d.amount;
            }
            let (amount, origin, entry) = (d.amount, d.origin, d.entry);
            let take = amount.min(avail);
            avail -= take;
            credit_taken(st, program, origin, take);
            let left = amount - take;
            if !left.is_zero() {
                settle_leftover(cx, st, origin, entry, left, false);
            }
        }
        Some(avail)
    } else {
        None
    };

    // Keep what travels on, within the caps its plan meets here; send to
    // the total what its plan settles here.
    let mut cap_left = match &node.cap {
        Some(c) if node.caps_what_passes() => cx.num(c).map_err(err)?,
        _ => None,
    };
    let mut w = mark;
    for r in mark..st.pending.len() {
        let Some(d) = st.pending.get(r) else { continue };
        if d.taken_by(i) || d.pooled_at(i) {
            continue;
        }
        let (mut amount, plan, origin, entry) = (d.amount, d.plan, d.origin, d.entry);
        if let Some(room) = cap_left.as_mut().filter(|_| plan.caps.contains(&i)) {
            if amount > *room {
                let cut = amount - *room;
                amount = *room;
                if let Some(e) = entry.and_then(|e| st.trace.get_mut(e)) {
                    e.amount = e.amount.saturating_add(cut);
                    if e.capped_at().is_none() {
                        e.set_capped_at(node.cap.as_ref().and_then(rulebook_lang::ir::const_num));
                    }
                }
            }
            *room -= amount;
        }
        if amount.is_zero() {
            continue;
        }
        if plan.to.is_total() && plan.at == i {
            send_to_total(st, origin, amount);
            if let Some(e) = entry.and_then(|e| st.trace.get_mut(e)) {
                if matches!(e.detail, Detail::Condition { .. }) {
                    e.detail = Detail::ToTotal;
                }
            }
            continue;
        }
        if let Some(d) = st.pending.get_mut(r) {
            d.amount = amount;
        }
        st.pending.swap(w, r);
        w += 1;
    }
    st.pending.truncate(w);
    st.parts.truncate(parts_mark);
    if let (Some(s), Some(ns)) = (score, st.nodes.get_mut(i as usize)) {
        ns.score = s;
    }
    Ok(score)
}

fn same_pool(a: &Settlement, b: &Settlement) -> bool {
    match (&a.to, &b.to) {
        (SettleTo::Pool { members: m, .. }, SettleTo::Pool { members: n, .. }) => {
            a.at == b.at && m == n
        }
        _ => false,
    }
}

/// A node without a base reports (as a negative score) what its deductions took.
fn credit_taken(st: &mut State<'_>, program: &Program, origin: u32, taken: Decimal) {
    if program
        .nodes
        .get(origin as usize)
        .is_some_and(|n| n.points.is_none())
    {
        if let Some(ns) = st.nodes.get_mut(origin as usize) {
            ns.score = ns.score.saturating_sub(taken);
        }
    }
}

fn send_to_total(st: &mut State<'_>, origin: u32, amount: Decimal) {
    if let Some(ns) = st.nodes.get_mut(origin as usize) {
        ns.to_total = ns.to_total.saturating_add(amount);
    }
}

/// What a pool or part could not absorb: to the total, or lost (扣完为止).
fn settle_leftover(
    cx: &Cx<'_>,
    st: &mut State<'_>,
    origin: u32,
    entry: Option<usize>,
    left: Decimal,
    then_total: bool,
) {
    if then_total {
        send_to_total(st, origin, left);
    }
    if cx.tracing {
        let rule = entry.and_then(|e| st.trace.get(e)).and_then(|e| e.rule);
        st.trace.push(TraceEntry::new(
            origin,
            rule,
            if then_total { -left } else { left },
            if then_total {
                Detail::Overflow
            } else {
                Detail::Lost
            },
            Facts::default(),
        ));
    }
}

/// The unit's facts a rule reads directly (its condition, and a plain
/// amount's expression), with their values in words.
fn facts(cx: &Cx<'_>, rule: &ir::RuleDef) -> Vec<Fact> {
    let at = FactsAt {
        program: cx.program,
        globals: cx.globals,
        unit: cx.unit,
        across: cx.across,
        lets: &cx.lets,
    };
    fact_reads(rule)
        .into_iter()
        .filter_map(|e| at.fact(e))
        .collect()
}

/// What a rule's facts are read from.
pub(crate) struct FactsAt<'a> {
    pub program: &'a Program,
    pub globals: &'a [Value],
    pub unit: &'a UnitData,
    pub across: &'a [AcrossValue],
    /// The derived values worked out so far.
    pub lets: &'a [Option<Value>],
}

/// The facts (inputs, globals, parameters, aggregates, derived values) a
/// rule reads directly, in the order an explanation names them, at most six.
pub(crate) fn fact_reads(rule: &ir::RuleDef) -> Vec<&Expr> {
    let mut reads: Vec<&Expr> = Vec::new();
    // Popped last first: the amount's facts, the condition's, the
    // multiplier's, the exemption's.
    let mut stack: Vec<&Expr> = Vec::new();
    stack.extend(rule.unless.as_ref());
    if let Some(t) = &rule.times {
        stack.extend(t.when.as_ref());
        stack.push(&t.factor);
    }
    stack.extend(rule.condition.as_ref());
    // The derived values the other kinds of amount read; a bare one is
    // already named in the reason (`label N 次`, `label 92.5%，目标 …`).
    fn not_bare(e: &Expr) -> Option<&Expr> {
        (!matches!(e, Expr::Let(_))).then_some(e)
    }
    match &rule.amount {
        Amount::Expr(e) => stack.push(e),
        Amount::Each { count, .. } => stack.extend(not_bare(count)),
        Amount::Steps { actual, target, .. } => {
            stack.extend(not_bare(target));
            stack.extend(not_bare(actual));
        }
        Amount::Proportion { ratio, floor, .. } => {
            stack.extend(floor.as_ref());
            stack.push(ratio);
        }
        Amount::None => {}
    }
    while let Some(e) = stack.pop() {
        match e {
            Expr::Input(_) | Expr::Global(_) | Expr::Param(_) | Expr::Across(_) | Expr::Let(_)
                if !reads.contains(&e) =>
            {
                reads.push(e)
            }
            Expr::Input(_) | Expr::Global(_) | Expr::Param(_) | Expr::Across(_) | Expr::Let(_) => {}
            Expr::Not(x) | Expr::Neg(x) | Expr::IsMissing(x, _) => stack.push(x),
            Expr::Bin(_, a, b) => {
                stack.push(b);
                stack.push(a);
            }
            Expr::If(c, a, b) => stack.extend([&**b, &**a, &**c]),
            Expr::Call(_, args) | Expr::List(args) => stack.extend(args.iter().rev()),
            Expr::Agg { loops, .. } => stack.extend(loops.iter().map(|(_, l)| l)),
            _ => {}
        }
    }
    reads.truncate(6);
    reads
}

impl FactsAt<'_> {
    /// One fact read by a rule; `None` for a derived value not worked out
    /// while scoring (the rule did not need it).
    pub(crate) fn fact(&self, e: &Expr) -> Option<Fact> {
        Some(match e {
            Expr::Input(i) => Fact::Input(*i, self.unit.inputs.get(*i as usize)?.clone()),
            Expr::Global(i) => Fact::Global(*i, self.globals.get(*i as usize)?.clone()),
            Expr::Param(i) => Fact::Param(*i, self.unit.params.get(*i as usize)?.clone()),
            Expr::Let(i) => Fact::Let(*i, self.lets.get(*i as usize)?.as_ref()?.clone()),
            Expr::Across(i) => Fact::Words(Box::new(across_fact(self.program, self.across, *i)?)),
            _ => return None,
        })
    }
}

/// For an amount that goes over one list with `where` (`sum(… for f in L
/// where C)`, `RATE each count(x in L where C)`): how many of L's records
/// the condition left out, and how many there were.
fn filtered_out(cx: &mut Cx<'_>, amount: &Amount) -> Result<Option<(u32, u32)>, String> {
    let e = match amount {
        Amount::Expr(e) => e,
        Amount::Each { count, .. } => count,
        _ => return Ok(None),
    };
    let Expr::Agg {
        loops,
        filter: Some(f),
        ..
    } = e
    else {
        return Ok(None);
    };
    let [(slot, list)] = loops.as_slice() else {
        return Ok(None);
    };
    let items = match cx.eval(list)? {
        Value::List(l) => l,
        _ => return Ok(None),
    };
    let mut out = 0u32;
    for it in items.iter() {
        if let Some(s) = cx.locals.get_mut(*slot as usize) {
            *s = it.clone();
        }
        if !cx.truth(f)? {
            out += 1;
        }
    }
    Ok(Some((out, items.len() as u32)))
}

/// An aggregate over the batch in words: "PM2.5浓度最高值", "95.2（甲县）".
fn across_fact(p: &Program, across: &[AcrossValue], i: u32) -> Option<(String, String)> {
    let def = p.across.get(i as usize)?;
    let v = across.get(i as usize)?;
    let of = match &def.expr {
        Expr::Input(k) => p.inputs.get(*k as usize).map(|d| d.label.clone()),
        Expr::Let(k) => p.lets.get(*k as usize).map(|d| d.label.clone()),
        Expr::Param(k) => p.params.get(*k as usize).map(|d| d.input.label.clone()),
        _ => None,
    }
    .filter(|l| !l.is_empty())
    .unwrap_or_else(|| def.source.clone());
    let value = match &v.unit {
        Some(u) => format!("{}（{u}）", describe(&v.value)),
        None => describe(&v.value),
    };
    Some((format!("{of}{}", def.func.words()), value))
}

/// A rule's amount before caps. The numbers behind it are written to
/// `detail` only when a trace is kept (building them costs time in bulk runs).
fn rule_amount(
    cx: &mut Cx<'_>,
    amount: &Amount,
    round_inside: bool,
    detail: &mut Option<Detail>,
) -> Result<Decimal, String> {
    let tracing = cx.tracing;
    let mut note = |d: &dyn Fn() -> Detail| {
        if tracing {
            *detail = Some(d());
        }
    };
    match amount {
        Amount::None => Ok(Decimal::ZERO),
        Amount::Expr(e) => match cx.eval(e)? {
            Value::Num(v) => {
                note(&|| Detail::Amount { raw: v });
                Ok(v)
            }
            Value::Bool(true) => {
                note(&|| Detail::Amount { raw: Decimal::ONE });
                Ok(Decimal::ONE)
            }
            _ => {
                note(&|| Detail::NotApplicable);
                Ok(Decimal::ZERO)
            }
        },
        Amount::Each { rate, count } => {
            let (Some(r), Some(n)) = (cx.num(rate)?, cx.num(count)?) else {
                note(&|| Detail::NotApplicable);
                return Ok(Decimal::ZERO);
            };
            let raw = mul(r, n)?;
            note(&|| Detail::Each {
                rate: r,
                count: n,
                raw,
            });
            Ok(raw)
        }
        Amount::Steps {
            rate,
            step,
            actual,
            target,
            above,
            ceil,
        } => {
            let (Some(r), Some(s), Some(a), Some(t)) = (
                cx.num(rate)?,
                cx.num(step)?,
                cx.num(actual)?,
                cx.num(target)?,
            ) else {
                note(&|| Detail::NotApplicable);
                return Ok(Decimal::ZERO);
            };
            let d = steps_amount(r, s, a, t, *above, *ceil)?;
            let raw = d.raw;
            if cx.tracing {
                *detail = Some(d.into_detail());
            }
            Ok(raw)
        }
        Amount::Proportion {
            max,
            ratio,
            floor,
            places,
        } => {
            let (Some(m), Some(r)) = (cx.num(max)?, cx.num(ratio)?) else {
                note(&|| Detail::NotApplicable);
                return Ok(Decimal::ZERO);
            };
            let f = match floor {
                Some(f) => cx.num(f)?,
                None => None,
            };
            let (raw, d) = proportion_amount(m, r, f, round_inside.then_some(*places))?;
            if cx.tracing {
                *detail = Some(Detail::Proportion(Box::new(d)));
            }
            Ok(raw)
        }
    }
}
