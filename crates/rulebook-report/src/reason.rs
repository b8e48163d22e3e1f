//! Reasons: a trace entry's numbers in words, citing the inputs by label.

use crate::{fmt_dec, write_dec};
use rulebook_eval::eval::{
    CitedDetail, Detail, Fact, ProportionDetail, StepsDetail, TraceEntry, UnitResult,
};
use rulebook_lang::ir::{Amount, Expr, Program, RuleDef, Type, Unit};

/// The rule a trace entry comes from.
pub fn rule_of<'p>(program: &'p Program, e: &TraceEntry) -> Option<&'p RuleDef> {
    // A value from a cited table row sits under the clause it cites; its
    // rule is in the node it came from.
    let node = match &e.detail {
        Detail::Cited(c) => c.from,
        _ => e.node,
    };
    program
        .nodes
        .get(node as usize)?
        .rules
        .get(e.rule? as usize)
}

/// What an expression names, for a sentence: an input's label, or the rule text.
fn name_of(program: &Program, e: &Expr) -> Option<(String, Unit)> {
    let (def, ty) = match e {
        Expr::Input(i) => {
            let d = program.inputs.get(*i as usize)?;
            (d, &d.ty)
        }
        Expr::Global(i) => {
            let d = program.globals.get(*i as usize)?;
            (d, &d.ty)
        }
        Expr::Param(i) => {
            let d = &program.params.get(*i as usize)?.input;
            (d, &d.ty)
        }
        Expr::Let(i) => {
            let l = program.lets.get(*i as usize)?;
            let unit = match &l.ty {
                Type::Num(u) => *u,
                _ => Unit::Plain,
            };
            let label = if l.label.is_empty() {
                l.name.clone()
            } else {
                l.label.clone()
            };
            return Some((label, unit));
        }
        _ => return None,
    };
    let unit = match ty {
        Type::Num(u) => *u,
        _ => Unit::Plain,
    };
    let label = if def.label.is_empty() {
        def.name.clone()
    } else {
        def.label.clone()
    };
    Some((label, unit))
}

/// A figure for a sentence: long fractions (1/3 = 0.333…) shown to 4 places
/// with ≈, so a reason stays readable; exact figures as they are.
fn approx(d: rust_decimal::Decimal) -> String {
    let mut s = String::new();
    push_approx(&mut s, d);
    s
}

/// [`approx`] after `out`.
fn push_approx(out: &mut String, d: rust_decimal::Decimal) {
    if d.normalize().scale() > 6 {
        out.push('≈');
        write_dec(
            out,
            d.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
        );
    } else {
        write_dec(out, d);
    }
}

/// `v` and its unit after `out`: "92.5%", "35 μg/m³", "3".
fn push_with_unit(out: &mut String, v: rust_decimal::Decimal, u: Unit) {
    write_dec(out, v);
    rulebook_eval::value::push_unit(out, u);
}

/// Texts and numbers after `out`, in turn: a reason's sentence written
/// into one text rather than formatted piece by piece.
enum Piece<'a> {
    T(&'a str),
    N(rust_decimal::Decimal),
    U(rust_decimal::Decimal, Unit),
}

fn push_all(out: &mut String, pieces: &[Piece<'_>]) {
    for p in pieces {
        match *p {
            Piece::T(t) => out.push_str(t),
            Piece::N(d) => write_dec(out, d),
            Piece::U(d, u) => push_with_unit(out, d, u),
        }
    }
}

fn gap_unit(u: Unit) -> Unit {
    if u == Unit::Pct {
        Unit::Pp
    } else {
        u
    }
}

/// A reason's text, begun with `head` and room for the rest of a typical
/// reason (about 180 bytes): grown by doubling from its first words, a
/// reason's text was copied five times over (7 % of a JSON Lines run).
fn begun(head: &str) -> String {
    let mut text = String::with_capacity(head.len() + 256);
    text.push_str(head);
    text
}

/// 「（label：value；…）」 for the facts a rule read, or nothing.
fn facts(program: &Program, fs: &[Fact]) -> String {
    headed("", program, fs)
}

/// `head` followed by the facts a rule read, in one text.
fn headed(head: &str, program: &Program, fs: &[Fact]) -> String {
    let mut out = begun(head);
    push_facts(&mut out, program, fs, |_, _| true);
    out
}

/// `text` followed by the facts it does not already name (a derived value
/// or a condition's input beside a count, steps or a proportion).
fn with_facts(program: &Program, fs: &[Fact], mut text: String) -> String {
    push_facts(&mut text, program, fs, |said, label| !names(said, label));
    text
}

/// Whether `text` has `label` in it, as `str::contains` says, without
/// readying a two-way search for each label first: for a reason's few
/// short labels that readying was about a sixth of the time reasons took
/// in `eval --format jsonl` (`docs/speed.md`).
fn names(text: &str, label: &str) -> bool {
    label.is_empty()
        || text
            .as_bytes()
            .windows(label.len())
            .any(|w| w == label.as_bytes())
}

/// 「（label：value；…）」 after `out`, or nothing for no facts, of the
/// facts `keep` keeps (given what `out` said before and a fact's label):
/// written into `out` as it goes rather than through a list of pieces.
fn push_facts(out: &mut String, program: &Program, fs: &[Fact], keep: impl Fn(&str, &str) -> bool) {
    let said = out.len();
    let mut any = false;
    for f in fs {
        let l = f.label(program);
        if !keep(out.get(..said).unwrap_or(""), l) {
            continue;
        }
        out.push(if any { '；' } else { '（' });
        out.push_str(l);
        out.push('：');
        f.push_value(program, out);
        any = true;
    }
    if any {
        out.push('）');
    }
}

/// Trace entry `e` of unit `u` in words.
pub fn reason(program: &Program, u: &UnitResult, e: &TraceEntry) -> String {
    let fs = u.facts_of(e);
    let mut text = reason_core(program, fs, e);
    if let Some((before, factor)) = e.scaled() {
        let after = before.checked_mul(factor).unwrap_or(before);
        text = format!("{text}，乘以系数 {} = {}", fmt_dec(factor), approx(after));
    }
    if let Some((before, places)) = e.rounded() {
        let after = before
            .round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        text = format!("{text}，四舍五入保留{places}位小数 = {}", fmt_dec(after));
    }
    // Records a `where` left out are named, so nothing vanishes unsaid.
    if let Some((out, of)) = e.excluded() {
        text = match (e.amount.is_zero(), out == of) {
            (true, true) if of == 1 => "1 条记录不符合计分条件，计 0".to_string(),
            (true, true) => format!("{of} 条记录均不符合计分条件，计 0"),
            (true, false) => format!("{of} 条记录中 {out} 条不符合计分条件，其余计 0"),
            (false, _) => format!("{text}；另有 {out} 条记录（共 {of} 条）不符合计分条件，不计"),
        };
    }
    if e.amount > rust_decimal::Decimal::ZERO && inside_item_bonus(program, e.node) {
        text.push_str("，计入加分");
    }
    if let Some(would) = e.waived() {
        let deduct =
            rule_of(program, e).is_some_and(|r| r.kind == rulebook_lang::ir::RuleKind::Deduct);
        let (verb, what) = if deduct {
            ("扣", "免扣")
        } else {
            ("得", "不计分")
        };
        return format!(
            "{what}：本应{verb} {} 分{}",
            fmt_dec(would),
            facts(program, fs)
        );
    }
    if e.amount < rust_decimal::Decimal::ZERO && goes_to_total(program, e) {
        text.push_str("，从总分中扣减");
    }
    text
}

/// Does this deduction leave the table for the unit's total? Its rule's
/// settlement plan says.
fn goes_to_total(program: &Program, e: &TraceEntry) -> bool {
    matches!(
        e.detail,
        Detail::Condition { .. }
            | Detail::Amount { .. }
            | Detail::Each { .. }
            | Detail::Steps(_)
            | Detail::NoSteps { .. }
            | Detail::Cited(_)
    ) && rule_of(program, e).is_some_and(|r| r.settle.to.is_total())
}

/// "label actual，target-label target" of a `per … below|above` rule, and
/// the actual value's unit.
fn steps_head(
    program: &Program,
    rule: Option<&RuleDef>,
    actual: rust_decimal::Decimal,
    target: rust_decimal::Decimal,
) -> (String, Unit) {
    let (label, unit, tlabel) = steps_names(program, rule);
    let mut text = begun(&label);
    push_all(
        &mut text,
        &[
            Piece::T(" "),
            Piece::U(actual, unit),
            Piece::T("，"),
            Piece::T(&tlabel),
            Piece::T(" "),
            Piece::U(target, unit),
        ],
    );
    (text, unit)
}

/// What a `per … below|above` rule compares, in words: the actual value's
/// label and unit, and the target's label.
fn steps_names(program: &Program, rule: Option<&RuleDef>) -> (String, Unit, String) {
    match rule.map(|r| &r.amount) {
        Some(Amount::Steps {
            actual: a,
            target: t,
            ..
        }) => {
            let (l, u) = name_of(program, a).unwrap_or_else(|| ("实际值".to_string(), Unit::Plain));
            let tl = name_of(program, t)
                .map(|(l, _)| l)
                .unwrap_or_else(|| "目标".to_string());
            (l, u, tl)
        }
        _ => ("实际值".to_string(), Unit::Plain, "目标".to_string()),
    }
}

fn reason_core(program: &Program, fs: &[Fact], e: &TraceEntry) -> String {
    let rule = rule_of(program, e);
    let cap = |mut s: String| {
        if let Some(c) = e.capped_at() {
            push_all(&mut s, &[Piece::T("，封顶 "), Piece::N(c)]);
        }
        s
    };
    match &e.detail {
        Detail::Condition { met } => {
            let deduct = rule.is_some_and(|r| r.kind == rulebook_lang::ir::RuleKind::Deduct);
            let head = match (met, deduct) {
                (true, false) => "符合要求",
                (false, false) => "未达到要求，不得分",
                (true, true) => "出现扣分情形",
                (false, true) => "未出现扣分情形",
            };
            cap(headed(head, program, fs))
        }
        Detail::Amount { raw } => {
            let plain_constant =
                matches!(rule.map(|r| &r.amount), Some(Amount::Expr(Expr::Num(_))));
            let conditional = rule.is_some_and(|r| r.condition.is_some());
            let deduct = rule.is_some_and(|r| r.kind == rulebook_lang::ir::RuleKind::Deduct);
            let mut what = begun("");
            match (plain_constant, conditional) {
                (true, true) if deduct => what.push_str("出现扣分情形"),
                (true, true) => what.push_str("符合要求"),
                (true, false) => what.push_str("本项分值"),
                (false, _) => {
                    what.push_str("计 ");
                    push_approx(&mut what, *raw);
                }
            }
            push_facts(&mut what, program, fs, |_, _| true);
            cap(what)
        }
        Detail::Each { rate, count, raw } => {
            let label = match rule.map(|r| &r.amount) {
                Some(Amount::Each { count: c, .. }) => name_of(program, c).map(|(l, _)| l),
                _ => None,
            }
            .unwrap_or_else(|| "次数".to_string());
            let mut text = begun(&label);
            push_all(
                &mut text,
                &[
                    Piece::T(" "),
                    Piece::N(*count),
                    Piece::T(" 次 × "),
                    Piece::N(*rate),
                    Piece::T(" = "),
                    Piece::N(*raw),
                ],
            );
            cap(with_facts(program, fs, text))
        }
        Detail::NoSteps {
            actual,
            target,
            above,
        } => {
            let dir = if *above { "高于" } else { "低于" };
            let (mut text, _) = steps_head(program, rule, *actual, *target);
            push_all(
                &mut text,
                &[Piece::T("：未"), Piece::T(dir), Piece::T("目标")],
            );
            with_facts(program, fs, text)
        }
        Detail::Steps(d) => {
            let StepsDetail {
                actual,
                target,
                gap,
                step,
                steps,
                rate,
                raw,
                above,
                ceil,
            } = &**d;
            let (mut text, unit) = steps_head(program, rule, *actual, *target);
            let gu = gap_unit(unit);
            let dir = if *above { "高于" } else { "低于" };
            let part = if *ceil {
                "（不足一步按一步计）"
            } else {
                ""
            };
            push_all(
                &mut text,
                &[
                    Piece::T("，"),
                    Piece::T(dir),
                    Piece::T(" "),
                    Piece::U(*gap, gu),
                    Piece::T("：每 "),
                    Piece::U(*step, gu),
                    Piece::T(" 计一步"),
                    Piece::T(part),
                    Piece::T("，"),
                    Piece::N(*steps),
                    Piece::T(" 步 × "),
                    Piece::N(*rate),
                    Piece::T(" = "),
                    Piece::N(*raw),
                ],
            );
            cap(with_facts(program, fs, text))
        }
        Detail::Proportion(d) => {
            let ProportionDetail {
                ratio,
                max,
                raw,
                floor,
                below_floor,
            } = &**d;
            let pct = fmt_dec((*ratio * rust_decimal::Decimal::ONE_HUNDRED).round_dp(2));
            let text = if *below_floor {
                format!(
                    "完成比例 {pct}% 低于 {}%，不得分",
                    fmt_dec(floor.unwrap_or_default() * rust_decimal::Decimal::ONE_HUNDRED)
                )
            } else {
                // Rounded here unless a multiplier follows (then after it).
                let note = if e.scaled().is_none() {
                    "（保留两位小数）"
                } else {
                    ""
                };
                format!(
                    "完成比例 {pct}% × {} = {}{note}",
                    fmt_dec(*max),
                    approx(*raw)
                )
            };
            with_facts(program, fs, text)
        }
        Detail::Cited(c) => {
            let CitedDetail {
                raw,
                row,
                group,
                largest,
                ..
            } = &**c;
            let head = match group {
                Some(g) => format!("{g}："),
                None => String::new(),
            };
            let how = if *largest { "按最高分项" } else { "" };
            cap(format!(
                "{head}{how}（{}）计 {}",
                row.join("，"),
                fmt_dec(*raw)
            ))
        }
        Detail::NotApplicable => "所需数据未填报，此项不计分".to_string(),
        Detail::ToTotal => "从总分中扣减".to_string(),
        Detail::Overflow => format!("所扣分数不够扣减，{} 分从总分中扣减", fmt_dec(-e.amount)),
        Detail::Lost => format!("扣完为止：另有 {} 分无分可扣", fmt_dec(e.amount)),
        Detail::Veto => {
            let text = program
                .nodes
                .get(e.node as usize)
                .map(|n| n.text.join(" "))
                .unwrap_or_default();
            format!("一票否决：{text}")
        }
    }
}

/// Is node `i` a bonus part written inside a scored item (its awards join
/// the unit's bonus, not the item's score)?
fn inside_item_bonus(program: &Program, i: u32) -> bool {
    let Some(n) = program.nodes.get(i as usize) else {
        return false;
    };
    if !n.bonus {
        return false;
    }
    let mut at = n.parent.and_then(|p| program.nodes.get(p as usize));
    while let Some(a) = at {
        if a.parent.is_none() {
            return false;
        }
        if !a.bonus {
            return true;
        }
        at = a.parent.and_then(|p| program.nodes.get(p as usize));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::names;
    use proptest::prelude::*;

    proptest! {
        /// `names` is `str::contains`, for texts and labels of the
        /// characters reasons are written in.
        #[test]
        fn names_is_contains(
            text in "[计次分：（）0-9a 中国控断面]{0,12}",
            label in "[计次分：（）0-9a 中国控断面]{0,4}",
        ) {
            prop_assert_eq!(names(&text, &label), text.contains(label.as_str()));
            let inside = format!("{text}{label}{text}");
            prop_assert!(names(&inside, &label));
        }
    }
}
