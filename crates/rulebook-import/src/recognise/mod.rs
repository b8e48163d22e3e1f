//! Sentences → rules. The phrasings the language's cookbook covers
//! (docs/language.md, Patterns) become rules reading declared inputs,
//! labelled from the sentence; anything else becomes `todo "why"`.
//! Phrasings read a whole sentence at a time are in `phrases`.
//!
//! The reader is deliberately cautious: a node gets rules only when every
//! sentence of it that scores (得/扣/加/不得分/不合格) was read; otherwise
//! the whole node is left to the author with a `todo` naming the sentence.

mod phrases;

use crate::model::{Kind, Node};
use crate::text::{dec, unmarked};
use crate::write::{fmt_dec, quote};
use phrases::{counted_by_band, counted_by_kind, rank_tiers, several_awards, share_times, tiers};
use regex::Regex;
use rust_decimal::Decimal;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// A declared input (or parameter) the proposed rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputDecl {
    pub name: String,
    pub ty: String,
    pub label: String,
    /// For a parameter: the document's value for a named unit.
    pub param: Option<(String, Decimal)>,
}

impl InputDecl {
    pub fn declaration(&self) -> String {
        match &self.param {
            Some((unit, v)) => format!(
                "param {}: {} {} {{ {}: {} }}",
                self.name,
                self.ty,
                quote(&self.label),
                quote(unit),
                fmt_dec(*v)
            ),
            None => format!("input {}: {} {}", self.name, self.ty, quote(&self.label)),
        }
    }
}

/// What the draft holds for one node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proposal {
    /// Node statements (`to total`, …), written before the rules.
    pub statements: Vec<String>,
    pub rules: Vec<String>,
    pub inputs: Vec<InputDecl>,
    pub todo: Option<String>,
    pub veto: bool,
}

impl Proposal {
    pub fn write_body(&self, out: &mut String) {
        for r in &self.rules {
            let _ = writeln!(out, "{r}");
        }
        if let Some(t) = &self.todo {
            let _ = writeln!(out, "todo {}", quote(t));
        }
    }
    /// Rules were proposed (and nothing left to do).
    pub fn proposed(&self) -> bool {
        self.todo.is_none() && !self.rules.is_empty()
    }
}

fn re(cell: &'static OnceLock<Option<Regex>>, pat: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pat).ok()).as_ref()
}

const NUM: &str = r"(\d+(?:\.\d+)?)";

/// Words that make a sentence score something.
pub(crate) fn scores(s: &str) -> bool {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    re(
        &R,
        r"[扣加得]\s*(?:\d+(?:\.\d+)?|一)\s*分|[，,]\d+(?:\.\d+)?分|不得分|不合格|扣完|扣分|加分|得分|扣除|(?:^|[^不])计分(?:$|[^标])",
    )
    .is_some_and(|r| r.is_match(s))
}

/// An amount of points in a phrase (扣0.5分, 得2分, 不得分): stricter than
/// [`scores`], which also takes 「被考核扣分的」 describing a situation.
fn amounts(s: &str) -> bool {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    re(
        &R,
        r"[扣加得]\s*(?:\d+(?:\.\d+)?|一)\s*分|[，,]\d+(?:\.\d+)?分|不得分",
    )
    .is_some_and(|r| r.is_match(s))
}

/// The identifier stem of a node: `5.1.2` → `c5_1_2`, `B6.1` → `b6_1`.
fn stem(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c == '.' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("c{s}")
    } else {
        s
    }
}

/// The words before a match, within its comma-separated phrase: the fact
/// the rule reads.
fn label_before(sentence: &str, at: usize) -> String {
    let before = sentence.get(..at).unwrap_or("");
    let before = before.trim_end_matches(['，', ',', ' ']);
    // Phrases, commas inside brackets kept (「（每个污水处理厂2个考核项，即…）」).
    let phrases = phrases_of(before);
    let seg = phrases.last().map(String::as_str).unwrap_or(before).trim();
    let seg = unmarked(seg);
    let seg = seg.trim_end_matches('的').trim();
    // 「…的，或被…的」 / 「…的，且…」 / 「…情形的，每种情形」: the phrase goes
    // on from the one before.
    let continues = seg.starts_with(['或', '且', '并', '每']);
    if seg.chars().count() < 4 || continues {
        // Too short to say what it is: take the phrase before as well.
        let n = phrases.len();
        let longer = phrases
            .get(n.saturating_sub(3)..)
            .unwrap_or(&[])
            .iter()
            .map(|p| p.trim())
            .collect::<Vec<_>>()
            .join("，");
        return unmarked(longer.trim()).trim_end_matches('的').to_string();
    }
    seg.to_string()
}

/// A sentence's phrases: split at ，。； outside brackets.
fn phrases_of(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '（' | '(' | '〔' => depth += 1,
            '）' | ')' | '〕' => depth = depth.saturating_sub(1),
            '，' | ',' | '。' | '；' if depth == 0 => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(p) = out.last_mut() {
            p.push(c);
        }
    }
    out
}

struct Ctx<'a> {
    node: &'a Node,
    stem: String,
    inputs: Vec<InputDecl>,
    rules: Vec<String>,
    statements: Vec<String>,
    bonus: bool,
    veto: bool,
    /// A sentence that reads two ways: the node is left to the author
    /// with this reason rather than given a rule that may be wrong.
    ambiguous: Option<String>,
    /// What the award before the steps was for (「完成…目标，得3分」): the
    /// figure the steps read, when their own sentence does not name it.
    subject: Option<String>,
}

impl Ctx<'_> {
    fn input(&mut self, suffix: &str, ty: &str, label: String) -> String {
        let mut name = format!("{}_{suffix}", self.stem);
        let mut k = 2;
        while self.inputs.iter().any(|i| i.name == name) {
            name = format!("{}_{suffix}{k}", self.stem);
            k += 1;
        }
        self.inputs.push(InputDecl {
            name: name.clone(),
            ty: ty.into(),
            label,
            param: None,
        });
        name
    }
}

/// The cap a sentence (or the one after it) states for the rule it holds.
fn cap_in(s: &str, word: &str) -> Option<Decimal> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    static A: OnceLock<Option<Regex>> = OnceLock::new();
    let r = if word == "扣" {
        re(&R, &format!(r"(?:最高|最多)扣{NUM}分|扣完{NUM}分为止"))?
    } else {
        re(&A, &format!(r"(?:最高|最多)加{NUM}分"))?
    };
    let c = r.captures(s)?;
    dec(c.get(1).or_else(|| c.get(2))?.as_str())
}

fn with_cap(rule: String, cap: Option<Decimal>) -> String {
    match cap {
        Some(c) => format!("{rule} cap {}", fmt_dec(c)),
        None => rule,
    }
}

/// The sentence without its caps (最高扣3分, 扣完1分为止, 本项最多加2分).
fn without_caps(s: &str) -> String {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    match re(
        &R,
        &format!(r"(?:本项)?(?:最高|最多)(?:扣|加){NUM}分|扣完{NUM}分为止"),
    ) {
        Some(r) => r.replace_all(s, "").to_string(),
        None => s.to_string(),
    }
}

/// The type of a quantity from the unit written after its step.
fn quantity_type(unit: &str) -> &'static str {
    if unit.contains("百分点") || unit.contains('%') {
        "pct"
    } else if unit.contains("微克") {
        "ug"
    } else if unit.contains("mg") || unit.contains("毫克") {
        "mgl"
    } else {
        "number"
    }
}

/// Read one sentence (up to 。 or ；). Returns whether it was understood.
fn sentence(ctx: &mut Ctx<'_>, s: &str, next: Option<&str>, has_deduction: bool) -> bool {
    static STEP: OnceLock<Option<Regex>> = OnceLock::new();
    static EACH: OnceLock<Option<Regex>> = OnceLock::new();
    static AWARD: OnceLock<Option<Regex>> = OnceLock::new();
    static DEDUCT_IF: OnceLock<Option<Regex>> = OnceLock::new();
    static ADD_IF: OnceLock<Option<Regex>> = OnceLock::new();
    static ONCE_NONE: OnceLock<Option<Regex>> = OnceLock::new();
    let (Some(step), Some(each), Some(award), Some(deduct_if), Some(add_if), Some(once_none)) = (
        re(
            &STEP,
            &format!(
                r"每(低|少|高|超|升|增加)(?:于|过|出)?(?:目标|控制目标水平|控制目标)?(\d+(?:\.\d+)?|一)(个百分点|%|微克/立方米|mg/L|万元|元|吨|个)?(?:（[^）]*）)?(扣|加){NUM}分"
            ),
        ),
        re(
            &EACH,
            &format!(
                r"(每|未完成|少完成|提高|提升|上升|下降)([^，。；扣加每]{{0,24}}?)(1|一)?(起|次|家（次）|家（项）|家次|家|个问题|个|处|件|台|例|项|套|条|篇|名|天|人|类|月)([^，。；扣加\d]{{0,40}}?)(?:的?[，,])?(加扣|扣|加){NUM}分"
            ),
        ),
        re(
            &AWARD,
            &format!(r"^(.*?)[，,]?得{NUM}分(?:[，,][^，,。；\d每]{{0,20}}?不得分)?$"),
        ),
        re(&DEDUCT_IF, &format!(r"^(.*?)[，,]扣{NUM}分$")),
        re(&ADD_IF, &format!(r"^(.*?)[，,]?加{NUM}分$")),
        re(
            &ONCE_NONE,
            r"^(.*?)(?:一次|一个单位一次)[^，。]*?(?:，)?(?:该项)?不得分$",
        ),
    ) else {
        return false;
    };
    let s = s.trim().trim_end_matches(['。', '；', ';']);
    if !scores(s) || pool(s).is_some() {
        return true;
    }
    // A cap in the next sentence is this rule's only when that sentence
    // holds no rule of its own; 「本项最高加N分」 is the node's cap, not a rule's.
    let own_cap = |t: &str, w: &str| {
        if w == "加" && (t.contains("本项最高加") || t.contains("本项最多加")) {
            None
        } else {
            cap_in(t, w)
        }
    };
    let cap_of = |w: &str| {
        own_cap(s, w).or_else(|| {
            next.filter(|n| !scores(&without_caps(n)))
                .and_then(|n| own_cap(n, w))
        })
    };
    if let Some(read) = tiers(ctx, s).or_else(|| rank_tiers(ctx, s)) {
        return read;
    }
    if let Some(read) = several_awards(ctx, s) {
        return read;
    }
    if let Some(read) = counted_by_kind(ctx, s) {
        return read;
    }
    if let Some(read) = counted_by_band(ctx, s) {
        return read;
    }
    // 每低0.1个百分点扣0.3分 / 每高于控制目标水平0.1个百分点加0.1分
    if let Some(c) = step.captures(s) {
        let (Some(dir), Some(n), Some(kind), Some(rate)) = (c.get(1), c.get(2), c.get(4), c.get(5))
        else {
            return false;
        };
        let unit = c.get(3).map(|m| m.as_str()).unwrap_or("");
        if unit == "个" {
            return false;
        }
        let below = matches!(dir.as_str(), "低" | "少");
        let ty = quantity_type(unit);
        let at = c.get(0).map(|m| m.start()).unwrap_or(0);
        // 得2分，每低1个百分点扣0.2分: the award in the same sentence.
        static GOT_STEP: OnceLock<Option<Regex>> = OnceLock::new();
        let head = s.get(..at).unwrap_or("");
        let got: Vec<_> = re(&GOT_STEP, &format!(r"得{NUM}分"))
            .map(|g| g.captures_iter(head).collect())
            .unwrap_or_default();
        match got.as_slice() {
            [] => {}
            [g] => {
                if let Some(p) = g.get(1) {
                    ctx.rules.push(format!("award {}", p.as_str()));
                }
            }
            _ => return false,
        }
        // 「完成年度废弃矿山生态修复面积任务，得2分，每低1个百分点…」: the
        // figure is what the award was for; 「每低0.1个百分点…」 alone: the
        // award's sentence before it names it.
        static GOT_PHRASE: OnceLock<Option<Regex>> = OnceLock::new();
        let mut what = label_before(s, at);
        if let Some(r) = re(&GOT_PHRASE, &format!(r"[，,]?得{NUM}分[，,]?")) {
            what = r.replace_all(&what, "").trim().to_string();
        }
        // 「火点数低于上年度平均值的，每低一个百分点」: points of a figure that
        // is no rate are a relative change, which the step does not say.
        let rate_word = ["率", "比例", "比重", "%", "百分"];
        if unit.contains("百分点")
            && got.is_empty()
            && what.chars().count() >= 4
            && !rate_word.iter().any(|w| what.contains(w))
        {
            ctx.ambiguous = Some(format!(
                "「{what}」 is not a rate: are its 百分点 a change relative to the reference (per cent of it)? Write the figure the steps read"
            ));
        }
        if what.chars().count() < 2 {
            what = ctx.subject.clone().unwrap_or_default();
        }
        // （无…任务的，此项不计分）: no figure, no deduction.
        let optional = body(ctx.node).contains("不计分");
        let actual_ty = if optional {
            format!("optional {ty}")
        } else {
            ty.to_string()
        };
        let actual = ctx.input("actual", &actual_ty, format!("{what}（实际）"));
        let target = ctx.input("target", ty, format!("{what}（目标）"));
        let verb = if kind.as_str() == "扣" {
            "deduct"
        } else {
            "award"
        };
        // （不足0.05个百分点按0.05个百分点计）: a part step counts; （不足10万元部分不得加分）: not.
        static PART: OnceLock<Option<Regex>> = OnceLock::new();
        let partial = if re(&PART, r"(?:不足|不到)[^（）]*?按[^（）]*?计")
            .is_some_and(|r| r.is_match(s))
        {
            " partial steps count"
        } else {
            ""
        };
        let word = if verb == "deduct" { "扣" } else { "加" };
        let step_size = if n.as_str() == "一" { "1" } else { n.as_str() };
        let rule = format!(
            "{verb} {} per {step_size} of {actual} {} {target}{partial}",
            rate.as_str(),
            if below { "below" } else { "above" }
        );
        let mut rule = with_cap(rule, cap_of(word));
        if optional {
            rule.push_str(&format!(" unless {actual} is missing"));
        }
        ctx.rules.push(rule);
        let rest = s.replace(c.get(0).map(|m| m.as_str()).unwrap_or(""), "");
        let rest = without_caps(&rest);
        // The aside on part steps said, whichever way.
        static ASIDE: OnceLock<Option<Regex>> = OnceLock::new();
        let rest = match re(&ASIDE, r"（(?:不足|不到)[^（）]*）") {
            Some(a) => a.replace_all(&rest, "").to_string(),
            None => rest,
        };
        let rest = if got.len() == 1 {
            re(&GOT_STEP, &format!(r"得{NUM}分"))
                .map(|g| g.replace_all(&rest, "").to_string())
                .unwrap_or(rest)
        } else {
            rest
        };
        return !scores(&rest);
    }
    // 每发现1起扣0.2分, 扣完1分为止 / 每完成1家次加0.1分
    let eaches: Vec<_> = each
        .captures_iter(s)
        .filter(|c| {
            c.get(0)
                .is_some_and(|m| !m.as_str().contains("最高") && !m.as_str().contains("最多"))
                // 未完成一项…扣: the count written out; 每 needs none.
                && (c.get(1).is_some_and(|l| l.as_str() == "每") || c.get(3).is_some())
        })
        .collect();
    if !eaches.is_empty() {
        let first = eaches
            .first()
            .and_then(|c| c.get(0))
            .map(|m| m.start())
            .unwrap_or(0);
        let prefix = s.get(..first).unwrap_or("");
        let prefix_start = prefix
            .rfind(['；', '。'])
            .map(|i| i + '；'.len_utf8())
            .unwrap_or(0);
        let head = prefix.get(prefix_start..).unwrap_or("");
        static GOT: OnceLock<Option<Regex>> = OnceLock::new();
        let got = re(&GOT, &format!(r"得{NUM}分"));
        let got_n: Vec<_> = got
            .map(|g| g.captures_iter(head).collect())
            .unwrap_or_default();
        let head_rest = got
            .map(|g| g.replace_all(head, "").to_string())
            .unwrap_or_default();
        if got_n.len() > 1 || amounts(&head_rest) {
            return false;
        }
        if let Some(p) = got_n.first().and_then(|c| c.get(1)) {
            ctx.rules.push(format!("award {}", p.as_str()));
        }
        let first_rule = ctx.rules.len();
        let first_input = ctx.inputs.len();
        let mut last = 0;
        for c in &eaches {
            let (Some(m), Some(kind), Some(rate)) = (c.get(0), c.get(6), c.get(7)) else {
                return false;
            };
            let seg_start = s
                .get(..m.start())
                .and_then(|b| b.rfind(['；', '。']))
                .map(|i| i + '；'.len_utf8())
                .unwrap_or(0)
                .max(last);
            let piece = s.get(seg_start..m.start()).unwrap_or("");
            let mut what = label_before(&format!("{piece}，"), piece.len() + '，'.len_utf8());
            let after_unit = c
                .get(5)
                .map(|a| a.as_str().trim_end_matches(['的', '，']).trim())
                .unwrap_or("");
            // 每项少扣0.1分 lessens another deduction; 多扣 adds to one.
            if after_unit.ends_with(['少', '多', '减']) {
                return false;
            }
            let unit = c.get(4).map(|u| u.as_str()).unwrap_or("次");
            let lead = c.get(1).map(|l| l.as_str()).unwrap_or("每");
            let between = c.get(2).map(|p| p.as_str()).unwrap_or("");
            let between_plain = without_brackets(between);
            // 每个断面每月扣2分: the thing (断面), counted per 月 as well.
            // （以生态环境部每月公布的数据为准） is an aside, not a second count.
            let after_plain = without_brackets(after_unit);
            let after_unit = if after_plain.trim().is_empty() {
                ""
            } else {
                after_unit
            };
            let (thing, per) = match after_unit.find('每').filter(|_| after_plain.contains('每'))
            {
                Some(i) if i > 0 => (
                    after_unit.get(..i).unwrap_or(""),
                    after_unit.get(i..).unwrap_or(""),
                ),
                _ => (after_unit, ""),
            };
            let after_unit = if per.is_empty() { after_unit } else { thing };
            if after_unit.chars().count() >= 4 && !after_unit.starts_with('每') {
                what = after_unit.to_string();
            } else if what.chars().count() < 4 && between_plain.chars().count() >= 4 {
                // 每获得银行授信（…）1次: the thing counted is before the number.
                what = between_plain.clone();
            }
            // 「辖区内国控断面水质每超标一次」: the count is of 超标.
            if lead == "每"
                && after_unit.is_empty()
                && !between.is_empty()
                && between.chars().count() <= 4
                && !matches!(between, "发现" | "有" | "出现" | "发生" | "完成")
                && !between.contains(['少', '个', '（', '('])
                && !what.contains(between)
            {
                what = format!("{what}{between}");
            }
            let label = if matches!(lead, "提高" | "提升" | "上升" | "下降") {
                // 排名较上年提高1名加0.1分: the places moved.
                format!("{what}（{lead}的{unit}数）")
            } else if lead != "每" {
                // 未完成一项子项目的扣0.1分: the items not done.
                let thing = if after_unit.is_empty() {
                    between
                } else {
                    after_unit
                };
                format!("{lead}的{thing}（{unit}数）")
            } else if between.contains('少') {
                // 每少完成一件…扣1分: the shortfall, not the count.
                format!("{what}（比要求少的{unit}数）")
            } else if after_unit.starts_with('每') {
                // 每次每个断面扣0.5分: counted per time and per section.
                format!("{what}（{unit}数，{after_unit}分别计）")
            } else if !per.is_empty() {
                format!("{what}（{thing}数，{per}分别计）")
            } else {
                format!("{what}（{unit}数）")
            };
            let n = ctx.input("n", "count", label);
            // 加扣: a deduction on top of another.
            let verb = if kind.as_str() == "加" {
                "award"
            } else {
                "deduct"
            };
            let word = if verb == "deduct" { "扣" } else { "加" };
            // 扣完为止 with no number: at most what the node awards.
            let all_of_it = s
                .contains("扣完为止")
                .then(|| {
                    ctx.rules
                        .iter()
                        .find_map(|r| r.strip_prefix("award ").and_then(dec))
                })
                .flatten();
            // Several deductions in one sentence and one cap after them: the
            // cap goes on the last, then round them all (below).
            let last_one = std::ptr::eq(c, eaches.last().unwrap_or(c));
            let cap = if eaches.len() == 1 {
                cap_of(word).or(all_of_it)
            } else if last_one && verb == "deduct" {
                cap_of(word)
            } else {
                None
            };
            ctx.rules
                .push(with_cap(format!("{verb} {} each {n}", rate.as_str()), cap));
            last = m.end();
        }
        // 「每通报1处火点扣0.2分，未及时调查处理的，每次扣0.5分，最高扣3分」:
        // one cap round the sentence's deductions.
        let ours = ctx.rules.get(first_rule..).unwrap_or(&[]).to_vec();
        if let (true, Some(cap)) = (ours.len() > 1, cap_of("扣")) {
            let suffix = format!(" cap {}", fmt_dec(cap));
            if ours.iter().all(|r| r.starts_with("deduct")) {
                let inner: Vec<String> = ours
                    .iter()
                    .map(|r| r.trim_end_matches(&suffix).to_string())
                    .collect();
                ctx.rules.truncate(first_rule);
                ctx.rules
                    .push(format!("cap {} {{\n{}\n}}", fmt_dec(cap), inner.join("\n")));
            }
        }
        // 「（经自治区核实剔除的火点不扣分）」: an aside saying what is not
        // counted goes with the count it narrows.
        let mut tail = s.get(last..).unwrap_or("").replace("扣完为止", "");
        static ASIDE: OnceLock<Option<Regex>> = OnceLock::new();
        if let Some(a) =
            re(&ASIDE, r"（([^（）]*(?:不扣分|不扣|不计))）").and_then(|r| r.captures(&tail))
        {
            let (Some(whole), Some(note)) = (a.get(0), a.get(1)) else {
                return false;
            };
            let (whole, note) = (whole.as_str().to_string(), note.as_str().to_string());
            for i in ctx
                .inputs
                .iter_mut()
                .skip(first_input)
                .filter(|i| i.ty == "count")
            {
                if let Some(open) = i.label.strip_suffix('）') {
                    i.label = format!("{open}；{note}）");
                }
            }
            tail = tail.replacen(&whole, "", 1);
        }
        let tail = tail.as_str();
        let multi_cap = eaches.len() > 1 && own_cap(s, "加").is_some();
        if multi_cap {
            return false;
        }
        // 「…每入库1个项目加0.5分，…，成功提款加0.5分」: a bonus phrase
        // after the counted ones awards once.
        let mut left = String::new();
        for phrase in without_caps(tail).split(['，', ',']) {
            let phrase = phrase.trim();
            match once_award(phrase) {
                Some((what, p)) if ctx.bonus => {
                    let flag = ctx.input("met", "bool", what);
                    ctx.rules.push(format!("award {p} if {flag}"));
                }
                _ => left.push_str(phrase),
            }
        }
        // Nothing that scores may be left over but the cap.
        return !scores(&left);
    }
    // 「…日常监管，3分」: the points without 得.
    static BARE: OnceLock<Option<Regex>> = OnceLock::new();
    let bare_owned;
    let s = match re(&BARE, &format!(r"^(.+?)[，,]{NUM}分$")).and_then(|b| b.captures(s)) {
        Some(c) if !scores(c.get(1).map(|m| m.as_str()).unwrap_or("得")) => {
            // The clause's points, shared out by the sentences after it (得0.5分…).
            let all = body(ctx.node);
            let after = all
                .find(s)
                .and_then(|i| all.get(i + s.len()..))
                .unwrap_or("");
            if after.contains('得') {
                return true;
            }
            bare_owned = format!(
                "{}，得{}分",
                c.get(1).map(|m| m.as_str()).unwrap_or(""),
                c.get(2).map(|m| m.as_str()).unwrap_or("")
            );
            bare_owned.as_str()
        }
        _ => s,
    };
    // 得1分，否则不得分 / 得3分 (with deductions following)
    if let Some(c) = award.captures(s) {
        let (Some(cond), Some(p)) = (c.get(1), c.get(2)) else {
            return false;
        };
        let cond = cond.as_str();
        if scores(cond) {
            return false;
        }
        if has_deduction || next.is_some_and(|n| n.contains("按完成比例得分")) {
            if next.is_some_and(|n| n.contains("按完成比例得分")) {
                return true; // handled with the proportion below
            }
            // 「完成A、B目标任务，得2分」 / 「…，其中…要全部落实…，得2分」
            // before steps that read one figure: the award may need the rest.
            let stepped = next
                .is_some_and(|n| n.contains("每低") || n.contains("每少") || n.contains("每高"));
            let plain = without_brackets(cond);
            let subject = cond.split("其中").next().unwrap_or(cond);
            ctx.subject = Some(last_phrase(subject));
            // 「…稳定在92%以上，其中严格管控类耕地要全部落实风险管控措施，得2分」:
            // the 其中 phrase is a condition of the award besides the figure.
            let besides = plain
                .find("其中")
                .and_then(|i| plain.get(i + "其中".len()..))
                .map(|t| t.trim_matches(['，', ',']).to_string())
                .filter(|t| !t.is_empty() && !t.contains('、'));
            if let (true, Some(what)) = (stepped, besides) {
                let flag = ctx.input("met", "bool", what);
                ctx.rules.push(format!("award {} if {flag}", p.as_str()));
                return true;
            }
            // 「完成森林覆盖率、森林蓄积量目标任务，得2分。每少于目标0.05个百分点…」:
            // steps in 百分点 read the one rate of the list; the rest are the
            // award's condition.
            let items: Vec<&str> = plain.split('、').collect();
            let rates: Vec<&&str> = items.iter().filter(|i| i.contains('率')).collect();
            let in_points = next.is_some_and(|n| n.contains("百分点"));
            if let (true, true, [rate]) = (stepped && items.len() > 1, in_points, rates.as_slice())
            {
                let rest: Vec<&str> = items
                    .iter()
                    .filter(|i| !std::ptr::eq(**i, **rate))
                    .map(|i| i.trim())
                    .collect();
                ctx.subject = Some(last_phrase(rate));
                let flag = ctx.input("met", "bool", rest.join("、"));
                ctx.rules.push(format!("award {} if {flag}", p.as_str()));
                return true;
            }
            if stepped && plain.contains('、') {
                ctx.ambiguous = Some(format!(
                    "「{}，得{}分」 names more than the one figure the steps read: does the award need the rest as well (`award {} if …`)?",
                    plain.chars().take(40).collect::<String>(),
                    p.as_str(),
                    p.as_str()
                ));
            }
            ctx.rules.push(format!("award {}", p.as_str()));
            return true;
        }
        let what = label_before(&format!("{cond}，"), cond.len() + '，'.len_utf8());
        let flag = ctx.input("met", "bool", what);
        ctx.rules.push(format!("award {} if {flag}", p.as_str()));
        return true;
    }
    // 得1分。未达要求不得分: the award's own condition, said again.
    static RESTATED: OnceLock<Option<Regex>> = OnceLock::new();
    let restated = re(
        &RESTATED,
        r"^(?:否则|未完成|未达到|未达要求|超标一次|发现一个单位一次不达要求，该项)[^，。；]{0,8}不得分$",
    );
    // 「若…因其他辖区污染水体汇入导致超标，需提供调查依据…，方可不扣分」
    // after counted deductions: what is not counted, noted with the count.
    static EXEMPT: OnceLock<Option<Regex>> = OnceLock::new();
    if re(
        &EXEMPT,
        r"^（?(?:若|如)[^。；]*?(?:方可)?不(?:扣分|予扣分|计)）?$",
    )
    .is_some_and(|r| r.is_match(s))
        && ctx
            .rules
            .last()
            .is_some_and(|r| r.starts_with("deduct") && r.contains(" each "))
    {
        if let Some(i) = ctx.inputs.last_mut().filter(|i| i.ty == "count") {
            if let Some(open) = i.label.strip_suffix('）') {
                let note = s.trim_start_matches('（').trim_end_matches('）');
                i.label = format!("{open}；{note}）");
            }
        }
        return true;
    }
    // 「…，加3分；…无明显提升的，不加分」: the award's condition, said again.
    let no_award = s.ends_with("不加分") && !s.chars().any(|c| c.is_ascii_digit());
    if (restated.is_some_and(|r| r.is_match(s)) || no_award)
        && ctx
            .rules
            .last()
            .is_some_and(|r| r.starts_with("award") && r.contains(" if "))
    {
        return true;
    }
    // 超标一次不得分 / 发现一个单位一次不达要求，该项不得分
    if let Some(c) = once_none.captures(s) {
        let Some(what) = c.get(1) else { return false };
        if let Some(last) = ctx.rules.last().cloned() {
            if let Some(p) = last.strip_prefix("award ").filter(|p| dec(p).is_some()) {
                let n = ctx.input("n", "count", format!("{}（次数）", what.as_str()));
                ctx.rules.pop();
                ctx.rules.push(format!("award {p} if {n} = 0"));
                return true;
            }
        }
        return false;
    }
    if let Some(read) = share_times(ctx, s) {
        return read;
    }
    // 「…，得2分。…未完成的按实际完成项目的比例计分，完成率低于80%的，该项不得分」:
    // the award becomes a proportion, nothing below the floor.
    static SHARE: OnceLock<Option<Regex>> = OnceLock::new();
    if let Some(c) = re(
        &SHARE,
        &format!(r"^[^，,]*?按(?:实际)?完成[^，,]*?比例(?:计分|得分)(?:[，,]完成率低于{NUM}%的[，,]?(?:该项)?不得分)?$"),
    )
    .and_then(|r| r.captures(s))
    {
        let Some(last) = ctx.rules.pop() else {
            return false;
        };
        let Some((points, flag)) = last
            .strip_prefix("award ")
            .and_then(|r| r.split_once(" if "))
            .map(|(p, f)| (p.to_string(), f.to_string()))
        else {
            return false;
        };
        let what = ctx
            .inputs
            .iter()
            .position(|i| i.name == flag)
            .map(|k| ctx.inputs.remove(k).label)
            .unwrap_or_default();
        let done = ctx.input("done", "count", format!("{what}（完成项数）"));
        let task = ctx.input("task", "count > 0", format!("{what}（考核项数）"));
        let floor = c
            .get(1)
            .and_then(|f| dec(f.as_str()))
            .map(|f| format!(", nothing below {}", fmt_dec(f / Decimal::ONE_HUNDRED)))
            .unwrap_or_default();
        ctx.rules
            .push(format!("award {points} in proportion to {done} / {task}{floor}"));
        return true;
    }
    // 「完成目标任务得3分，未完成不得分，另加扣2分」: more than the node's points
    // lost — off what?
    if s.contains("另加扣") || s.contains("另扣") {
        ctx.ambiguous = Some(format!(
            "「{}」: the extra deduction beyond this node's points comes off what (the part, or the total: `to total`)?",
            {
                let p = phrases_of(s);
                p.get(p.len().saturating_sub(3)..).unwrap_or(&[]).join("，")
            }
        ));
        return true;
    }
    if s.contains("按完成比例得分") {
        static PTS: OnceLock<Option<Regex>> = OnceLock::new();
        let Some(pts) = re(&PTS, &format!(r"得{NUM}分")) else {
            return false;
        };
        let all = ctx.node.title.clone();
        let Some(p) = pts.captures(&all).and_then(|c| c.get(1)) else {
            return false;
        };
        let what = label_before(&all, all.find("，得").unwrap_or(0));
        let done = ctx.input("done", "count", format!("{what}（完成数）"));
        let task = ctx.input("task", "count > 0", format!("{what}（任务数）"));
        ctx.rules.push(format!(
            "award {} in proportion to {done} / {task}",
            p.as_str()
        ));
        return true;
    }
    // 每项最高扣1分: a cap on each rule before it; 最高扣3分 alone: on the rule before.
    if let Some(cap) = cap_in(s, "扣").or_else(|| cap_in(s, "加")) {
        let rest = s
            .replace("最高", "")
            .replace("最多", "")
            .replace("扣完", "");
        if s.contains("每项") {
            let mut any = false;
            for r in ctx.rules.iter_mut().filter(|r| !r.contains(" cap ")) {
                r.push_str(&format!(" cap {}", fmt_dec(cap)));
                any = true;
            }
            return any;
        }
        if !rest.contains('每') && !rest.contains("得") {
            return ctx
                .rules
                .last()
                .is_some_and(|r| r.contains(" cap ") || r.starts_with("cap "))
                || (ctx.bonus && s.starts_with("本项"));
        }
    }
    // 「…于9月底前完成建设，未完成扣1分」
    static UNDONE: OnceLock<Option<Regex>> = OnceLock::new();
    if let Some(c) = re(
        &UNDONE,
        &format!(r"^(.+?)[，,](未完成|未达到|未落实|未按时完成)扣{NUM}分$"),
    )
    .and_then(|r| r.captures(s))
    {
        let (Some(cond), Some(not), Some(p)) = (c.get(1), c.get(2), c.get(3)) else {
            return false;
        };
        if scores(cond.as_str()) {
            return false;
        }
        let flag = ctx.input(
            "hit",
            "bool",
            format!("{}（{}）", unmarked(cond.as_str()), not.as_str()),
        );
        ctx.rules.push(format!("deduct {} if {flag}", p.as_str()));
        return true;
    }
    // …的，扣2分
    if let Some(c) = deduct_if.captures(s) {
        let (Some(cond), Some(p)) = (c.get(1), c.get(2)) else {
            return false;
        };
        let cond = cond.as_str();
        if cond.contains('每') || scores(cond) {
            return false;
        }
        let what = label_before(&format!("{cond}，"), cond.len() + '，'.len_utf8());
        let flag = ctx.input("hit", "bool", what);
        ctx.rules.push(format!("deduct {} if {flag}", p.as_str()));
        return true;
    }
    // …的，加1分 (bonus)
    if let Some(c) = add_if.captures(s) {
        let (Some(cond), Some(p)) = (c.get(1), c.get(2)) else {
            return false;
        };
        let cond = cond.as_str();
        if cond.contains('每') || scores(cond) || !ctx.bonus {
            return false;
        }
        let what = label_before(&format!("{cond}，"), cond.len() + '，'.len_utf8());
        // 「获得…的加1分」 beside 「每有1个加…」: once, or for each one?
        if (what.starts_with('获') || what.contains("获得")) && body(ctx.node).contains("每有")
        {
            ctx.ambiguous = Some(format!(
                "「{what}，加{}分」: once, or for each one obtained, as the other sentences count (每有1个)?",
                p.as_str()
            ));
        }
        let flag = ctx.input("met", "bool", what);
        ctx.rules.push(format!("award {} if {flag}", p.as_str()));
        return true;
    }
    false
}

/// 「成功提款加0.5分」: a phrase awarding once, and what it awards for.
fn once_award(phrase: &str) -> Option<(String, String)> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    let c = re(&R, &format!(r"^([^每\d]{{4,}}?)的?加{NUM}分$"))?.captures(phrase)?;
    Some((
        c.get(1)?.as_str().to_string(),
        c.get(2)?.as_str().to_string(),
    ))
}

/// The last comma-separated phrase of a condition, commas inside brackets
/// aside (「…以上（因核算时间为每年6月完成，以2023年度完成91%进行考核）」 is one).
fn last_phrase(s: &str) -> String {
    phrases_of(s)
        .iter()
        .rev()
        .map(|p| unmarked(p.trim()).trim_end_matches('的').to_string())
        .find(|p| !p.is_empty())
        .unwrap_or_default()
}

/// A phrase without its bracketed asides (（提供清单、记录等）).
fn without_brackets(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '（' | '(' => depth += 1,
            '）' | ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The sentences of a node that state how it scores.
fn body(n: &Node) -> String {
    let title = unmarked(&n.title);
    // 「（4）移动源污染防治（2分）」 is a heading; 「…方可不扣分）」 is not.
    static POINTS_END: OnceLock<Option<Regex>> = OnceLock::new();
    let heading = !scores(title)
        || re(&POINTS_END, r"（\d+(?:\.\d+)?分）$").is_some_and(|r| r.is_match(title));
    let mut parts: Vec<&str> = Vec::new();
    if !heading {
        parts.push(title);
    }
    for t in &n.text {
        parts.push(t);
    }
    parts.join("。")
}

/// 「第（5）—（11）项不设基础分，…从第（1）—（4）项得分中扣分」: the parts
/// (first, last) with no base, and the parts whose pooled scores they
/// come off (first, last or a list).
fn pool(s: &str) -> Option<((u32, u32), Vec<u32>, bool)> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    let r = re(
        &R,
        r"^第?（(\d+)）(?:[—－-]（(\d+)）)?项(?:不设基础分|未设分值)，.*?从第?((?:（\d+）[—－-]?)+)项?得分中扣分",
    )?;
    let c = r.captures(s)?;
    let a: u32 = c.get(1)?.as_str().parse().ok()?;
    let b: u32 = c.get(2).and_then(|m| m.as_str().parse().ok()).unwrap_or(a);
    let list = c.get(3)?.as_str();
    let nums: Vec<u32> = list
        .split(['（', '）', '—', '－', '-'])
        .filter_map(|x| x.parse().ok())
        .collect();
    let range = list.contains('—') || list.contains('－') || list.contains('-');
    Some(((a, b), nums, range))
}

/// The `no base` and `off …` statements a pool sentence gives node `n`.
pub fn pool_statements(n: &Node, parent: Option<&Node>) -> Vec<String> {
    if n.kind != Kind::Part {
        return Vec::new();
    }
    let Some((item, own)) = n.id.rsplit_once('.') else {
        return Vec::new();
    };
    let Ok(own) = own.parse::<u32>() else {
        return Vec::new();
    };
    let texts = n
        .text
        .iter()
        .chain(parent.map(|p| p.text.iter()).into_iter().flatten());
    for t in texts {
        let Some(((a, b), nums, range)) = pool(t) else {
            continue;
        };
        if own < a || own > b || nums.is_empty() {
            continue;
        }
        let ids: Vec<String> = nums.iter().map(|k| format!("{item}.{k}")).collect();
        let off = if range && ids.len() == 2 {
            ids.join("..")
        } else {
            ids.join(", ")
        };
        return vec!["no base".into(), format!("off {off}")];
    }
    Vec::new()
}

/// 「每次扣0.05分；…每次扣0.1分，最高扣1分」: one 最高扣 after several
/// deductions caps them together (a `cap N { … }` block), not each.
fn block_caps(text: &str, rules: &mut Vec<String>) {
    if text.matches("最高扣").count() + text.matches("最多扣").count() != 1
        || text.contains("每项最高")
    {
        return;
    }
    let Some(cap) = cap_in(text, "扣") else {
        return;
    };
    let suffix = format!(" cap {}", fmt_dec(cap));
    let capped: Vec<usize> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.starts_with("deduct") && r.ends_with(&suffix))
        .map(|(i, _)| i)
        .collect();
    let deductions: Vec<usize> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.starts_with("deduct"))
        .map(|(i, _)| i)
        .collect();
    // Every deduction capped alike, or only the last (the cap written once
    // after them all: 「…每次扣0.1分；…每少1台扣0.1分，最多扣1分」).
    // Only the last is read as capped by the letter; round them all only
    // when that cannot change a score: the cap is what the node awards.
    let all = capped.len() == deductions.len();
    let awarded = rules
        .iter()
        .filter_map(|r| r.strip_prefix("award ").and_then(dec))
        .sum::<Decimal>();
    let only_last = capped.len() == 1 && capped.last() == deductions.last() && awarded == cap;
    if deductions.len() < 2 || !(all || only_last) {
        return;
    }
    let inner: Vec<String> = rules
        .iter()
        .filter(|r| r.starts_with("deduct"))
        .map(|r| r.trim_end_matches(&suffix).to_string())
        .collect();
    rules.retain(|r| !r.starts_with("deduct"));
    rules.insert(
        0,
        format!("cap {} {{\n{}\n}}", fmt_dec(cap), inner.join("\n")),
    );
}

/// Recognise one node's sentences.
pub fn recognise(n: &Node, parent: Option<&Node>, bonus: bool) -> Proposal {
    let mut ctx = Ctx {
        node: n,
        stem: stem(&n.id),
        inputs: Vec::new(),
        rules: Vec::new(),
        statements: Vec::new(),
        bonus,
        veto: false,
        ambiguous: None,
        subject: None,
    };
    let text = body(n);
    // 考核结果为“不合格”: each situation is a veto.
    let veto_parent = parent.is_some_and(|p| p.title.contains("不合格"));
    if veto_parent && n.kind == Kind::Clause {
        let what = unmarked(&n.title).trim_end_matches('。').to_string();
        let flag = ctx.input("hit", "bool", what);
        return Proposal {
            rules: vec![format!("veto if {flag}")],
            inputs: ctx.inputs,
            veto: true,
            ..Proposal::default()
        };
    }
    if text.trim().is_empty() {
        return Proposal::default();
    }
    let sentences: Vec<&str> = text
        .split(['。', '；', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    // One award (得N分; 「得到认可」 is none) before counted deductions.
    static GOT_ANY: OnceLock<Option<Regex>> = OnceLock::new();
    let awards = re(&GOT_ANY, &format!(r"得{NUM}分"))
        .map(|r| r.find_iter(&text).count())
        .unwrap_or(0);
    let has_deduction = text.contains('每') && text.contains('扣') && awards <= 1;
    let mut unread: Option<&str> = None;
    for (i, s) in sentences.iter().enumerate() {
        let next = sentences.get(i + 1).copied();
        let ok = sentence(&mut ctx, s, next, has_deduction);
        if !ok {
            unread = Some(s);
            break;
        }
    }
    if text.contains("从总分中") && n.kind != Kind::Section {
        for r in ctx.rules.iter_mut().filter(|r| r.starts_with("deduct")) {
            r.push_str(" to total");
        }
    }
    // 以上每项最高扣2分 in the parent: a cap on each of the children's rules.
    if let Some(cap) = parent
        .and_then(|p| p.text.iter().find(|t| t.contains("以上每项")))
        .and_then(|t| cap_in(t, "扣"))
    {
        let open: Vec<usize> = ctx
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.starts_with("deduct") && !r.contains(" cap "))
            .map(|(i, _)| i)
            .collect();
        if open.len() > 1 {
            // Several deductions under one clause: the clause is the 项 capped.
            let inner: Vec<String> = open
                .iter()
                .filter_map(|&i| ctx.rules.get(i).cloned())
                .collect();
            ctx.rules.retain(|r| !inner.contains(r));
            ctx.rules.insert(
                0,
                format!("cap {} {{\n{}\n}}", fmt_dec(cap), inner.join("\n")),
            );
        } else {
            for &i in &open {
                if let Some(r) = ctx.rules.get_mut(i) {
                    r.push_str(&format!(" cap {}", fmt_dec(cap)));
                }
            }
        }
    }
    // 「达到B级以上，得2分。未达要求的按以下情形扣分」 in the parent: the
    // children deduct only when the parent's level is not reached (unlike
    // 「完成…任务，得5分。未完成的按以下情形扣分」, where the deductions
    // are the shortfalls themselves).
    static LEVEL: OnceLock<Option<Regex>> = OnceLock::new();
    let level = parent.and_then(|p| {
        p.text
            .iter()
            .chain(std::iter::once(&p.title))
            .filter(|t| t.contains("按以下情形扣分"))
            .find_map(|t| {
                re(&LEVEL, r"([^。；，,]*?达到[^。；，,]*?以上)[，,]?得")
                    .and_then(|r| r.captures(t))
                    .and_then(|c| c.get(1))
                    .map(|m| (p, unmarked(m.as_str()).to_string()))
            })
    });
    if let Some((p, what)) = level {
        if ctx.rules.iter().any(|r| r.starts_with("deduct")) {
            // One fact for all the parent's clauses: named after the parent.
            let name = format!("{}_met", stem(&p.id));
            if !ctx.inputs.iter().any(|i| i.name == name) {
                ctx.inputs.push(InputDecl {
                    name: name.clone(),
                    ty: "bool".into(),
                    label: what,
                    param: None,
                });
            }
            for r in ctx.rules.iter_mut().filter(|r| r.starts_with("deduct")) {
                r.push_str(&format!(" unless {name}"));
            }
        }
    }
    // 「…得2分；…扣2分」 with the same amount: the deduction may be the
    // award's points lost again.
    let awarded: Vec<&str> = ctx
        .rules
        .iter()
        .filter_map(|r| r.strip_prefix("award "))
        .filter_map(|r| r.split_once(" if ").map(|(p, _)| p))
        .collect();
    if let Some(d) = ctx.rules.iter().find_map(|r| {
        r.strip_prefix("deduct ")
            .and_then(|r| r.split_once(" if "))
            .map(|(p, _)| p)
            .filter(|p| awarded.contains(p))
    }) {
        ctx.ambiguous = Some(format!(
            "a deduction of {d} after an award of {d}: the same points lost again (no deduction of its own) or a deduction on top? Say which"
        ));
    }
    // 同一事项…按最高分项扣分: one deduction per matter across the clauses
    // (a hit policy, pattern 10), not a deduction per clause.
    let hit_policy = |t: &str| t.contains("按最高分项扣分");
    if parent.is_some_and(|p| hit_policy(&p.title) || p.text.iter().any(|t| hit_policy(t)))
        && !ctx.rules.is_empty()
    {
        return Proposal {
            todo: Some(
                "按最高分项扣分: one deduction per matter at its largest situation across these clauses (docs/language.md pattern 10)"
                    .into(),
            ),
            ..Proposal::default()
        };
    }
    if n.no_base && ctx.rules.iter().any(|r| r.starts_with("award")) {
        return Proposal {
            todo: Some(
                "awards points on a node with no base (不设基础分): a bonus item, or a reading to decide"
                    .into(),
            ),
            ..Proposal::default()
        };
    }
    block_caps(&text, &mut ctx.rules);
    // 「…未达到 [cut off here]」: the text stops mid-sentence, so what was
    // read may be only half the rule.
    let ends = text.trim_end().ends_with([
        '。', '；', ';', '！', '？', '）', ')', '」', '”', '：', ':', '分',
    ]);
    if !ends && !ctx.rules.is_empty() {
        let tail: String = text
            .chars()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Proposal {
            todo: Some(format!(
                "the text stops mid-sentence (「…{tail}」): the rule may go on; complete the sentence from the document"
            )),
            ..Proposal::default()
        };
    }
    if let (None, Some(why)) = (unread.filter(|s| scores(s)), ctx.ambiguous.take()) {
        return Proposal {
            todo: Some(why),
            ..Proposal::default()
        };
    }
    match unread {
        Some(s) if scores(s) => Proposal {
            todo: Some(format!(
                "not read: 「{}」",
                s.chars().take(60).collect::<String>()
            )),
            ..Proposal::default()
        },
        _ if ctx.rules.is_empty() => Proposal::default(),
        _ => Proposal {
            statements: ctx.statements,
            rules: ctx.rules,
            inputs: ctx.inputs,
            todo: None,
            veto: ctx.veto,
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)]
    use super::*;

    fn read(sentence: &str) -> Proposal {
        let n = Node::new(Kind::Clause, "7.1.1", sentence);
        recognise(&n, None, false)
    }

    #[test]
    fn cookbook_phrasings() {
        let p =
            read("①每月组织开展检查并按要求上报月调度表，得1分。每漏报迟报一次扣0.1分，扣完为止。");
        assert_eq!(p.rules, vec!["award 1", "deduct 0.1 each c7_1_1_n cap 1"]);
        let p = read("（3）无“两高”未批先建项目，得1分。各类检查发现存在“两高”未批先建项目的，每发现1起扣0.2分，扣完1分为止。");
        assert_eq!(p.rules, vec!["award 1", "deduct 0.2 each c7_1_1_n cap 1"]);
        assert_eq!(
            p.inputs[0].label,
            "各类检查发现存在“两高”未批先建项目（起数）"
        );
        let p = read(
            "①完成年度环境空气质量优良天数比率控制目标，得3分。每低0.1个百分点扣0.3分。最高扣3分。",
        );
        assert_eq!(
            p.rules,
            vec![
                "award 3",
                "deduct 0.3 per 0.1 of c7_1_1_actual below c7_1_1_target cap 3"
            ]
        );
        assert_eq!(p.inputs[0].ty, "pct");
        let p = read("①开展非道路移动机械污染排放监督抽查联合执法，得0.8分，按完成比例得分。任务数：资源县16台。");
        assert_eq!(
            p.rules,
            vec!["award 0.8 in proportion to c7_1_1_done / c7_1_1_task"]
        );
        let p = read(
            "（1）将市生态环保目标责任书考核工作纳入县（市、区）绩效考核体系，得1分，否则不得分。",
        );
        assert_eq!(p.rules, vec!["award 1 if c7_1_1_met"]);
        assert_eq!(
            p.inputs[0].label,
            "将市生态环保目标责任书考核工作纳入县（市、区）绩效考核体系"
        );
        let p = read("⑤未按要求印发第二轮自治区生态环境保护督察反馈意见整改方案的，扣2分。");
        assert_eq!(p.rules, vec!["deduct 2 if c7_1_1_hit"]);
        // Tiers: the strictest threshold first.
        let p = read("①PM2.5小时均值浓度高于75微克/立方米的，扣1分，高于115微克/立方米的，扣2分。");
        assert_eq!(
            p.rules,
            vec!["deduct tiers c7_1_1_value { > 115: 2, > 75: 1 }"]
        );
        assert_eq!(p.inputs[0].ty, "ug");
        // Places: 倒数第一 is place 1 from the bottom.
        let p = read("④排名倒数第一的扣3分，排名倒数第二的扣2分，排名倒数第三的扣1分。");
        assert_eq!(
            p.rules,
            vec!["deduct tiers c7_1_1_place { = 1: 3, = 2: 2, = 3: 1 }"]
        );
        // Not read: mixed directions are left to the author, with the sentence.
        let p = read("①浓度高于75微克/立方米的，扣1分，低于35微克/立方米的，加1分。");
        assert!(p.rules.is_empty() && p.todo.is_some_and(|t| t.contains("高于75")));
        // A shortfall is labelled as one; 少扣 is no deduction of its own.
        let p = read("每少完成一件生态损害赔偿案件，扣1分。");
        assert_eq!(p.rules, vec!["deduct 1 each c7_1_1_n"]);
        assert_eq!(p.inputs[0].label, "生态损害赔偿案件（比要求少的件数）");
        let p = read("未达标的，每项扣0.2分（当日整治的，每项少扣0.1分）。");
        assert!(p.rules.is_empty() && p.todo.is_some());
        // A count for each kind; places moved; runs of places.
        let p = read("每发现1套设施未正常运行的，规模100吨及以上扣1分，规模100吨以下扣0.5分。");
        assert_eq!(
            p.rules,
            vec!["deduct 1 each c7_1_1_n", "deduct 0.5 each c7_1_1_n2"]
        );
        assert_eq!(p.inputs[1].label, "设施未正常运行（规模100吨以下，套数）");
        let p = read("指标排名较上年排名提高1名加0.1分，最多加1分。");
        assert_eq!(p.rules, vec!["award 0.1 each c7_1_1_n cap 1"]);
        let p = read("排名第一至三的加0.2分，排名第四至六的加0.1分，排名第七、八的加0.05分。");
        assert_eq!(
            p.rules,
            vec!["award tiers c7_1_1_place { 1 to 3: 0.2, 4 to 6: 0.1, 7 to 8: 0.05 }"]
        );
        let p = read("罚款，500元—1000元（含）1次加0.05分，1万以上1次加0.3分，最高加1分。");
        assert_eq!(
            p.rules,
            vec!["cap 1 {\naward 0.05 each c7_1_1_n\naward 0.3 each c7_1_1_n2\n}"]
        );
        assert_eq!(p.inputs[1].label, "罚款：1万以上（次数）");
        let p = read("②设施正常运行（每厂2个考核项，即负荷率、进水浓度），得2分。未完成的按实际完成项目的比例计分，完成率低于80%的，该项不得分。");
        assert_eq!(
            p.rules,
            vec!["award 2 in proportion to c7_1_1_done / c7_1_1_task, nothing below 0.8"]
        );
        assert_eq!(
            p.inputs[0].label,
            "设施正常运行（每厂2个考核项，即负荷率、进水浓度）（完成项数）"
        );
        let p = read("②完成目标任务得3分，未完成不得分，另加扣2分。");
        assert!(p.todo.is_some_and(|t| t.contains("off what")));
        // Ambiguous readings become to-dos saying what to decide.
        let p = read("①建立制度的，得1分；未发生污染天气的，得2分。造成污染的，扣2分。");
        assert!(p.rules.is_empty() && p.todo.is_some_and(|t| t.contains("same points")));
        let p = read("（5）农用地安全利用率稳定在92%以上，其中严格管控类耕地要全部落实风险管控措施，得2分。每低1个百分点扣0.2分，最高扣2分。");
        assert_eq!(
            p.rules,
            vec![
                "award 2 if c7_1_1_met",
                "deduct 0.2 per 1 of c7_1_1_actual below c7_1_1_target cap 2"
            ]
        );
        assert_eq!(p.inputs[0].label, "严格管控类耕地要全部落实风险管控措施");
        assert_eq!(p.inputs[1].label, "农用地安全利用率稳定在92%以上（实际）");
        // 「A率、B量」 with steps in 百分点: the steps read the rate, the award needs B.
        let p = read("（1）完成森林覆盖率、森林蓄积量目标任务，得2分。每少于目标0.05个百分点扣0.3分，最高扣2分。");
        assert_eq!(p.rules[0], "award 2 if c7_1_1_met");
        assert_eq!(p.inputs[0].label, "森林蓄积量目标任务");
        // Two rates: which one do the steps read?
        let p = read("（1）完成森林覆盖率、湿地保护率目标任务，得2分。每少于目标0.05个百分点扣0.3分，最高扣2分。");
        assert!(p
            .todo
            .is_some_and(|t| t.contains("more than the one figure")));
    }

    #[test]
    fn pools_from_the_item_or_the_part() {
        let mut item = Node::new(Kind::Item, "5", "打好蓝天保卫战");
        item.text
            .push("第（5）—（11）项不设基础分，未达要求的，从第（1）—（4）项得分中扣分。".into());
        let part = Node::new(Kind::Part, "5.7", "（7）混凝土及预拌砂浆企业管理");
        assert_eq!(
            pool_statements(&part, Some(&item)),
            vec!["no base", "off 5.1..5.4"]
        );
        let first = Node::new(Kind::Part, "5.4", "（4）移动源污染防治（2分）");
        assert!(pool_statements(&first, Some(&item)).is_empty());
        let mut own = Node::new(Kind::Part, "12.3", "（3）自然生态环境监管");
        own.text
            .push("第（3）项未设分值，未完成从（1）（2）得分中扣分。".into());
        assert_eq!(
            pool_statements(&own, None),
            vec!["no base", "off 12.1, 12.2"]
        );
    }

    #[test]
    fn deductions_under_a_level_not_reached() {
        let mut parent = Node::new(Kind::Part, "7.3", "（3）危险废物规范化环境管理评估（2分）");
        parent.text.push(
            "危险废物规范化管理评估达到B级（含）以上，得2分。未达要求的按以下情形扣分，最高扣2分。"
                .into(),
        );
        let n = Node::new(
            Kind::Clause,
            "7.3.2",
            "②自治区级考核辖区企业危险废物规范化管理工作不达标的，每家扣0.5分；基本达标的，每家扣0.3分。",
        );
        let p = recognise(&n, Some(&parent), false);
        assert_eq!(
            p.rules,
            vec![
                "deduct 0.5 each c7_3_2_n unless c7_3_met",
                "deduct 0.3 each c7_3_2_n2 unless c7_3_met"
            ]
        );
        assert_eq!(p.inputs[2].label, "危险废物规范化管理评估达到B级（含）以上");
        // 「完成…任务，得5分。未完成的按以下情形扣分」: the deductions are the shortfall.
        let mut item = Node::new(Kind::Item, "10", "加强农村环境整治");
        item.text
            .push("完成农村环境整治工作任务，得5分。未完成的按以下情形扣分，最高扣5分。".into());
        let n = Node::new(
            Kind::Part,
            "10.1",
            "（1）每少完成1个行政村的治理任务扣1分。",
        );
        assert_eq!(
            recognise(&n, Some(&item), false).rules,
            vec!["deduct 1 each c10_1_n"]
        );
    }

    #[test]
    fn vetoes_and_bonus() {
        let parent = Node::new(
            Kind::Part,
            "21.2",
            "（2）具有以下情形之一的，考核结果为“不合格”：",
        );
        let n = Node::new(
            Kind::Clause,
            "21.2.4",
            "④在考核过程中弄虚作假，隐瞒事实真相的。",
        );
        let p = recognise(&n, Some(&parent), false);
        assert!(p.veto);
        assert_eq!(p.rules, vec!["veto if c21_2_4_hit"]);
        let n = Node::new(
            Kind::Part,
            "B6.8",
            "⑧对加油站开展监督性检测，每完成1家次加0.1分，最多加1分。",
        );
        let p = recognise(&n, None, true);
        assert_eq!(p.rules, vec!["award 0.1 each b6_8_n cap 1"]);
    }
}
