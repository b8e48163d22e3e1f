//! `--format html`: one self-contained page with charts.
//!
//! In: a checked [`Program`] and the scored units. Out: an HTML page that
//! needs nothing else — inline CSS, inline SVG charts, no script, no web
//! font, no link to any other resource — so it opens offline and prints:
//! the summary of all units, a ranking chart by total, and per unit a
//! chart of the points lost in each section and its items with every
//! deduction's reason and the document's sentence it cites. Every string
//! from the rulebook or the data is HTML-escaped. Chart geometry is
//! computed with decimals; the same results give the same bytes.

use crate::fmt_dec;
use crate::official::{self, Note, Section};
use rulebook_eval::eval::UnitResult;
use rulebook_lang::ir::Program;
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// Escape text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ink: #1f2933; --muted: #5f6b7a; --line: #d5dbe3; --accent: #2f6fb0; --lost: #c8453b; --gain: #2e8b57; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Zen Hei", "SimSun", sans-serif;
  font-size: 14px; line-height: 1.6; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 15px; margin: 18px 0 6px; color: var(--muted); }
.doc { color: var(--muted); margin: 0 0 12px; }
nav { margin: 8px 0 0; }
nav a { display: inline-block; margin: 0 10px 4px 0; color: var(--accent); text-decoration: none; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: 5px 8px; vertical-align: top; text-align: left; }
th { background: #eef3f9; font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.sec td { background: #f6f8fb; font-weight: 600; }
tr.sum td { font-weight: 700; background: #f6f8fb; }
.bad { color: var(--lost); font-weight: 600; }
.good { color: var(--gain); }
.totals { font-size: 15px; margin: 4px 0 8px; }
.totals b { font-size: 18px; }
.veto { border-left: 4px solid var(--lost); background: #fbeeed; padding: 6px 10px; margin: 8px 0; }
ul.notes { margin: 0; padding-left: 1.1em; }
ul.notes li { margin: 0 0 4px; }
.cite { display: block; color: var(--muted); font-size: 12.5px; border-left: 3px solid var(--line); padding-left: 8px; margin: 2px 0 6px; }
.cite b { color: var(--ink); font-weight: 600; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font-family: inherit; }
.unit { break-before: page; }
@media print {
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
}
"#;

/// The whole page.
pub fn render(program: &Program, units: &[UnitResult]) -> String {
    let sections = official::sections(program);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{} 考核结果</title>", esc(&program.title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    let _ = writeln!(out, "<h1>{} 考核结果</h1>", esc(&program.title));
    let _ = writeln!(
        out,
        "<p class=\"doc\">{} · 共 {} 个单位</p>",
        esc(&program.document),
        units.len()
    );
    out.push_str("<nav>");
    out.push_str("<a href=\"#summary\">汇总</a><a href=\"#ranking\">排名</a>");
    for (k, u) in units.iter().enumerate() {
        let _ = write!(out, "<a href=\"#u{k}\">{}</a>", esc(&u.unit));
    }
    out.push_str("</nav>\n");
    summary(&mut out, units);
    ranking(&mut out, units);
    let scale = lost_scale(units, &sections);
    for (k, u) in units.iter().enumerate() {
        unit(&mut out, program, &sections, u, k, units.len(), scale);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn summary(out: &mut String, units: &[UnitResult]) {
    out.push_str("<h2 id=\"summary\">汇总</h2>\n<table>\n<thead><tr><th>单位</th><th class=\"num\">基础得分</th><th class=\"num\">从总分扣减</th><th class=\"num\">加分</th><th class=\"num\">总分</th><th>等次</th><th>一票否决</th><th class=\"num\">排名</th></tr></thead>\n<tbody>\n");
    for (k, u) in units.iter().enumerate() {
        let vetoes: Vec<String> = u.vetoes.iter().map(|v| esc(&v.id)).collect();
        let grade_class = if u.vetoes.is_empty() {
            ""
        } else {
            " class=\"bad\""
        };
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#u{k}\">{}</a></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\"><b>{}</b></td><td{grade_class}>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(&u.unit),
            fmt_dec(u.base),
            fmt_dec(u.total_deductions),
            fmt_dec(u.bonus),
            fmt_dec(u.total),
            esc(&u.grade),
            vetoes.join("、"),
            u.rank
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// `n × width / scale`, to one decimal place; 0 when the scale is not positive.
fn bar(n: Decimal, scale: Decimal, width: Decimal) -> Decimal {
    if scale <= Decimal::ZERO || n <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    (n.min(scale) * width / scale).round_dp(1)
}

fn px(d: Decimal) -> String {
    fmt_dec(d.round_dp(1))
}

/// Horizontal bars of the totals, best first.
fn ranking(out: &mut String, units: &[UnitResult]) {
    let mut order: Vec<&UnitResult> = units.iter().collect();
    order.sort_by_key(|u| u.rank);
    let label_w = Decimal::from(150);
    let bar_w = Decimal::from(560);
    let row_h = 28u32;
    let top = 10u32;
    let max = order.iter().map(|u| u.total).max().unwrap_or(Decimal::ZERO);
    let height = top * 2 + row_h * u32::try_from(order.len()).unwrap_or(0) + 16;
    out.push_str("<h2 id=\"ranking\">总分排名</h2>\n");
    let _ = writeln!(
        out,
        "<svg role=\"img\" aria-label=\"总分排名\" viewBox=\"0 0 820 {height}\" width=\"820\" height=\"{height}\">"
    );
    for (k, u) in (0u32..).zip(&order) {
        let y = top + k * row_h;
        let w = bar(u.total, max, bar_w);
        let fill = if u.vetoes.is_empty() {
            "#2f6fb0"
        } else {
            "#b7bec8"
        };
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1f2933\">{}. {}</text>",
            px(label_w - Decimal::from(8)),
            y + 18,
            u.rank,
            esc(&u.unit)
        );
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"20\" rx=\"2\" fill=\"{fill}\"/>",
            px(label_w),
            y + 4,
            px(w)
        );
        let note = if u.vetoes.is_empty() {
            String::new()
        } else {
            format!("（{}）", esc(&u.grade))
        };
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#1f2933\">{}{note}</text>",
            px(label_w + w + Decimal::from(6)),
            y + 18,
            fmt_dec(u.total)
        );
    }
    out.push_str("</svg>\n");
}

/// One scale for every unit's section chart, so bars compare across units.
fn lost_scale(units: &[UnitResult], sections: &[Section]) -> Decimal {
    let mut max = Decimal::ONE;
    for s in sections.iter().filter(|s| !s.bonus) {
        if let Some(p) = s.points {
            max = max.max(p);
        }
        for u in units {
            max = max.max(official::section_lost(u, s));
        }
    }
    max
}

/// Bars of the points lost in each base section (over a track of its
/// points), and the bonus gained against its cap.
fn section_chart(out: &mut String, sections: &[Section], u: &UnitResult, scale: Decimal) {
    let label_w = Decimal::from(300);
    let bar_w = Decimal::from(440);
    let row_h = 30u32;
    let rows: Vec<&Section> = sections.iter().collect();
    let height = 12 + row_h * u32::try_from(rows.len()).unwrap_or(0) + 8;
    let _ = writeln!(
        out,
        "<svg role=\"img\" aria-label=\"各部分失分\" viewBox=\"0 0 1000 {height}\" width=\"1000\" height=\"{height}\">"
    );
    for (k, s) in (0u32..).zip(rows) {
        let y = 8 + k * row_h;
        let title: String = s.label.chars().take(22).collect();
        let title = if s.label.chars().count() > 22 {
            format!("{title}…")
        } else {
            title
        };
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1f2933\">{}</text>",
            px(label_w - Decimal::from(8)),
            y + 17,
            esc(&title)
        );
        let (track, value, fill, words) = if s.bonus {
            let got = u
                .nodes
                .get(s.node as usize)
                .map_or(Decimal::ZERO, |n| n.score);
            let cap = s.cap.unwrap_or(got);
            let words = match s.cap {
                Some(c) => format!("加 {} / 上限 {}", fmt_dec(got), fmt_dec(c)),
                None => format!("加 {}", fmt_dec(got)),
            };
            (cap, got, "#2e8b57", words)
        } else {
            let lost = official::section_lost(u, s);
            let points = s.points.unwrap_or(Decimal::ZERO);
            let words = if points.is_zero() {
                format!("失 {}", fmt_dec(lost))
            } else {
                format!("失 {} / {} 分", fmt_dec(lost), fmt_dec(points))
            };
            (points, lost, "#c8453b", words)
        };
        let tw = bar(track, scale, bar_w);
        let vw = bar(value, scale, bar_w);
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\" fill=\"#e8ecf1\"/>",
            px(label_w),
            y + 4,
            px(tw)
        );
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\" fill=\"{fill}\"/>",
            px(label_w),
            y + 4,
            px(vw)
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#1f2933\">{}</text>",
            px(label_w + tw.max(vw) + Decimal::from(8)),
            y + 17,
            esc(&words)
        );
    }
    out.push_str("</svg>\n");
}

fn unit(
    out: &mut String,
    program: &Program,
    sections: &[Section],
    u: &UnitResult,
    k: usize,
    batch: usize,
    scale: Decimal,
) {
    let grade_class = if u.vetoes.is_empty() { "good" } else { "bad" };
    let _ = writeln!(
        out,
        "<section class=\"unit\" id=\"u{k}\">\n<h2>{} <span class=\"{grade_class}\">{}</span></h2>",
        esc(&u.unit),
        esc(&u.grade)
    );
    let _ = writeln!(
        out,
        "<p class=\"totals\">{}；排名 {}/{}</p>",
        esc(&crate::total_formula(u)),
        u.rank,
        batch
    );
    for v in &u.vetoes {
        let _ = writeln!(
            out,
            "<div class=\"veto\">一票否决 <b>{}</b>：{}</div>",
            esc(&v.id),
            esc(&v.reason)
        );
    }
    out.push_str("<h3>各部分失分</h3>\n");
    section_chart(out, sections, u, scale);
    out.push_str("<h3>逐项得分与扣分说明</h3>\n<table>\n<thead><tr><th>指标</th><th class=\"num\">分值</th><th class=\"num\">得分</th><th>扣分说明与条款原文</th></tr></thead>\n<tbody>\n");
    for s in sections {
        let _ = writeln!(
            out,
            "<tr class=\"sec\"><td colspan=\"4\">{}</td></tr>",
            esc(&s.label)
        );
        for it in &s.items {
            let points = match it.points {
                Some(p) => fmt_dec(p),
                None if it.to_total_only => "从总分扣".into(),
                None => String::new(),
            };
            let score = official::item_score(program, u, it.node);
            let notes = official::notes(program, u, it.node);
            let lost = it.points.is_some_and(|p| score < p) || score < Decimal::ZERO;
            let score_class = if lost { "num bad" } else { "num" };
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"{score_class}\">{}</td><td>",
                esc(&it.label),
                esc(&points),
                fmt_dec(score)
            );
            notes_html(out, &notes);
            let to_total = official::item_to_total(u, it.node);
            if it.points.is_some() && !to_total.is_zero() {
                let _ = write!(out, "<div>另从总分中扣减 {} 分</div>", fmt_dec(to_total));
            }
            out.push_str("</td></tr>\n");
        }
        if s.bonus {
            let got = u
                .nodes
                .get(s.node as usize)
                .map_or(Decimal::ZERO, |n| n.score);
            let cap = s
                .cap
                .map(|c| format!("上限 {}", fmt_dec(c)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<tr class=\"sum\"><td>加分合计</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&cap),
                fmt_dec(got),
                esc(&s.text.join(""))
            );
        }
    }
    let _ = writeln!(
        out,
        "<tr class=\"sum\"><td>从总分中扣减</td><td></td><td class=\"num\">{}</td><td></td></tr>",
        fmt_dec(-u.total_deductions)
    );
    let _ = writeln!(
        out,
        "<tr class=\"sum\"><td>总分</td><td></td><td class=\"num\">{}</td><td>等次：{}</td></tr>",
        fmt_dec(u.total),
        esc(&u.grade)
    );
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// The notes of an item, each clause's sentence cited once after its notes.
fn notes_html(out: &mut String, notes: &[Note]) {
    if notes.is_empty() {
        return;
    }
    out.push_str("<ul class=\"notes\">");
    let mut k = 0;
    while let Some(first) = notes.get(k) {
        let group: Vec<&Note> = notes
            .iter()
            .skip(k)
            .take_while(|n| n.cite == first.cite)
            .collect();
        k += group.len();
        out.push_str("<li>");
        for n in &group {
            let _ = write!(out, "<div>{}</div>", esc(&n.line()));
        }
        if !first.sentence.is_empty() {
            let _ = write!(
                out,
                "<span class=\"cite\"><b>{}</b> 「{}」</span>",
                esc(&first.cite),
                esc(&first.sentence)
            );
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
}
