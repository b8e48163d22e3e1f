//! Phrasings read whole: tiers of a figure, places, a share times a
//! factor, counts by kind or by band, several awards in one sentence. Each
//! returns `None` when the sentence is not its phrasing, `Some(false)` when
//! it is but something in it was not understood, `Some(true)` when read.

use super::{amounts, cap_in, label_before, quantity_type, re, scores, without_caps, Ctx, NUM};
use crate::text::{dec, unmarked};
use crate::write::fmt_dec;
use regex::Regex;
use rust_decimal::Decimal;
use std::sync::OnceLock;

/// 「浓度高于75微克/立方米的，扣1分，高于115微克/立方米的，扣2分…」:
/// thresholds of one figure, first match wins (`tiers`, pattern 5).
pub(super) fn tiers(ctx: &mut Ctx<'_>, s: &str) -> Option<bool> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    let r = re(
        &R,
        &format!(
            r"(高于|超过|大于|低于|小于|不足){NUM}(微克/立方米|mg/L|个百分点|%)?的?[，,]?(扣|加){NUM}分"
        ),
    )?;
    let found: Vec<_> = r.captures_iter(s).collect();
    if found.len() < 2 {
        return None;
    }
    let mut rows: Vec<(Decimal, String)> = Vec::new();
    let (mut op, mut verb, mut unit) = (None, None, "");
    for c in &found {
        let word = c.get(1)?.as_str();
        let this_op = if matches!(word, "高于" | "超过" | "大于") {
            ">"
        } else {
            "<"
        };
        let this_verb = c.get(4)?.as_str();
        if op.is_some_and(|o| o != this_op) || verb.is_some_and(|v| v != this_verb) {
            return Some(false);
        }
        op = Some(this_op);
        verb = Some(this_verb);
        unit = c.get(3).map(|u| u.as_str()).unwrap_or(unit);
        rows.push((dec(c.get(2)?.as_str())?, c.get(5)?.as_str().to_string()));
    }
    let op = op?;
    // First match wins: the strictest threshold first.
    if op == ">" {
        rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    } else {
        rows.sort_by_key(|r| r.0);
    }
    let first = found.first()?.get(0)?.start();
    if scores_besides(s, &found) {
        return Some(false);
    }
    let what = label_before(&format!("{}，", s.get(..first)?), first + '，'.len_utf8());
    let x = ctx.input("value", quantity_type(unit), what);
    let arms: Vec<String> = rows
        .iter()
        .map(|(t, p)| format!("{op} {}: {p}", fmt_dec(*t)))
        .collect();
    let verb = if verb == Some("扣") {
        "deduct"
    } else {
        "award"
    };
    ctx.rules
        .push(format!("{verb} tiers {x} {{ {} }}", arms.join(", ")));
    Some(true)
}

/// 「…比例达到年度任务书要求的，按…比例×50计分；…比例未达到年度任务书要求的，按…比例×50×0.8计分」:
/// the points in proportion to a share, times a factor when the target is missed.
pub(super) fn share_times(ctx: &mut Ctx<'_>, s: &str) -> Option<bool> {
    static MET: OnceLock<Option<Regex>> = OnceLock::new();
    static MISSED: OnceLock<Option<Regex>> = OnceLock::new();
    let met = re(
        &MET,
        &format!(r"^(?:(.+?)达到(.+?)的[，,])?按(.+?)×{NUM}(?:分)?计分$"),
    )?;
    let missed = re(
        &MISSED,
        &format!(r"^(.+?)未达到(.+?)的[，,]按(.+?)×{NUM}×{NUM}计分$"),
    )?;
    if let Some(c) = missed.captures(s) {
        let (points, factor) = (c.get(4)?.as_str(), c.get(5)?.as_str());
        let share = ctx
            .inputs
            .iter()
            .find(|i| i.name.ends_with("_share"))?
            .name
            .clone();
        let target = ctx
            .inputs
            .iter()
            .find(|i| i.name.ends_with("_target"))?
            .name
            .clone();
        let last = ctx.rules.last_mut()?;
        if *last != format!("award {points} in proportion to {share}") {
            return Some(false);
        }
        last.push_str(&format!(" times {factor} when {share} < {target}"));
        return Some(true);
    }
    if let Some(c) = met.captures(s) {
        let share = unmarked(c.get(3)?.as_str()).trim().to_string();
        let points = c.get(4)?.as_str();
        let x = ctx.input("share", "ratio", format!("{share}（比例，0.8 = 80%）"));
        if let Some(goal) = c.get(2) {
            let subject = unmarked(c.get(1)?.as_str()).trim().to_string();
            ctx.input("target", "pct", format!("{}的{subject}", goal.as_str()));
        }
        ctx.rules
            .push(format!("award {points} in proportion to {x}"));
        return Some(true);
    }
    None
}

/// Whether anything but the matched phrases and the caps scores.
fn scores_besides(s: &str, found: &[regex::Captures<'_>]) -> bool {
    let mut rest = s.to_string();
    for m in found.iter().filter_map(|c| c.get(0)) {
        rest = rest.replacen(m.as_str(), "", 1);
    }
    scores(&without_caps(&rest))
}

/// A Chinese ordinal up to 十 or a number: 第三 → 3.
fn ordinal(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    let digits = "一二三四五六七八九十";
    let mut chars = s.chars();
    let (a, b) = (chars.next()?, chars.next());
    let v = |c: char| digits.chars().position(|d| d == c).map(|i| i as u32 + 1);
    match b {
        None => v(a),
        Some(_) => None,
    }
}

/// 「排名倒数第一的扣3分，排名倒数第二的扣2分…」 / 「排名全市第一的加3分…」:
/// points by place (pattern 6), the place read from the data.
pub(super) fn rank_tiers(ctx: &mut Ctx<'_>, s: &str) -> Option<bool> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    let r = re(
        &R,
        &format!(
            r"排名(倒数)?(?:全市|全区|全县)?第([一二三四五六七八九十]|\d+)(?:(?:至|到|—|、)第?([一二三四五六七八九十]|\d+))?名?的?[，,]?再?(扣|加){NUM}分"
        ),
    )?;
    let found: Vec<_> = r.captures_iter(s).collect();
    if found.len() < 2 {
        return None;
    }
    let from_bottom = found.first()?.get(1).is_some();
    let verb = found.first()?.get(4)?.as_str();
    let mut arms = Vec::new();
    for c in &found {
        if c.get(4)?.as_str() != verb {
            return Some(false);
        }
        let place = ordinal(c.get(2)?.as_str())?;
        let amount = c.get(5)?.as_str();
        // 第一至三, 第七、八: a run of places.
        match c.get(3).and_then(|m| ordinal(m.as_str())) {
            Some(to) => arms.push(format!("{place} to {to}: {amount}")),
            None => arms.push(format!("= {place}: {amount}")),
        }
    }
    if scores_besides(s, &found) {
        return Some(false);
    }
    let first = found.first()?.get(0)?.start();
    let mut before = unmarked(s.get(..first)?).trim();
    // 「完成目标任务且…排名第一至三的再加」: only with the award before it.
    let mut condition = String::new();
    if let Some((_, after)) = before.split_once('且') {
        let flag = ctx
            .rules
            .last()
            .and_then(|r| r.strip_prefix("award "))
            .and_then(|r| r.split_once(" if "))
            .map(|(_, f)| f.to_string());
        match flag {
            Some(f) => condition = format!(" if {f}"),
            None => return Some(false),
        }
        before = after;
    }
    let label = if from_bottom {
        format!("{before}排名（倒数名次）")
    } else {
        format!("{before}排名（名次）")
    };
    let x = ctx.input("place", "count", label);
    let verb = if verb == "扣" { "deduct" } else { "award" };
    ctx.rules.push(format!(
        "{verb} tiers {x} {{ {} }}{condition}",
        arms.join(", ")
    ));
    Some(true)
}

/// 「每发现1套…未正常运行的，日处理规模100吨及以上扣1分，日处理规模100吨以下扣0.5分」:
/// a count for each kind, each with its own amount.
pub(super) fn counted_by_kind(ctx: &mut Ctx<'_>, s: &str) -> Option<bool> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    static K: OnceLock<Option<Regex>> = OnceLock::new();
    let r = re(
        &R,
        r"^(.*?)每(?:发现|有)?(?:1|一)(家|个|套|起|次|处|件|台)([^，。；每]*?)的[，,](.*)$",
    )?;
    let c = r.captures(s)?;
    let (head, unit, thing, kinds) = (
        c.get(1)?.as_str(),
        c.get(2)?.as_str(),
        c.get(3)?.as_str(),
        c.get(4)?.as_str(),
    );
    let k = re(&K, &format!(r"^([^，,。；扣]+?)(扣|加){NUM}分$"))?;
    let parts: Vec<_> = kinds
        .split(['，', ','])
        .map(|p| k.captures(p.trim()))
        .collect();
    if parts.len() < 2 || amounts(head) {
        return None;
    }
    let mut rules = Vec::new();
    for p in &parts {
        let p = p.as_ref()?;
        let kind = p.get(1)?.as_str().trim();
        let verb = if p.get(2)?.as_str() == "扣" {
            "deduct"
        } else {
            "award"
        };
        let n = ctx.input("n", "count", format!("{thing}（{kind}，{unit}数）"));
        rules.push(format!("{verb} {} each {n}", p.get(3)?.as_str()));
    }
    ctx.rules.extend(rules);
    Some(true)
}

/// 「对违反禁烧规定的行为进行罚款，500元—1000元（含）1次加0.05分，1000元—2000元（含）1次加0.1分，
/// 1万以上1次加0.3分，最高加1分」: a count for each band, one cap round them.
pub(super) fn counted_by_band(ctx: &mut Ctx<'_>, s: &str) -> Option<bool> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    let r = re(
        &R,
        &format!(r"^(.+?)(?:1|一)(次|起|件|家|个)(加|扣){NUM}分$"),
    )?;
    let phrases: Vec<&str> = s.split(['，', ',']).map(str::trim).collect();
    let found: Vec<(usize, regex::Captures<'_>)> = phrases
        .iter()
        .enumerate()
        .filter_map(|(i, p)| r.captures(p).map(|c| (i, c)))
        // 「每有1个加1分」 is a count of its own (read above).
        .filter(|(_, c)| c.get(1).is_some_and(|b| !b.as_str().contains('每')))
        .collect();
    if found.len() < 2 {
        return None;
    }
    let first = found.first()?.0;
    let context = phrases
        .get(..first)
        .and_then(|b| b.last())
        .map(|c| unmarked(c).to_string())
        .unwrap_or_default();
    let verb = found.first()?.1.get(3)?.as_str();
    let mut rules = Vec::new();
    for (_, c) in &found {
        if c.get(3)?.as_str() != verb {
            return Some(false);
        }
        let band = c.get(1)?.as_str();
        let unit = c.get(2)?.as_str();
        let n = ctx.input("n", "count", format!("{context}：{band}（{unit}数）"));
        let rule = if verb == "扣" { "deduct" } else { "award" };
        rules.push(format!("{rule} {} each {n}", c.get(4)?.as_str()));
    }
    // Only the bands, the phrases before them and a cap.
    let others: String = phrases
        .iter()
        .enumerate()
        .filter(|(i, _)| !found.iter().any(|(j, _)| j == i))
        .map(|(_, p)| *p)
        .collect::<Vec<_>>()
        .join("，");
    if scores(&without_caps(&others)) {
        return Some(false);
    }
    let word = if verb == "扣" { "扣" } else { "加" };
    match cap_in(s, word) {
        Some(cap) => ctx
            .rules
            .push(format!("cap {} {{\n{}\n}}", fmt_dec(cap), rules.join("\n"))),
        None => ctx.rules.extend(rules),
    }
    Some(true)
}

/// 「定期开展…工作，得0.6分，…录入…系统，得0.2分，建立…档案，得0.2分」:
/// one award for each thing done.
pub(super) fn several_awards(ctx: &mut Ctx<'_>, s: &str) -> Option<bool> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    let r = re(&R, &format!(r"(.*?)[，,]?得{NUM}分[，,]?"))?;
    let found: Vec<_> = r.captures_iter(s).collect();
    if found.len() < 2 || s.contains('每') || s.contains('扣') || s.contains("不得分") {
        return None;
    }
    let end = found.last()?.get(0)?.end();
    if !s.get(end..)?.trim().is_empty() {
        return None;
    }
    for c in &found {
        let cond = c.get(1)?.as_str();
        if cond.trim().is_empty() || scores(cond) {
            return Some(false);
        }
        let what = label_before(&format!("{cond}，"), cond.len() + '，'.len_utf8());
        let flag = ctx.input("met", "bool", what);
        ctx.rules
            .push(format!("award {} if {flag}", c.get(2)?.as_str()));
    }
    Some(true)
}
