//! The syntax tree of a `.rules` file, as written.
//!
//! Comes from [`crate::parse`]; goes to [`crate::check`](mod@crate::check). Every node carries a
//! [`Span`] of byte offsets into the whole source, so any later stage can point
//! at the text it is talking about. Nothing here is resolved or typed yet.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Byte offsets `[start, end)` into the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start, s.len()).into()
    }
}

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

pub type Ident = Spanned<String>;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub title: Option<Spanned<String>>,
    pub document: Option<Spanned<String>>,
    pub inputs: Vec<InputDecl>,
    pub lets: Vec<LetDecl>,
    pub tables: Vec<TableDecl>,
    pub grades: Vec<GradeDecl>,
    pub tests: Vec<TestDecl>,
    /// `floor N` / `floor none`: the lowest the total may go (`None` inside:
    /// no floor); absent means 0.
    pub floor: Option<Spanned<Option<Decimal>>>,
    /// `round N` / `round none` at the top: how every amount is rounded
    /// unless its rule says otherwise.
    pub round: Option<Spanned<Option<u32>>>,
    /// `year 2024` or `year from GLOBAL`: the year parameters given by year use.
    pub year: Option<Spanned<YearDecl>>,
    /// The top level is the body of the root node (the whole table).
    pub root: NodeBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum YearDecl {
    Fixed(i32),
    /// Read from a global the data gives.
    From(Ident),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A fact about each assessed unit.
    Unit,
    /// A fact shared by every unit (`globals` in data files).
    Global,
    /// A value the document fixes per unit, overridable in data (`params`).
    Param,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputDecl {
    pub kind: InputKind,
    pub name: Ident,
    pub ty: TypeExpr,
    pub label: Option<Spanned<String>>,
    /// For parameters: the value for each named unit.
    pub values: Vec<(Spanned<String>, Spanned<Decimal>)>,
    /// For parameters given by year: `2006: 345`, `"乙" 2006: 350`.
    pub by_year: Vec<YearValue>,
    pub span: Span,
}

/// A parameter's value for a year, for one unit or (`unit: None`) every unit.
#[derive(Debug, Clone, PartialEq)]
pub struct YearValue {
    pub unit: Option<Spanned<String>>,
    pub year: Spanned<i32>,
    pub value: Spanned<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub optional: bool,
    pub body: TypeBody,
    pub range: Vec<(CmpOp, Spanned<Decimal>)>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeBody {
    Scalar(String),
    Enum(Vec<Spanned<String>>),
    List(Box<TypeExpr>),
    Record(Vec<FieldDecl>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub label: Option<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LetDecl {
    pub name: Ident,
    pub value: Expr,
    pub label: Option<Spanned<String>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableDecl {
    pub name: Ident,
    pub label: Option<Spanned<String>>,
    pub rows: Vec<TableRow>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub keys: Vec<Spanned<String>>,
    pub value: Spanned<Decimal>,
    /// `cite 18.1.1`: the clause a value from this row is reported under.
    pub cite: Option<Spanned<String>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GradeDecl {
    pub name: Spanned<String>,
    /// `None` for `otherwise`.
    pub condition: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Root,
    Section,
    Item,
    Part,
    Clause,
}

impl NodeKind {
    pub fn word(self) -> &'static str {
        match self {
            NodeKind::Root => "rulebook",
            NodeKind::Section => "section",
            NodeKind::Item => "item",
            NodeKind::Part => "part",
            NodeKind::Clause => "clause",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub id: Spanned<String>,
    /// The title (sections, items, parts) or the original sentence (clauses).
    pub title: Option<Spanned<String>>,
    pub body: NodeBody,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeBody {
    pub points: Option<Spanned<Decimal>>,
    pub no_base: Option<Span>,
    pub bonus: Option<Span>,
    pub by: Vec<Spanned<String>>,
    pub text: Vec<Spanned<String>>,
    pub cap: Option<Expr>,
    pub target: Option<Spanned<Target>>,
    pub rules: Vec<RuleOrBlock>,
    pub children: Vec<Node>,
    /// `todo "why"`: a rule still to write (spans cover the statement).
    pub todos: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The amount comes off the unit's total.
    Total,
    /// The amount comes off the pooled scores of the named sibling nodes;
    /// with `then total`, what the pool cannot absorb goes to the total.
    Off {
        ranges: Vec<(Spanned<String>, Option<Spanned<String>>)>,
        then_total: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleOrBlock {
    Rule(Box<Rule>),
    /// `cap N { rules }`: the rules' amounts together are capped at N.
    Block {
        cap: Expr,
        rules: Vec<Rule>,
        span: Span,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Award,
    Deduct,
    Veto,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub kind: RuleKind,
    pub amount: Option<Amount>,
    pub cap: Option<Expr>,
    pub condition: Option<Expr>,
    pub unless: Option<Expr>,
    pub partial_steps: bool,
    /// `round N` (`Some(N)`) or `round none` (`None` inside).
    pub round: Option<Spanned<Option<u32>>>,
    /// `if C else AMOUNT`: the amount when the condition fails.
    pub otherwise: Option<Expr>,
    /// `times F [when C]`: a multiplier on the amount.
    pub times: Option<Times>,
    pub target: Option<Spanned<Target>>,
    pub span: Span,
}

/// `times FACTOR [when COND]`: the amount is multiplied by FACTOR (when COND holds).
#[derive(Debug, Clone, PartialEq)]
pub struct Times {
    pub factor: Expr,
    pub when: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Below,
    Above,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Amount {
    /// `E`
    Plain(Expr),
    /// `RATE each COUNT`
    Each { rate: Expr, count: Expr },
    /// `RATE per STEP of ACTUAL below|above TARGET`
    Steps {
        rate: Expr,
        step: Expr,
        actual: Expr,
        direction: Direction,
        target: Expr,
    },
    /// `MAX in proportion to RATIO [, nothing below FLOOR]`
    Proportion {
        max: Expr,
        ratio: Expr,
        floor: Option<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    pub band: Band,
    pub amount: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Band {
    Else,
    Cmp(CmpOp, Expr),
    /// Inclusive `A to B`, or an interval with open/closed ends.
    Interval {
        lo: Expr,
        lo_closed: bool,
        hi: Expr,
        hi_closed: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "≠",
            CmpOp::Lt => "<",
            CmpOp::Le => "≤",
            CmpOp::Gt => ">",
            CmpOp::Ge => "≥",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinOp {
    Or,
    And,
    Cmp(CmpOp),
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

pub type Expr = Spanned<ExprKind>;

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(Decimal, Option<String>),
    Date(String),
    Str(String),
    Bool(bool),
    List(Vec<Expr>),
    Name(String),
    /// `total`, `base`, `bonus`, `vetoed` (in grades).
    Builtin(String),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    /// `f(E for x in L for y in M where C)`
    Comprehension {
        func: Ident,
        body: Box<Expr>,
        fors: Vec<(Ident, Expr)>,
        filter: Option<Box<Expr>>,
    },
    /// `f(x in L where C)`
    Binder {
        func: Ident,
        var: Ident,
        list: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
    Field(Box<Expr>, Ident),
    Index(Box<Expr>, Vec<Expr>),
    IsMissing(Box<Expr>, bool),
    GroupedBy(Box<Expr>, Ident),
    /// `tiers X { band: amount ... }`: the first band that holds wins.
    Tiers(Box<Expr>, Vec<Tier>),
    /// `cases { COND: AMOUNT ... else: AMOUNT }`: the first condition that
    /// holds gives the value (`None` is `else`).
    Cases(Vec<(Option<Expr>, Expr)>),
    /// `f(E across units [where C])`: an aggregate over every unit of the batch.
    AcrossUnits {
        func: Ident,
        body: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    pub name: Spanned<String>,
    pub data: Option<(Spanned<String>, Option<Spanned<String>>)>,
    pub given: Option<Spanned<Value>>,
    pub globals: Option<Spanned<Value>>,
    /// `units [ { unit: "甲", … }, … ]`: a batch of units.
    pub units: Option<Spanned<Value>>,
    pub expects: Vec<Expect>,
    /// `expect error FIELD`: the data must be refused, naming FIELD.
    pub expect_errors: Vec<Spanned<String>>,
    /// Statements written a second time (`given`, `globals`, `data`,
    /// `units`): the first is kept, these are reported by the checker.
    pub repeated: Vec<Repeated>,
    pub span: Span,
}

/// A test statement that may be written once, written again.
#[derive(Debug, Clone, PartialEq)]
pub struct Repeated {
    /// The statement's keyword (`given`, `globals`, `data`, `units`).
    pub what: &'static str,
    pub first: Span,
    pub again: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExpectTarget {
    Total,
    Base,
    Bonus,
    Deductions,
    Grade,
    Vetoes,
    /// The unit's place by total in its batch.
    Rank,
    Node {
        id: String,
        to_total: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// `expect "甲" total = …`: the unit of the test's batch it is about.
    pub unit: Option<Spanned<String>>,
    pub target: Spanned<ExpectTarget>,
    pub value: Spanned<Value>,
    pub span: Span,
}

/// A literal datum in a test: the same shapes as JSON, with dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Decimal),
    Str(String),
    Date(String),
    List(Vec<Value>),
    Object(Vec<(String, Value)>),
}
