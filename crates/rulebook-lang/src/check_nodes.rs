//! Checking the table's tree: sections, items, parts, clauses and their rules.
//!
//! Flattens the nodes into the IR's arena, lowers every rule, resolves
//! targets (`off 5.1..5.4`, `to total`), works out each node's points (a
//! node's declared points must equal what its awards and parts can give;
//! undeclared points are inferred) and checks every cap against what it can
//! take. Part of [`crate::check`].

use crate::ast::{self, Span, Spanned};
use crate::bounds::{complementary, Interval};
use crate::check::{const_num, Checker, InputSlot};
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, Amount, Expr, Type, Unit};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

struct Meta<'f> {
    ast: &'f ast::NodeBody,
    id_span: Span,
    span: Span,
    /// Per rule: the most it can award (awards only), `None` when unknown.
    award_max: Vec<Option<Decimal>>,
    /// Per rule: what left its amount without a bound.
    award_why: Vec<Option<String>>,
    /// Per rule: its group of alternatives (awards on complementary
    /// conditions, `if … else …`); a group gives the most of its rules.
    groups: Vec<usize>,
    rule_spans: Vec<Span>,
    rule_caps: Vec<Option<(Decimal, Span)>>,
    block_caps: Vec<Option<(Decimal, Span)>>,
    has_awards: bool,
}

pub(crate) struct NodeChecker<'c, 'a, 'f> {
    c: &'c mut Checker<'a>,
    file: &'f ast::File,
    nodes: Vec<ir::NodeDef>,
    meta: Vec<Meta<'f>>,
    ids: HashMap<String, u32>,
    used_by: BTreeMap<InputSlot, BTreeSet<String>>,
}

fn node_kind(k: ast::NodeKind) -> ir::NodeKind {
    match k {
        ast::NodeKind::Root => ir::NodeKind::Root,
        ast::NodeKind::Section => ir::NodeKind::Section,
        ast::NodeKind::Item => ir::NodeKind::Item,
        ast::NodeKind::Part => ir::NodeKind::Part,
        ast::NodeKind::Clause => ir::NodeKind::Clause,
    }
}

impl<'c, 'a, 'f> NodeChecker<'c, 'a, 'f> {
    pub(crate) fn new(c: &'c mut Checker<'a>, file: &'f ast::File) -> Self {
        NodeChecker {
            c,
            file,
            nodes: Vec::new(),
            meta: Vec::new(),
            ids: HashMap::new(),
            used_by: BTreeMap::new(),
        }
    }

    pub(crate) fn build(&mut self, file: &'f ast::File) {
        let root_span = Span::new(0, 0);
        self.collect(
            ast::NodeKind::Root,
            Spanned::new(String::new(), root_span),
            file.title.clone(),
            &file.root,
            root_span,
            None,
            false,
        );
        for i in 0..self.nodes.len() {
            self.lower_rules(i as u32);
        }
        self.points(0);
        self.plan_settlements();
        for i in 0..self.nodes.len() {
            self.check_caps(i as u32);
        }
    }

    pub(crate) fn finish(self) -> (Vec<ir::NodeDef>, Vec<(InputSlot, Vec<String>)>) {
        let used = self
            .used_by
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().collect()))
            .collect();
        (self.nodes, used)
    }

    #[allow(clippy::too_many_arguments)]
    fn collect(
        &mut self,
        kind: ast::NodeKind,
        id: Spanned<String>,
        title: Option<Spanned<String>>,
        body: &'f ast::NodeBody,
        span: Span,
        parent: Option<u32>,
        in_bonus: bool,
    ) -> u32 {
        let idx = self.nodes.len() as u32;
        if kind != ast::NodeKind::Root {
            if let Some(&first) = self.ids.get(&id.node) {
                let first_span = self
                    .meta
                    .get(first as usize)
                    .map(|m| m.id_span)
                    .unwrap_or_default();
                self.c.diag(
                    Diagnostic::error(
                        Code::DuplicateId,
                        format!("`{}` is numbered twice", id.node),
                    )
                    .label(id.span, "this node has the same number")
                    .label(first_span, "first used here")
                    .help("each section, item, part and clause needs its own number"),
                );
            } else {
                self.ids.insert(id.node.clone(), idx);
            }
            // Parts and clauses carry their parent's number: 5.1 in 5, 5.1.2 in 5.1.
            if matches!(kind, ast::NodeKind::Part | ast::NodeKind::Clause) {
                if let Some(p) = parent.and_then(|p| self.nodes.get(p as usize)) {
                    let prefix = format!("{}.", p.id);
                    if matches!(
                        p.kind,
                        ir::NodeKind::Item | ir::NodeKind::Part | ir::NodeKind::Clause
                    ) && !id.node.starts_with(&prefix)
                    {
                        self.c.diag(
                            Diagnostic::warning(Code::Numbering, format!("`{}` does not follow `{}`'s numbering", id.node, p.id))
                                .label(id.span, format!("expected a number starting with `{prefix}`"))
                                .help("number parts and clauses after the node they belong to, as the document does"),
                        );
                    }
                }
            }
        }
        let bonus = in_bonus || body.bonus.is_some();
        let mut text: Vec<String> = Vec::new();
        if kind == ast::NodeKind::Clause {
            text.extend(title.as_ref().map(|t| t.node.clone()));
        }
        text.extend(body.text.iter().map(|t| t.node.clone()));
        self.nodes.push(ir::NodeDef {
            id: id.node.clone(),
            kind: node_kind(kind),
            title: title.as_ref().map(|t| t.node.clone()).unwrap_or_default(),
            text,
            by: body.by.iter().map(|b| b.node.clone()).collect(),
            points: None,
            starts_full: false,
            bonus,
            cap: None,
            target: ir::Target::Parent,
            rules: Vec::new(),
            blocks: Vec::new(),
            children: Vec::new(),
            parent,
        });
        self.meta.push(Meta {
            ast: body,
            id_span: id.span,
            span,
            award_max: Vec::new(),
            award_why: Vec::new(),
            groups: Vec::new(),
            rule_spans: Vec::new(),
            rule_caps: Vec::new(),
            block_caps: Vec::new(),
            has_awards: false,
        });
        let mut children = Vec::new();
        for ch in &body.children {
            let ci = self.collect(
                ch.kind,
                ch.id.clone(),
                ch.title.clone(),
                &ch.body,
                ch.span,
                Some(idx),
                bonus,
            );
            children.push(ci);
        }
        if let Some(n) = self.nodes.get_mut(idx as usize) {
            n.children = children;
        }
        idx
    }

    fn note_reads(&mut self, node: u32) {
        let reads = self.c.take_reads();
        let id = self
            .nodes
            .get(node as usize)
            .map(|n| n.id.clone())
            .unwrap_or_default();
        for r in reads {
            self.used_by.entry(r).or_default().insert(id.clone());
        }
    }

    fn lower_rules(&mut self, i: u32) {
        let Some(meta) = self.meta.get(i as usize) else {
            return;
        };
        let body = meta.ast;
        let bonus = self.nodes.get(i as usize).is_some_and(|n| n.bonus);
        let cite = self
            .nodes
            .get(i as usize)
            .map(|n| n.id.clone())
            .unwrap_or_default();
        // Node-level cap and target.
        let cap = body.cap.as_ref().map(|e| {
            let (ce, ct) = self.c.lower_expr(self.file, e);
            self.c.expect_amount(&ct, e.span);
            ce
        });
        let target = body.target.as_ref().map(|t| self.target(t, i));
        let mut rules = Vec::new();
        let mut blocks = Vec::new();
        let mut award_max = Vec::new();
        let mut award_why = Vec::new();
        let mut groups: Vec<usize> = Vec::new();
        let mut rule_spans = Vec::new();
        let mut rule_caps = Vec::new();
        let mut block_caps = Vec::new();
        let mut has_awards = false;
        for rb in &body.rules {
            match rb {
                ast::RuleOrBlock::Rule(r) => {
                    let group = groups.len();
                    for r in with_else(r) {
                        let (rd, max, why) = self.rule(&r, i, &cite, None, bonus);
                        has_awards |= rd.kind == ir::RuleKind::Award;
                        rule_caps.push(rd.cap.as_ref().and_then(const_num).map(|v| (v, r.span)));
                        award_max.push(max);
                        award_why.push(why);
                        rule_spans.push(r.span);
                        groups.push(group);
                        rules.push(rd);
                    }
                }
                ast::RuleOrBlock::Block {
                    cap,
                    rules: inner,
                    span,
                } => {
                    let (ce, ct) = self.c.lower_expr(self.file, cap);
                    self.c.expect_amount(&ct, cap.span);
                    let bidx = blocks.len() as u32;
                    block_caps.push(const_num(&ce).map(|v| (v, *span)));
                    blocks.push(ce);
                    let mut block_max = Some(Decimal::ZERO);
                    let mut kinds = BTreeSet::new();
                    for r in inner {
                        let group = groups.len();
                        for r in with_else(r) {
                            let (rd, max, why) = self.rule(&r, i, &cite, Some(bidx), bonus);
                            kinds.insert(format!("{:?}", rd.kind));
                            has_awards |= rd.kind == ir::RuleKind::Award;
                            rule_caps
                                .push(rd.cap.as_ref().and_then(const_num).map(|v| (v, r.span)));
                            block_max = match (block_max, max) {
                                (Some(a), Some(b)) => a.checked_add(b),
                                _ => None,
                            };
                            award_max.push(max.map(|m| {
                                // The block's cap bounds what its awards give together.
                                block_caps
                                    .last()
                                    .copied()
                                    .flatten()
                                    .map_or(m, |(c, _)| m.min(c))
                            }));
                            award_why.push(why);
                            rule_spans.push(r.span);
                            groups.push(group);
                            rules.push(rd);
                        }
                    }
                    if kinds.len() > 1 {
                        self.c.diag(
                            Diagnostic::error(
                                Code::MixedBlock,
                                "a capped block mixes awards and deductions",
                            )
                            .label(*span, "one cap over both kinds")
                            .help("a capped block holds only awards or only deductions: move the awards out of the block, or into a capped block of their own"),
                        );
                    }
                }
            }
        }
        self.note_reads(i);
        // Awards on complementary conditions are alternatives.
        for j in 0..rules.len() {
            for k in 0..j {
                let (Some(a), Some(b)) = (rules.get(k), rules.get(j)) else {
                    continue;
                };
                let alone = |g: usize| groups.iter().filter(|&&x| x == g).count() == 1;
                let (gk, gj) = (groups.get(k).copied(), groups.get(j).copied());
                if let (Some(gk), Some(gj)) = (gk, gj) {
                    if a.kind == ir::RuleKind::Award
                        && b.kind == ir::RuleKind::Award
                        && a.block == b.block
                        && alone(gk)
                        && alone(gj)
                        && when_applies(a)
                            .zip(when_applies(b))
                            .is_some_and(|(x, y)| complementary(&x, &y))
                    {
                        if let Some(g) = groups.get_mut(j) {
                            *g = gk;
                        }
                    }
                }
            }
        }
        if let Some(n) = self.nodes.get_mut(i as usize) {
            n.cap = cap;
            if let Some(t) = target {
                n.target = t;
            }
            n.rules = rules;
            n.blocks = blocks;
        }
        if let Some(m) = self.meta.get_mut(i as usize) {
            m.award_max = award_max;
            m.award_why = award_why;
            m.groups = groups;
            m.rule_spans = rule_spans;
            m.rule_caps = rule_caps;
            m.block_caps = block_caps;
            m.has_awards = has_awards;
        }
    }

    fn rule(
        &mut self,
        r: &ast::Rule,
        node: u32,
        cite: &str,
        block: Option<u32>,
        bonus: bool,
    ) -> (ir::RuleDef, Option<Decimal>, Option<String>) {
        let kind = match r.kind {
            ast::RuleKind::Award => ir::RuleKind::Award,
            ast::RuleKind::Deduct => ir::RuleKind::Deduct,
            ast::RuleKind::Veto => ir::RuleKind::Veto,
        };
        if bonus && kind == ir::RuleKind::Deduct {
            self.c.diag(
                Diagnostic::error(Code::DeductionInBonus, "the bonus section only awards points")
                    .label(r.span, "a deduction in the bonus section")
                    .help("put deductions in the scored items, or give the condition with `if` on the award"),
            );
        }
        let cap = r.cap.as_ref().map(|e| {
            let (ce, ct) = self.c.lower_expr(self.file, e);
            self.c.expect_amount(&ct, e.span);
            if let Some(v) = const_num(&ce) {
                if v < Decimal::ZERO {
                    self.c.diag(
                        Diagnostic::error(Code::BadCap, "a cap cannot be negative")
                            .label(e.span, "below zero")
                            .help("a cap is the most the rule may give or take, written as a positive number: 最高扣2分 is `cap 2`"),
                    );
                }
            }
            ce
        });
        let mut condition = None;
        if let Some(c) = &r.condition {
            let (ce, ct) = self.c.lower_expr(self.file, c);
            self.c.expect_bool(&ct, c.span, "a rule's `if` condition");
            condition = Some(ce);
        }
        let unless = r.unless.as_ref().map(|u| {
            let (ue, ut) = self.c.lower_expr(self.file, u);
            self.c
                .expect_bool(&ut, u.span, "a rule's `unless` condition");
            ue
        });
        let times = r.times.as_ref().map(|t| {
            let (fe, ft) = self.c.lower_expr(self.file, &t.factor);
            match ft {
                Some(Type::Num(Unit::Plain | Unit::Ratio)) | None => {}
                Some(other) => self.c.diag(
                    Diagnostic::error(Code::UnitMismatch, "a multiplier must be a plain number")
                        .label(t.factor.span, format!("this is {}", other.describe()))
                        .help("write the factor the document gives, e.g. `times 0.9 when not target_met` (得分乘以0.9)"),
                ),
            }
            if let Some(v) = const_num(&fe) {
                if v < Decimal::ZERO {
                    self.c.diag(
                        Diagnostic::error(Code::BadNumber, "a multiplier cannot be negative")
                            .label(t.factor.span, "below zero")
                            .help("a deduction is written with `deduct`, not a negative factor"),
                    );
                }
            }
            let when = t.when.as_ref().map(|w| {
                let (we, wt) = self.c.lower_expr(self.file, w);
                self.c.expect_bool(&wt, w.span, "a multiplier's `when` condition");
                we
            });
            ir::Times {
                factor: fe,
                when,
                source: self.c.describe_span(t.span),
            }
        });
        if r.otherwise.is_some() && kind == ir::RuleKind::Veto {
            self.c.diag(
                Diagnostic::error(Code::MisplacedModifier, "a veto has no `else`")
                    .label(r.span, "a veto either applies or not")
                    .help("write `veto if condition`"),
            );
        }
        if r.partial_steps && !matches!(r.amount, Some(ast::Amount::Steps { .. })) {
            self.c.diag(
                Diagnostic::error(
                    Code::MisplacedModifier,
                    "`partial steps count` needs a `per ... of ... below/above` amount",
                )
                .label(r.span, "no steps here")
                .help("write e.g. `deduct 0.2 per 1 of rate below target partial steps count`"),
            );
        }
        let (amount, max) = match (&r.amount, kind) {
            (None, ir::RuleKind::Veto) => (Amount::None, (None, None)),
            (Some(a), ir::RuleKind::Veto) => {
                let span = amount_span(a);
                self.c.diag(
                    Diagnostic::error(Code::MisplacedModifier, "a veto has no amount")
                        .label(span, "remove this amount")
                        .help("a veto (一票否决) decides the grade and takes no points: write `veto if condition`, and a `deduct` rule beside it if the document also takes points"),
                );
                (Amount::None, (None, None))
            }
            (None, _) => {
                self.c.diag(
                    Diagnostic::error(Code::Syntax, "this rule has no amount")
                        .label(r.span, "how many points?")
                        .help("write e.g. `award 1 if condition` or `deduct 0.5 each occurrences`"),
                );
                (Amount::None, (None, None))
            }
            (Some(a), _) => self.amount(a, r, condition.as_ref(), kind),
        };
        // A multiplier scales what the amount can be.
        let (max, why) = match (&times, max) {
            (Some(t), (Some(m), why)) => {
                let f = self.c.bound_where(&t.factor, None);
                let f = if t.when.is_some() {
                    f.hull(&Interval::exact(Decimal::ONE))
                } else {
                    f
                };
                match f.hi {
                    Some(h) if h >= Decimal::ZERO => (m.checked_mul(h), why),
                    _ => (None, f.why),
                }
            }
            (_, m) => m,
        };
        if kind == ir::RuleKind::Veto && condition.is_none() {
            self.c.diag(
                Diagnostic::error(Code::Syntax, "a veto needs a condition")
                    .label(r.span, "when does it apply?")
                    .help("write `veto if condition`"),
            );
        }
        // The rule's own rounding, else the rulebook's; a proportion with a
        // multiplier is rounded after it, to its places.
        let mut round = match (&r.round, &self.file.round) {
            (Some(p), _) => p.node,
            (None, Some(p)) => p.node,
            (None, None) => None,
        };
        if let (Amount::Proportion { places, .. }, Some(_), None) = (&amount, &times, round) {
            round = Some(*places);
        }
        if round.is_none() && kind != ir::RuleKind::Veto {
            let inexact = match &amount {
                Amount::Expr(e) => self.c.may_not_terminate(e),
                Amount::Each { rate, count } => {
                    self.c.may_not_terminate(rate) || self.c.may_not_terminate(count)
                }
                Amount::Steps { rate, .. } => self.c.may_not_terminate(rate),
                Amount::Proportion { .. } | Amount::None => false,
            } || times
                .as_ref()
                .is_some_and(|t| self.c.may_not_terminate(&t.factor));
            if inexact {
                self.c.diag(
                    Diagnostic::warning(Code::Unrounded, "this amount may not come out as an exact decimal")
                        .label(amount_span_of(r), "a division here can give 1/3 = 0.333… (28 digits)")
                        .help("say how it is rounded: `round 2` on the rule, or `round 2` at the top of the rulebook (`round none` to keep every digit)"),
                );
            }
        }
        let cap_v = cap.as_ref().and_then(const_num);
        let max = match (max, cap_v) {
            (Some(m), Some(c)) => Some(m.min(c)),
            (None, Some(c)) => Some(c),
            (m, None) => m,
        };
        // An amount never goes below 0.
        let max = max.map(|m| m.max(Decimal::ZERO));
        let target = r.target.as_ref().map(|t| self.target(t, node));
        // `to total` / `off …` on a line of its own after a rule belongs to
        // that rule, which is easy to misread as the whole node's target.
        if let (Some(t), Some(a)) = (&r.target, &r.amount) {
            let amount_end = amount_span(a).end;
            if self.c.line(t.span.start) > self.c.line(amount_end) {
                self.c.diag(
                    Diagnostic::warning(Code::AmbiguousTarget, "this target belongs to the rule above it")
                        .label(t.span, "read as part of the rule on the line before")
                        .help("write the target on the rule's own line; for the whole node, put it before the node's rules"),
                );
            }
        }
        let source = self.c.describe_span(r.span);
        (
            ir::RuleDef {
                kind,
                cite: cite.to_string(),
                source,
                amount,
                cap,
                condition,
                unless,
                block,
                target,
                times,
                round,
                // Worked out once all points are known (`plan_settlements`).
                settle: ir::Settlement {
                    to: ir::SettleTo::Nowhere,
                    at: node,
                    caps: Vec::new(),
                },
            },
            if kind == ir::RuleKind::Award {
                max
            } else {
                Some(Decimal::ZERO)
            },
            why,
        )
    }

    /// A rule's amount, and the most it can be (with what left it unbounded).
    fn amount(
        &mut self,
        a: &ast::Amount,
        r: &ast::Rule,
        condition: Option<&Expr>,
        kind: ir::RuleKind,
    ) -> (Amount, (Option<Decimal>, Option<String>)) {
        match a {
            ast::Amount::Plain(e) => {
                let (x, t) = self.c.lower_expr(self.file, e);
                self.c.expect_amount(&t, e.span);
                let iv = self.c.bound_where(&x, condition);
                if let Some(lo) = iv.lo.filter(|l| l.is_sign_negative() && !l.is_zero()) {
                    if iv.hi.is_none_or(|h| h > Decimal::ZERO) {
                        let verb = if kind == ir::RuleKind::Award {
                            "award"
                        } else {
                            "deduction"
                        };
                        self.c.diag(
                            Diagnostic::warning(Code::NegativeAmount, format!("this {verb} can come out below zero (as low as {})", lo.normalize()))
                                .label(e.span, "a negative amount counts as 0")
                                .help("say where it stops, e.g. `max(0, …)`, `clamp(…, 0, 7)`, or a condition such as `if rate >= 90%`"),
                        );
                    }
                }
                let max = (iv.hi, iv.why);
                (Amount::Expr(x), max)
            }
            ast::Amount::Each { rate, count } => {
                let (re, rt) = self.c.lower_expr(self.file, rate);
                self.c.expect_amount(&rt, rate.span);
                let (ce, ct) = self.c.lower_expr(self.file, count);
                match ct {
                    Some(Type::Num(Unit::Count | Unit::Plain)) | None => {}
                    Some(t) => self.c.diag(
                        Diagnostic::error(Code::UnitMismatch, "`each` counts occurrences")
                            .label(count.span, format!("this is {}, not a count", t.describe()))
                            .help("write `RATE each COUNT` with a count input, or use `per STEP of X below TARGET`"),
                    ),
                }
                let iv = self.c.bound_where(
                    &Expr::Bin(ast::BinOp::Mul, Box::new(re.clone()), Box::new(ce.clone())),
                    condition,
                );
                (
                    Amount::Each {
                        rate: re,
                        count: ce,
                    },
                    (iv.hi, iv.why),
                )
            }
            ast::Amount::Steps {
                rate,
                step,
                actual,
                direction,
                target,
            } => {
                let (re, rt) = self.c.lower_expr(self.file, rate);
                self.c.expect_amount(&rt, rate.span);
                let (se, st) = self.c.lower_expr(self.file, step);
                let (mut ae, mut at) = self.c.lower_expr(self.file, actual);
                let (mut te, mut tt) = self.c.lower_expr(self.file, target);
                // A ratio measured against a percent target: its percent, exactly.
                let hundred = |e: Expr| {
                    Expr::Bin(
                        ast::BinOp::Mul,
                        Box::new(e),
                        Box::new(Expr::Num(Decimal::ONE_HUNDRED)),
                    )
                };
                match (&at, &tt) {
                    (Some(Type::Num(Unit::Ratio)), Some(Type::Num(Unit::Pct))) => {
                        ae = hundred(ae);
                        at = Some(Type::Num(Unit::Pct));
                    }
                    (Some(Type::Num(Unit::Pct)), Some(Type::Num(Unit::Ratio))) => {
                        te = hundred(te);
                        tt = Some(Type::Num(Unit::Pct));
                    }
                    _ => {}
                }
                // The gap's unit: pct − pct is percentage points.
                let gap = match (at, tt) {
                    (Some(Type::Num(x)), Some(Type::Num(y))) => {
                        match crate::check::expr::add_units(x, y, true) {
                            Some(u) => Some(u),
                            None => {
                                self.c.diag(
                                Diagnostic::error(Code::UnitMismatch, format!("cannot measure {} against a target in {}", x.name(), y.name()))
                                    .label(actual.span, format!("in {}", x.name()))
                                    .label(target.span, format!("in {}", y.name()))
                                    .help("the value and its target must be in the same unit of measure"),
                            );
                                None
                            }
                        }
                    }
                    (Some(t), _) | (_, Some(t)) if !matches!(t, Type::Num(_)) => {
                        self.c.diag(
                            Diagnostic::error(Code::TypeMismatch, "steps are measured on numbers")
                                .label(
                                    actual.span.join(target.span),
                                    format!("this is {}", t.describe()),
                                )
                                .help("compare a number with its numeric target"),
                        );
                        None
                    }
                    _ => None,
                };
                if let (Some(g), Some(Type::Num(s))) = (gap, st.clone()) {
                    if crate::check::expr::add_units(g, s, false).is_none() {
                        self.c.diag(
                            Diagnostic::error(
                                Code::UnitMismatch,
                                format!(
                                    "a step in {} cannot measure a gap in {}",
                                    s.name(),
                                    g.name()
                                ),
                            )
                            .label(step.span, format!("in {}", s.name()))
                            .help(format!("write the step in {}", g.name())),
                        );
                    }
                }
                match const_num(&se) {
                    Some(v) if v <= Decimal::ZERO => self.c.diag(
                        Diagnostic::error(Code::ZeroStep, "a step must be more than zero")
                            .label(
                                step.span,
                                if v.is_zero() {
                                    "this step is zero"
                                } else {
                                    "this step is negative"
                                },
                            )
                            .help("write the size of one step, e.g. `per 0.1 of`"),
                    ),
                    _ => {}
                }
                // rate × steps, steps ≤ the widest gap ÷ the smallest step, rounded up.
                let above = *direction == ast::Direction::Above;
                let gap = if above {
                    Expr::Bin(ast::BinOp::Sub, Box::new(ae.clone()), Box::new(te.clone()))
                } else {
                    Expr::Bin(ast::BinOp::Sub, Box::new(te.clone()), Box::new(ae.clone()))
                };
                let g = self.c.bound_where(&gap, condition);
                let sb = self.c.bound_where(&se, condition);
                let rb = self.c.bound_where(&re, condition);
                let steps_hi = match (g.hi, sb.lo) {
                    (Some(h), Some(st)) if st > Decimal::ZERO => {
                        h.max(Decimal::ZERO).checked_div(st).map(|q| q.ceil())
                    }
                    _ => None,
                };
                let max = match (steps_hi, rb.hi) {
                    (Some(n), Some(rate)) => (n.checked_mul(rate.max(Decimal::ZERO)), None),
                    _ => (None, g.why.or(sb.why).or(rb.why)),
                };
                (
                    Amount::Steps {
                        rate: re,
                        step: se,
                        actual: ae,
                        target: te,
                        above,
                        ceil: r.partial_steps,
                    },
                    max,
                )
            }
            ast::Amount::Proportion { max, ratio, floor } => {
                let (me, mt) = self.c.lower_expr(self.file, max);
                self.c.expect_amount(&mt, max.span);
                let (re, rt) = self.c.lower_expr(self.file, ratio);
                match rt {
                    Some(Type::Num(Unit::Plain | Unit::Ratio)) | None => {}
                    Some(Type::Num(Unit::Pct)) => self.c.diag(
                        Diagnostic::error(
                            Code::UnitMismatch,
                            "a proportion must be a ratio, not a percent",
                        )
                        .label(ratio.span, "this is a percent (80 means 80 %)")
                        .help("divide the percent by 100%: `in proportion to rate / 100%`"),
                    ),
                    Some(t) => self.c.diag(
                        Diagnostic::error(Code::UnitMismatch, "a proportion must be a plain ratio")
                            .label(ratio.span, format!("this is {}", t.describe()))
                            .help("divide like by like, e.g. `done / task`"),
                    ),
                }
                let fe = floor.as_ref().map(|f| {
                    let (fe, _) = self.c.lower_expr(self.file, f);
                    fe
                });
                // 2 places unless the rule or the rulebook says otherwise;
                // `round none` keeps every digit.
                let places = match (&r.round, &self.file.round) {
                    (Some(p), _) => p.node.unwrap_or(28),
                    (None, Some(p)) => p.node.unwrap_or(28),
                    (None, None) => 2,
                };
                let mb = self.c.bound_where(&me, condition);
                let m = (mb.hi, mb.why);
                (
                    Amount::Proportion {
                        max: me,
                        ratio: re,
                        floor: fe,
                        places,
                    },
                    m,
                )
            }
        }
    }

    fn target(&mut self, t: &Spanned<ast::Target>, from: u32) -> ir::Target {
        match &t.node {
            ast::Target::Total => ir::Target::Total,
            ast::Target::Off { ranges, then_total } => {
                let mut members: Vec<u32> = Vec::new();
                for (a, b) in ranges {
                    let Some(ia) = self.lookup(a) else { continue };
                    match b {
                        None => members.push(ia),
                        Some(b) => {
                            let Some(ib) = self.lookup(b) else { continue };
                            let pa = self.nodes.get(ia as usize).and_then(|n| n.parent);
                            let pb = self.nodes.get(ib as usize).and_then(|n| n.parent);
                            let siblings = pa
                                .and_then(|p| self.nodes.get(p as usize))
                                .map(|p| p.children.clone())
                                .unwrap_or_default();
                            let (sa, sb) = (
                                siblings.iter().position(|&c| c == ia),
                                siblings.iter().position(|&c| c == ib),
                            );
                            match (pa == pb, sa, sb) {
                                (true, Some(x), Some(y)) if x <= y => {
                                    members.extend(siblings.get(x..=y).unwrap_or(&[]).iter().copied())
                                }
                                _ => self.c.diag(
                                    Diagnostic::error(Code::BadTarget, format!("`{}..{}` is not a run of sibling nodes", a.node, b.node))
                                        .label(a.span.join(b.span), "these do not share a parent, or are out of order")
                                        .help("name a run of parts under one item, first to last, e.g. `off 5.1..5.4`"),
                                ),
                            }
                        }
                    }
                }
                let parents: BTreeSet<Option<u32>> = members
                    .iter()
                    .map(|&m| self.nodes.get(m as usize).and_then(|n| n.parent))
                    .collect();
                let settle_at = match parents.iter().next() {
                    Some(Some(p)) if parents.len() == 1 => *p,
                    _ => {
                        if !members.is_empty() {
                            self.c.diag(
                                Diagnostic::error(
                                    Code::BadTarget,
                                    "the parts a deduction comes off must share one parent",
                                )
                                .label(t.span, "these belong to different nodes")
                                .help("a pool is made of sibling parts, e.g. `off 6.1..6.4`"),
                            );
                        }
                        return ir::Target::Parent;
                    }
                };
                // The pool must lie on the way up from the deduction.
                let mut up = Some(from);
                let mut on_path = false;
                while let Some(u) = up {
                    if u == settle_at {
                        on_path = true;
                        break;
                    }
                    up = self.nodes.get(u as usize).and_then(|n| n.parent);
                }
                if !on_path {
                    self.c.diag(
                        Diagnostic::error(
                            Code::BadTarget,
                            "a deduction can only come off parts of a node that contains it",
                        )
                        .label(t.span, "these parts are elsewhere in the table")
                        .help("move the deduction under the item whose parts it draws on"),
                    );
                }
                ir::Target::Pool {
                    settle_at,
                    members,
                    then_total: *then_total,
                }
            }
        }
    }

    fn lookup(&mut self, id: &Spanned<String>) -> Option<u32> {
        if let Some(&i) = self.ids.get(&id.node) {
            return Some(i);
        }
        let mut d = Diagnostic::error(
            Code::UnknownTarget,
            format!("there is no part `{}` to deduct from", id.node),
        )
        .label(id.span, "no node has this number");
        let ids: Vec<&str> = self.ids.keys().map(|s| s.as_str()).collect();
        d = match did_you_mean(&id.node, ids) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help("name parts by their numbers, e.g. `off 5.1..5.4`"),
        };
        self.c.diag(d);
        None
    }

    /// Work out points bottom-up. Returns the node's points when it has a base.
    fn points(&mut self, i: u32) -> Option<Decimal> {
        let children = self
            .nodes
            .get(i as usize)
            .map(|n| n.children.clone())
            .unwrap_or_default();
        let mut child_points: Vec<(u32, Option<Decimal>, bool)> = Vec::new();
        for ch in children {
            let p = self.points(ch);
            let based = self.is_based(ch);
            child_points.push((ch, p, based));
        }
        let meta = self.meta.get(i as usize)?;
        let body = meta.ast;
        let node = self.nodes.get(i as usize)?;
        let bonus = node.bonus;
        let declared = body.points.as_ref().map(|p| p.node);
        let has_awards = meta.has_awards;
        // Alternatives give the most of them, others add up.
        let mut by_group: BTreeMap<usize, Option<Decimal>> = BTreeMap::new();
        for (m, g) in meta.award_max.iter().zip(meta.groups.iter()) {
            let e = by_group.entry(*g).or_insert(Some(Decimal::ZERO));
            *e = match (*e, m) {
                (Some(a), Some(b)) => Some(a.max(*b)),
                _ => None,
            };
        }
        let awards_max: Option<Decimal> = by_group
            .values()
            .try_fold(Decimal::ZERO, |acc, m| m.and_then(|v| acc.checked_add(v)));
        let unbounded = meta.award_max.iter().position(|m| m.is_none()).map(|r| {
            (
                meta.rule_spans.get(r).copied().unwrap_or(meta.span),
                meta.award_why.get(r).cloned().flatten(),
            )
        });
        let based_children: Vec<&(u32, Option<Decimal>, bool)> =
            child_points.iter().filter(|c| c.2).collect();
        let children_sum: Option<Decimal> = based_children
            .iter()
            .try_fold(Decimal::ZERO, |acc, c| c.1.and_then(|v| acc.checked_add(v)));
        let id_span = meta.id_span;
        let span = meta.span;
        let no_base = body.no_base;
        let node_id = node.id.clone();
        // A rule still to write below: its points are not known yet, so
        // the sum is not checked (the `todo` is the error to act on).
        let unfinished = self.todo_below(i);

        if bonus {
            if let Some(p) = &body.points {
                self.c.diag(
                    Diagnostic::error(Code::PointsMismatch, "bonus nodes have no base points")
                        .label(p.span, "points in the bonus section")
                        .help("use `cap N` for the most a bonus item can give"),
                );
            }
            return None;
        }
        if let Some(nb) = no_base {
            if has_awards || declared.is_some() {
                self.c.diag(
                    Diagnostic::error(
                        Code::PointsMismatch,
                        "a node with `no base` cannot award points",
                    )
                    .label(nb, "declared without a base")
                    .help("remove `no base`, or turn its awards into deductions"),
                );
            }
            return None;
        }
        let got = match (has_awards || !based_children.is_empty(), declared) {
            (false, None) => return None,
            (false, Some(p)) => {
                // Full marks to start with; deductions come off them.
                if let Some(n) = self.nodes.get_mut(i as usize) {
                    n.starts_full = true;
                }
                Some(p)
            }
            (true, Some(p)) => {
                if let (Some(a), Some(c), false) = (awards_max, children_sum, unfinished) {
                    if a.checked_add(c) != Some(p) {
                        let pspan = body.points.as_ref().map(|s| s.span).unwrap_or(id_span);
                        let detail = if based_children.is_empty() {
                            format!("its awards give at most {}", a.normalize())
                        } else if a.is_zero() {
                            format!(
                                "its parts add up to {} ({})",
                                c.normalize(),
                                based_children
                                    .iter()
                                    .map(|bc| format!(
                                        "{} {}",
                                        self.nodes
                                            .get(bc.0 as usize)
                                            .map(|n| n.id.as_str())
                                            .unwrap_or(""),
                                        bc.1.unwrap_or_default().normalize()
                                    ))
                                    .collect::<Vec<_>>()
                                    .join(" + ")
                            )
                        } else {
                            format!(
                                "its awards ({}) and parts ({}) add up to {}",
                                a.normalize(),
                                c.normalize(),
                                a.saturating_add(c).normalize()
                            )
                        };
                        let what = if node_id.is_empty() {
                            "the table".to_string()
                        } else {
                            format!("`{node_id}`")
                        };
                        self.c.diag(
                            Diagnostic::error(Code::PointsMismatch, format!("{what} is worth {} but {detail}", p.normalize()))
                                .label(pspan, format!("declared {}", p.normalize()))
                                .help("make the declared points equal the sum of the parts, as the document's table does"),
                        );
                    }
                }
                Some(p)
            }
            (true, None) => match (awards_max, children_sum) {
                (Some(a), Some(c)) => a.checked_add(c),
                _ => {
                    let mut d = Diagnostic::error(
                        Code::PointsUnknown,
                        "cannot tell how many points this node is worth",
                    )
                    .label(
                        if id_span.is_empty() { span } else { id_span },
                        "its points are not written and cannot be derived",
                    );
                    d = match unbounded {
                        Some((rspan, Some(name))) => d
                            .label(rspan, format!("this award has no most: `{name}` has no declared upper bound"))
                            .help(format!("declare `{name}`'s range (e.g. `in 0..100`), write `points N`, or give the award a `cap`")),
                        Some((rspan, None)) => d
                            .label(rspan, "this award has no most")
                            .help("write `points N`, or give the award a `cap`"),
                        None => d.help("write `points N`, or give the award a `cap`"),
                    };
                    self.c.diag(d);
                    None
                }
            },
        };
        if let Some(n) = self.nodes.get_mut(i as usize) {
            n.points = got;
        }
        got
    }

    /// Whether node `i` or one of its parts still has a `todo`.
    fn todo_below(&self, i: u32) -> bool {
        self.meta
            .get(i as usize)
            .is_some_and(|m| !m.ast.todos.is_empty())
            || self
                .nodes
                .get(i as usize)
                .is_some_and(|n| n.children.iter().any(|&c| self.todo_below(c)))
    }

    fn is_based(&self, i: u32) -> bool {
        self.nodes
            .get(i as usize)
            .is_some_and(|n| n.points.is_some())
    }

    /// Every rule's settlement, from the nodes' points and targets.
    fn plan_settlements(&mut self) {
        let plans: Vec<Vec<ir::Settlement>> = (0..self.nodes.len())
            .map(|i| {
                self.nodes.get(i).map_or_else(Vec::new, |n| {
                    n.rules
                        .iter()
                        .map(|r| ir::settlement(&self.nodes, i as u32, r.kind, r.target.as_ref()))
                        .collect()
                })
            })
            .collect();
        for (n, plans) in self.nodes.iter_mut().zip(plans) {
            for (r, p) in n.rules.iter_mut().zip(plans) {
                r.settle = p;
            }
        }
    }

    /// What a deduction settled by `plan` can take at most: the points of the
    /// node or the pool it comes off (nothing bounds one sent to the total).
    fn capacity(&self, plan: &ir::Settlement) -> Option<(Decimal, String)> {
        let points = |m: u32| self.nodes.get(m as usize).and_then(|n| n.points);
        match &plan.to {
            ir::SettleTo::Pool { members, .. } => {
                let mut sum = Decimal::ZERO;
                for m in members {
                    sum = sum.checked_add(points(*m)?)?;
                }
                let ids: Vec<&str> = members
                    .iter()
                    .filter_map(|m| self.nodes.get(*m as usize).map(|n| n.id.as_str()))
                    .collect();
                Some((sum, ids.join(", ")))
            }
            ir::SettleTo::Node => {
                let n = self.nodes.get(plan.at as usize)?;
                Some((n.points?, n.id.clone()))
            }
            _ => None,
        }
    }

    fn check_caps(&mut self, i: u32) {
        let Some(node) = self.nodes.get(i as usize) else {
            return;
        };
        let Some(meta) = self.meta.get(i as usize) else {
            return;
        };
        let mut diags = Vec::new();
        // Where a deduction of this node's own settles (blocks, the node's cap).
        let own_plan = ir::settlement(&self.nodes, i, ir::RuleKind::Deduct, None);
        if node.points.is_some() && node.target != ir::Target::Parent {
            if let Some(t) = &meta.ast.target {
                diags.push(
                    Diagnostic::error(Code::BadTarget, "a node with a base keeps its own deductions")
                        .label(t.span, "this target has no effect here")
                        .help("put `to total` or `off ...` on the deductions themselves, or mark the node `no base`"),
                );
            }
        }
        let bonus_cap = self.bonus_cap_above(i);
        for (r, (rule, cap)) in node.rules.iter().zip(meta.rule_caps.iter()).enumerate() {
            let Some((cap, span)) = cap else { continue };
            let span = meta.rule_spans.get(r).copied().unwrap_or(*span);
            match rule.kind {
                ir::RuleKind::Deduct => {
                    if let Some((capacity, what)) = self.capacity(&rule.settle) {
                        if *cap > capacity {
                            diags.push(cap_too_large(span, *cap, capacity, &what));
                        }
                    }
                }
                ir::RuleKind::Award => {
                    let limit = if node.bonus {
                        bonus_cap.clone()
                    } else {
                        node.points.map(|p| (p, node.id.clone()))
                    };
                    if let Some((capacity, what)) = limit {
                        if *cap > capacity {
                            diags.push(cap_too_large(span, *cap, capacity, &what));
                        }
                    }
                }
                ir::RuleKind::Veto => {}
            }
        }
        for (cap, span) in meta.block_caps.iter().flatten() {
            let limit = if node.bonus {
                bonus_cap.clone()
            } else {
                self.capacity(&own_plan)
            };
            if let Some((capacity, what)) = limit {
                if *cap > capacity {
                    diags.push(cap_too_large(*span, *cap, capacity, &what));
                }
            }
        }
        if let (Some(cap), Some(ce)) =
            (node.cap.as_ref().and_then(const_num), meta.ast.cap.as_ref())
        {
            let limit = if node.bonus {
                self.nodes
                    .get(i as usize)
                    .and_then(|n| n.parent)
                    .and_then(|p| self.bonus_cap_above(p))
            } else if node.points.is_some() {
                node.points.map(|p| (p, node.id.clone()))
            } else {
                self.capacity(&own_plan)
            };
            if let Some((capacity, what)) = limit {
                if cap > capacity {
                    diags.push(cap_too_large(ce.span, cap, capacity, &what));
                }
            }
        }
        for d in diags {
            self.c.diag(d);
        }
    }

    /// The nearest cap at or above a bonus node.
    fn bonus_cap_above(&self, i: u32) -> Option<(Decimal, String)> {
        let mut at = Some(i);
        while let Some(a) = at {
            let n = self.nodes.get(a as usize)?;
            if !n.bonus {
                return None;
            }
            if let Some(c) = n.cap.as_ref().and_then(const_num) {
                let what = if n.id.is_empty() {
                    "the bonus".to_string()
                } else {
                    n.id.clone()
                };
                return Some((c, what));
            }
            at = n.parent;
        }
        None
    }
}

fn cap_too_large(span: Span, cap: Decimal, capacity: Decimal, what: &str) -> Diagnostic {
    Diagnostic::error(
        Code::CapTooLarge,
        format!(
            "a cap of {} is more than the {} points it can take",
            cap.normalize(),
            capacity.normalize()
        ),
    )
    .label(span, format!("`{what}` is worth {}", capacity.normalize()))
    .help("a cap cannot exceed the points of what it draws on; check the document's figure")
}

fn amount_span(a: &ast::Amount) -> Span {
    match a {
        ast::Amount::Plain(e) => e.span,
        ast::Amount::Each { rate, count } => rate.span.join(count.span),
        ast::Amount::Steps { rate, target, .. } => rate.span.join(target.span),
        ast::Amount::Proportion { max, ratio, .. } => max.span.join(ratio.span),
    }
}

/// A rule as written, and for `if C else B` the alternative it implies:
/// the same rule with amount B when C does not hold.
fn with_else(r: &ast::Rule) -> Vec<ast::Rule> {
    let (Some(other), Some(c)) = (&r.otherwise, &r.condition) else {
        return vec![r.clone()];
    };
    let mut first = r.clone();
    first.otherwise = None;
    let mut second = r.clone();
    second.otherwise = None;
    second.partial_steps = false;
    second.amount = Some(ast::Amount::Plain(other.clone()));
    second.condition = Some(Spanned::new(
        ast::ExprKind::Unary(ast::UnaryOp::Not, Box::new(c.clone())),
        c.span,
    ));
    vec![first, second]
}

/// When a rule applies, as one condition (`if C unless U` is `C and not U`).
fn when_applies(r: &ir::RuleDef) -> Option<Expr> {
    let not = |u: &Expr| Expr::Not(Box::new(u.clone()));
    match (&r.condition, &r.unless) {
        (None, None) => None,
        (Some(c), None) => Some(c.clone()),
        (None, Some(u)) => Some(not(u)),
        (Some(c), Some(u)) => Some(Expr::Bin(
            ast::BinOp::And,
            Box::new(c.clone()),
            Box::new(not(u)),
        )),
    }
}

fn amount_span_of(r: &ast::Rule) -> Span {
    r.amount.as_ref().map(amount_span).unwrap_or(r.span)
}
