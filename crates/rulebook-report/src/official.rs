//! The official table's rows: what the xlsx and HTML reports lay out.
//!
//! In: a checked [`Program`] (and, per unit, its [`UnitResult`]). Out: the
//! document's table — sections (一级指标) holding items (二级指标) with
//! points (分值), responsible units (考核单位) and the original sentences
//! (计分标准) — and, for a unit, each item's score and the notes that
//! explain it (扣分说明: every point lost, or for a bonus item gained,
//! with the clause it comes from and the clause's sentence).

use crate::fmt_dec;
use crate::markdown::is_under;
use crate::reason::{reason, rule_of};
use rulebook_eval::eval::{Detail, TraceEntry, UnitResult};
use rulebook_lang::ir::{Amount, Expr, NodeDef, NodeKind, Program, RuleKind};
use rust_decimal::Decimal;

/// A section (一级指标) and its items, in document order.
#[derive(Debug, Clone)]
pub struct Section {
    pub node: u32,
    /// `一、“党政同责、一岗双责”`.
    pub label: String,
    pub bonus: bool,
    pub points: Option<Decimal>,
    /// The section's cap when it is a number (加分上限).
    pub cap: Option<Decimal>,
    /// The section's own sentences.
    pub text: Vec<String>,
    /// The section's responsible units (考核单位), when it names them.
    pub by: Vec<String>,
    pub items: Vec<Item>,
}

/// An item (二级指标): one row of the table.
#[derive(Debug, Clone)]
pub struct Item {
    pub node: u32,
    pub id: String,
    /// `1．…` (the document's numbering and title).
    pub label: String,
    pub points: Option<Decimal>,
    /// Deductions go to the unit's total (no base of its own).
    pub to_total_only: bool,
    /// One line per part (after a line for the item's own sentences and
    /// units, if it has any): 考核单位 and 计分标准, the document's
    /// sentences of the part and its clauses, in order.
    pub lines: Vec<Line>,
}

/// One part of an item (or the item itself): a row of the xlsx table.
#[derive(Debug, Clone)]
pub struct Line {
    /// The part, or the item for its own sentences.
    pub node: u32,
    pub by: Vec<String>,
    pub criteria: Vec<String>,
}

/// One line of 扣分说明 (or, in the bonus section, of what was gained).
#[derive(Debug, Clone)]
pub struct Note {
    /// The clause (or part, or item) cited.
    pub cite: String,
    /// Points gained (+) or lost (−); zero for an award not earned or a
    /// deduction that found nothing left to take.
    pub amount: Decimal,
    /// The reason in words (`reason`).
    pub reason: String,
    /// For an award not earned (or earned in part): the points not gained.
    pub missed: Option<Decimal>,
    /// The cited node's original sentence.
    pub sentence: String,
}

impl Note {
    /// `5.1.1 扣3分：…`.
    pub fn line(&self) -> String {
        if let Some(m) = self.missed {
            let what = if self.amount > Decimal::ZERO {
                "少得"
            } else {
                "未得"
            };
            format!("{} {what}{}分：{}", self.cite, fmt_dec(m), self.reason)
        } else if self.amount < Decimal::ZERO {
            format!(
                "{} 扣{}分：{}",
                self.cite,
                fmt_dec(-self.amount),
                self.reason
            )
        } else if self.amount > Decimal::ZERO {
            format!(
                "{} 加{}分：{}",
                self.cite,
                fmt_dec(self.amount),
                self.reason
            )
        } else {
            format!("{}：{}", self.cite, self.reason)
        }
    }
}

/// A title longer than this is a sentence, not a name.
const LONG_TITLE: usize = 30;

fn node(program: &Program, i: u32) -> Option<&NodeDef> {
    program.nodes.get(i as usize)
}

/// The sections of the table, base sections first, bonus sections after.
pub fn sections(program: &Program) -> Vec<Section> {
    let mut out = Vec::new();
    let root_children = program.nodes.first().map_or(&[][..], |r| &r.children[..]);
    for &s in root_children {
        let Some(sec) = node(program, s) else {
            continue;
        };
        let mut items = Vec::new();
        let item_ids: Vec<u32> = if sec.kind == NodeKind::Item {
            vec![s]
        } else {
            sec.children.clone()
        };
        for i in item_ids {
            if let Some(it) = node(program, i) {
                items.push(item(program, i, it));
            }
        }
        let cap = match &sec.cap {
            Some(Expr::Num(n)) => Some(*n),
            _ => None,
        };
        out.push(Section {
            node: s,
            label: section_label(sec),
            bonus: sec.bonus,
            points: sec.points,
            cap,
            text: sec.text.clone(),
            by: sec.by.clone(),
            items,
        });
    }
    // Bonus sections after the base ones, each group in document order.
    out.sort_by_key(|s| s.bonus);
    out
}

fn section_label(sec: &NodeDef) -> String {
    if sec.title.is_empty() || sec.title.starts_with(sec.id.as_str()) {
        return sec.title.clone();
    }
    let numbered = sec.id.chars().all(|c| "一二三四五六七八九十百".contains(c));
    if numbered {
        format!("{}、{}", sec.id, sec.title)
    } else {
        sec.title.clone()
    }
}

fn item(program: &Program, i: u32, it: &NodeDef) -> Item {
    // A bonus item's title is often its whole sentence (`（9）完成…加0.3分`):
    // its number goes in 二级指标 and the sentence in 计分标准.
    let sentence_title = it.title.starts_with('（') && it.title.chars().count() > LONG_TITLE;
    let label = if sentence_title {
        numbering(it).trim().to_owned()
    } else if it.title.starts_with('（') || it.title.starts_with(it.id.as_str()) {
        it.title.clone()
    } else {
        format!("{}．{}", it.id, it.title)
    };
    let own = if sentence_title {
        sentences(it)
    } else {
        it.text.clone()
    };
    let mut lines = Vec::new();
    if it.children.is_empty() || !own.is_empty() || !it.by.is_empty() {
        lines.push(Line {
            node: i,
            by: it.by.clone(),
            criteria: own,
        });
    }
    for &c in &it.children {
        let Some(part) = node(program, c) else {
            continue;
        };
        let mut line = Line {
            node: c,
            by: part.by.clone(),
            criteria: sentences(part),
        };
        let mut stack: Vec<u32> = part.children.iter().rev().copied().collect();
        while let Some(d) = stack.pop() {
            let Some(n) = node(program, d) else {
                continue;
            };
            if !n.by.is_empty() {
                line.by.push(format!("{}{}", numbering(n), n.by.join("、")));
            }
            line.criteria.extend(sentences(n));
            stack.extend(n.children.iter().rev().copied());
        }
        lines.push(line);
    }
    Item {
        node: i,
        id: it.id.clone(),
        label,
        points: it.points,
        to_total_only: it.deducts_only(),
        lines,
    }
}

/// `（1）` or `①` from a part's or clause's title, else its id.
fn numbering(n: &NodeDef) -> String {
    let t = n.title.trim_start();
    if t.starts_with('（') {
        if let Some(end) = t.find('）') {
            return t.get(..end + '）'.len_utf8()).unwrap_or("").to_owned();
        }
    }
    if let Some(c) = t.chars().next().filter(|c| ('①'..='⑳').contains(c)) {
        return c.to_string();
    }
    format!("{} ", n.id)
}

/// A part's or clause's lines for 计分标准: its title, then those of its
/// sentences the title does not already hold.
fn sentences(n: &NodeDef) -> Vec<String> {
    let mut out = Vec::new();
    let title = n.title.trim();
    let title_in_text = n.text.iter().any(|t| t.contains(title));
    if !title.is_empty() && !title_in_text {
        out.push(title.to_owned());
    }
    for t in &n.text {
        if title.is_empty() || !title.contains(t.trim()) || title_in_text {
            out.push(t.clone());
        }
    }
    out
}

/// The sentence a node cites: its own text, else its title.
pub fn citation(program: &Program, i: u32) -> String {
    match node(program, i) {
        Some(n) if n.text.is_empty() => n.title.clone(),
        Some(n) => n.text.join(""),
        None => String::new(),
    }
}

/// The score the table shows for an item: its score, or for an item
/// without a base, what it takes off the total (negative).
pub fn item_score(program: &Program, u: &UnitResult, i: u32) -> Decimal {
    let s = u.nodes.get(i as usize).cloned().unwrap_or_default();
    match node(program, i) {
        Some(n) if n.deducts_only() => -s.to_total,
        _ => s.score,
    }
}

/// What the item sends off the unit's total (0 if nothing).
pub fn item_to_total(u: &UnitResult, i: u32) -> Decimal {
    u.nodes
        .get(i as usize)
        .map_or(Decimal::ZERO, |s| s.to_total)
}

/// Does this entry explain a point lost (or, in a bonus item, gained)?
fn explains(program: &Program, e: &TraceEntry, bonus: bool) -> bool {
    if bonus {
        return e.amount > Decimal::ZERO || e.capped_at().is_some();
    }
    // An exemption says what it spared (免扣：本应扣 X 分).
    if e.waived().is_some() {
        return true;
    }
    let award = rule_of(program, e).is_some_and(|r| r.kind == RuleKind::Award);
    match &e.detail {
        Detail::Lost
        | Detail::Overflow
        | Detail::NotApplicable
        | Detail::Veto
        | Detail::ToTotal => true,
        Detail::Condition { met: false } => award,
        Detail::Proportion(d) => award && (d.below_floor || d.raw < d.max),
        _ => e.amount < Decimal::ZERO,
    }
}

/// The notes for item `i` of unit `u`, in trace order.
pub fn notes(program: &Program, u: &UnitResult, i: u32) -> Vec<Note> {
    notes_where(program, u, i, |e| is_under(program, e.node, i))
}

/// The notes for one line of an item: those of its part, or, for the
/// item's own line (or the first line, when the item has none), those of
/// the item's own rules.
pub fn line_notes(program: &Program, u: &UnitResult, item: &Item, k: usize) -> Vec<Note> {
    let Some(line) = item.lines.get(k) else {
        return Vec::new();
    };
    let i = item.node;
    if item.lines.len() == 1 {
        return notes(program, u, i);
    }
    let first = k == 0;
    notes_where(program, u, i, |e| {
        if line.node == i {
            e.node == i
        } else {
            is_under(program, e.node, line.node) || (first && e.node == i)
        }
    })
}

fn notes_where(
    program: &Program,
    u: &UnitResult,
    i: u32,
    keep: impl Fn(&TraceEntry) -> bool,
) -> Vec<Note> {
    let bonus = node(program, i).is_some_and(|n| n.bonus);
    u.trace
        .iter()
        .filter(|e| keep(e))
        .filter(|e| explains(program, e, bonus))
        .map(|e| {
            let amount = match &e.detail {
                Detail::Lost | Detail::Overflow => Decimal::ZERO,
                _ => e.amount,
            };
            Note {
                cite: node(program, e.node)
                    .map(|n| n.id.clone())
                    .unwrap_or_default(),
                amount,
                reason: reason(program, u, e),
                missed: match &e.detail {
                    Detail::Condition { met: false } if !bonus => award_points(program, e),
                    Detail::Proportion(d) if !bonus => Some(d.max - e.amount),
                    _ => None,
                },
                sentence: citation(program, e.node),
            }
        })
        .collect()
}

/// The most an unearned award would have given (`award 2 if …` → 2).
pub fn award_points(program: &Program, e: &TraceEntry) -> Option<Decimal> {
    match rule_of(program, e).map(|r| &r.amount) {
        Some(Amount::Expr(Expr::Num(n))) => Some(*n),
        _ => None,
    }
}

/// Points lost in a section: below its points, plus what went off the total.
pub fn section_lost(u: &UnitResult, s: &Section) -> Decimal {
    let score = u.nodes.get(s.node as usize).cloned().unwrap_or_default();
    let below = s
        .points
        .map_or(Decimal::ZERO, |p| (p - score.score).max(Decimal::ZERO));
    below + score.to_total
}
