//! The node walk, with or without a trace, and the settlement of a node.
//!
//! In: a [`Walk`] over one unit. Out: every node's score in the unit's node
//! scores, deductions passed on, vetoes, the trace when one is kept, and
//! the first error, all as the reference interpreter gives them (the
//! property test against it holds both kinds of walk to that). `node` is
//! made twice by the compiler from its `TRACE` parameter. A rule of the
//! commonest shapes is scored by `Walk::fast_rule` from constants read out
//! when compiling, with a trace or without; without a trace (what
//! `rulebook eval` does for every unit of a batch) any other plain rule is
//! scored by `Walk::plain_rule`, inlined here, and any other by
//! `Walk::rule::<false>`, every branch that only serves a trace compiled
//! away.

use super::program::{CNode, PartsUse, To};
use super::walk::{dmin, minus, order, plus, NodeErr, Walk};
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

/// A node whose rules are scored, its parts and settlement to come.
struct Begun<'w> {
    node: &'w CNode,
    mark: usize,
    parts_mark: usize,
    /// Its rules' awards, and then (when [summed](PartsUse::Summed)) its
    /// parts' scores.
    awards: Decimal,
}

impl<'w> Walk<'w, '_> {
    /// Node `i` and its parts: its score goes to the unit's node scores
    /// (when it has one); the deductions it passes on are left on
    /// `pending`. `TRACE`: whether the unit's trace is kept. Its parts'
    /// scores are kept on `parts` only where a pool needs them; a node that
    /// starts from them adds them to its awards as they come, in the order
    /// `settle` would add them.
    pub(super) fn node<const TRACE: bool>(&mut self, i: u32) -> Result<(), Fail> {
        let Some(mut begun) = self.begin::<TRACE>(i)? else {
            return Ok(());
        };
        let parts_use = begun.node.parts_use;
        let mut bonus_children = Decimal::ZERO;
        for part in &begun.node.children {
            if part.leaf {
                self.leaf::<TRACE>(part.node)?;
            } else if !part.fixed {
                self.node::<TRACE>(part.node)?;
            }
            if !part.scored || (!part.bonus && parts_use == PartsUse::Unread) {
                continue;
            }
            let s = self
                .st
                .nodes
                .get(part.node as usize)
                .map(|n| n.score)
                .unwrap_or_default();
            if part.bonus {
                bonus_children = plus(bonus_children, s);
            } else if parts_use == PartsUse::Summed {
                begun.awards = plus(begun.awards, s);
            } else {
                self.parts.push((part.node, s));
            }
        }
        self.end(i, begun, bonus_children)
    }

    /// [`Walk::node`] of a node without parts (most nodes), worked out
    /// where its parent is walked rather than by a call of its own. When
    /// it has no pool or cap to work out, and its rules deducted nothing or
    /// it neither takes nor stops what they deduct, its score is its
    /// awards' (as `settle` gives it, without the rest).
    #[inline(always)]
    fn leaf<const TRACE: bool>(&mut self, i: u32) -> Result<(), Fail> {
        let Some(begun) = self.begin::<TRACE>(i)? else {
            return Ok(());
        };
        let node = begun.node;
        if node.quiet && (self.pending.len() == begun.mark || (!node.takes && node.passes_through))
        {
            let score = if node.bonus {
                CNode::within_cap(plus(begun.awards, Decimal::ZERO), node.cap_const)
            } else if let Some(points) = node.points {
                if node.starts_full {
                    // (Its full points, which the blank holds.)
                    return Ok(());
                }
                CNode::within_points(begun.awards, points)
            } else {
                return Ok(());
            };
            if let Some(ns) = self.st.nodes.get_mut(i as usize) {
                ns.score = score;
            }
            return Ok(());
        }
        self.end(i, begun, Decimal::ZERO)
    }

    /// Node `i` begun: where its deductions and parts start on `pending`
    /// and `parts`, and its rules scored, in order, into its awards
    /// (deductions go on `pending`, vetoes on the unit's); `None` for no
    /// such node.
    #[inline(always)]
    fn begin<const TRACE: bool>(&mut self, i: u32) -> Result<Option<Begun<'w>>, Fail> {
        let c = self.c;
        let Some(node) = c.nodes.get(i as usize) else {
            return Ok(None);
        };
        let (mark, parts_mark) = (self.pending.len(), self.parts.len());
        let mut awards = Decimal::ZERO;
        if !node.rules.is_empty() {
            if !node.blocks.is_empty() {
                self.blocks.clear();
                self.blocks.resize(node.blocks.len(), Decimal::ZERO);
            }
            for (ri, rule) in node.rules.iter().enumerate() {
                if let Some(fast) = &rule.fast {
                    self.fast_rule::<TRACE>(i, node, ri as u32, rule, fast, &mut awards)
                        .map_err(|f| fail(i, f))?;
                } else if !TRACE && rule.plain {
                    self.plain_rule(i, rule, &mut awards)
                        .map_err(|f| fail(i, f))?;
                } else {
                    self.rule::<TRACE>(node, i, ri as u32, rule, &mut awards)
                        .map_err(|f| fail(i, f))?;
                }
            }
        }
        Ok(Some(Begun {
            node,
            mark,
            parts_mark,
            awards,
        }))
    }

    /// Node `i` [begun](Walk::begin), its parts in (`bonus_children`: what
    /// its bonus parts scored): settled.
    #[inline(always)]
    fn end(&mut self, i: u32, b: Begun<'w>, bonus_children: Decimal) -> Result<(), Fail> {
        self.settle(b.node, i, b.awards, bonus_children, b.mark, b.parts_mark)
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
                CNode::within_points(start, points)
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
            let take = dmin(d.amount, avail);
            avail = minus(avail, take);
            self.credit_taken(d.origin, take);
            let left = minus(d.amount, take);
            if !left.is_zero() {
                self.leftover(d.origin, d.entry, left, false);
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
