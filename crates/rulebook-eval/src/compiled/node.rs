//! The node walk, with or without a trace, and the settlement of a node.
//!
//! In: one [`Walk`] for each unit of a chunk (at most [`LANES`]). Out, for
//! each unit: every node's score in its node scores, deductions passed on,
//! vetoes, the trace when one is kept, and its first error, all as the
//! reference interpreter gives them (the property test against it holds
//! both kinds of walk to that).
//!
//! The chunk is walked once: each step — a node begun, each of its rules,
//! a part without parts settled, a node settled — is taken for every unit
//! of the chunk in turn before the next, so the code and constants of one
//! rule serve all the chunk's units while they are at hand, and the
//! processor's guesses at its branches, trained on the first unit, hold for
//! the rest (`docs/speed.md` has what it gains). A unit whose walk fails
//! goes no further; the others go on.
//!
//! `node` is made twice by the compiler from its `TRACE` parameter. A rule of the
//! commonest shapes is scored by `Walk::fast_rule` from constants read out
//! when compiling, with a trace or without; without a trace (what
//! `rulebook eval` does for every unit of a batch) any other plain rule is
//! scored by `Walk::plain_rule`, inlined here, and any other by
//! `Walk::rule::<false>`, every branch that only serves a trace compiled
//! away.

use super::program::{CNode, CRule, PartsUse, To};
use super::walk::{minus, order, plus, NodeErr, Walk, LANES};
use super::Failed;
use crate::eval::Detail;
use rust_decimal::prelude::*;

/// What went wrong, and at which node: boxed so that success is one word.
pub(super) type Fail = Box<NodeErr>;

/// `f` at node `i`.
fn fail(i: u32, f: Failed) -> Fail {
    Box::new(NodeErr {
        node: i,
        message: f.message(),
    })
}

/// A node of one unit whose rules are scored, its parts and settlement to
/// come: where its deductions and parts start on the unit's `pending` and
/// `parts`, and what it has so far.
#[derive(Debug, Clone, Copy, Default)]
struct Open {
    mark: usize,
    parts_mark: usize,
    /// Its rules' awards, and then (when [summed](PartsUse::Summed)) its
    /// parts' scores.
    awards: Decimal,
    /// What its bonus parts scored.
    bonus: Decimal,
}

/// A node open for each unit of a chunk (what a unit whose walk has
/// failed holds is not read).
type Opens = [Open; LANES];

impl<'a> Walk<'a> {
    /// Node `i` and its parts, for each unit of a chunk (`walks`, one a
    /// unit, at most [`LANES`]): its score goes to the unit's node scores
    /// (when it has one); the deductions it passes on are left on the
    /// unit's `pending`. `TRACE`: whether the units' traces are kept. Its
    /// parts' scores are kept on `parts` only where a pool needs them; a
    /// node that starts from them adds them to its awards as they come, in
    /// the order `settle` would add them. A unit whose walk fails keeps
    /// its error in its walk's `failed` and is walked no further.
    pub(super) fn node<const TRACE: bool>(walks: &mut [Walk<'a>], i: u32) {
        let Some(c) = walks.first().map(|w| w.c) else {
            return;
        };
        let Some(node) = c.nodes.get(i as usize) else {
            return;
        };
        let mut open: Opens = Default::default();
        Self::begin::<TRACE>(walks, node, i, &mut open);
        // The parts without parts (most nodes) are worked out here rather
        // than by a call of their own, one after another.
        let mut leaves: Opens = Default::default();
        let parts_use = node.parts_use;
        for part in &node.children {
            if part.leaf {
                if let Some(leaf) = c.nodes.get(part.node as usize) {
                    Self::begin::<TRACE>(walks, leaf, part.node, &mut leaves);
                    for (w, o) in walks.iter_mut().zip(&leaves) {
                        if w.failed.is_none() {
                            if let Err(e) = w.leaf_end(leaf, part.node, o) {
                                w.failed = Some(e);
                            }
                        }
                    }
                }
            } else if !part.fixed {
                Self::node::<TRACE>(walks, part.node);
            }
            if !part.scored || (!part.bonus && parts_use == PartsUse::Unread) {
                continue;
            }
            for (w, o) in walks.iter_mut().zip(&mut open) {
                if w.failed.is_some() {
                    continue;
                }
                let s =
                    w.st.nodes
                        .get(part.node as usize)
                        .map(|n| n.score)
                        .unwrap_or_default();
                if part.bonus {
                    o.bonus = plus(o.bonus, s);
                } else if parts_use == PartsUse::Summed {
                    o.awards = plus(o.awards, s);
                } else {
                    w.parts.push((part.node, s));
                }
            }
        }
        for (w, o) in walks.iter_mut().zip(&open) {
            if w.failed.is_none() {
                if let Err(e) = w.end(node, i, o) {
                    w.failed = Some(e);
                }
            }
        }
    }

    /// Node `i` (`node`) begun for each unit of a chunk, into `open`:
    /// where its deductions and parts start on the unit's `pending` and
    /// `parts`, and its rules scored, in order, into its awards
    /// (deductions go on `pending`, vetoes on the unit's), each rule for
    /// every unit in turn.
    #[inline(always)]
    fn begin<const TRACE: bool>(walks: &mut [Walk<'a>], node: &CNode, i: u32, open: &mut Opens) {
        for (w, o) in walks.iter_mut().zip(open.iter_mut()) {
            if !node.blocks.is_empty() {
                w.blocks.clear();
                w.blocks.resize(node.blocks.len(), Decimal::ZERO);
            }
            *o = Open {
                mark: w.pending.len(),
                parts_mark: w.parts.len(),
                awards: Decimal::ZERO,
                bonus: Decimal::ZERO,
            };
        }
        for (ri, rule) in node.rules.iter().enumerate() {
            for (w, o) in walks.iter_mut().zip(open.iter_mut()) {
                if w.failed.is_none() {
                    if let Err(e) = w.rule_of::<TRACE>(i, node, ri as u32, rule, &mut o.awards) {
                        w.failed = Some(e);
                    }
                }
            }
        }
    }

    /// A node without parts, [begun](Walk::begin), settled. When it has no
    /// pool or cap to work out, and its rules deducted nothing or it
    /// neither takes nor stops what they deduct, its score is its awards'
    /// (as `settle` gives it, without the rest).
    #[inline(always)]
    fn leaf_end(&mut self, node: &CNode, i: u32, o: &Open) -> Result<(), Fail> {
        if node.quiet && (self.pending.len() == o.mark || (!node.takes && node.passes_through)) {
            let score = if node.bonus {
                CNode::within_cap(plus(o.awards, Decimal::ZERO), node.cap_const)
            } else if let Some(points) = node.points {
                if node.starts_full {
                    // (Its full points, which the blank holds.)
                    return Ok(());
                }
                node.within(o.awards, points)
            } else {
                return Ok(());
            };
            if let Some(ns) = self.st.nodes.get_mut(i as usize) {
                ns.score = score;
            }
            return Ok(());
        }
        self.end(node, i, o)
    }

    /// Rule `ri` of node `i`, scored into `awards` by the shortest path
    /// its shape allows.
    #[inline(always)]
    fn rule_of<const TRACE: bool>(
        &mut self,
        i: u32,
        node: &CNode,
        ri: u32,
        rule: &CRule,
        awards: &mut Decimal,
    ) -> Result<(), Fail> {
        if let Some(fast) = &rule.fast {
            self.fast_rule::<TRACE>(i, node, ri, rule, fast, awards)
        } else if !TRACE && rule.plain {
            self.plain_rule(i, rule, awards)
        } else {
            self.rule::<TRACE>(node, i, ri, rule, awards)
        }
        .map_err(|f| fail(i, f))
    }

    /// Node `i` [begun](Walk::begin), its parts in: settled. When it has
    /// no pool or cap to work out, and what was deducted below it is
    /// neither taken nor stopped here, its score comes from its awards and
    /// bonus parts alone (as `settle` gives it, without the rest). (The
    /// score's lines are also in `leaf_end`: shared through one helper, the
    /// walk took 0.8 % more instructions, `docs/speed.md`.)
    #[inline(always)]
    fn end(&mut self, node: &CNode, i: u32, o: &Open) -> Result<(), Fail> {
        if node.quiet
            && (self.pending.len() == o.mark || (!node.takes && node.passes_through))
            && self.parts.len() == o.parts_mark
        {
            if !o.bonus.is_zero() && !node.bonus && node.parent.is_some() {
                self.st.inner_bonus = plus(self.st.inner_bonus, o.bonus);
            }
            let score = if node.bonus {
                CNode::within_cap(plus(o.awards, o.bonus), node.cap_const)
            } else if let Some(points) = node.points {
                if node.starts_full {
                    // (Its full points, which the blank holds.)
                    return Ok(());
                }
                node.within(o.awards, points)
            } else {
                return Ok(());
            };
            if let Some(ns) = self.st.nodes.get_mut(i as usize) {
                ns.score = score;
            }
            return Ok(());
        }
        self.settle(node, i, o.awards, o.bonus, o.mark, o.parts_mark)
            .map_err(|f| fail(i, f))
    }

    /// Node `i` once its rules and parts are in: pools settled here, then
    /// its score (when it has one) kept in the unit's node scores — a bonus
    /// part's awards within its cap, or what is left of a based node's
    /// points once it has taken the deductions it settles; what travels on
    /// is left on `pending`.
    #[inline(always)]
    pub(super) fn settle(
        &mut self,
        node: &CNode,
        i: u32,
        awards: Decimal,
        bonus_children: Decimal,
        mark: usize,
        parts_mark: usize,
    ) -> Result<(), Failed> {
        // (Adding 0 could only change the scale of a sum that is 0, which
        // nothing reads: the unit's total takes it only when it is not 0.)
        if !bonus_children.is_zero() && !node.bonus && node.parent.is_some() {
            self.st.inner_bonus = plus(self.st.inner_bonus, bonus_children);
        }
        if node.settles_pool {
            self.pools(i, mark, parts_mark);
        }
        let score = if node.bonus {
            let cap = match &node.cap {
                Some(cap) => self.fr.n(cap)?,
                None => None,
            };
            Some(CNode::within_cap(plus(awards, bonus_children), cap))
        } else if let Some(points) = node.points {
            let avail = if node.starts_full {
                node.full
            } else {
                let start = match self.parts.get(parts_mark..) {
                    Some(parts) if !parts.is_empty() => {
                        parts.iter().fold(awards, |acc, (_, s)| plus(acc, *s))
                    }
                    _ => awards,
                };
                node.within(start, points)
            };
            let mut room = match &node.cap {
                Some(cap) => self.fr.n(cap)?,
                None => None,
            };
            Some(if node.takes && self.pending.len() > mark {
                self.take(node, i, mark, avail, &mut room)
            } else {
                avail
            })
        } else {
            None
        };
        // Keep what travels on, within the caps its plan meets here; send
        // to the total what its plan settles here.
        if mark < self.pending.len() && !node.passes_through {
            self.pass_on(node, i, mark)?;
        }
        self.parts.truncate(parts_mark);
        if let (Some(s), Some(ns)) = (score, self.st.nodes.get_mut(i as usize)) {
            ns.score = s;
        }
        Ok(())
    }

    /// Node `i` takes from `avail` the deductions it settles, within its
    /// cap's `room`; what it cannot absorb is lost. What a cap cuts is
    /// noted on the deduction's trace entry, when it has one.
    #[inline(always)]
    pub(super) fn take(
        &mut self,
        node: &CNode,
        i: u32,
        mark: usize,
        mut avail: Decimal,
        room: &mut Option<Decimal>,
    ) -> Decimal {
        let c = self.c;
        for j in mark..self.pending.len() {
            let Some(d) = self.pending.get_mut(j) else {
                continue;
            };
            if !c.plans.get(d.plan as usize).is_some_and(|p| p.taken_by(i)) {
                continue;
            }
            if let Some(r) = room.as_mut() {
                if order(d.amount, *r).is_gt() {
                    let cut = minus(d.amount, *r);
                    d.amount = *r;
                    if let Some(e) = d.entry.and_then(|e| self.st.trace.get_mut(e)) {
                        e.amount = plus(e.amount, cut);
                        e.set_capped_at(node.cap_const);
                    }
                }
                *r = minus(*r, d.amount);
            }
            let d = *d;
            // (`dmin(d.amount, avail)`; what is left is not 0 only when the
            // amount is more than what the node has.)
            let short = order(d.amount, avail).is_gt();
            let take = if short { avail } else { d.amount };
            avail = minus(avail, take);
            self.credit_taken(d.origin, take);
            if short {
                self.leftover(d.origin, d.entry, minus(d.amount, take), false);
            }
        }
        avail
    }

    /// Keep on `pending` what travels on from node `i`, within the caps
    /// its plan meets here; send to the total what its plan settles here.
    #[inline(always)]
    pub(super) fn pass_on(&mut self, node: &CNode, i: u32, mark: usize) -> Result<(), Failed> {
        let c = self.c;
        let mut cap_left = match &node.cap {
            Some(cap) if node.caps_what_passes => self.fr.n(cap)?,
            _ => None,
        };
        let mut w = mark;
        for r in mark..self.pending.len() {
            let Some(d) = self.pending.get(r).copied() else {
                continue;
            };
            let Some(plan) = c.plans.get(d.plan as usize) else {
                continue;
            };
            if plan.taken_by(i) || plan.pooled_at(i) {
                continue;
            }
            let mut amount = d.amount;
            if let Some(room) = cap_left.as_mut().filter(|_| plan.caps.contains(&i)) {
                if order(amount, *room).is_gt() {
                    let cut = minus(amount, *room);
                    amount = *room;
                    if let Some(e) = d.entry.and_then(|e| self.st.trace.get_mut(e)) {
                        e.amount = plus(e.amount, cut);
                        if e.capped_at().is_none() {
                            e.set_capped_at(node.cap_const);
                        }
                    }
                }
                *room = minus(*room, amount);
            }
            if amount.is_zero() {
                continue;
            }
            if plan.to == To::Total && plan.at == i {
                self.send_to_total(d.origin, amount);
                if let Some(e) = d.entry.and_then(|e| self.st.trace.get_mut(e)) {
                    if matches!(e.detail, Detail::Condition { .. }) {
                        e.detail = Detail::ToTotal;
                    }
                }
                continue;
            }
            if let Some(p) = self.pending.get_mut(r) {
                p.amount = amount;
            }
            self.pending.swap(w, r);
            w += 1;
        }
        self.pending.truncate(w);
        Ok(())
    }
}
