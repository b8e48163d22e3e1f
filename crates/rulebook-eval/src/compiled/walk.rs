//! Scoring a chunk of units (up to [`LANES`], or one) with a compiled
//! program: the node walk and the settlement of deductions.
//!
//! In: a [`Compiled`] program, each unit's data, its ranks and the batch's
//! aggregates, and one [`Scratch`] for each unit, reused from chunk to
//! chunk. Out: each unit's [`UnitResult`], the same in every value (scale
//! included), every trace entry and every error as the reference
//! interpreter's (`crate::eval`), which this walk follows step for step.
//! The chunk's units are walked together, each step for every unit in
//! turn (`node`). Without a trace the walk allocates only what the results
//! own (their node scores, vetoes and grades), and not even that when the
//! last results, lent to their taker, came back with their lists left in
//! them.

use super::expr::{Frame, Slots, LENT};
use super::node::Fail;
use super::program::{
    CAmount, CNode, CRule, Compiled, Fast, FastAmount, Part, Proportion, Steps, To, When,
};
use super::typed::Num;
use super::Failed;
use crate::data::UnitData;
use crate::eval::{
    cite, cmp_holds, dec_cmp, mul, proportion_amount, small_product, steps_amount, AcrossValue,
    Adjusted, Cx, Detail, EvalError, Fact, Facts, FactsAt, NodeScore, RuleOutcome, TraceEntry,
    UnitResult, Veto,
};
use crate::value::Value;
use rulebook_lang::ir::RuleKind;
use rust_decimal::prelude::*;

/// How many units a chunk walks at once ([`Compiled::score_lanes`]).
pub const LANES: usize = 8;

/// Buffers one thread reuses from unit to unit.
#[derive(Debug)]
pub struct Scratch {
    slots: Slots,
    pending: Vec<Ded>,
    parts: Vec<(u32, Decimal)>,
    blocks: Vec<Decimal>,
    /// Per node: it or one of its parts sent something to the unit's
    /// total (all false between units).
    sent: Vec<bool>,
    /// The longest trace so far, and the most facts: room made for the
    /// next unit's at once.
    trace_hint: usize,
    facts_hint: usize,
    /// The last unit's result, lent to whoever takes it in; its lists are
    /// filled again for the next unit, so a unit scored for a summary
    /// allocates nothing of its own.
    out: UnitResult,
}

impl Scratch {
    pub fn new(c: &Compiled<'_>) -> Scratch {
        Scratch {
            slots: Slots::new(c.program),
            pending: Vec::with_capacity(16),
            parts: Vec::with_capacity(32),
            blocks: Vec::new(),
            sent: vec![false; c.nodes.len()],
            trace_hint: 0,
            facts_hint: 0,
            out: UnitResult::default(),
        }
    }
}

/// A deduction on its way to where its plan settles it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ded {
    pub amount: Decimal,
    pub plan: u32,
    pub origin: u32,
    pub entry: Option<usize>,
}

/// The unit's own state while it is walked.
pub(super) struct State {
    pub nodes: Vec<NodeScore>,
    pub trace: Vec<TraceEntry>,
    pub facts: Vec<Fact>,
    pub vetoes: Vec<Veto>,
    pub inner_bonus: Decimal,
    pub tracing: bool,
    /// Some deduction went to the unit's total.
    pub sent_total: bool,
    /// The trace entries of rules that read a cited table, to be split
    /// once the walk is over.
    pub cited: Vec<usize>,
}

/// What went wrong, and at which node (by index).
#[derive(Debug)]
pub(super) struct NodeErr {
    pub node: u32,
    pub message: String,
}

pub(crate) struct Unit<'a> {
    pub globals: &'a [Value],
    pub unit: &'a UnitData,
    pub ranks: &'a [Decimal],
    pub across: &'a [AcrossValue],
}

impl Compiled<'_> {
    pub(super) fn score_unit<'s>(
        &self,
        scratch: &'s mut Scratch,
        u: Unit<'_>,
        tracing: bool,
    ) -> Result<&'s mut UnitResult, EvalError> {
        let mut failed = None;
        self.score_lanes(
            std::slice::from_mut(scratch),
            std::iter::once(u),
            tracing,
            |r| failed = r.err(),
        );
        match failed {
            Some(e) => Err(e),
            None => Ok(&mut scratch.out),
        }
    }

    /// Score `units`, in order, a chunk at a time: as many units as there
    /// are `scratches` (at most [`LANES`]), one scratch each. The walk goes
    /// through the program's nodes once for each chunk, each step taken
    /// for every unit of it in turn, so that the code and constants of one
    /// rule serve all of them. `each` is given every unit's result, in
    /// order, lent until the next chunk's.
    pub(crate) fn score_lanes<'u>(
        &self,
        scratches: &mut [Scratch],
        units: impl Iterator<Item = Unit<'u>>,
        tracing: bool,
        mut each: impl FnMut(Result<&mut UnitResult, EvalError>),
    ) {
        let width = scratches.len().min(LANES);
        let mut units = units.peekable();
        while width > 0 && units.peek().is_some() {
            // (`zip` takes a unit only when a scratch is left for it.)
            let mut walks: Vec<Walk<'_>> = scratches
                .iter_mut()
                .take(width)
                .zip(units.by_ref())
                .map(|(s, u)| self.open(s, u, tracing))
                .collect();
            if tracing {
                Walk::node::<true>(&mut walks, 0);
            } else {
                Walk::node::<false>(&mut walks, 0);
            }
            let closed: Vec<Result<(), EvalError>> = walks.into_iter().map(Walk::close).collect();
            for (s, r) in scratches.iter_mut().zip(closed) {
                each(r.map(|()| &mut s.out));
            }
        }
    }

    /// Unit `u` made ready to walk with `scratch`, whose lists the walk
    /// holds until it is [closed](Walk::close).
    fn open<'a>(&'a self, scratch: &'a mut Scratch, u: Unit<'a>, tracing: bool) -> Walk<'a> {
        let unit = u.unit;
        scratch.slots.reset();
        scratch.pending.clear();
        scratch.parts.clear();
        let Scratch {
            slots,
            pending,
            parts,
            blocks,
            sent,
            trace_hint,
            facts_hint,
            out,
        } = scratch;
        let fr = Frame {
            c: self,
            globals: u.globals,
            unit,
            ranks: u.ranks,
            across: u.across,
            slots,
            lent: [None; LENT],
            builtins: None,
        };
        let room = |hint: usize| if tracing { hint } else { 0 };
        // The last result's lists, emptied, when whoever took it left them.
        let mut nodes = emptied(&mut out.nodes);
        nodes.extend_from_slice(&self.blank);
        let mut trace = let_go(&mut out.trace, TraceEntry::owns_heap);
        trace.reserve(room(*trace_hint));
        let mut facts = let_go(&mut out.facts, Fact::owns_heap);
        facts.reserve(room(*facts_hint));
        let st = State {
            nodes,
            trace,
            facts,
            vetoes: emptied(&mut out.vetoes),
            inner_bonus: Decimal::ZERO,
            tracing,
            sent_total: false,
            cited: Vec::new(),
        };
        Walk {
            c: self,
            fr,
            st,
            pending: std::mem::take(pending),
            parts: std::mem::take(parts),
            blocks: std::mem::take(blocks),
            sent,
            failed: None,
            home: Home {
                pending,
                parts,
                blocks,
                trace_hint,
                facts_hint,
                out,
            },
        }
    }
}

/// Where a unit's walk gives back the lists it held, and leaves its result.
pub(super) struct Home<'a> {
    pending: &'a mut Vec<Ded>,
    parts: &'a mut Vec<(u32, Decimal)>,
    blocks: &'a mut Vec<Decimal>,
    trace_hint: &'a mut usize,
    facts_hint: &'a mut usize,
    out: &'a mut UnitResult,
}

impl Walk<'_> {
    /// The unit's result, once walked (with its first error, if any),
    /// left in its scratch's `out`; the lists it held given back.
    fn close(self) -> Result<(), EvalError> {
        let Walk {
            mut fr,
            mut st,
            sent,
            failed,
            pending,
            parts,
            blocks,
            home:
                Home {
                    pending: pending_home,
                    parts: parts_home,
                    blocks: blocks_home,
                    trace_hint,
                    facts_hint,
                    out,
                },
            ..
        } = self;
        *pending_home = pending;
        *parts_home = parts;
        *blocks_home = blocks;
        let walked = failed.map_or(Ok(()), Err);
        let comp = fr.c;
        let program = comp.program;
        let unit = fr.unit;
        // A unit that fails leaves no marks for the next (the gathering that
        // clears them is not reached).
        if walked.is_err() && st.sent_total {
            sent.fill(false);
        }
        walked.map_err(|e| {
            let NodeErr { node, message } = *e;
            EvalError {
                unit: unit.name.clone(),
                node: program.node(node).map(|n| n.id.clone()).unwrap_or_default(),
                message,
            }
        })?;
        if !st.cited.is_empty() {
            let mut cx = Cx::new(program, fr.globals, unit, fr.ranks, fr.across);
            cite::split_these(&mut cx, &mut st.trace, &st.cited);
        }
        *trace_hint = (*trace_hint).max(st.trace.len());
        *facts_hint = (*facts_hint).max(st.facts.len());
        // Nodes are numbered parents first, so walking backwards sums each
        // subtree: what it sends to the total, and what parts that only
        // deduct took. A node whose subtree sent nothing to the total keeps
        // its share of it 0 (its parts' shares are all 0, and adding 0 to 0
        // gives the 0 added), and only parts that only deduct have a score
        // to gather.
        let sent_any = st.sent_total;
        for g in &comp.gather {
            let to_total_here = sent_any && sent.get(g.node as usize).is_some_and(|s| *s);
            if !to_total_here && !g.deducts_only {
                continue;
            }
            let parts = |(a, b): (usize, usize)| comp.gather_parts.get(a..b).unwrap_or(&[]);
            let share = |k: &u32| st.nodes.get(*k as usize);
            let to_total = if to_total_here {
                parts(g.parts)
                    .iter()
                    .filter_map(share)
                    .fold(Decimal::ZERO, |t, cs| plus(t, cs.to_total))
            } else {
                Decimal::ZERO
            };
            let taken = if g.deducts_only {
                parts(g.deducting)
                    .iter()
                    .filter_map(share)
                    .fold(Decimal::ZERO, |t, cs| plus(t, cs.score))
            } else {
                Decimal::ZERO
            };
            if let Some(ns) = st.nodes.get_mut(g.node as usize) {
                ns.to_total = plus(ns.to_total, to_total);
                if g.deducts_only {
                    ns.score = plus(ns.score, taken);
                }
            }
        }
        if sent_any {
            sent.fill(false);
        }
        let root = comp.nodes.first();
        let root_score = st.nodes.first().map(|n| n.score).unwrap_or_default();
        let total_deductions = st.nodes.first().map(|n| n.to_total).unwrap_or_default();
        let mut bonus = Decimal::ZERO;
        let mut base_sum = Decimal::ZERO;
        let root_points = root.is_some_and(|r| r.points.is_some());
        if root_points {
            base_sum = root_score;
        }
        let top = root.map(|r| r.children.as_slice()).unwrap_or(&[]);
        for &Part {
            node: c,
            bonus: is_bonus,
            ..
        } in top
        {
            let Some(def) = comp.nodes.get(c as usize) else {
                continue;
            };
            let score = st
                .nodes
                .get(c as usize)
                .map(|n| n.score)
                .unwrap_or_default();
            if is_bonus {
                bonus = plus(bonus, score);
            } else if !root_points && def.points.is_some() {
                base_sum = plus(base_sum, score);
            }
        }
        if !st.inner_bonus.is_zero() {
            bonus = plus(bonus, st.inner_bonus);
            for &Part {
                node: c,
                bonus: is_bonus,
                ..
            } in top
            {
                let Some(def) = comp.nodes.get(c as usize).filter(|_| is_bonus) else {
                    continue;
                };
                if let Some(cap) = def.cap.as_ref() {
                    if let Some(cap) = fr.n(cap).map_err(|m| EvalError {
                        unit: unit.name.clone(),
                        node: program.node(c).map(|n| n.id.clone()).unwrap_or_default(),
                        message: m.message(),
                    })? {
                        bonus = bonus.min(cap);
                    }
                }
            }
        }
        let base = base_sum;
        let net = minus(base_sum, total_deductions);
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
        let mut grade = std::mem::take(&mut out.grade);
        grade.clear();
        fr.builtins = Some((total, base, bonus, vetoed));
        for (g, cond) in program.grades.iter().zip(&comp.grades) {
            let holds = match cond {
                None => true,
                Some(c) => fr
                    .eval(c)
                    .map_err(|m| EvalError {
                        unit: unit.name.clone(),
                        node: format!("grade `{}`", g.name),
                        message: m.message(),
                    })?
                    .as_bool()
                    .unwrap_or(false),
            };
            if holds {
                grade.push_str(&g.name);
                break;
            }
        }
        let mut name = std::mem::take(&mut out.unit);
        name.clone_from(&unit.name);
        *out = UnitResult {
            unit: name,
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
        };
        Ok(())
    }
}

/// One unit's walk: its frame, its state and the lists it works in, held
/// here rather than behind references (one load fewer at every step), and
/// given back to its scratch when it is [closed](Walk::close).
pub(super) struct Walk<'a> {
    pub c: &'a Compiled<'a>,
    pub fr: Frame<'a>,
    pub st: State,
    pub pending: Vec<Ded>,
    pub parts: Vec<(u32, Decimal)>,
    pub blocks: Vec<Decimal>,
    /// [`Scratch`]'s per-node mark: something in its subtree went to the
    /// total.
    pub sent: &'a mut Vec<bool>,
    /// Where the unit's walk failed ([`Walk::node`]).
    pub failed: Option<Fail>,
    home: Home<'a>,
}

impl Walk<'_> {
    /// Pools settled at node `i`, in the order their first deduction
    /// came: deductions that may overflow go last.
    pub(super) fn pools(&mut self, i: u32, mark: usize, parts_mark: usize) {
        let c = self.c;
        // The pools settled so far (numbered below 128; any other is
        // looked for among the deductions before it).
        let mut settled: u128 = 0;
        let mut k = mark;
        while let Some(d) = self.pending.get(k) {
            let plan = c.plans.get(d.plan as usize);
            let pool = plan.filter(|p| p.pooled_at(i)).and_then(|p| p.pool());
            k += 1;
            let Some(pool) = pool else {
                continue;
            };
            let first_of_pool = match 1u128.checked_shl(pool) {
                Some(bit) => {
                    let first = settled & bit == 0;
                    settled |= bit;
                    first
                }
                None => !self
                    .pending
                    .get(mark..k - 1)
                    .unwrap_or(&[])
                    .iter()
                    .any(|e| self.pool_of(e) == Some(pool)),
            };
            if !first_of_pool {
                continue;
            }
            let members = c.pools.get(pool as usize).map_or(&[][..], Vec::as_slice);
            for overflow_pass in [false, true] {
                for j in k - 1..self.pending.len() {
                    let Some(e) = self.pending.get(j).copied() else {
                        continue;
                    };
                    let Some(ep) = c.plans.get(e.plan as usize) else {
                        continue;
                    };
                    let then_total = matches!(
                        ep.to,
                        To::Pool {
                            then_total: true,
                            ..
                        }
                    );
                    if ep.pool() != Some(pool) || then_total != overflow_pass {
                        continue;
                    }
                    let mut left = e.amount;
                    for &m in members {
                        if let Some((_, s)) = self.parts.get_mut(parts_mark + m as usize) {
                            take_from(&mut left, s);
                        }
                    }
                    self.credit_taken(e.origin, minus(e.amount, left));
                    if !left.is_zero() {
                        self.leftover(e.origin, e.entry, left, then_total);
                    }
                }
            }
        }
    }

    fn pool_of(&self, d: &Ded) -> Option<u32> {
        self.c.plans.get(d.plan as usize).and_then(|p| p.pool())
    }

    /// A node without a base reports (as a negative score) what its deductions took.
    /// (A part that only deducts has its 0 made plain 0 as it comes, as
    /// the gathering from its no parts would: what is taken from a 0 does
    /// not depend on its scale.)
    pub(super) fn credit_taken(&mut self, origin: u32, taken: Decimal) {
        if let Some(n) = self
            .c
            .nodes
            .get(origin as usize)
            .filter(|n| n.points.is_none())
        {
            if let Some(ns) = self.st.nodes.get_mut(origin as usize) {
                ns.score = minus(ns.score, taken);
                if n.deducting_leaf && ns.score.is_zero() {
                    ns.score = Decimal::ZERO;
                }
            }
        }
    }

    pub(super) fn send_to_total(&mut self, origin: u32, amount: Decimal) {
        self.st.sent_total = true;
        let plain_zero = self
            .c
            .nodes
            .get(origin as usize)
            .is_some_and(|n| n.deducting_leaf);
        if let Some(ns) = self.st.nodes.get_mut(origin as usize) {
            ns.to_total = plus(ns.to_total, amount);
            if plain_zero && ns.to_total.is_zero() {
                ns.to_total = Decimal::ZERO;
            }
        }
        // Mark the node and its ancestors for the gathering after the walk
        // (those already marked have their ancestors marked too).
        let mut k = Some(origin);
        while let Some(n) = k {
            match self.sent.get_mut(n as usize) {
                Some(s) if !*s => *s = true,
                _ => break,
            }
            k = self.c.nodes.get(n as usize).and_then(|d| d.parent);
        }
    }

    /// What a pool or node could not absorb: to the total, or lost (扣完为止).
    pub(super) fn leftover(
        &mut self,
        origin: u32,
        entry: Option<usize>,
        left: Decimal,
        then_total: bool,
    ) {
        if then_total {
            self.send_to_total(origin, left);
        }
        if self.st.tracing {
            let rule = entry
                .and_then(|e| self.st.trace.get(e))
                .and_then(|e| e.rule);
            self.st.trace.push(TraceEntry::new(
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

    /// One rule of node `i`: an award is added to `awards`, a deduction
    /// goes on `pending`, a veto on the unit's vetoes.
    ///
    /// `TRACE` is whether the unit's trace is kept: made without one, every
    /// branch that only serves a trace is compiled away.
    pub(super) fn rule<const TRACE: bool>(
        &mut self,
        node: &CNode,
        i: u32,
        ri: u32,
        rule: &CRule,
        awards: &mut Decimal,
    ) -> Result<(), Failed> {
        let tracing = TRACE;
        let cond = match &rule.condition {
            None => true,
            Some(cd) => self.fr.t(cd)?,
        };
        let exempt = match &rule.unless {
            None => false,
            Some(u) => cond && self.fr.t(u)?,
        };
        let waived = exempt && rule.kind == RuleKind::Deduct;
        let met = cond && !exempt;
        if rule.kind == RuleKind::Veto {
            if met {
                self.veto(i, ri);
                if tracing {
                    let facts = self.facts(rule);
                    self.st.trace.push(TraceEntry::new(
                        i,
                        Some(ri),
                        Decimal::ZERO,
                        Detail::Veto,
                        facts,
                    ));
                }
            }
            return Ok(());
        }
        let mut detail = None;
        let mut raw = if met || (waived && tracing) {
            self.amount::<TRACE>(&rule.amount, rule.times.is_none(), &mut detail)?
        } else {
            Decimal::ZERO
        };
        // A deduction of nothing, with no cap or block that could act on it,
        // leaves no trace when none is kept.
        if raw.is_zero() && rule.zero_is_nothing && !tracing {
            return Ok(());
        }
        let mut scaled = None;
        if let (Some((factor, when)), false) = (rule.times.as_deref(), raw.is_zero()) {
            let applies = match when {
                None => true,
                Some(w) => self.fr.t(w)?,
            };
            if applies {
                if let Some(f) = self.fr.n(factor)? {
                    scaled = Some((raw, f));
                    raw = times(raw, f)?;
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
        if let Some(cp) = &rule.cap {
            if let Some(cap) = self.fr.n(cp)? {
                if order(amount, cap).is_gt() {
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
                Some(e) => self.fr.n(e)?,
                None => None,
            };
            if let (Some(cap), Some(used)) = (cap, self.blocks.get_mut(b as usize)) {
                let room = dmax(cap - *used, Decimal::ZERO);
                if order(amount, room).is_gt() {
                    amount = room;
                    capped_at = Some(cap);
                }
                *used = plus(*used, amount);
            }
        }
        let excluded = if tracing && met {
            self.filtered_out(rule)?.filter(|(out, _)| *out > 0)
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
        let entry = if tracing {
            self.record(i, ri, rule, outcome)
        } else {
            None
        };
        self.hand_on(i, rule, amount, entry, awards);
        Ok(())
    }

    /// Rule `ri` of node `i`'s trace entry, when its outcome shows one:
    /// where it is in the unit's trace.
    #[inline(always)]
    fn record(&mut self, i: u32, ri: u32, rule: &CRule, outcome: RuleOutcome) -> Option<usize> {
        if !outcome.shown() {
            return None;
        }
        let facts = self.facts(rule);
        self.st.trace.push(outcome.entry(i, ri, facts));
        let at = self.st.trace.len() - 1;
        if rule.reads_cited {
            self.st.cited.push(at);
        }
        Some(at)
    }

    /// A rule's amount once it is known: an award added to `awards`, a
    /// deduction (of something) put on `pending` to settle where its plan
    /// says.
    #[inline(always)]
    fn hand_on(
        &mut self,
        i: u32,
        rule: &CRule,
        amount: Decimal,
        entry: Option<usize>,
        awards: &mut Decimal,
    ) {
        match rule.kind {
            RuleKind::Award => *awards = plus(*awards, amount),
            _ if amount.is_zero() => {}
            _ => self.pending.push(Ded {
                amount,
                plan: rule.plan,
                origin: i,
                entry,
            }),
        }
    }

    /// A [plain](CRule::plain) rule of node `i` without a trace: `rule`'s
    /// steps, less those the rule has no part for (the property test holds
    /// the two to the same results).
    #[inline(always)]
    pub(super) fn plain_rule(
        &mut self,
        i: u32,
        rule: &CRule,
        awards: &mut Decimal,
    ) -> Result<(), Failed> {
        let met = match &rule.condition {
            None => true,
            Some(cd) => self.fr.t(cd)?,
        };
        let raw = if met {
            self.amount::<false>(&rule.amount, true, &mut None)?
        } else {
            Decimal::ZERO
        };
        if raw.is_zero() && rule.zero_is_nothing {
            return Ok(());
        }
        let mut amount = if raw.is_sign_negative() {
            Decimal::ZERO
        } else {
            raw
        };
        if let Some(cp) = &rule.cap {
            if let Some(cap) = self.fr.n(cp)? {
                if order(amount, cap).is_gt() {
                    amount = cap;
                }
            }
        }
        self.hand_on(i, rule, amount, None, awards);
        Ok(())
    }

    /// A [fast](super::program::Fast) rule `ri` of node `i`: [`Walk::rule`]'s
    /// steps, less those the rule has no part for, with its constants read
    /// out (the property test holds the two to the same results, with and
    /// without a trace).
    #[inline(always)]
    pub(super) fn fast_rule<const TRACE: bool>(
        &mut self,
        i: u32,
        node: &CNode,
        ri: u32,
        rule: &CRule,
        fast: &Fast,
        awards: &mut Decimal,
    ) -> Result<(), Failed> {
        let inputs = self.fr.unit.inputs.as_slice();
        let met = match fast.when {
            When::Always => true,
            When::Input(k) => matches!(inputs.get(k as usize), Some(Value::Bool(true))),
            When::InputCmp(k, op, c) => match inputs.get(k as usize) {
                Some(Value::Num(v)) => cmp_holds(op, dec_cmp(*v, c)),
                _ => return self.rule::<TRACE>(node, i, ri, rule, awards),
            },
        };
        // (The count read, for a trace's detail.)
        let mut count_read = None;
        let raw = match fast.amount {
            _ if !met => Decimal::ZERO,
            FastAmount::Const(v) => v,
            FastAmount::Each { rate, count } => match inputs.get(count as usize) {
                Some(Value::Num(n)) => {
                    count_read = Some(*n);
                    times(rate, *n)?
                }
                _ => Decimal::ZERO,
            },
        };
        if !TRACE && raw.is_zero() && rule.zero_is_nothing {
            return Ok(());
        }
        let mut amount = if raw.is_sign_negative() {
            Decimal::ZERO
        } else {
            raw
        };
        let mut capped_at = None;
        if let Some(cap) = fast.cap {
            if order(amount, cap).is_gt() {
                amount = cap;
                capped_at = Some(cap);
            }
        }
        if let Some((b, cap)) = fast.block {
            if let Some(used) = self.blocks.get_mut(b as usize) {
                let room = dmax(cap - *used, Decimal::ZERO);
                if order(amount, room).is_gt() {
                    amount = room;
                    capped_at = Some(cap);
                }
                *used = plus(*used, amount);
            }
        }
        let entry = if TRACE {
            // As `Walk::amount` notes it.
            let detail = match (met, fast.amount, count_read) {
                (false, ..) => None,
                (true, FastAmount::Const(v), _) => Some(Detail::Amount { raw: v }),
                (true, FastAmount::Each { rate, .. }, Some(count)) => {
                    Some(Detail::Each { rate, count, raw })
                }
                (true, FastAmount::Each { .. }, None) => Some(Detail::NotApplicable),
            };
            let outcome = RuleOutcome {
                kind: rule.kind,
                met,
                waived: false,
                raw,
                amount,
                detail,
                adjusted: Adjusted {
                    capped_at,
                    ..Adjusted::default()
                },
            };
            self.record(i, ri, rule, outcome)
        } else {
            None
        };
        self.hand_on(i, rule, amount, entry, awards);
        Ok(())
    }

    /// Rule `ri` of node `i`, a veto, holds.
    pub(super) fn veto(&mut self, i: u32, ri: u32) {
        let def = self.c.program.node(i);
        self.st.vetoes.push(Veto {
            id: def
                .and_then(|n| n.rules.get(ri as usize))
                .map(|r| r.cite.clone())
                .unwrap_or_default(),
            reason: def.map(|n| n.text.join(" ")).unwrap_or_default(),
        });
    }

    /// The facts `rule` reads, kept with the unit's others.
    fn facts(&mut self, rule: &CRule) -> Facts {
        let at = FactsAt {
            program: self.c.program,
            globals: self.fr.globals,
            unit: self.fr.unit,
            across: self.fr.across,
            lets: &self.fr.slots.lets,
        };
        Facts::keep(
            &mut self.st.facts,
            rule.reads.iter().filter_map(|e| at.fact(e)),
        )
    }

    /// How many of the records an amount's `where` left out, of how many.
    fn filtered_out(&mut self, rule: &CRule) -> Result<Option<(u32, u32)>, Failed> {
        match rule.filtered.as_deref() {
            Some(filtered) => filtered.out_of(&mut self.fr),
            None => Ok(None),
        }
    }

    /// A rule's amount before caps; the numbers behind it go to `detail`
    /// only when a trace is kept.
    #[inline(always)]
    pub(super) fn amount<const TRACE: bool>(
        &mut self,
        amount: &CAmount,
        round_inside: bool,
        detail: &mut Option<Detail>,
    ) -> Result<Decimal, Failed> {
        let tracing = TRACE;
        let mut note = |d: &dyn Fn() -> Detail| {
            if tracing {
                *detail = Some(d());
            }
        };
        let fr = &mut self.fr;
        match amount {
            CAmount::None => Ok(Decimal::ZERO),
            CAmount::Expr(e) => match amount_value(fr, e)? {
                Some(v) => {
                    note(&|| Detail::Amount { raw: v });
                    Ok(v)
                }
                None => {
                    note(&|| Detail::NotApplicable);
                    Ok(Decimal::ZERO)
                }
            },
            CAmount::Each { rate, count } => {
                let (Some(r), Some(n)) = (fr.n(rate)?, fr.n(count)?) else {
                    note(&|| Detail::NotApplicable);
                    return Ok(Decimal::ZERO);
                };
                let raw = times(r, n)?;
                note(&|| Detail::Each {
                    rate: r,
                    count: n,
                    raw,
                });
                Ok(raw)
            }
            CAmount::Steps(st) => {
                let Steps {
                    rate,
                    step,
                    actual,
                    target,
                    above,
                    ceil,
                } = &**st;
                let (Some(r), Some(s), Some(a), Some(t)) =
                    (fr.n(rate)?, fr.n(step)?, fr.n(actual)?, fr.n(target)?)
                else {
                    note(&|| Detail::NotApplicable);
                    return Ok(Decimal::ZERO);
                };
                // Nothing short of the target: no steps, and 0 (a product
                // with 0 is rust_decimal's plain 0). Numbers this small cannot
                // overflow in the subtraction, and the step is valid, so the
                // general path could not fail either.
                if s.is_sign_positive()
                    && !s.is_zero()
                    && a.mantissa().unsigned_abs() < SMALL
                    && t.mantissa().unsigned_abs() < SMALL
                {
                    let short = if *above {
                        order(a, t).is_gt()
                    } else {
                        order(t, a).is_gt()
                    };
                    if !short {
                        note(&|| Detail::NoSteps {
                            actual: a,
                            target: t,
                            above: *above,
                        });
                        return Ok(Decimal::ZERO);
                    }
                }
                // (Without a trace only the amount is read, and the rest of
                // the inlined arithmetic's detail is not kept.)
                let d = steps_amount(r, s, a, t, *above, *ceil)?;
                let raw = d.raw;
                if tracing {
                    *detail = Some(d.into_detail());
                }
                Ok(raw)
            }
            CAmount::Proportion(p) => {
                let Proportion {
                    max,
                    ratio,
                    floor,
                    places,
                } = &**p;
                let (Some(m), Some(r)) = (fr.n(max)?, fr.n(ratio)?) else {
                    note(&|| Detail::NotApplicable);
                    return Ok(Decimal::ZERO);
                };
                let f = match floor {
                    Some(f) => fr.n(f)?,
                    None => None,
                };
                let (raw, d) = proportion_amount(m, r, f, round_inside.then_some(*places))?;
                if tracing {
                    *detail = Some(Detail::Proportion(Box::new(d)));
                }
                Ok(raw)
            }
        }
    }
}

/// A plain amount: a number, or 1 for a truth value that holds; `None`
/// otherwise (the rule does not apply). Anything but a number is evaluated
/// again in full to tell which, which gives the same value.
/// (The number read where the rule is scored; the rest, rarely needed, is
/// a call.)
#[inline(always)]
fn amount_value(fr: &mut Frame<'_>, e: &Num) -> Result<Option<Decimal>, Failed> {
    if let Some(v) = fr.n(e)? {
        return Ok(Some(v));
    }
    amount_not_number(fr, e)
}

/// [`amount_value`] of an amount that is not a number.
#[inline(never)]
fn amount_not_number(fr: &mut Frame<'_>, e: &Num) -> Result<Option<Decimal>, Failed> {
    Ok(match fr.eval(&e.code)? {
        Value::Num(v) => Some(v),
        Value::Bool(true) => Some(Decimal::ONE),
        _ => None,
    })
}

impl Scratch {
    /// Run `f` on a frame for `unit` with no ranks or aggregates (the
    /// batch-level expressions that compute them).
    pub(super) fn with_frame<T>(
        &mut self,
        c: &Compiled<'_>,
        globals: &[Value],
        unit: &UnitData,
        f: impl FnOnce(&mut Frame<'_>) -> T,
    ) -> T {
        self.slots.reset();
        let mut fr = Frame {
            c,
            globals,
            unit,
            ranks: &[],
            across: &[],
            slots: &mut self.slots,
            lent: [None; LENT],
            builtins: None,
        };
        f(&mut fr)
    }
}

// Sums and comparisons of amounts, most of which are 0 for most units:
// rust_decimal gives the other operand as it is when one is zero (scale
// and sign included), and so do these, without its general arithmetic.

/// Mantissas below this (any scale) are far from rust_decimal's limits.
const SMALL: u128 = 1 << 64;

/// `v`'s list, emptied, as [`emptied`] empties it, but what holds nothing
/// on the heap (by `owns`: most of a trace's entries and facts) let go
/// without a call to its drop, which would find nothing to free; what
/// holds something is dropped. The calls took 2.4 % of a traced walk's
/// instructions (`docs/speed.md`).
fn let_go<T>(v: &mut Vec<T>, owns: impl Fn(&T) -> bool) -> Vec<T> {
    let mut v = std::mem::take(v);
    for x in v.drain(..) {
        if owns(&x) {
            drop(x);
        } else {
            std::mem::forget(x);
        }
    }
    v
}

/// The list `v` held, taken out and emptied (its room kept).
fn emptied<T>(v: &mut Vec<T>) -> Vec<T> {
    let mut v = std::mem::take(v);
    v.clear();
    v
}

/// `a.saturating_add(b)`.
#[inline(always)]
pub(super) fn plus(a: Decimal, b: Decimal) -> Decimal {
    if a.is_zero() {
        b
    } else if b.is_zero() {
        a
    } else {
        a.saturating_add(b)
    }
}

/// `a.saturating_sub(b)`.
#[inline(always)]
pub(super) fn minus(a: Decimal, b: Decimal) -> Decimal {
    if a.is_zero() {
        if b.is_zero() {
            b
        } else {
            -b
        }
    } else if b.is_zero() {
        a
    } else {
        a.saturating_sub(b)
    }
}

/// `a.cmp(&b)`.
#[inline(always)]
pub(super) fn order(a: Decimal, b: Decimal) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.is_zero(), b.is_zero()) {
        (true, true) => Ordering::Equal,
        (true, false) if b.is_sign_negative() => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, true) if a.is_sign_negative() => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => crate::eval::dec_cmp(a, b),
    }
}

/// `a.min(b)` (`Decimal`'s own: the first of equals).
#[inline(always)]
pub(super) fn dmin(a: Decimal, b: Decimal) -> Decimal {
    if order(a, b).is_gt() {
        b
    } else {
        a
    }
}

/// `a.max(b)` (`Decimal`'s own: the first of equals).
#[inline(always)]
pub(super) fn dmax(a: Decimal, b: Decimal) -> Decimal {
    if order(a, b).is_lt() {
        b
    } else {
        a
    }
}

/// A pool member whose score is `s` takes what it can of `left`, the rest
/// of a deduction: `take = max(min(left, s), 0)` comes off both. Once
/// nothing is left, only what those steps still do is done: a member's 0
/// takes the scale of what is left, and a member below 0 makes what is
/// left a plain 0 (the property test below holds the two to the same).
#[inline(always)]
fn take_from(left: &mut Decimal, s: &mut Decimal) {
    if left.is_zero() {
        if s.is_zero() {
            *s = *left;
        } else if s.is_sign_negative() {
            *left = Decimal::ZERO;
        }
        return;
    }
    let take = dmax(dmin(*left, *s), Decimal::ZERO);
    *s = minus(*s, take);
    *left = minus(*left, take);
}

/// `mul(a, b)`: rust_decimal's product is `Decimal::ZERO` when either is zero.
#[inline(always)]
fn times(a: Decimal, b: Decimal) -> Result<Decimal, Failed> {
    if a.is_zero() || b.is_zero() {
        Ok(Decimal::ZERO)
    } else if let Some(p) = small_product(a, b) {
        Ok(p)
    } else {
        Ok(mul(a, b)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A decimal of up to 6 digits at scale 0 to 4, either sign, zeros of
    /// every scale and sign included.
    fn decimal() -> impl Strategy<Value = Decimal> {
        (-999_999i64..=999_999, 0u32..=4, any::<bool>()).prop_map(|(m, scale, neg)| {
            let mut d = Decimal::new(m, scale);
            if neg {
                d.set_sign_negative(!d.is_sign_negative());
            }
            d
        })
    }

    /// A 0 at scale 0 to 4, of either sign.
    fn zero() -> impl Strategy<Value = Decimal> {
        (0u32..=4, any::<bool>()).prop_map(|(scale, neg)| {
            let mut d = Decimal::new(0, scale);
            d.set_sign_negative(neg);
            d
        })
    }

    /// A unit's facts, let go for the next unit's, free what they hold
    /// (the shared text's count falls back to 1) and keep their room.
    #[test]
    fn let_go_frees_what_facts_hold() {
        let shared: std::sync::Arc<str> = std::sync::Arc::from("重大");
        let mut facts = vec![
            Fact::Input(0, Value::Num(Decimal::ONE)),
            Fact::Input(1, Value::Text(shared.clone())),
            Fact::Let(2, Value::List(vec![Value::Text(shared.clone())].into())),
            Fact::Param(3, Value::Missing),
        ];
        assert_eq!(std::sync::Arc::strong_count(&shared), 3);
        let room = facts.capacity();
        let kept = let_go(&mut facts, Fact::owns_heap);
        assert!(kept.is_empty());
        assert_eq!(kept.capacity(), room);
        assert_eq!(std::sync::Arc::strong_count(&shared), 1);
    }

    /// Trace entries that hold a box say so, and are dropped rather than
    /// let go; the others (most) hold nothing.
    #[test]
    fn entries_holding_a_box_say_so() {
        let entry = |detail| TraceEntry::new(0, Some(0), Decimal::ONE, detail, Facts::default());
        let steps = Detail::Steps(Box::new(crate::eval::StepsDetail {
            actual: Decimal::ONE,
            target: Decimal::TWO,
            gap: Decimal::ONE,
            step: Decimal::ONE,
            steps: Decimal::ONE,
            rate: Decimal::ONE,
            raw: Decimal::ONE,
            above: false,
            ceil: false,
        }));
        let proportion = Detail::Proportion(Box::new(crate::eval::ProportionDetail {
            ratio: Decimal::ONE,
            max: Decimal::ONE,
            raw: Decimal::ONE,
            floor: None,
            below_floor: false,
        }));
        let cited = Detail::Cited(Box::new(crate::eval::CitedDetail {
            from: 0,
            raw: Decimal::ONE,
            row: vec!["国控".to_string()],
            group: Some("A".to_string()),
            largest: true,
        }));
        for d in [steps, proportion, cited] {
            assert!(entry(d).owns_heap());
        }
        for d in [
            Detail::Amount { raw: Decimal::ONE },
            Detail::ToTotal,
            Detail::Veto,
        ] {
            assert!(!entry(d).owns_heap());
        }
        let waived = TraceEntry::adjusted(
            0,
            Some(0),
            Decimal::ZERO,
            Detail::Condition { met: true },
            Facts::default(),
            Adjusted {
                waived: Some(Decimal::ONE),
                ..Adjusted::default()
            },
        );
        assert!(waived.owns_heap());
    }

    proptest! {
        /// `take_from` gives what the three steps give, to the scale and
        /// sign: with nothing left (its short way) and with something.
        #[test]
        fn take_from_is_the_three_steps(
            left in prop_oneof![decimal(), zero()],
            s in prop_oneof![decimal(), zero()],
        ) {
            let (mut l1, mut s1) = (left, s);
            take_from(&mut l1, &mut s1);
            let take = dmax(dmin(left, s), Decimal::ZERO);
            let (s2, l2) = (minus(s, take), minus(left, take));
            prop_assert_eq!(s1.serialize(), s2.serialize());
            prop_assert_eq!(l1.serialize(), l2.serialize());
        }
    }
}
