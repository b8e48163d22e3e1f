//! What scoring a unit gives, as data: every node's score, the trace
//! entries (a rule's amount and the numbers behind it, in [`Detail`]), the
//! facts they read, vetoes, and the errors a unit's data can meet.
//!
//! Both evaluators build these alike ([`RuleOutcome`] decides which of a
//! rule's results an entry shows); the reports put them into words
//! ([`describe`] gives a value as they show it).

use crate::value::Value;
use rulebook_lang::ir::{self, Program, RuleKind};
use rust_decimal::prelude::*;

/// Why a rule's amount is what it is, in numbers; reports turn it into words.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// An award or deduction with a condition: whether it held.
    Condition {
        met: bool,
    },
    /// An amount computed from an expression, before caps.
    Amount {
        raw: Decimal,
    },
    /// `rate each count`.
    Each {
        rate: Decimal,
        count: Decimal,
        raw: Decimal,
    },
    /// `rate per step of actual below|above target` (boxed: seven numbers
    /// that would make every entry as large).
    Steps(Box<StepsDetail>),
    /// `rate per step of actual below|above target` where the actual value
    /// is not below (above) the target: no steps, and nothing.
    NoSteps {
        actual: Decimal,
        target: Decimal,
        above: bool,
    },
    /// `max in proportion to ratio` (boxed, as `Steps`).
    Proportion(Box<ProportionDetail>),
    /// An input it needs was not given: the rule does not apply.
    NotApplicable,
    /// A deduction that went to the unit's total.
    ToTotal,
    /// The part of a deduction its pool could not absorb, sent to the total.
    Overflow,
    /// The part of a deduction that found nothing left to take (扣完为止).
    Lost,
    Veto,
    /// A value taken from a table row that cites this entry's node (a hit
    /// policy across clauses); boxed, as it is rare.
    Cited(Box<CitedDetail>),
}

/// The numbers of `max in proportion to ratio`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProportionDetail {
    pub ratio: Decimal,
    pub max: Decimal,
    pub raw: Decimal,
    pub floor: Option<Decimal>,
    pub below_floor: bool,
}

/// A value taken from a cited table row: the row's keys and value, the
/// group it was taken for (`g.key`), whether it was the largest of its
/// group, and the node holding the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct CitedDetail {
    pub from: u32,
    pub raw: Decimal,
    pub row: Vec<String>,
    pub group: Option<String>,
    pub largest: bool,
}

/// The numbers of `rate per step of actual below|above target`.
#[derive(Debug, Clone, PartialEq)]
pub struct StepsDetail {
    pub actual: Decimal,
    pub target: Decimal,
    pub gap: Decimal,
    pub step: Decimal,
    pub steps: Decimal,
    pub rate: Decimal,
    pub raw: Decimal,
    pub above: bool,
    pub ceil: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TraceEntry {
    /// The node whose rule this is.
    pub node: u32,
    /// The rule's index in the node, if the entry comes from a rule.
    pub rule: Option<u32>,
    /// Points gained (+) or lost (−) by this entry.
    pub amount: Decimal,
    pub detail: Detail,
    /// The facts the rule's condition and amount read, so an explanation
    /// can say what the unit reported ([`Fact::label`], [`Fact::push_value`]): where they are
    /// among the unit's [`UnitResult::facts`] (read with
    /// [`UnitResult::facts_of`]).
    pub facts: Facts,
    /// What changed the amount on its way, when anything did (read with
    /// [`TraceEntry::capped_at`] and its neighbours): the two commonest kept
    /// here, the rest boxed, as most entries have none of them.
    capped_at: Option<Decimal>,
    /// Records left out by a `where`, of how many (none when of none).
    excluded: [u32; 2],
    adjusted: Option<Box<Adjusted>>,
}

/// What changed a trace entry's amount on its way.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Adjusted {
    /// The cap that cut the amount, if any.
    pub capped_at: Option<Decimal>,
    /// `times F`: the amount before the multiplier, and the factor.
    pub scaled: Option<(Decimal, Decimal)>,
    /// `unless U` held: what the rule would have given or taken (the entry's
    /// own amount is then 0).
    pub waived: Option<Decimal>,
    /// The amount before the rule's rounding, and the places it was rounded to.
    pub rounded: Option<(Decimal, u32)>,
    /// An amount over a list with `where`: how many records the condition
    /// left out, of how many.
    pub excluded: Option<(u32, u32)>,
}

impl TraceEntry {
    /// Whether the entry holds anything on the heap (a boxed detail or
    /// adjustment). Most do not, and a unit's trace lets those go without
    /// a call to drop each (`compiled::walk::let_go`). Every field and
    /// every kind of detail is named, so a new one must be placed here.
    pub(crate) fn owns_heap(&self) -> bool {
        let TraceEntry {
            node: _,
            rule: _,
            amount: _,
            detail,
            facts: _,
            capped_at: _,
            excluded: _,
            adjusted,
        } = self;
        adjusted.is_some()
            || match detail {
                Detail::Steps(_) | Detail::Proportion(_) | Detail::Cited(_) => true,
                Detail::Condition { .. }
                | Detail::Amount { .. }
                | Detail::Each { .. }
                | Detail::NoSteps { .. }
                | Detail::NotApplicable
                | Detail::ToTotal
                | Detail::Overflow
                | Detail::Lost
                | Detail::Veto => false,
            }
    }

    /// An entry whose amount nothing adjusted.
    pub fn new(
        node: u32,
        rule: Option<u32>,
        amount: Decimal,
        detail: Detail,
        facts: Facts,
    ) -> Self {
        TraceEntry::adjusted(node, rule, amount, detail, facts, Adjusted::default())
    }

    /// An entry whose amount `adjusted` says what changed on its way.
    #[inline(always)]
    pub fn adjusted(
        node: u32,
        rule: Option<u32>,
        amount: Decimal,
        detail: Detail,
        facts: Facts,
        adjusted: Adjusted,
    ) -> Self {
        let Adjusted {
            capped_at,
            scaled,
            waived,
            rounded,
            excluded,
        } = adjusted;
        let rare = scaled.is_some() || waived.is_some() || rounded.is_some();
        TraceEntry {
            node,
            rule,
            amount,
            detail,
            facts,
            capped_at,
            excluded: match excluded {
                Some((out, of)) if of > 0 => [out, of],
                _ => [0, 0],
            },
            adjusted: rare.then(|| {
                Box::new(Adjusted {
                    scaled,
                    waived,
                    rounded,
                    ..Adjusted::default()
                })
            }),
        }
    }

    /// The cap that cut the amount, if any.
    pub fn capped_at(&self) -> Option<Decimal> {
        self.capped_at
    }

    /// `times F`: the amount before the multiplier, and the factor.
    pub fn scaled(&self) -> Option<(Decimal, Decimal)> {
        self.adjusted.as_ref().and_then(|a| a.scaled)
    }

    /// `unless U` held: what the rule would have given or taken.
    pub fn waived(&self) -> Option<Decimal> {
        self.adjusted.as_ref().and_then(|a| a.waived)
    }

    /// The amount before the rule's rounding, and the places.
    pub fn rounded(&self) -> Option<(Decimal, u32)> {
        self.adjusted.as_ref().and_then(|a| a.rounded)
    }

    /// How many records a `where` left out, of how many.
    pub fn excluded(&self) -> Option<(u32, u32)> {
        let [out, of] = self.excluded;
        (of > 0).then_some((out, of))
    }

    /// Note the cap that cut the amount.
    pub fn set_capped_at(&mut self, cap: Option<Decimal>) {
        self.capped_at = cap;
    }
}

/// What one rule of a node came to, as its trace entry shows it: both
/// evaluators make a rule's entry from this.
pub(crate) struct RuleOutcome {
    pub kind: RuleKind,
    /// Its condition held and no `unless` did.
    pub met: bool,
    /// An `unless` held on a deduction.
    pub waived: bool,
    /// Its amount before caps (0 once waived).
    pub raw: Decimal,
    /// What it gave or took, caps applied.
    pub amount: Decimal,
    pub detail: Option<Detail>,
    pub adjusted: Adjusted,
}

impl RuleOutcome {
    /// Whether an explanation shows the rule: an award, met or not; a
    /// deduction of something; one an `unless` waived or a `where` left
    /// records out of; one whose data was not given.
    #[inline(always)]
    pub(crate) fn shown(&self) -> bool {
        self.adjusted.waived.is_some()
            || (!self.waived
                && (self.kind == RuleKind::Award
                    || !self.raw.is_zero()
                    || self.adjusted.excluded.is_some()
                    || matches!(self.detail, Some(Detail::NotApplicable))))
    }

    /// The trace entry of rule `rule` of node `node`, with the facts it read.
    #[inline(always)]
    pub(crate) fn entry(self, node: u32, rule: u32, facts: Facts) -> TraceEntry {
        let amount = if self.kind == RuleKind::Award {
            self.amount
        } else {
            -self.amount
        };
        let detail = self.detail.unwrap_or(Detail::Condition { met: self.met });
        TraceEntry::adjusted(node, Some(rule), amount, detail, facts, self.adjusted)
    }
}

/// Where a trace entry's facts are among its unit's [`UnitResult::facts`]:
/// a unit's facts are kept together, not in a list per entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    pub start: u32,
    pub len: u32,
}

impl Facts {
    /// Keep `facts` at the end of a unit's `all`; where they went.
    pub fn keep(all: &mut Vec<Fact>, facts: impl IntoIterator<Item = Fact>) -> Facts {
        let start = all.len();
        all.extend(facts);
        Facts {
            start: start as u32,
            len: (all.len() - start) as u32,
        }
    }
}

/// A fact a rule read, kept as the value itself and put into words only
/// when a report shows it ([`Fact::push_value`]): keeping reasons costs little.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// An input's value (by its index in `Program::inputs`).
    Input(u32, Value),
    /// A global's value.
    Global(u32, Value),
    /// A parameter's value for the unit.
    Param(u32, Value),
    /// A derived value, worked out while scoring.
    Let(u32, Value),
    /// A batch aggregate, already in words (label, value); boxed, as it is
    /// rare and would make every fact as large.
    Words(Box<(String, String)>),
}

impl Fact {
    /// Whether the fact holds anything on the heap (as
    /// [`TraceEntry::owns_heap`]).
    pub(crate) fn owns_heap(&self) -> bool {
        match self {
            Fact::Input(_, v) | Fact::Global(_, v) | Fact::Param(_, v) | Fact::Let(_, v) => {
                v.owns_heap()
            }
            Fact::Words(_) => true,
        }
    }

    /// The fact's label, as a reason names it ("城市环境空气质量优良天数比率"):
    /// the input's (its name when it has no label), the derived value's,
    /// or the fact's own; the program's text, not a copy.
    pub fn label<'a>(&'a self, program: &'a Program) -> &'a str {
        let named = |label: &'a str, name: &'a str| if label.is_empty() { name } else { label };
        let input = |def: Option<&'a ir::InputDef>| def.map_or("", |d| named(&d.label, &d.name));
        match self {
            Fact::Input(i, _) => input(program.inputs.get(*i as usize)),
            Fact::Global(i, _) => input(program.globals.get(*i as usize)),
            Fact::Param(i, _) => input(program.params.get(*i as usize).map(|p| &p.input)),
            Fact::Let(i, _) => program
                .lets
                .get(*i as usize)
                .map_or("", |def| named(&def.label, &def.name)),
            Fact::Words(w) => w.0.as_str(),
        }
    }

    /// The fact's value in words ("96.5"; a derived value with its unit,
    /// "92.5%"), written after `out` (a reason's text).
    pub fn push_value(&self, program: &Program, out: &mut String) {
        match self {
            Fact::Input(_, v) | Fact::Global(_, v) | Fact::Param(_, v) => push_described(out, v),
            Fact::Let(i, v) => {
                if let Some(def) = program.lets.get(*i as usize) {
                    push_let_value(out, def, v);
                }
            }
            Fact::Words(w) => out.push_str(&w.1),
        }
    }
}

/// An aggregate over the batch (`max(E across units)`), with the unit that
/// holds it for `max` and `min`.
#[derive(Debug, Clone, PartialEq)]
pub struct AcrossValue {
    pub value: Value,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NodeScore {
    /// The node's score; for a node without a base, minus what it took.
    pub score: Decimal,
    /// What the node (with its parts) sends to the unit's total.
    pub to_total: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Veto {
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitResult {
    pub unit: String,
    pub base: Decimal,
    pub bonus: Decimal,
    pub total: Decimal,
    pub total_deductions: Decimal,
    pub grade: String,
    pub vetoes: Vec<Veto>,
    /// Indexed like `Program::nodes`.
    pub nodes: Vec<NodeScore>,
    pub trace: Vec<TraceEntry>,
    /// The facts the trace's entries read, each entry's together
    /// ([`TraceEntry::facts`]).
    pub facts: Vec<Fact>,
    /// Rank by total among the batch (competition ranking), set by `evaluate_batch`.
    pub rank: u32,
    /// base − deductions before the rulebook's floor raised it (`floor`), when it did.
    pub floored: Option<Decimal>,
}

impl UnitResult {
    /// Its figures (name, totals, grade, vetoes, rank) taken out, without
    /// its node scores, trace and facts: those are left here, so that a
    /// lent result's lists are filled again for the next unit rather than
    /// made anew.
    pub fn take_figures(&mut self) -> UnitResult {
        UnitResult {
            unit: std::mem::take(&mut self.unit),
            base: self.base,
            bonus: self.bonus,
            total: self.total,
            total_deductions: self.total_deductions,
            grade: std::mem::take(&mut self.grade),
            vetoes: std::mem::take(&mut self.vetoes),
            nodes: Vec::new(),
            trace: Vec::new(),
            facts: Vec::new(),
            rank: self.rank,
            floored: self.floored,
        }
    }

    /// The facts trace entry `e` (one of this unit's) read.
    pub fn facts_of(&self, e: &TraceEntry) -> &[Fact] {
        let start = e.facts.start as usize;
        self.facts
            .get(start..start + e.facts.len as usize)
            .unwrap_or(&[])
    }

    /// The ids of the vetoes that apply, joined by `sep`.
    pub fn veto_ids(&self, sep: &str) -> String {
        self.vetoes
            .iter()
            .map(|v| v.id.as_str())
            .collect::<Vec<_>>()
            .join(sep)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub unit: String,
    pub node: String,
    pub message: String,
}

/// How `div` ends its message, and how [`EvalError::help`] knows it.
pub(super) const DIVISION_BY_ZERO: &str = "division by zero";

impl EvalError {
    /// What to do about it, for the errors a rulebook can meet on some data
    /// only (its check cannot know the values).
    pub fn help(&self) -> Option<&'static str> {
        self.message.ends_with(DIVISION_BY_ZERO).then_some(
            "a number this rule divides by is 0 for this unit: if the data may hold 0, write what \
             the document means then (`if task = 0 then … else …`); if it never may, declare the \
             input's range (`input task: count >= 1 \"…\"`) so that `check --data` refuses a 0",
        )
    }
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unit `{}`, `{}`: {}", self.unit, self.node, self.message)
    }
}

/// A derived value in words, with its unit ("92.5%"), after `out`.
fn push_let_value(out: &mut String, def: &ir::LetDef, v: &Value) {
    match (v, &def.ty) {
        (Value::Num(d), ir::Type::Num(u)) => {
            let (d, places) = match u {
                ir::Unit::Pct => (*d, 2),
                ir::Unit::Ratio => (d.saturating_mul(Decimal::ONE_HUNDRED), 2),
                _ => (*d, 4),
            };
            // A value such as 2/3 is shown to a few places, marked as rounded.
            let shown = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
            if shown != d {
                out.push('约');
            }
            push_described(out, &Value::Num(shown));
            // (A ratio is shown as the percentage it makes.)
            if *u == ir::Unit::Ratio {
                out.push('%');
            } else {
                crate::value::push_unit(out, *u);
            }
        }
        _ => push_described(out, v),
    }
}

/// A value in words, as a report shows it.
pub fn describe(v: &Value) -> String {
    let mut s = String::new();
    push_described(&mut s, v);
    s
}

/// [`describe`]'s words for `v`, written after `out`.
pub fn push_described(out: &mut String, v: &Value) {
    match v {
        Value::Missing => out.push_str("未填报"),
        Value::Bool(true) => out.push('是'),
        Value::Bool(false) => out.push('否'),
        Value::Num(d) => {
            // (Writing to a String cannot fail.)
            let _ = crate::value::write_dec_to(out, *d);
        }
        Value::Date(d) => out.push_str(&crate::value::format_date(*d)),
        Value::Text(t) => out.push_str(t),
        Value::List(l) => {
            let _ = std::fmt::Write::write_fmt(out, format_args!("{} 项", l.len()));
        }
        Value::Record(_) => out.push_str("记录"),
        Value::Group(g) => {
            let _ = std::fmt::Write::write_fmt(out, format_args!("{} 项", g.1.len()));
        }
    }
}
