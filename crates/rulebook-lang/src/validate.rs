//! Validating a compiled rulebook read from disk.
//!
//! The checker builds an IR that is right by construction; a compiled file
//! may have been edited by hand, truncated or written by another version.
//! Before such a file is evaluated, [`validate`] checks everything the
//! evaluator relies on: the version, every index (inputs, globals,
//! parameters, derived values, ranks, tables, locals, nodes, blocks) in
//! range, derived values depending only on earlier ones, the nodes forming
//! one tree numbered parents first, every pool made of a node's parts, every
//! rule's settlement plan the one its node and targets give, and sizes within
//! bounds. It finds every problem in one pass and never recurses deeper than
//! the (bounded) expression depth.

use crate::ir::{settlement, Amount, Expr, NodeDef, Program, RuleKind, Target, IR_VERSION};

/// The most items of each kind (nodes, inputs, rules of a node, …) a
/// compiled rulebook may hold; far above any real table.
pub const MAX_ITEMS: usize = 1_000_000;
/// The deepest expression accepted (the parser's limit).
pub const MAX_DEPTH: usize = crate::parse::MAX_DEPTH;
/// The most comprehension variables live at once.
pub const MAX_LOCALS: u32 = 4096;

/// Every problem found in `p`, in words, each naming where it is; empty when
/// the program can be evaluated.
pub fn validate(p: &Program) -> Vec<String> {
    let mut v = Validator {
        p,
        errors: Vec::new(),
    };
    v.program();
    v.errors
}

struct Validator<'p> {
    p: &'p Program,
    errors: Vec<String>,
}

/// Which derived values an expression may read: those before `limit`.
#[derive(Clone, Copy)]
struct Scope {
    lets_below: usize,
}

impl Validator<'_> {
    fn err(&mut self, at: &str, msg: String) {
        // Enough to act on; a wholly broken file need not list millions.
        if self.errors.len() < 50 {
            self.errors.push(format!("{at}: {msg}"));
        }
    }

    fn program(&mut self) {
        let p = self.p;
        if p.version != IR_VERSION {
            self.err(
                "version",
                format!(
                    "compiled by another version (IR {}, this tool reads {IR_VERSION}); compile it again",
                    p.version
                ),
            );
            return;
        }
        let sizes = [
            ("inputs", p.inputs.len()),
            ("globals", p.globals.len()),
            ("params", p.params.len()),
            ("lets", p.lets.len()),
            ("tables", p.tables.len()),
            ("ranks", p.ranks.len()),
            ("across", p.across.len()),
            ("nodes", p.nodes.len()),
            ("grades", p.grades.len()),
            ("tests", p.tests.len()),
        ];
        for (what, n) in sizes {
            if n > MAX_ITEMS {
                self.err(
                    what,
                    format!("{n} entries, more than the {MAX_ITEMS} allowed"),
                );
                return;
            }
        }
        if p.locals > MAX_LOCALS {
            self.err(
                "locals",
                format!("{} variables, more than the {MAX_LOCALS} allowed", p.locals),
            );
        }
        if let Some(crate::ir::YearSource::Global(g)) = p.year {
            if g as usize >= p.globals.len() {
                self.err(
                    "year",
                    format!(
                        "reads global fact #{g}, which does not exist ({} defined)",
                        p.globals.len()
                    ),
                );
            }
        }
        for (i, t) in p.tables.iter().enumerate() {
            if t.rows.iter().any(|(k, _)| k.len() != t.arity) {
                self.err(
                    &format!("table `{}` (#{i})", t.name),
                    format!("a row does not have its {} keys", t.arity),
                );
            }
        }
        let all = Scope {
            lets_below: p.lets.len(),
        };
        for (i, l) in p.lets.iter().enumerate() {
            // Derived values are ordered: each reads only earlier ones.
            self.expr(
                &format!("derived value `{}`", l.name),
                &l.expr,
                Scope { lets_below: i },
            );
        }
        for (i, e) in p.ranks.iter().enumerate() {
            self.expr(&format!("rank #{}", i + 1), e, all);
        }
        for (i, a) in p.across.iter().enumerate() {
            let at = format!("batch aggregate #{}", i + 1);
            self.expr(&at, &a.expr, all);
            if let Some(f) = &a.filter {
                self.expr(&at, f, all);
            }
        }
        for g in &p.grades {
            if let Some(c) = &g.condition {
                self.expr(&format!("grade `{}`", g.name), c, all);
            }
        }
        self.tree();
        for (i, n) in p.nodes.iter().enumerate() {
            self.node(i, n, all);
        }
    }

    /// One tree: node 0 is the root, every other node is reached exactly
    /// once, as a child of its `parent`, numbered after it.
    fn tree(&mut self) {
        let p = self.p;
        let Some(root) = p.nodes.first() else {
            self.err("nodes", "there is no root node".into());
            return;
        };
        if root.parent.is_some() {
            self.err("node #0", "the root has a parent".into());
        }
        let mut seen = vec![false; p.nodes.len()];
        if let Some(s) = seen.first_mut() {
            *s = true;
        }
        for (i, n) in p.nodes.iter().enumerate() {
            let at = node_at(i, n);
            if n.children.len() > MAX_ITEMS {
                self.err(&at, "too many children".into());
                continue;
            }
            for &c in &n.children {
                let ci = c as usize;
                let Some(child) = p.nodes.get(ci) else {
                    self.err(&at, format!("child #{c} does not exist"));
                    continue;
                };
                if ci <= i {
                    self.err(&at, format!("child #{c} is numbered before its parent"));
                    continue;
                }
                if child.parent != Some(i as u32) {
                    self.err(&at, format!("child #{c} names another parent"));
                }
                match seen.get_mut(ci) {
                    Some(s) if *s => self.err(&at, format!("node #{c} is a child twice")),
                    Some(s) => *s = true,
                    None => {}
                }
            }
        }
        for (i, s) in seen.iter().enumerate() {
            if !s {
                self.err(&format!("node #{i}"), "is not part of the table".into());
            }
        }
    }

    fn node(&mut self, i: usize, n: &NodeDef, scope: Scope) {
        let p = self.p;
        let at = node_at(i, n);
        if let Some(c) = &n.cap {
            self.expr(&at, c, scope);
        }
        for b in &n.blocks {
            self.expr(&at, b, scope);
        }
        self.target(&at, &n.target);
        for (r, rule) in n.rules.iter().enumerate() {
            let at = format!("{at}, rule {}", r + 1);
            if let Some(t) = &rule.target {
                self.target(&at, t);
            }
            if let Some(b) = rule.block {
                if b as usize >= n.blocks.len() {
                    self.err(&at, format!("cap block #{b} does not exist"));
                }
            }
            for e in [&rule.cap, &rule.condition, &rule.unless]
                .into_iter()
                .flatten()
            {
                self.expr(&at, e, scope);
            }
            if let Some(t) = &rule.times {
                self.expr(&at, &t.factor, scope);
                if let Some(w) = &t.when {
                    self.expr(&at, w, scope);
                }
            }
            match &rule.amount {
                Amount::None => {
                    if rule.kind != RuleKind::Veto {
                        self.err(&at, "the rule has no amount".into());
                    }
                }
                Amount::Expr(e) => self.expr(&at, e, scope),
                Amount::Each { rate, count } => {
                    self.expr(&at, rate, scope);
                    self.expr(&at, count, scope);
                }
                Amount::Steps {
                    rate,
                    step,
                    actual,
                    target,
                    ..
                } => {
                    for e in [rate, step, actual, target] {
                        self.expr(&at, e, scope);
                    }
                }
                Amount::Proportion {
                    max, ratio, floor, ..
                } => {
                    for e in [Some(max), Some(ratio), floor.as_ref()]
                        .into_iter()
                        .flatten()
                    {
                        self.expr(&at, e, scope);
                    }
                }
            }
            // The plan must be the one the table gives (working it out walks
            // the tree a bounded number of steps, whatever the file says).
            let want = settlement(&p.nodes, i as u32, rule.kind, rule.target.as_ref());
            if rule.settle != want {
                self.err(
                    &at,
                    "where its amount settles does not match the table; compile the rulebook again"
                        .into(),
                );
            }
        }
    }

    fn target(&mut self, at: &str, t: &Target) {
        let Target::Pool {
            settle_at, members, ..
        } = t
        else {
            return;
        };
        let Some(pool) = self.p.nodes.get(*settle_at as usize) else {
            self.err(
                at,
                format!("deducts from the parts of node #{settle_at}, which does not exist"),
            );
            return;
        };
        if members.is_empty() || members.iter().any(|m| !pool.children.contains(m)) {
            self.err(
                at,
                format!(
                    "deducts from a pool that is not made of `{}`'s parts",
                    pool.id
                ),
            );
        }
    }

    /// Check an expression without recursion (a hand-edited file could nest
    /// deeper than the stack allows).
    fn expr(&mut self, at: &str, e: &Expr, scope: Scope) {
        let p = self.p;
        let mut stack: Vec<(&Expr, usize)> = vec![(e, 1)];
        while let Some((e, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                self.err(
                    at,
                    format!("an expression nests deeper than {MAX_DEPTH} levels"),
                );
                return;
            }
            let d = depth + 1;
            let bad = |what: &str, i: u32, n: usize| {
                (i as usize >= n)
                    .then(|| format!("reads {what} #{i}, which does not exist ({n} defined)"))
            };
            let problem = match e {
                Expr::Num(_) | Expr::Bool(_) | Expr::Str(_) | Expr::Date(_) | Expr::Builtin(_) => {
                    None
                }
                Expr::Input(i) => bad("input", *i, p.inputs.len()),
                Expr::Global(i) => bad("global fact", *i, p.globals.len()),
                Expr::Param(i) => bad("parameter", *i, p.params.len()),
                Expr::Rank(i) => bad("rank", *i, p.ranks.len()),
                Expr::Across(i) => bad("batch aggregate", *i, p.across.len()),
                Expr::Local(i) => bad("variable", *i, p.locals as usize),
                Expr::Let(i) if (*i as usize) < p.lets.len() && *i as usize >= scope.lets_below => {
                    Some(format!(
                        "reads derived value #{i}, which comes at or after it (each may read only earlier ones)"
                    ))
                }
                Expr::Let(i) => bad("derived value", *i, p.lets.len()),
                Expr::Agg { loops, .. } => loops
                    .iter()
                    .find_map(|(slot, _)| bad("variable", *slot, p.locals as usize)),
                Expr::Table(t, keys) => match p.tables.get(*t as usize) {
                    None => bad("table", *t, p.tables.len()),
                    Some(tb) if tb.arity != keys.len() => Some(format!(
                        "looks up table `{}` with {} keys; it has {}",
                        tb.name,
                        keys.len(),
                        tb.arity
                    )),
                    Some(_) => None,
                },
                Expr::List(_)
                | Expr::Call(..)
                | Expr::Not(_)
                | Expr::Neg(_)
                | Expr::Field(..)
                | Expr::GroupKey(_)
                | Expr::GroupCount(_)
                | Expr::IsMissing(..)
                | Expr::GroupBy(..)
                | Expr::Bin(..)
                | Expr::If(..)
                | Expr::Tiers(..) => None,
            };
            e.each_child(|x| stack.push((x, d)));
            if let Some(m) = problem {
                self.err(at, m);
            }
        }
    }
}

fn node_at(i: usize, n: &NodeDef) -> String {
    if n.id.is_empty() {
        format!("node #{i}")
    } else {
        format!("node `{}` (#{i})", n.id)
    }
}
