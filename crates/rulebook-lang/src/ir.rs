//! The checked intermediate representation the evaluator runs.
//!
//! Comes from [`crate::check`](mod@crate::check); everything here is resolved: names are slots
//! (indices into the unit's input vector, the globals, the parameters, the
//! derived values), node targets are node indices, units of measure have been
//! checked. The whole program is serde-serializable (`rulebook compile`), so
//! a compiled rulebook can be evaluated without its source.

use crate::ast::{BinOp, CmpOp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub const IR_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub version: u32,
    pub title: String,
    pub document: String,
    /// The file the rulebook was compiled from (for tests' relative paths).
    pub source_name: String,
    /// Per-unit facts; a unit's data is a vector indexed by these slots.
    pub inputs: Vec<InputDef>,
    /// Facts shared by all units.
    pub globals: Vec<InputDef>,
    /// Per-unit parameters with the document's values.
    pub params: Vec<ParamDef>,
    /// Named derived values, in an order where each depends only on earlier ones.
    pub lets: Vec<LetDef>,
    pub tables: Vec<TableDef>,
    /// Expressions ranked across the evaluated batch (`rank(E)`).
    pub ranks: Vec<Expr>,
    /// Aggregates over every unit of the batch (`max(E across units)`),
    /// computed once per batch before any unit is scored.
    #[serde(default)]
    pub across: Vec<AcrossDef>,
    /// All nodes; index 0 is the root (the whole table).
    pub nodes: Vec<NodeDef>,
    pub grades: Vec<GradeDef>,
    pub tests: Vec<TestDef>,
    /// How many comprehension variables are live at most (evaluator stack size).
    pub locals: u32,
    /// The lowest the total goes (`floor`); `None`: no floor.
    #[serde(default = "zero_floor")]
    pub floor: Option<Decimal>,
    /// The year parameters given by year are read for.
    #[serde(default)]
    pub year: Option<YearSource>,
}

fn zero_floor() -> Option<Decimal> {
    Some(Decimal::ZERO)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum YearSource {
    Fixed(i32),
    /// The value of this global.
    Global(u32),
}

/// Units of measure carried by numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    /// A bare number: a literal, a ratio, a number of steps.
    Plain,
    Points,
    /// A percentage, written as its number of percent (96.5 = 96.5 %).
    Pct,
    /// Percentage points: the difference of two percentages.
    Pp,
    Count,
    Yuan,
    Wan,
    Ug,
    Mgl,
    WanM3,
    /// A duration in days.
    Days,
    Rank,
    /// A ratio of two like quantities, as a fraction (0.8 = 80 %).
    Ratio,
}

impl Unit {
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Plain => "",
            Unit::Points => "分",
            Unit::Pct => "%",
            Unit::Pp => "个百分点",
            Unit::Count => "",
            Unit::Yuan => "元",
            Unit::Wan => "万元",
            Unit::Ug => "µg/m³",
            Unit::Mgl => "mg/L",
            Unit::WanM3 => "万立方米",
            Unit::Days => "天",
            Unit::Rank => "名",
            Unit::Ratio => "",
        }
    }
    /// The name used in the language and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Plain => "number",
            Unit::Points => "points",
            Unit::Pct => "pct (%)",
            Unit::Pp => "pp (percentage points)",
            Unit::Count => "count",
            Unit::Yuan => "yuan (元)",
            Unit::Wan => "wan (万元)",
            Unit::Ug => "ug (µg/m³)",
            Unit::Mgl => "mgl (mg/L)",
            Unit::WanM3 => "wan_m3 (万立方米)",
            Unit::Days => "days",
            Unit::Rank => "rank",
            Unit::Ratio => "ratio",
        }
    }
    /// Whole numbers only.
    pub fn is_integral(self) -> bool {
        matches!(self, Unit::Count | Unit::Rank)
    }
    /// The least value the unit allows by itself, if any.
    pub fn intrinsic_min(self) -> Option<Decimal> {
        match self {
            Unit::Count | Unit::Yuan | Unit::Wan | Unit::Ug | Unit::Mgl | Unit::WanM3 => {
                Some(Decimal::ZERO)
            }
            Unit::Rank => Some(Decimal::ONE),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Type {
    Bool,
    Num(Unit),
    Date,
    Text,
    /// One of the listed names.
    Enum(Vec<String>),
    List(Box<Type>),
    Record(Vec<FieldDef>),
    /// A group from `L grouped by f`: the key and the records.
    Group(Box<Type>, Box<Type>),
}

impl Type {
    pub fn describe(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Num(u) => u.name().into(),
            Type::Date => "date".into(),
            Type::Text => "text".into(),
            Type::Enum(names) => names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(" | "),
            Type::List(t) => format!("list of {}", t.describe()),
            Type::Record(_) => "record".into(),
            Type::Group(_, _) => "group".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: String,
    pub label: String,
    pub ty: Type,
    pub optional: bool,
    pub range: Vec<(CmpOp, Decimal)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputDef {
    pub name: String,
    pub label: String,
    pub ty: Type,
    pub optional: bool,
    /// Bounds a value must satisfy (besides its unit's own).
    pub range: Vec<(CmpOp, Decimal)>,
    /// Ids of the nodes whose rules read it (for templates and reports).
    pub used_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamDef {
    pub input: InputDef,
    /// The document's value for each named unit.
    pub values: Vec<(String, Decimal)>,
    /// Values by year: (the unit, or every unit; the year; the value).
    #[serde(default)]
    pub by_year: Vec<(Option<String>, i32, Decimal)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LetDef {
    pub name: String,
    pub label: String,
    pub ty: Type,
    pub expr: Expr,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    pub name: String,
    pub label: String,
    pub arity: usize,
    pub rows: Vec<(Vec<String>, Decimal)>,
    /// Per row, the node a value from it is reported under (`cite 18.1.1`);
    /// empty when no row cites one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cites: Vec<Option<u32>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeDef {
    pub name: String,
    /// `None` = otherwise.
    pub condition: Option<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeKind {
    Root,
    Section,
    Item,
    Part,
    Clause,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeDef {
    pub id: String,
    pub kind: NodeKind,
    pub title: String,
    /// The document's original sentences, for citation.
    pub text: Vec<String>,
    /// Responsible units (考核单位).
    pub by: Vec<String>,
    /// The node's base: its score is clamped to [0, points]. `None` = no base
    /// (the node only deducts, or, in the bonus section, only awards up to `cap`).
    pub points: Option<Decimal>,
    /// A node with points but no awards or scored parts starts at full points.
    pub starts_full: bool,
    /// In the bonus section: awards add to the bonus, capped by `cap`.
    pub bonus: bool,
    /// The most a no-base node deducts, or a bonus node awards, in all.
    pub cap: Option<Expr>,
    /// Where the node's deductions go when it has no base.
    pub target: Target,
    pub rules: Vec<RuleDef>,
    /// Caps shared by several rules (`cap N { ... }`), indexed by `RuleDef::block`.
    pub blocks: Vec<Expr>,
    pub children: Vec<u32>,
    pub parent: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Target {
    /// Off the enclosing node (the default).
    Parent,
    /// Off the unit's total.
    Total,
    /// Off the pooled scores of `members` (siblings under `settle_at`); with
    /// `then_total`, what the pool cannot absorb goes to the total, and such
    /// deductions are applied after the pool's others.
    Pool {
        settle_at: u32,
        members: Vec<u32>,
        then_total: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleKind {
    Award,
    Deduct,
    Veto,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDef {
    pub kind: RuleKind,
    /// The id the trace cites: the clause, or the part/item holding the rule.
    pub cite: String,
    /// The rule as written, for explanations.
    pub source: String,
    pub amount: Amount,
    pub cap: Option<Expr>,
    /// `if C`: the rule applies only when C holds.
    pub condition: Option<Expr>,
    /// `unless U`: an exemption; the rule does not apply when U holds, and
    /// explanations show what it would have given or taken.
    #[serde(default)]
    pub unless: Option<Expr>,
    /// Index into the node's `blocks`.
    pub block: Option<u32>,
    /// `None` = the node's own target.
    pub target: Option<Target>,
    /// `times F [when C]`: a multiplier applied to the amount before its cap.
    #[serde(default)]
    pub times: Option<Times>,
    /// Decimal places the amount is rounded to (half away from zero), after
    /// its multiplier and before its cap; `None`: exact.
    #[serde(default)]
    pub round: Option<u32>,
    /// Where the rule's amount ends up, worked out once by the checker
    /// ([`settlement`]); the evaluator, the checker's cap checks and the
    /// reports all read it.
    pub settle: Settlement,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Times {
    pub factor: Expr,
    /// The multiplier applies only when this holds.
    pub when: Option<Expr>,
    /// The modifier as written, for explanations.
    pub source: String,
}

/// What an aggregate over the batch computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AcrossFn {
    Max,
    Min,
    Mean,
    Sum,
    /// How many units satisfy the condition.
    Count,
}

impl AcrossFn {
    /// The words a report uses for the value ("最高值 95.2（甲县）").
    pub fn words(self) -> &'static str {
        match self {
            AcrossFn::Max => "最高值",
            AcrossFn::Min => "最低值",
            AcrossFn::Mean => "平均值",
            AcrossFn::Sum => "合计",
            AcrossFn::Count => "单位数",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcrossDef {
    pub func: AcrossFn,
    /// Evaluated for each unit (units where it is missing are left out).
    pub expr: Expr,
    /// Only units where this holds take part.
    pub filter: Option<Expr>,
    /// The expression as written, for explanations.
    pub source: String,
}

/// Where a rule's amount settles, and the caps it meets on the way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub to: SettleTo,
    /// The node where it settles: the node that takes it (`Node`), where the
    /// pool's parts meet (`Pool`), where it leaves the table for the total
    /// (`Total`: the first node with a base on the way, or the root), the
    /// rule's own node (`Award`, `Veto`), or the root (`Nowhere`).
    pub at: u32,
    /// The nodes without a base on the way whose `cap` bounds what passes
    /// through them, from the rule's node upwards.
    pub caps: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SettleTo {
    /// Added to the score of its node (in the bonus section: to the bonus).
    Award,
    /// No amount.
    Veto,
    /// Taken off the score of `at`, a node with a base, within `at`'s `cap`;
    /// what it cannot absorb is lost (扣完为止).
    Node,
    /// Taken off the pooled scores of `members` (children of `at`); with
    /// `then_total` what they cannot absorb goes to the total, and these
    /// deductions are applied after the pool's others.
    Pool { members: Vec<u32>, then_total: bool },
    /// Off the unit's total.
    Total,
    /// Reaches the top of a table without a base: taken nowhere.
    Nowhere,
}

impl SettleTo {
    pub fn is_total(&self) -> bool {
        matches!(self, SettleTo::Total)
    }
}

/// Work out where a rule of `kind` on node `from`, with its own `target`
/// (`None` = the node's), settles. Needs every node's `points`, `bonus`,
/// `cap`, `target` and `parent` set. The one statement of how deductions
/// travel up the table: a node with a base keeps its own deductions and takes
/// those its parts pass up to it; a node without one passes them to its
/// target (its parent, a pool of parts, or the total), bounding them by its
/// `cap` on the way; deductions for the total leave at the first node with a
/// base, or at the root.
pub fn settlement(
    nodes: &[NodeDef],
    from: u32,
    kind: RuleKind,
    target: Option<&Target>,
) -> Settlement {
    let done = |to: SettleTo, at: u32, caps: Vec<u32>| Settlement { to, at, caps };
    match kind {
        RuleKind::Award => return done(SettleTo::Award, from, Vec::new()),
        RuleKind::Veto => return done(SettleTo::Veto, from, Vec::new()),
        RuleKind::Deduct => {}
    }
    let Some(origin) = nodes.get(from as usize) else {
        return done(SettleTo::Nowhere, from, Vec::new());
    };
    let mut target = match target {
        Some(t) => t,
        None if origin.has_base() => return done(SettleTo::Node, from, Vec::new()),
        None => &origin.target,
    };
    let mut caps = Vec::new();
    let mut at = from;
    // Each step goes one node up; a tree has fewer levels than nodes.
    for _ in 0..=nodes.len() {
        let Some(n) = nodes.get(at as usize) else {
            break;
        };
        if at != from && matches!(target, Target::Parent) {
            if n.has_base() {
                return done(SettleTo::Node, at, caps);
            }
            target = &n.target;
        }
        if let Target::Pool {
            settle_at,
            members,
            then_total,
        } = target
        {
            if *settle_at == at {
                let to = SettleTo::Pool {
                    members: members.clone(),
                    then_total: *then_total,
                };
                return done(to, at, caps);
            }
        }
        if n.caps_what_passes() {
            caps.push(at);
        }
        if matches!(target, Target::Total) && (n.has_base() || n.parent.is_none()) {
            return done(SettleTo::Total, at, caps);
        }
        match n.parent {
            Some(p) => at = p,
            None => break,
        }
    }
    done(SettleTo::Nowhere, at, caps)
}

impl NodeDef {
    /// Scored out of its own `points`.
    pub fn has_base(&self) -> bool {
        self.points.is_some()
    }
    /// Only deducts (不设基础分): no base, not in the bonus section. Its
    /// score is minus what its deductions took.
    pub fn deducts_only(&self) -> bool {
        self.points.is_none() && !self.bonus
    }
    /// Its `cap` bounds the deductions passing through it.
    pub fn caps_what_passes(&self) -> bool {
        self.deducts_only() && self.cap.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Amount {
    /// A veto has no amount.
    None,
    Expr(Expr),
    Each {
        rate: Expr,
        count: Expr,
    },
    /// rate × steps, steps = floor (or ceil) of max(0, gap) / step, where gap
    /// is target − actual (`below`) or actual − target (`above`).
    Steps {
        rate: Expr,
        step: Expr,
        actual: Expr,
        target: Expr,
        above: bool,
        ceil: bool,
    },
    /// round(max × min(1, ratio), places), or 0 when ratio < floor.
    Proportion {
        max: Expr,
        ratio: Expr,
        floor: Option<Expr>,
        places: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Builtin {
    Total,
    Base,
    Bonus,
    Vetoed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Func {
    Min,
    Max,
    Clamp,
    Floor,
    Ceil,
    Round,
    Abs,
    Count,
    Sorted,
    Gaps,
    Ladder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Agg {
    Sum,
    Max,
    Min,
    Count,
    Any,
    All,
    Mean,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    Num(Decimal),
    Bool(bool),
    Str(String),
    /// Days since 1970-01-01.
    Date(i32),
    List(Vec<Expr>),
    Input(u32),
    Global(u32),
    Param(u32),
    Let(u32),
    Local(u32),
    Rank(u32),
    /// The value of `Program::across[i]` for the batch.
    Across(u32),
    Builtin(Builtin),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    /// `agg(body for l0 in e0 for l1 in e1 where filter)`; `loops` holds
    /// (local slot, list expression).
    Agg {
        agg: Agg,
        body: Box<Expr>,
        loops: Vec<(u32, Expr)>,
        filter: Option<Box<Expr>>,
    },
    /// A record's field by index.
    Field(Box<Expr>, u32),
    /// A group's key or size.
    GroupKey(Box<Expr>),
    GroupCount(Box<Expr>),
    Table(u32, Vec<Expr>),
    /// `is missing` (true) / `is given` (false).
    IsMissing(Box<Expr>, bool),
    GroupBy(Box<Expr>, u32),
    Tiers(Box<Expr>, Vec<TierDef>),
}

impl Expr {
    /// Each expression directly inside this one, in a fixed order: a
    /// list's items, an operation's operands, a condition then its two
    /// branches, an aggregate's body, `where` and lists, a table's keys,
    /// tiers' subject then each tier's amount and bounds.
    pub fn each_child<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match self {
            Expr::Num(_)
            | Expr::Bool(_)
            | Expr::Str(_)
            | Expr::Date(_)
            | Expr::Input(_)
            | Expr::Global(_)
            | Expr::Param(_)
            | Expr::Let(_)
            | Expr::Local(_)
            | Expr::Rank(_)
            | Expr::Across(_)
            | Expr::Builtin(_) => {}
            Expr::List(xs) | Expr::Call(_, xs) | Expr::Table(_, xs) => xs.iter().for_each(f),
            Expr::Not(x)
            | Expr::Neg(x)
            | Expr::Field(x, _)
            | Expr::GroupKey(x)
            | Expr::GroupCount(x)
            | Expr::IsMissing(x, _)
            | Expr::GroupBy(x, _) => f(x),
            Expr::Bin(_, a, b) => {
                f(a);
                f(b);
            }
            Expr::If(c, a, b) => {
                f(c);
                f(a);
                f(b);
            }
            Expr::Agg {
                body,
                loops,
                filter,
                ..
            } => {
                f(body);
                if let Some(x) = filter {
                    f(x);
                }
                for (_, list) in loops {
                    f(list);
                }
            }
            Expr::Tiers(subject, tiers) => {
                f(subject);
                for t in tiers {
                    f(&t.amount);
                    match &t.band {
                        BandDef::Else => {}
                        BandDef::Cmp(_, b) => f(b),
                        BandDef::Interval { lo, hi, .. } => {
                            f(lo);
                            f(hi);
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BandDef {
    Else,
    Cmp(CmpOp, Expr),
    Interval {
        lo: Expr,
        lo_closed: bool,
        hi: Expr,
        hi_closed: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierDef {
    pub band: BandDef,
    pub amount: Expr,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestDef {
    pub name: String,
    /// A data file (relative to the rulebook) and the unit to check in it.
    pub data: Option<(String, Option<String>)>,
    pub given: Option<crate::ast::Value>,
    pub globals: Option<crate::ast::Value>,
    /// `units [ … ]`: the batch's units, each an object with `unit` (its
    /// name) and its inputs; over the data file's unit of that name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<crate::ast::Value>,
    pub expects: Vec<ExpectDef>,
    /// `expect error FIELD`: the fields the data must be refused for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_errors: Vec<ExpectErrorDef>,
    /// 1-based line of the test, for reports.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectErrorDef {
    /// An input, global or parameter, or a path below one (`plants[0].load_rate`).
    pub field: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExpectKey {
    Total,
    Base,
    Bonus,
    Deductions,
    Grade,
    Vetoes,
    /// The unit's place by total in its batch (competition ranking).
    Rank,
    Node {
        id: String,
        to_total: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectDef {
    /// The unit of the batch it is about; `None`: the test's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub key: ExpectKey,
    pub value: crate::ast::Value,
    pub line: usize,
}

impl Program {
    /// The items' node indices, in the document's order: a report's columns.
    pub fn items(&self) -> impl Iterator<Item = u32> + '_ {
        (0u32..)
            .zip(&self.nodes)
            .filter(|(_, n)| n.kind == NodeKind::Item)
            .map(|(i, _)| i)
    }

    pub fn node(&self, i: u32) -> Option<&NodeDef> {
        self.nodes.get(i as usize)
    }
    pub fn node_index(&self, id: &str) -> Option<u32> {
        self.nodes.iter().position(|n| n.id == id).map(|i| i as u32)
    }
}

/// The value of a constant expression (a number, or arithmetic on
/// numbers that does not overflow); `None` for anything else.
pub fn const_num(e: &Expr) -> Option<Decimal> {
    match e {
        Expr::Num(v) => Some(*v),
        Expr::Neg(x) => const_num(x).map(|v| -v),
        Expr::Bin(op, a, b) => {
            let (a, b) = (const_num(a)?, const_num(b)?);
            match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Div => a.checked_div(b),
                _ => None,
            }
        }
        _ => None,
    }
}
