//! Compiling a checked program: nodes, rules and settlement plans laid out
//! for the walk, every expression compiled once.
//!
//! In: a checked [`Program`]. Out: a [`Compiled`] that scores any number of
//! units. What the reference works out again for every unit — which parts
//! are bonus parts, whether a node only deducts, which deductions share a
//! pool, a node's cap as a constant, the facts a rule's explanation names —
//! is worked out here once.

use super::expr::{compile, Code, Rows};
use crate::eval::fact_reads;
use rulebook_lang::ir::{self, Amount, Program, RuleKind, SettleTo};
use rust_decimal::Decimal;

/// A program ready to score units with.
#[derive(Debug)]
pub struct Compiled<'p> {
    pub(super) program: &'p Program,
    pub(super) tables: Vec<Rows>,
    pub(super) lets: Vec<Code>,
    pub(super) nodes: Vec<CNode>,
    /// Every rule's settlement plan, indexed by [`CRule::plan`].
    pub(super) plans: Vec<Plan>,
    /// The distinct pools: where each settles, and its members.
    pub(super) pools: Vec<(u32, Vec<u32>)>,
    pub(super) grades: Vec<Option<Code>>,
    pub(super) ranks: Vec<Code>,
    pub(super) across: Vec<CAcross>,
    /// Some table's rows cite a node: traced entries are split after scoring.
    pub(super) cites: bool,
}

#[derive(Debug)]
pub(super) struct CAcross {
    pub expr: Code,
    pub filter: Option<Code>,
}

#[derive(Debug)]
pub(super) struct CNode {
    pub rules: Vec<CRule>,
    pub blocks: Vec<Code>,
    pub cap: Option<Code>,
    /// The cap as a number, when it is one (what a trace entry says cut it).
    pub cap_const: Option<Decimal>,
    /// Parts, and whether each is in the bonus section.
    pub children: Vec<(u32, bool)>,
    pub bonus: bool,
    pub points: Option<Decimal>,
    pub starts_full: bool,
    pub deducts_only: bool,
    pub caps_what_passes: bool,
    pub has_parent: bool,
    /// Some rule's deductions are pooled at this node.
    pub settles_pool: bool,
}

#[derive(Debug)]
pub(super) struct CRule {
    pub kind: RuleKind,
    pub condition: Option<Code>,
    pub unless: Option<Code>,
    pub amount: CAmount,
    pub cap: Option<Code>,
    pub block: Option<u32>,
    pub times: Option<(Code, Option<Code>)>,
    pub round: Option<u32>,
    /// Index into [`Compiled::plans`].
    pub plan: u32,
    /// The facts an explanation names, as the reference finds them.
    pub reads: Vec<ir::Expr>,
    /// An amount over one list with `where`: its local, list and condition.
    pub filtered: Option<(u32, Code, Code)>,
    /// A deduction whose amount, when it comes to 0, does nothing at all:
    /// no block, no cap or a constant one that is not negative.
    pub zero_is_nothing: bool,
}

#[derive(Debug)]
pub(super) enum CAmount {
    None,
    Expr(Code),
    Each {
        rate: Code,
        count: Code,
    },
    Steps {
        rate: Code,
        step: Code,
        actual: Code,
        target: Code,
        above: bool,
        ceil: bool,
    },
    Proportion {
        max: Code,
        ratio: Code,
        floor: Option<Code>,
        places: u32,
    },
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
        let lets = program.lets.iter().map(|l| c(&l.expr)).collect();
        let mut plans = Vec::new();
        let mut pools: Vec<(u32, Vec<u32>)> = Vec::new();
        let mut pooled_at = vec![false; program.nodes.len()];
        let mut nodes = Vec::with_capacity(program.nodes.len());
        for n in &program.nodes {
            let mut rules = Vec::with_capacity(n.rules.len());
            for r in &n.rules {
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
                    Amount::Expr(e) => CAmount::Expr(c(e)),
                    Amount::Each { rate, count } => CAmount::Each {
                        rate: c(rate),
                        count: c(count),
                    },
                    Amount::Steps {
                        rate,
                        step,
                        actual,
                        target,
                        above,
                        ceil,
                    } => CAmount::Steps {
                        rate: c(rate),
                        step: c(step),
                        actual: c(actual),
                        target: c(target),
                        above: *above,
                        ceil: *ceil,
                    },
                    Amount::Proportion {
                        max,
                        ratio,
                        floor,
                        places,
                    } => CAmount::Proportion {
                        max: c(max),
                        ratio: c(ratio),
                        floor: floor.as_ref().map(c),
                        places: *places,
                    },
                };
                let filtered = match &r.amount {
                    Amount::Expr(e) | Amount::Each { count: e, .. } => match e {
                        ir::Expr::Agg {
                            loops,
                            filter: Some(f),
                            ..
                        } => match loops.as_slice() {
                            [(slot, list)] => Some((*slot, c(list), c(f))),
                            _ => None,
                        },
                        _ => None,
                    },
                    _ => None,
                };
                let cap = r.cap.as_ref().map(c);
                let zero_is_nothing = r.kind == RuleKind::Deduct
                    && r.block.is_none()
                    && cap
                        .as_ref()
                        .is_none_or(|k| k.const_num().is_some_and(|v| !v.is_sign_negative()));
                rules.push(CRule {
                    zero_is_nothing,
                    kind: r.kind,
                    condition: r.condition.as_ref().map(c),
                    unless: r.unless.as_ref().map(c),
                    amount,
                    cap,
                    block: r.block,
                    times: r
                        .times
                        .as_ref()
                        .map(|t| (c(&t.factor), t.when.as_ref().map(c))),
                    round: r.round,
                    plan: (plans.len() - 1) as u32,
                    reads: fact_reads(r).into_iter().cloned().collect(),
                    filtered,
                });
            }
            nodes.push(CNode {
                rules,
                blocks: n.blocks.iter().map(c).collect(),
                cap: n.cap.as_ref().map(c),
                cap_const: n.cap.as_ref().and_then(rulebook_lang::check::const_num),
                children: n
                    .children
                    .iter()
                    .map(|&k| (k, program.node(k).is_some_and(|d| d.bonus)))
                    .collect(),
                bonus: n.bonus,
                points: n.points,
                starts_full: n.starts_full,
                deducts_only: n.deducts_only(),
                caps_what_passes: n.caps_what_passes(),
                has_parent: n.parent.is_some(),
                settles_pool: false,
            });
        }
        for (n, p) in nodes.iter_mut().zip(pooled_at) {
            n.settles_pool = p;
        }
        Compiled {
            program,
            lets,
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
            cites: program
                .tables
                .iter()
                .any(|t| t.cites.iter().any(Option::is_some)),
            tables,
        }
    }

    pub fn program(&self) -> &'p Program {
        self.program
    }
}
