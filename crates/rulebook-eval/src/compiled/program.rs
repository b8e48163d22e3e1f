//! Compiling a checked program: nodes, rules and settlement plans laid out
//! for the walk, every expression compiled once.
//!
//! In: a checked [`Program`]. Out: a [`Compiled`] that scores any number of
//! units. What the reference works out again for every unit — which parts
//! are bonus parts, whether a node only deducts, which deductions share a
//! pool, a node's cap as a constant, the facts a rule's explanation names —
//! is worked out here once.

use super::expr::{compile, Code, Rows};
use super::typed::{Filtered, Num, Truth};
use super::walk::{dmax, dmin};
use crate::eval::{fact_reads, NodeScore};
use rulebook_lang::ast::CmpOp;
use rulebook_lang::ir::{self, Amount, Program, RuleKind, SettleTo};
use rust_decimal::Decimal;

/// A program ready to score units with.
#[derive(Debug)]
pub struct Compiled<'p> {
    pub(super) program: &'p Program,
    pub(super) tables: Vec<Rows>,
    pub(super) lets: Vec<Code>,
    /// The lets that are numbers, compiled as such.
    pub(super) let_nums: Vec<Option<Num>>,
    pub(super) nodes: Vec<CNode>,
    /// Every rule's settlement plan, indexed by [`CRule::plan`].
    pub(super) plans: Vec<Plan>,
    /// The distinct pools, each as its members' places among the scores
    /// its node keeps on the walk's `parts` (one for each of the node's
    /// parts that has a score and is not a bonus part, in order).
    pub(super) pools: Vec<Vec<u32>>,
    pub(super) grades: Vec<Option<Code>>,
    /// Every node's score before a unit is walked: a fixed part's score,
    /// the full points of one that starts from them, 0 for any other.
    pub(super) blank: Vec<NodeScore>,
    /// The nodes that gather from their parts once the walk is over (those
    /// with parts), last first.
    pub(super) gather: Vec<Gather>,
    /// The parts each [`Gather`] reads, one after another.
    pub(super) gather_parts: Vec<u32>,
    pub(super) ranks: Vec<Code>,
    pub(super) across: Vec<CAcross>,
}

/// A node with parts, as the gathering after the walk reads it: what its
/// subtree sent to the total is the sum of its parts' shares, and a node
/// that only deducts reports (as its score) what its parts that only deduct
/// took. Its parts are `gather_parts[parts.0..parts.1]`, those that only
/// deduct `gather_parts[deducting.0..deducting.1]`, each in order.
#[derive(Debug, Clone, Copy)]
pub(super) struct Gather {
    pub node: u32,
    pub deducts_only: bool,
    pub parts: (usize, usize),
    pub deducting: (usize, usize),
}

#[derive(Debug)]
pub(super) struct CAcross {
    pub expr: Code,
    pub filter: Option<Code>,
}

#[derive(Debug)]
pub(super) struct CNode {
    pub rules: Vec<CRule>,
    pub blocks: Vec<Num>,
    pub cap: Option<Num>,
    /// The cap as a number, when it is one (what a trace entry says cut it).
    pub cap_const: Option<Decimal>,
    pub children: Vec<Part>,
    pub bonus: bool,
    pub points: Option<Decimal>,
    pub starts_full: bool,
    /// What a node that starts from its full points has before anything
    /// comes off: its points, not below 0.
    pub full: Decimal,
    pub deducts_only: bool,
    /// It only deducts and has no parts: gathering from no parts only turns
    /// a score or share of the total that is 0 into plain 0 (adding 0 to 0
    /// gives the 0 added), which the walk does as it changes them.
    pub deducting_leaf: bool,
    pub caps_what_passes: bool,
    /// The node this one is a part of (none for the root).
    pub parent: Option<u32>,
    /// Some rule's deductions are pooled at this node.
    pub settles_pool: bool,
    /// No pool settles here and its cap, if any, is a constant: once its
    /// rules have deducted nothing, its awards alone give its score.
    pub quiet: bool,
    /// Some plan has this node take its deductions.
    pub takes: bool,
    /// No plan settles anything here or meets a cap here: what its parts
    /// deduct travels on through it as it is.
    pub passes_through: bool,
    /// What the walk does with the scores of its parts that are not bonus
    /// parts.
    pub parts_use: PartsUse,
    /// It has points, not below 0, and what it starts from (its awards and
    /// its parts' scores, none below 0) cannot come to more: keeping that
    /// within 0 and its points leaves it as it is.
    pub never_over: bool,
}

/// What a node's walk does with the scores of its parts that are not bonus
/// parts (a bonus part's score goes to the node's bonus in every case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PartsUse {
    /// Kept on the walk's `parts`, in order: a pool settles here.
    Kept,
    /// Added to its awards as they come, in order (what `settle` would add
    /// from `parts`): it has points and does not start full.
    Summed,
    /// Not read: its score does not start from its parts'.
    Unread,
}

/// One part of a node.
#[derive(Debug, Clone, Copy)]
pub(super) struct Part {
    pub node: u32,
    /// It is in the bonus section.
    pub bonus: bool,
    /// It has a score of its own: a bonus part, or one with points.
    pub scored: bool,
    /// Its walk is the same for every unit ([`CNode::fixed_score`]): not
    /// walked, its score in the blank.
    pub fixed: bool,
    /// It has no parts (and is not fixed): walked without a call of its own.
    pub leaf: bool,
}

/// A rule laid out for the walk. What only some rules have, or only a
/// trace reads, is boxed: the rules a unit walks then sit close together in
/// memory.
#[derive(Debug)]
pub(super) struct CRule {
    pub kind: RuleKind,
    pub condition: Option<Truth>,
    pub unless: Option<Box<Truth>>,
    pub amount: CAmount,
    pub cap: Option<Num>,
    pub block: Option<u32>,
    pub times: Option<Box<(Num, Option<Truth>)>>,
    pub round: Option<u32>,
    /// Index into [`Compiled::plans`].
    pub plan: u32,
    /// The facts an explanation names, as the reference finds them.
    pub reads: Box<[ir::Expr]>,
    /// An amount over one list with `where`: its local, list and condition.
    pub filtered: Option<Box<Filtered>>,
    /// A deduction whose amount, when it comes to 0, does nothing at all:
    /// no block, no cap or a constant one that is not negative.
    pub zero_is_nothing: bool,
    /// Its amount reads a table whose rows cite nodes: its trace entries
    /// may be split by the rows they came from.
    pub reads_cited: bool,
    /// An award or a deduction with neither `unless`, `times`, rounding nor
    /// a block: scored without a trace by `Walk::plain_rule` when it is not
    /// [fast](CRule::fast).
    pub plain: bool,
    /// A rule of the commonest shapes, its constants read out.
    pub fast: Option<Fast>,
}

/// An award or a deduction without `unless`, `times` or rounding whose
/// condition is nothing, a yes/no input or an input compared with a number,
/// whose amount is a number or a number `each` input, and whose cap and
/// block's cap, if any, are numbers (most of a rulebook's rules): scored,
/// with a trace or without, by `Walk::fast_rule`, which reads its
/// constants here rather than through its expressions.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fast {
    pub when: When,
    pub amount: FastAmount,
    pub cap: Option<Decimal>,
    /// The `cap N { … }` block it is in, and N.
    pub block: Option<(u32, Decimal)>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum When {
    Always,
    /// A yes/no input holds.
    Input(u32),
    /// A number input compared with a number (anything else in the input:
    /// the rule is scored the general way).
    InputCmp(u32, CmpOp, Decimal),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum FastAmount {
    Const(Decimal),
    /// `rate each count`, the count an input.
    Each {
        rate: Decimal,
        count: u32,
    },
}

impl Fast {
    /// `rule`, compiled as `condition`, `amount` and `cap`, in a node whose
    /// blocks' caps are `blocks`; `plain_but_block`: it is an award or a
    /// deduction with neither `unless`, `times` nor rounding.
    fn of(
        rule: &ir::RuleDef,
        plain_but_block: bool,
        condition: Option<&Truth>,
        amount: &CAmount,
        cap: Option<&Num>,
        blocks: &[Num],
    ) -> Option<Fast> {
        if !plain_but_block {
            return None;
        }
        let block = match rule.block {
            None => None,
            Some(b) => Some((b, blocks.get(b as usize)?.constant()?)),
        };
        let when = match condition {
            None => When::Always,
            Some(t) => t.fast_test()?,
        };
        let amount = match amount {
            CAmount::Expr(e) => FastAmount::Const(e.constant()?),
            CAmount::Each { rate, count } => FastAmount::Each {
                rate: rate.constant()?,
                count: count.input()?,
            },
            _ => return None,
        };
        let cap = match cap {
            None => None,
            Some(k) => Some(k.constant()?),
        };
        Some(Fast {
            when,
            amount,
            cap,
            block,
        })
    }
}

#[derive(Debug)]
pub(super) enum CAmount {
    None,
    Expr(Num),
    Each { rate: Num, count: Num },
    Steps(Box<Steps>),
    Proportion(Box<Proportion>),
}

#[derive(Debug)]
pub(super) struct Steps {
    pub rate: Num,
    pub step: Num,
    pub actual: Num,
    pub target: Num,
    pub above: bool,
    pub ceil: bool,
}

#[derive(Debug)]
pub(super) struct Proportion {
    pub max: Num,
    pub ratio: Num,
    pub floor: Option<Num>,
    pub places: u32,
}

#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub to: To,
    pub at: u32,
    pub caps: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum To {
    Award,
    Veto,
    Node,
    /// `pool` numbers the distinct (node, members) pools.
    Pool {
        pool: u32,
        then_total: bool,
    },
    Total,
    Nowhere,
}

impl CNode {
    /// A leaf with no rules, no pool and no cap but a constant: what every
    /// unit's walk of it gives, as `settle` works it out — its score (a
    /// bonus part's 0 within its cap, a part with points its full points or
    /// 0), or `Some(None)` for a node without a score. `None` for any other
    /// node.
    pub fn fixed_score(&self) -> Option<Option<Decimal>> {
        let constant_cap = self.cap.is_none() || self.cap_const.is_some();
        if !self.rules.is_empty()
            || !self.children.is_empty()
            || !self.blocks.is_empty()
            || self.settles_pool
            || !constant_cap
        {
            return None;
        }
        // As `settle` scores it with no awards, parts or deductions.
        Some(if self.bonus {
            Some(CNode::within_cap(Decimal::ZERO, self.cap_const))
        } else {
            self.points.map(|points| {
                if self.starts_full {
                    self.full
                } else {
                    CNode::within_points(Decimal::ZERO, points)
                }
            })
        })
    }

    /// What a node with points that does not start full has before it
    /// takes the deductions it settles: what it starts from (its awards
    /// and its parts' scores) within 0 and its points.
    #[inline(always)]
    pub fn within_points(start: Decimal, points: Decimal) -> Decimal {
        dmax(dmin(start, points), Decimal::ZERO)
    }

    /// [`CNode::within_points`] for this node: `start` as it is when it
    /// [cannot be over](CNode::never_over).
    #[inline(always)]
    pub fn within(&self, start: Decimal, points: Decimal) -> Decimal {
        if self.never_over {
            start
        } else {
            CNode::within_points(start, points)
        }
    }

    /// Whether this node [cannot be over](CNode::never_over) its points
    /// (`nodes`: the program's, for its parts' points).
    fn never_over(&self, nodes: &[CNode]) -> bool {
        match (self.most_start(nodes), self.points) {
            (Some(most), Some(points)) => {
                !self.bonus && !self.starts_full && !points.is_sign_negative() && most <= points
            }
            _ => false,
        }
    }

    /// The most this node can start from, when that is known from
    /// constants: the most each of its awards can give, and the points of
    /// each part whose score it adds up. `None` when some award has no
    /// such bound, or could be below 0.
    fn most_start(&self, nodes: &[CNode]) -> Option<Decimal> {
        let mut most = Decimal::ZERO;
        for r in &self.rules {
            most = most.checked_add(r.most_award()?)?;
        }
        if self.parts_use != PartsUse::Unread {
            for part in self.children.iter().filter(|p| p.scored && !p.bonus) {
                let child = nodes.get(part.node as usize)?;
                most = most.checked_add(child.points.map(|p| p.max(Decimal::ZERO))?)?;
            }
        }
        Some(most)
    }

    /// A bonus node's score: what it and its bonus parts award, within its
    /// cap when it has one.
    #[inline(always)]
    pub fn within_cap(awarded: Decimal, cap: Option<Decimal>) -> Decimal {
        match cap {
            Some(cap) => dmin(awarded, cap),
            None => awarded,
        }
    }
}

impl CRule {
    /// The most this rule adds to its node's awards, from its constants:
    /// 0 for a deduction or a veto; for an award, its cap, or its amount
    /// when that is a number (or a share in proportion of a number that
    /// rounding to its places cannot take past it). `None` when unknown or
    /// when the award could be below 0 (a cap below 0).
    fn most_award(&self) -> Option<Decimal> {
        if self.kind != RuleKind::Award {
            return Some(Decimal::ZERO);
        }
        let cap = match &self.cap {
            Some(k) => Some(k.constant().filter(|c| !c.is_sign_negative())?),
            None => None,
        };
        // (`times` and rounding come before the cap: only the cap bounds
        // the amount then.)
        let amount = match &self.amount {
            _ if self.times.is_some() || self.round.is_some() => None,
            CAmount::None => Some(Decimal::ZERO),
            CAmount::Expr(e) => e.constant(),
            CAmount::Proportion(p) => p
                .max
                .constant()
                .filter(|m| !m.is_sign_negative() && m.scale() <= p.places),
            _ => None,
        }
        .map(|a| a.max(Decimal::ZERO));
        match (amount, cap) {
            (Some(a), Some(c)) => Some(a.min(c)),
            (a, c) => a.or(c),
        }
    }
}

impl Plan {
    pub fn taken_by(&self, i: u32) -> bool {
        self.at == i && self.to == To::Node
    }
    pub fn pooled_at(&self, i: u32) -> bool {
        self.at == i && matches!(self.to, To::Pool { .. })
    }
    pub fn pool(&self) -> Option<u32> {
        match self.to {
            To::Pool { pool, .. } => Some(pool),
            _ => None,
        }
    }
}

impl<'p> Compiled<'p> {
    /// Compile `program` once; score its units with [`Compiled::score`].
    pub fn new(program: &'p Program) -> Compiled<'p> {
        let tables: Vec<Rows> = program.tables.iter().map(Rows::new).collect();
        let c = |e: &ir::Expr| compile(&tables, e);
        let n = |e: &ir::Expr| Num::new(c(e));
        let t = |e: &ir::Expr| Truth::new(c(e));
        let lets = program.lets.iter().map(|l| c(&l.expr)).collect();
        let let_nums = program
            .lets
            .iter()
            .map(|l| matches!(l.ty, ir::Type::Num(_)).then(|| n(&l.expr)))
            .collect();
        let mut plans = Vec::new();
        let mut pools: Vec<(u32, Vec<u32>)> = Vec::new();
        let mut pooled_at = vec![false; program.nodes.len()];
        let mut nodes = Vec::with_capacity(program.nodes.len());
        for nd in &program.nodes {
            let blocks: Vec<Num> = nd.blocks.iter().map(n).collect();
            let mut rules = Vec::with_capacity(nd.rules.len());
            for r in &nd.rules {
                let to = match &r.settle.to {
                    SettleTo::Award => To::Award,
                    SettleTo::Veto => To::Veto,
                    SettleTo::Node => To::Node,
                    SettleTo::Total => To::Total,
                    SettleTo::Nowhere => To::Nowhere,
                    SettleTo::Pool {
                        members,
                        then_total,
                    } => {
                        let key = (r.settle.at, members.clone());
                        let pool = match pools.iter().position(|p| *p == key) {
                            Some(k) => k,
                            None => {
                                pools.push(key);
                                pools.len() - 1
                            }
                        };
                        if let Some(p) = pooled_at.get_mut(r.settle.at as usize) {
                            *p = true;
                        }
                        To::Pool {
                            pool: pool as u32,
                            then_total: *then_total,
                        }
                    }
                };
                plans.push(Plan {
                    to,
                    at: r.settle.at,
                    caps: r.settle.caps.clone(),
                });
                let amount = match &r.amount {
                    Amount::None => CAmount::None,
                    Amount::Expr(e) => CAmount::Expr(n(e)),
                    Amount::Each { rate, count } => CAmount::Each {
                        rate: n(rate),
                        count: n(count),
                    },
                    Amount::Steps {
                        rate,
                        step,
                        actual,
                        target,
                        above,
                        ceil,
                    } => CAmount::Steps(Box::new(Steps {
                        rate: n(rate),
                        step: n(step),
                        actual: n(actual),
                        target: n(target),
                        above: *above,
                        ceil: *ceil,
                    })),
                    Amount::Proportion {
                        max,
                        ratio,
                        floor,
                        places,
                    } => CAmount::Proportion(Box::new(Proportion {
                        max: n(max),
                        ratio: n(ratio),
                        floor: floor.as_ref().map(n),
                        places: *places,
                    })),
                };
                let filtered = match &r.amount {
                    Amount::Expr(e) | Amount::Each { count: e, .. } => match e {
                        ir::Expr::Agg {
                            loops,
                            filter: Some(f),
                            ..
                        } => match loops.as_slice() {
                            [(slot, list)] => Some(Box::new(Filtered::new(*slot, &c(list), &c(f)))),
                            _ => None,
                        },
                        _ => None,
                    },
                    _ => None,
                };
                let cap = r.cap.as_ref().map(n);
                let zero_is_nothing = r.kind == RuleKind::Deduct
                    && r.block.is_none()
                    && cap
                        .as_ref()
                        .is_none_or(|k| k.constant().is_some_and(|v| !v.is_sign_negative()));
                let plain_but_block = matches!(r.kind, RuleKind::Award | RuleKind::Deduct)
                    && r.unless.is_none()
                    && r.times.is_none()
                    && r.round.is_none();
                let condition = r.condition.as_ref().map(t);
                rules.push(CRule {
                    fast: Fast::of(
                        r,
                        plain_but_block,
                        condition.as_ref(),
                        &amount,
                        cap.as_ref(),
                        &blocks,
                    ),
                    plain: plain_but_block && r.block.is_none(),
                    zero_is_nothing,
                    kind: r.kind,
                    condition,
                    unless: r.unless.as_ref().map(|u| Box::new(t(u))),
                    amount,
                    cap,
                    block: r.block,
                    times: r
                        .times
                        .as_ref()
                        .map(|x| Box::new((n(&x.factor), x.when.as_ref().map(t)))),
                    round: r.round,
                    plan: (plans.len() - 1) as u32,
                    reads: fact_reads(r).into_iter().cloned().collect(),
                    filtered,
                    reads_cited: crate::eval::cite::reads_cited(program, r),
                });
            }
            nodes.push(CNode {
                rules,
                blocks,
                cap: nd.cap.as_ref().map(n),
                cap_const: nd.cap.as_ref().and_then(rulebook_lang::ir::const_num),
                children: nd
                    .children
                    .iter()
                    .map(|&k| {
                        let d = program.node(k);
                        Part {
                            node: k,
                            bonus: d.is_some_and(|d| d.bonus),
                            scored: d.is_some_and(|d| d.bonus || d.points.is_some()),
                            fixed: false,
                            leaf: false,
                        }
                    })
                    .collect(),
                bonus: nd.bonus,
                points: nd.points,
                starts_full: nd.starts_full,
                full: nd
                    .points
                    .map(|p| dmax(p, Decimal::ZERO))
                    .unwrap_or_default(),
                deducts_only: nd.deducts_only(),
                deducting_leaf: nd.deducts_only() && nd.children.is_empty(),
                caps_what_passes: nd.caps_what_passes(),
                parent: nd.parent,
                settles_pool: false,
                quiet: false,
                takes: false,
                passes_through: false,
                parts_use: PartsUse::Unread,
                never_over: false,
            });
        }
        for ((i, n), p) in (0u32..).zip(nodes.iter_mut()).zip(pooled_at) {
            n.settles_pool = p;
            n.parts_use = if p {
                PartsUse::Kept
            } else if !n.bonus && n.points.is_some() && !n.starts_full {
                PartsUse::Summed
            } else {
                PartsUse::Unread
            };
            n.quiet = !p && (n.cap.is_none() || n.cap_const.is_some());
            n.takes = plans.iter().any(|pl| pl.taken_by(i));
            n.passes_through = !plans
                .iter()
                .any(|pl| pl.at == i || (n.caps_what_passes && pl.caps.contains(&i)));
        }
        let never_over: Vec<bool> = nodes.iter().map(|n| n.never_over(&nodes)).collect();
        for (n, never) in nodes.iter_mut().zip(never_over) {
            n.never_over = never;
        }
        // Parts whose walk is the same for every unit are not walked: their
        // score is in the blank every unit's node scores start from.
        let fixed: Vec<Option<Option<Decimal>>> = nodes.iter().map(CNode::fixed_score).collect();
        let leaves: Vec<bool> = nodes.iter().map(|n| n.children.is_empty()).collect();
        for n in &mut nodes {
            for part in &mut n.children {
                part.fixed = fixed.get(part.node as usize).is_some_and(Option::is_some);
                part.leaf = !part.fixed && leaves.get(part.node as usize).is_some_and(|l| *l);
            }
        }
        // Where each pool's members are among its node's kept parts.
        let pools = pools
            .iter()
            .map(|(at, members)| {
                let kept: Vec<u32> = nodes
                    .get(*at as usize)
                    .map(|n| {
                        n.children
                            .iter()
                            .filter(|p| p.scored && !p.bonus)
                            .map(|p| p.node)
                            .collect()
                    })
                    .unwrap_or_default();
                members
                    .iter()
                    .filter_map(|m| kept.iter().position(|k| k == m))
                    .map(|k| k as u32)
                    .collect()
            })
            .collect();
        // A part that starts from its full points has them there already:
        // the walk of a leaf that takes nothing leaves them as they are.
        let blank = fixed
            .iter()
            .zip(&nodes)
            .map(|(f, n)| NodeScore {
                score: match f {
                    Some(f) => f.unwrap_or_default(),
                    None if n.starts_full && !n.bonus && n.points.is_some() => n.full,
                    None => Decimal::ZERO,
                },
                ..NodeScore::default()
            })
            .collect();
        // Nodes are numbered parents first: gathered last first, each
        // node's parts are gathered before it.
        let mut gather = Vec::new();
        let mut gather_parts = Vec::new();
        for (i, n) in (0..nodes.len() as u32).zip(&nodes).rev() {
            if n.children.is_empty() {
                continue;
            }
            let start = gather_parts.len();
            gather_parts.extend(n.children.iter().map(|p| p.node));
            let middle = gather_parts.len();
            gather_parts.extend(
                n.children
                    .iter()
                    .map(|p| p.node)
                    .filter(|&k| nodes.get(k as usize).is_some_and(|d| d.deducts_only)),
            );
            gather.push(Gather {
                node: i,
                deducts_only: n.deducts_only,
                parts: (start, middle),
                deducting: (middle, gather_parts.len()),
            });
        }
        Compiled {
            program,
            blank,
            gather,
            gather_parts,
            lets,
            let_nums,
            nodes,
            plans,
            pools,
            grades: program
                .grades
                .iter()
                .map(|g| g.condition.as_ref().map(c))
                .collect(),
            ranks: program.ranks.iter().map(c).collect(),
            across: program
                .across
                .iter()
                .map(|a| CAcross {
                    expr: c(&a.expr),
                    filter: a.filter.as_ref().map(c),
                })
                .collect(),
            tables,
        }
    }

    pub fn program(&self) -> &'p Program {
        self.program
    }
}
