//! `rulebook diff OLD NEW`: what changed between two rulebooks (two years'
//! tables, or two drafts): items and clauses added, removed or changed —
//! points, responsible units, original sentences, rules — and inputs,
//! globals and parameters added, removed or retyped.

use crate::fmt_dec;
use rulebook_lang::ir::{InputDef, NodeDef, Program};
use std::collections::BTreeMap;

/// One difference, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `+` added, `-` removed, `~` changed.
    pub mark: char,
    /// What it is about: a node id, or `input x`.
    pub what: String,
    pub detail: String,
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn node_summary(n: &NodeDef) -> String {
    let points = n
        .points
        .map(|p| format!("，{} 分", fmt_dec(p)))
        .unwrap_or_default();
    format!("{}{points}", n.title)
}

fn compare_nodes(old: &NodeDef, new: &NodeDef, out: &mut Vec<Change>) {
    let mut say = |detail: String| {
        out.push(Change {
            mark: '~',
            what: new.id.clone(),
            detail,
        })
    };
    if old.title != new.title {
        say(format!("标题：「{}」→「{}」", old.title, new.title));
    }
    if old.points != new.points {
        let p = |x: Option<rust_decimal::Decimal>| {
            x.map(fmt_dec).unwrap_or_else(|| "不设基础分".into())
        };
        say(format!("分值：{} → {}", p(old.points), p(new.points)));
    }
    if old.by != new.by {
        say(format!(
            "考核单位：「{}」→「{}」",
            old.by.join("；"),
            new.by.join("；")
        ));
    }
    if old.text != new.text {
        say(format!(
            "计分标准原文：「{}」→「{}」",
            old.text.join(" "),
            new.text.join(" ")
        ));
    }
    let rules = |n: &NodeDef| {
        n.rules
            .iter()
            .map(|r| squash(&r.source))
            .collect::<Vec<_>>()
    };
    let (ro, rn) = (rules(old), rules(new));
    for r in ro.iter().filter(|r| !rn.contains(r)) {
        say(format!("删去规则：{r}"));
    }
    for r in rn.iter().filter(|r| !ro.contains(r)) {
        say(format!("新增规则：{r}"));
    }
    if old.target != new.target || old.cap != new.cap || old.bonus != new.bonus {
        say("扣分去向或封顶改变".into());
    }
}

fn input_summary(d: &InputDef) -> String {
    let optional = if d.optional { "，可不填" } else { "" };
    format!("{}（{}{optional}）", d.label, d.ty.describe())
}

fn compare_inputs(kind: &str, old: &[InputDef], new: &[InputDef], out: &mut Vec<Change>) {
    let o: BTreeMap<&str, &InputDef> = old.iter().map(|d| (d.name.as_str(), d)).collect();
    let n: BTreeMap<&str, &InputDef> = new.iter().map(|d| (d.name.as_str(), d)).collect();
    for (name, d) in &o {
        if !n.contains_key(name) {
            out.push(Change {
                mark: '-',
                what: format!("{kind} {name}"),
                detail: input_summary(d),
            });
        }
    }
    for (name, d) in &n {
        match o.get(name) {
            None => out.push(Change {
                mark: '+',
                what: format!("{kind} {name}"),
                detail: input_summary(d),
            }),
            Some(prev)
                if prev.ty != d.ty || prev.optional != d.optional || prev.range != d.range =>
            {
                out.push(Change {
                    mark: '~',
                    what: format!("{kind} {name}"),
                    detail: format!("{} → {}", input_summary(prev), input_summary(d)),
                })
            }
            Some(prev) if prev.label != d.label => out.push(Change {
                mark: '~',
                what: format!("{kind} {name}"),
                detail: format!("标签：「{}」→「{}」", prev.label, d.label),
            }),
            Some(_) => {}
        }
    }
}

/// Every difference from `old` to `new`, in document order of `new`
/// (removed nodes after the node that preceded them).
pub fn diff(old: &Program, new: &Program) -> Vec<Change> {
    let mut out = Vec::new();
    if old.title != new.title {
        out.push(Change {
            mark: '~',
            what: "rulebook".into(),
            detail: format!("「{}」→「{}」", old.title, new.title),
        });
    }
    if old.document != new.document {
        out.push(Change {
            mark: '~',
            what: "document".into(),
            detail: format!("「{}」→「{}」", old.document, new.document),
        });
    }
    let old_nodes: BTreeMap<&str, &NodeDef> = old
        .nodes
        .iter()
        .skip(1)
        .map(|n| (n.id.as_str(), n))
        .collect();
    let new_ids: std::collections::BTreeSet<&str> =
        new.nodes.iter().skip(1).map(|n| n.id.as_str()).collect();
    for n in new.nodes.iter().skip(1) {
        match old_nodes.get(n.id.as_str()) {
            None => out.push(Change {
                mark: '+',
                what: n.id.clone(),
                detail: node_summary(n),
            }),
            Some(o) => compare_nodes(o, n, &mut out),
        }
    }
    for n in old
        .nodes
        .iter()
        .skip(1)
        .filter(|n| !new_ids.contains(n.id.as_str()))
    {
        out.push(Change {
            mark: '-',
            what: n.id.clone(),
            detail: node_summary(n),
        });
    }
    if old.nodes.first().and_then(|r| r.points) != new.nodes.first().and_then(|r| r.points) {
        let p = |x: Option<rust_decimal::Decimal>| x.map(fmt_dec).unwrap_or_else(|| "—".into());
        out.push(Change {
            mark: '~',
            what: "总分".into(),
            detail: format!(
                "{} → {}",
                p(old.nodes.first().and_then(|r| r.points)),
                p(new.nodes.first().and_then(|r| r.points))
            ),
        });
    }
    compare_inputs("input", &old.inputs, &new.inputs, &mut out);
    compare_inputs("global", &old.globals, &new.globals, &mut out);
    let params = |p: &Program| p.params.iter().map(|d| d.input.clone()).collect::<Vec<_>>();
    compare_inputs("param", &params(old), &params(new), &mut out);
    for np in &new.params {
        if let Some(op) = old.params.iter().find(|p| p.input.name == np.input.name) {
            if op.values != np.values {
                let v = |vals: &[(String, rust_decimal::Decimal)]| {
                    vals.iter()
                        .map(|(u, v)| format!("{u} {}", fmt_dec(*v)))
                        .collect::<Vec<_>>()
                        .join("，")
                };
                out.push(Change {
                    mark: '~',
                    what: format!("param {}", np.input.name),
                    detail: format!("取值：{} → {}", v(&op.values), v(&np.values)),
                });
            }
        }
    }
    out
}

/// The differences as lines of text.
pub fn render(changes: &[Change]) -> String {
    let mut s = String::new();
    for c in changes {
        s.push_str(&format!("{} {}  {}\n", c.mark, c.what, c.detail));
    }
    let count = |m: char| changes.iter().filter(|c| c.mark == m).count();
    s.push_str(&format!(
        "{} added, {} removed, {} changed\n",
        count('+'),
        count('-'),
        count('~')
    ));
    s
}
