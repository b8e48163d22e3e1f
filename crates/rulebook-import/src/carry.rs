//! `--base LAST.rules`: next year's document onto last year's rulebook.
//!
//! Last year's text is the skeleton and is edited, never regenerated, so
//! everything the author wrote around an unchanged clause (rules, inputs,
//! tests, comments) stays byte for byte. Clauses are matched by sentence
//! first, then by id:
//!
//! - same sentence: unchanged (renumbered if the document's numbering moved);
//! - same sentence but for its numbers: the sentence, the clause's rules and
//!   the parameters its rules read get the new numbers;
//! - changed words: the new sentence, the old rules kept as comments, and a
//!   recognised rule or a `todo`;
//! - only in the document: a new node with a recognised rule or a `todo`;
//! - only in last year's rulebook: removed (inputs nothing reads any more
//!   are reported).

use crate::model::{Document, Node};
use crate::text::{numbers, shape, squash, unmarked, widen};
use crate::write::{self, fmt_dec, quote, Proposals};
use rulebook_lang::ast::{self, InputKind, RuleOrBlock, Span};
use rulebook_lang::diag::Code;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::str::FromStr;

/// The draft and what changed.
#[derive(Debug, Clone)]
pub struct Carried {
    pub text: String,
    pub summary: Summary,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub unchanged: usize,
    /// Node id and each number's old → new.
    pub numbers: Vec<(String, Vec<(String, String)>)>,
    pub new: Vec<String>,
    pub removed: Vec<String>,
    pub reworded: Vec<String>,
    /// Nodes left with a `todo`.
    pub todo: Vec<String>,
    /// Inputs and parameters no rule reads any more.
    pub unused: Vec<String>,
    /// Ids that moved (old → new).
    pub renumbered: Vec<(String, String)>,
    /// Responsible units (考核单位) that changed: id, old, new.
    pub units: Vec<(String, String, String)>,
    /// `off` pools that follow renumbered or removed parts: node, old, new
    /// (new empty: nothing of the pool is left, a `todo` says so).
    pub pools: Vec<(String, String, String)>,
}

impl Summary {
    pub fn render(&self) -> String {
        let mut s = format!(
            "{} unchanged, {} with numbers updated, {} new, {} removed, {} reworded, {} to do\n",
            self.unchanged,
            self.numbers.len(),
            self.new.len(),
            self.removed.len(),
            self.reworded.len(),
            self.todo.len()
        );
        for (id, pairs) in &self.numbers {
            let list: Vec<String> = pairs.iter().map(|(o, n)| format!("{o} → {n}")).collect();
            let _ = writeln!(s, "  numbers updated  {id}: {}", list.join(", "));
        }
        for id in &self.new {
            let _ = writeln!(s, "  new              {id}");
        }
        for id in &self.removed {
            let _ = writeln!(s, "  removed          {id}");
        }
        for id in &self.reworded {
            let _ = writeln!(s, "  reworded         {id}");
        }
        for (id, o, n) in &self.units {
            let _ = writeln!(s, "  units changed    {id}: {o} → {n}");
        }
        for (o, n) in &self.renumbered {
            let _ = writeln!(s, "  renumbered       {o} → {n}");
        }
        for (id, o, n) in &self.pools {
            let n = if n.is_empty() { "(removed: to do)" } else { n };
            let _ = writeln!(s, "  pool changed     {id}: {o} → {n}");
        }
        for id in &self.todo {
            let _ = writeln!(s, "  to do            {id}");
        }
        for name in &self.unused {
            let _ = writeln!(s, "  no longer used   {name}");
        }
        s
    }
}

/// One replacement of last year's text.
#[derive(Debug, Clone)]
struct Edit {
    span: Span,
    text: String,
}

struct Carry<'a> {
    src: &'a str,
    file: &'a ast::File,
    proposals: Proposals,
    edits: Vec<Edit>,
    summary: Summary,
    /// All of the document's sentences, squashed and run together.
    doc_text: String,
    /// Ids of removed nodes (with their subtrees' ids below them).
    removed_ids: Vec<String>,
    /// Names declared: last year's, and those the draft has added so far.
    declared: BTreeSet<String>,
}

fn title_of(n: &ast::Node) -> String {
    n.title.as_ref().map(|t| t.node.clone()).unwrap_or_default()
}

/// A base node's sentence with its `text` lines, as the document may run them together.
fn base_full(n: &ast::Node) -> String {
    let mut s = title_of(n);
    for t in &n.body.text {
        s.push_str(&t.node);
    }
    s
}

/// The same sentence: numbering mark, spaces and the width of punctuation
/// (「(区)」, 「（区）」) aside.
fn same(a: &str, b: &str) -> bool {
    squash(&widen(unmarked(a))) == squash(&widen(unmarked(b)))
}

/// The same sentence, its numbering mark included.
fn same_marked(a: &str, b: &str) -> bool {
    squash(a) == squash(b)
}

fn same_shape(a: &str, b: &str) -> bool {
    squash(&shape(&widen(unmarked(a)))) == squash(&shape(&widen(unmarked(b))))
}

/// The word written just before a number in a sentence (得, 扣, 最高扣, 每低…).
fn context(sentence: &str, at: usize) -> &'static str {
    let before = sentence.get(..at).unwrap_or("");
    for (w, kw) in [
        ("最高扣", "cap"),
        ("最多扣", "cap"),
        ("扣完", "cap"),
        ("最高加", "cap"),
        ("最多加", "cap"),
        ("得", "award"),
        ("加", "award"),
        ("扣", "deduct"),
    ] {
        if before.ends_with(w) {
            return kw;
        }
    }
    if before.contains('每') && !before.ends_with('分') {
        let tail: String = before.chars().rev().take(8).collect();
        if tail.contains('每') {
            return "per";
        }
    }
    ""
}

/// The numbers that differ between two sentences of the same shape.
///
/// A part named by its number (「从第（1）—（4）项得分中扣分」) is no value:
/// the `off` pools follow the parts themselves ([`Carry::pools`]), and no
/// rule or parameter that happens to hold a 4 may change with it.
fn changed_numbers(old: &str, new: &str) -> Vec<(String, String, &'static str)> {
    let (o, n) = (unmarked(old), unmarked(new));
    let part_ref = |i: usize, tok: &str| {
        o.get(..i).is_some_and(|b| b.ends_with(['（', '(']))
            && o.get(i + tok.len()..)
                .is_some_and(|a| a.starts_with(['）', ')']))
    };
    numbers(o)
        .into_iter()
        .zip(numbers(n))
        .filter(|((_, a), (_, b))| Decimal::from_str(a).ok() != Decimal::from_str(b).ok())
        .filter(|((i, a), _)| !part_ref(*i, a))
        .map(|((i, a), (_, b))| (a, b, context(o, i)))
        .collect()
}

/// Replace whole-number tokens equal to `old` in rule text; with a keyword,
/// only the number right after it (`cap 3`, `award 3`, `per 0.1`).
fn replace_number(text: &str, old: &str, new: &str, keyword: &str) -> String {
    let Ok(old_v) = Decimal::from_str(old) else {
        return text.to_string();
    };
    let mut out = String::new();
    let mut last = 0;
    for (i, tok) in numbers(text) {
        let before = text.get(..i).unwrap_or("");
        let prev = before.chars().last();
        let after = text.get(i + tok.len()..).and_then(|a| a.chars().next());
        let in_name = prev.is_some_and(|c| c.is_alphanumeric() || c == '_')
            || after.is_some_and(|c| c.is_alphabetic() && c != '个' || c == '_');
        let in_string = before.matches('"').count() % 2 == 1;
        let keyword_ok = keyword.is_empty() || before.trim_end().ends_with(keyword);
        if !in_name && !in_string && keyword_ok && Decimal::from_str(&tok).ok() == Some(old_v) {
            out.push_str(text.get(last..i).unwrap_or(""));
            out.push_str(new);
            last = i + tok.len();
        }
    }
    out.push_str(text.get(last..).unwrap_or(""));
    out
}

/// Names read by an expression's text (identifiers that are declared).
fn names_in(text: &str, declared: &BTreeSet<String>) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| declared.contains(*w))
        .map(str::to_string)
        .collect()
}

impl<'a> Carry<'a> {
    fn slice(&self, s: Span) -> &'a str {
        self.src.get(s.start..s.end).unwrap_or("")
    }

    fn edit(&mut self, span: Span, text: String) {
        self.edits.push(Edit { span, text });
    }

    /// The spans of a node's own rules (not its children's).
    fn own_rules(n: &ast::Node) -> Vec<Span> {
        n.body
            .rules
            .iter()
            .map(|r| match r {
                RuleOrBlock::Rule(r) => r.span,
                RuleOrBlock::Block { span, .. } => *span,
            })
            .collect()
    }

    /// The node's lines: from the start of its first line to the end of its last.
    fn line_span(&self, span: Span) -> Span {
        let start = self
            .src
            .get(..span.start)
            .and_then(|b| b.rfind('\n'))
            .map(|i| i + 1)
            .unwrap_or(0);
        let end = self
            .src
            .get(span.end..)
            .and_then(|a| a.find('\n'))
            .map(|i| span.end + i + 1)
            .unwrap_or(self.src.len());
        Span::new(start, end)
    }

    /// Apply number changes to a node's own rules and to the parameters
    /// read by the rules of its subtree.
    fn renumber_rules(&mut self, base: &ast::Node, changes: &[(String, String, &'static str)]) {
        for span in Self::own_rules(base) {
            let original = self.slice(span).to_string();
            let mut text = original.clone();
            for (o, n, ctx) in changes {
                // The same old number becoming different new ones (×50 → ×45
                // twice is one change; 3 → 2 and 3 → 4 are two).
                let ambiguous = changes.iter().any(|(o2, n2, _)| o2 == o && n2 != n);
                let kw = if ambiguous { *ctx } else { "" };
                if ambiguous && kw.is_empty() {
                    continue;
                }
                text = replace_number(&text, o, n, kw);
            }
            if text != original {
                self.edit(span, text);
            }
        }
        if let Some(p) = &base.body.points {
            let v = fmt_dec(p.node);
            for (o, n, ctx) in changes {
                if Decimal::from_str(o).ok() == Some(p.node)
                    && (*ctx == "award" || ctx.is_empty())
                    && v != *n
                {
                    self.edit(p.span, n.clone());
                    break;
                }
            }
        }
        // Parameters the subtree reads whose value was the old number.
        let declared: BTreeSet<String> = self
            .file
            .inputs
            .iter()
            .filter(|i| i.kind == InputKind::Param)
            .map(|i| i.name.node.clone())
            .collect();
        let mut read = BTreeSet::new();
        let mut stack = vec![base];
        while let Some(n) = stack.pop() {
            for s in Self::own_rules(n) {
                read.extend(names_in(self.slice(s), &declared));
            }
            stack.extend(n.body.children.iter());
        }
        let lets: Vec<(String, String)> = self
            .file
            .lets
            .iter()
            .map(|l| (l.name.node.clone(), self.slice(l.value.span).to_string()))
            .collect();
        for (name, value) in lets {
            if read.contains(&name) {
                read.extend(names_in(&value, &declared));
            }
        }
        for input in &self.file.inputs {
            if !read.contains(&input.name.node) {
                continue;
            }
            for (_, v) in &input.values {
                for (o, n, _) in changes {
                    if Decimal::from_str(o).ok() == Some(v.node) {
                        self.edits.push(Edit {
                            span: v.span,
                            text: n.clone(),
                        });
                    }
                }
            }
        }
    }

    /// Match the document's children onto the base node's children.
    fn children(&mut self, doc: &Node, base: &ast::Node) {
        let bases: Vec<&ast::Node> = base.body.children.iter().collect();
        let mut base_used = vec![false; bases.len()];
        let mut pairs: Vec<(usize, Option<usize>)> = Vec::new();
        // 1. the same sentence.
        for (di, d) in doc.children.iter().enumerate() {
            let hit = bases
                .iter()
                .enumerate()
                .find(|(bi, b)| {
                    !base_used.get(*bi).copied().unwrap_or(true)
                        && (same(&title_of(b), &d.title)
                            || (!b.body.text.is_empty() && same(&base_full(b), &d.title)))
                })
                .map(|(bi, _)| bi);
            if let Some(bi) = hit {
                if let Some(u) = base_used.get_mut(bi) {
                    *u = true;
                }
            }
            pairs.push((di, hit));
        }
        // 2. the same sentence but for its numbers; 3. the same id.
        for pass in 0..2 {
            for (di, hit) in pairs.iter_mut() {
                if hit.is_some() {
                    continue;
                }
                let Some(d) = doc.children.get(*di) else {
                    continue;
                };
                let found = bases.iter().enumerate().find(|(bi, b)| {
                    !base_used.get(*bi).copied().unwrap_or(true)
                        && if pass == 0 {
                            same_shape(&title_of(b), &d.title)
                        } else {
                            b.id.node == d.id
                        }
                });
                if let Some((bi, _)) = found {
                    if let Some(u) = base_used.get_mut(bi) {
                        *u = true;
                    }
                    *hit = Some(bi);
                }
            }
        }
        // Base texts: a document node last year's author kept as `text`.
        let base_texts: Vec<String> = base.body.text.iter().map(|t| squash(&t.node)).collect();
        let mut last_base_end: Option<usize> = None;
        for (di, hit) in pairs {
            let Some(d) = doc.children.get(di) else {
                continue;
            };
            match hit.and_then(|bi| bases.get(bi).copied()) {
                Some(b) => {
                    self.pair(d, b);
                    last_base_end = Some(b.span.end);
                }
                None => {
                    if base_texts.contains(&squash(&d.title)) {
                        self.summary.unchanged += 1;
                        continue;
                    }
                    self.insert_new(d, base, last_base_end);
                }
            }
        }
        for (bi, b) in bases.iter().enumerate() {
            if base_used.get(bi).copied().unwrap_or(true) {
                continue;
            }
            // A node last year's author added (its sentences are still in
            // the document, under another node) stays.
            if !b.body.text.is_empty()
                && b.body
                    .text
                    .iter()
                    .all(|t| self.doc_text.contains(&squash(&t.node)))
            {
                self.summary.unchanged += 1;
                continue;
            }
            let span = self.line_span(b.span);
            self.edit(span, String::new());
            self.removed_ids.push(b.id.node.clone());
            self.summary.removed.push(b.id.node.clone());
        }
    }

    fn insert_new(&mut self, d: &Node, parent: &ast::Node, after: Option<usize>) {
        let mut text = String::new();
        let mut proposals = Proposals::new();
        for n in d.walk() {
            if let Some(p) = self.proposals.get(&n.id) {
                proposals.insert(n.id.clone(), p.clone());
                if p.todo.is_some() {
                    self.summary.todo.push(n.id.clone());
                }
            }
        }
        write::node_text(d, &proposals, &mut text);
        // The new node's inputs are declared inside it (once each, and not
        // again when last year's rulebook has the name: a parent's condition).
        let mut decls: Vec<String> = Vec::new();
        for n in d.walk() {
            for i in proposals
                .get(&n.id)
                .map(|p| p.inputs.as_slice())
                .unwrap_or(&[])
            {
                if self.declared.insert(i.name.clone()) {
                    decls.push(i.declaration());
                }
            }
        }
        if !decls.is_empty() {
            if let Some(brace) = text.find("{\n") {
                text.insert_str(brace + 2, &(decls.join("\n") + "\n"));
            }
        }
        let at = match after {
            Some(end) => self.line_span(Span::new(end, end)).end,
            None => {
                // Before the parent's first child, or its closing brace.
                match parent.body.children.first() {
                    Some(c) => self.line_span(c.span).start,
                    None => {
                        self.line_span(Span::new(parent.span.end, parent.span.end))
                            .start
                    }
                }
            }
        };
        self.edit(Span::new(at, at), text);
        self.summary.new.push(d.id.clone());
    }

    fn pair(&mut self, d: &Node, b: &ast::Node) {
        if d.kind == crate::model::Kind::Section {
            // A section's title is a heading: follow the document's wording.
            if let Some(t) = b.title.as_ref().filter(|t| !same(&t.node, &d.title)) {
                self.edit(t.span, quote(&d.title));
            }
            return self.children(d, b);
        }
        if b.id.node != d.id {
            self.edit(b.id.span, d.id.clone());
            // Renumbered: the sentence's own mark （3） → （2） follows.
            if let Some(t) = b.title.as_ref().filter(|t| {
                t.node != d.title && same(&t.node, &d.title) && !same_marked(&t.node, &d.title)
            }) {
                self.edit(t.span, quote(&d.title));
            }
            self.summary
                .renumbered
                .push((b.id.node.clone(), d.id.clone()));
        }
        let old = title_of(b);
        if same(&old, &d.title) || same(&base_full(b), &d.title) {
            self.summary.unchanged += 1;
        } else if same_shape(&old, &d.title) {
            let changes = changed_numbers(&old, &d.title);
            if let Some(t) = &b.title {
                self.edit(t.span, quote(&d.title));
            }
            self.renumber_rules(b, &changes);
            self.summary.numbers.push((
                d.id.clone(),
                changes.into_iter().map(|(o, n, _)| (o, n)).collect(),
            ));
        } else {
            self.reword(d, b);
        }
        // The node's own sentences (`text`): numbers only, or new words.
        let mut text_changes = Vec::new();
        for t in &b.body.text {
            if d.text.iter().any(|x| same(x, &t.node)) {
                continue;
            }
            if let Some(nt) = d.text.iter().find(|x| same_shape(x, &t.node)) {
                text_changes.extend(changed_numbers(&t.node, nt));
                self.edit(t.span, quote(nt));
            }
        }
        if !text_changes.is_empty() {
            self.renumber_rules(b, &text_changes);
            let pairs = text_changes.into_iter().map(|(o, n, _)| (o, n)).collect();
            match self.summary.numbers.iter_mut().find(|(id, _)| *id == d.id) {
                Some((_, list)) => list.extend::<Vec<_>>(pairs),
                None => self.summary.numbers.push((d.id.clone(), pairs)),
            }
        }
        // 考核单位 changed (a unit renamed or reassigned).
        let old_by: Vec<String> = b.body.by.iter().map(|x| x.node.clone()).collect();
        if !d.by.is_empty() && !old_by.is_empty() && old_by != d.by {
            let mut spans = b.body.by.iter().map(|x| x.span);
            if let Some(first) = spans.next() {
                let lines: Vec<String> = d.by.iter().map(|u| quote(u)).collect();
                self.edit(first, lines.join("\nby "));
                for rest in spans {
                    let line = self.line_span(rest);
                    self.edit(line, String::new());
                }
            }
            self.summary
                .units
                .push((d.id.clone(), old_by.join("；"), d.by.join("；")));
        }
        // 分值 changed.
        if let (Some(bp), Some(dp)) = (&b.body.points, d.points) {
            if bp.node != dp && !self.edits.iter().any(|e| e.span == bp.span) {
                self.edit(bp.span, fmt_dec(dp));
                self.summary
                    .numbers
                    .push((d.id.clone(), vec![(fmt_dec(bp.node), fmt_dec(dp))]));
            }
        }
        self.children(d, b);
    }

    /// New words: the new sentence, last year's rules as comments, and what
    /// the reader makes of the sentence.
    fn reword(&mut self, d: &Node, b: &ast::Node) {
        if let Some(t) = &b.title {
            self.edit(t.span, quote(&d.title));
        }
        self.summary.reworded.push(d.id.clone());
        let rules = Self::own_rules(b);
        let proposal = self.proposals.get(&d.id).cloned().unwrap_or_default();
        let mut text = String::new();
        for i in &proposal.inputs {
            if self.declared.insert(i.name.clone()) {
                let _ = writeln!(text, "{}", i.declaration());
            }
        }
        let _ = writeln!(
            text,
            "# last year's rules, for the old sentence: {}",
            quote(&title_of(b))
        );
        for s in &rules {
            for line in self.slice(*s).lines() {
                let _ = writeln!(text, "# {}", line.trim());
            }
        }
        proposal.write_body(&mut text);
        if proposal.todo.is_some() || proposal.rules.is_empty() {
            if proposal.todo.is_none() {
                let _ = writeln!(
                    text,
                    "todo {}",
                    quote("reworded: write the rules for the new sentence")
                );
            }
            self.summary.todo.push(d.id.clone());
        }
        match rules.first() {
            Some(first) => {
                for s in rules.iter().skip(1) {
                    let span = self.line_span(*s);
                    self.edit(span, String::new());
                }
                let span = self.line_span(*first);
                self.edit(span, text);
            }
            None => {
                let end = self.line_span(Span::new(b.span.end, b.span.end)).start;
                self.edit(Span::new(end, end), text);
            }
        }
    }
}

/// Each node id of a body (at any depth) with the ids of its siblings, in order.
fn sibling_runs(body: &ast::NodeBody, out: &mut BTreeMap<String, Vec<String>>) {
    let ids: Vec<String> = body.children.iter().map(|c| c.id.node.clone()).collect();
    for c in &body.children {
        out.insert(c.id.node.clone(), ids.clone());
        sibling_runs(&c.body, out);
    }
}

/// An `off` statement, where it is, and where a `todo` can go after it.
struct Pool<'f> {
    owner: String,
    target: &'f ast::Spanned<ast::Target>,
    /// The statement or rule (or rule block) the target belongs to.
    line: Span,
}

fn pools_in<'f>(body: &'f ast::NodeBody, gone: &dyn Fn(&str) -> bool, out: &mut Vec<Pool<'f>>) {
    for n in &body.children {
        if gone(&n.id.node) {
            continue;
        }
        if let Some(t) = &n.body.target {
            out.push(Pool {
                owner: n.id.node.clone(),
                target: t,
                line: t.span,
            });
        }
        for r in &n.body.rules {
            let (rules, line): (Vec<&ast::Rule>, Span) = match r {
                RuleOrBlock::Rule(r) => (vec![r.as_ref()], r.span),
                RuleOrBlock::Block { rules, span, .. } => (rules.iter().collect(), *span),
            };
            for rule in rules {
                if let Some(t) = &rule.target {
                    out.push(Pool {
                        owner: n.id.node.clone(),
                        target: t,
                        line,
                    });
                }
            }
        }
        pools_in(&n.body, gone, out);
    }
}

impl Carry<'_> {
    /// `off A..B` and `off A, B` follow the parts they name: renumbered
    /// ends take their new ids, a removed end gives way to the nearest part
    /// of the run still there, a removed single part leaves the list; a pool
    /// with nothing left becomes a `todo` saying what it came off.
    fn pools(&mut self, removed: &[String]) {
        let renamed: BTreeMap<String, String> = self.summary.renumbered.iter().cloned().collect();
        let now = |id: &str| renamed.get(id).cloned().unwrap_or_else(|| id.to_string());
        let gone = |id: &str| {
            removed
                .iter()
                .any(|r| id == r || id.starts_with(&format!("{r}.")))
        };
        let mut siblings = BTreeMap::new();
        sibling_runs(&self.file.root, &mut siblings);
        let mut pools = Vec::new();
        pools_in(&self.file.root, &gone, &mut pools);
        for pool in pools {
            let ast::Target::Off { ranges, then_total } = &pool.target.node else {
                continue;
            };
            let mut old = Vec::new();
            let mut new = Vec::new();
            for (a, b) in ranges {
                let (a, b) = (a.node.as_str(), b.as_ref().map(|b| b.node.as_str()));
                match b {
                    None => {
                        old.push(a.to_string());
                        if !gone(a) {
                            new.push(now(a));
                        }
                    }
                    Some(b) => {
                        old.push(format!("{a}..{b}"));
                        let run = siblings.get(a).cloned().unwrap_or_default();
                        let at = |x: &str| run.iter().position(|r| r == x);
                        let kept: Vec<&String> = match (at(a), at(b)) {
                            (Some(x), Some(y)) if x <= y => run
                                .get(x..=y)
                                .unwrap_or(&[])
                                .iter()
                                .filter(|r| !gone(r))
                                .collect(),
                            // Not a run the checker accepts anyway: left as written.
                            _ => {
                                new.push(format!("{}..{}", now(a), now(b)));
                                continue;
                            }
                        };
                        match (kept.first(), kept.last()) {
                            (Some(f), Some(l)) if f == l => new.push(now(f)),
                            (Some(f), Some(l)) => new.push(format!("{}..{}", now(f), now(l))),
                            _ => {}
                        }
                    }
                }
            }
            if old == new {
                continue;
            }
            let then = if *then_total { " then total" } else { "" };
            let old_text = format!("off {}{then}", old.join(", "));
            if new.is_empty() {
                self.edit(pool.target.span, String::new());
                let after = self.line_span(pool.line).end;
                self.edit(
                    Span::new(after, after),
                    format!(
                        "todo {}\n",
                        quote(&format!(
                            "this came off {} ({old_text}), removed from the document: say what it comes off now",
                            old.join(", ")
                        ))
                    ),
                );
                self.summary.todo.push(now(&pool.owner));
                self.summary
                    .pools
                    .push((now(&pool.owner), old_text, String::new()));
            } else {
                let new_text = format!("off {}{then}", new.join(", "));
                // The rule may be rewritten already (numbers updated): change
                // the pool inside that rewrite.
                let written = self.slice(pool.target.span).to_string();
                let t = pool.target.span;
                match self
                    .edits
                    .iter_mut()
                    .find(|e| e.span.start <= t.start && t.end <= e.span.end)
                {
                    Some(e) => e.text = e.text.replacen(&written, &new_text, 1),
                    None => self.edit(t, new_text.clone()),
                }
                self.summary
                    .pools
                    .push((now(&pool.owner), old_text, new_text));
            }
        }
    }
}

/// Carry last year's rulebook (`base`, its text) over to this year's document.
pub fn carry_over(doc: &Document, base: &str) -> Result<Carried, String> {
    let file = rulebook_lang::parse::parse(base).map_err(|d| {
        format!(
            "last year's rulebook has syntax errors ({}); `rulebook check` shows them",
            d.first().map(|x| x.message.clone()).unwrap_or_default()
        )
    })?;
    let mut c = Carry {
        src: base,
        file: &file,
        proposals: write::propose(doc),
        edits: Vec::new(),
        summary: Summary::default(),
        doc_text: doc
            .nodes()
            .iter()
            .flat_map(|n| {
                std::iter::once(n.title.as_str()).chain(n.text.iter().map(String::as_str))
            })
            .map(squash)
            .collect(),
        removed_ids: Vec::new(),
        declared: file.inputs.iter().map(|i| i.name.node.clone()).collect(),
    };
    if let (Some(t), Some(new)) = (&file.title, &doc.title) {
        if !same(&t.node, new) {
            c.edit(t.span, quote(new));
        }
    }
    // 总分 changed: the table's points follow.
    if let (Some(p), Some(new)) = (&file.root.points, doc.points) {
        if p.node != new {
            c.edit(p.span, fmt_dec(new));
            c.summary
                .numbers
                .push(("总分".to_string(), vec![(fmt_dec(p.node), fmt_dec(new))]));
        }
    }
    if let (Some(t), Some(new)) = (&file.document, &doc.number) {
        if t.node != *new {
            c.edit(t.span, quote(new));
        }
    }
    // Sections: by id, then by title.
    let root = ast::Node {
        kind: ast::NodeKind::Root,
        id: ast::Spanned::new(String::new(), Span::default()),
        title: None,
        body: file.root.clone(),
        span: Span::new(0, base.len()),
    };
    let mut top = Node::new(crate::model::Kind::Item, "", "");
    top.children = doc.sections.clone();
    c.children(&top, &root);
    let removed = std::mem::take(&mut c.removed_ids);
    c.pools(&removed);
    // Tests expecting a removed node's score lose that line.
    for t in &file.tests {
        for e in &t.expects {
            if let ast::ExpectTarget::Node { id, .. } = &e.target.node {
                let gone = removed
                    .iter()
                    .any(|r| id == r || id.starts_with(&format!("{r}.")));
                if gone {
                    c.edit(e.span, String::new());
                }
            }
        }
    }
    let mut edits = c.edits;
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(base.len());
    let mut last = 0;
    for e in &edits {
        if e.span.start < last {
            continue; // inside a removed or replaced stretch
        }
        out.push_str(base.get(last..e.span.start).unwrap_or(""));
        out.push_str(&e.text);
        last = e.span.end;
    }
    out.push_str(base.get(last..).unwrap_or(""));
    let text = rulebook_lang::format::format(&out);
    let mut summary = c.summary;
    // Inputs nothing reads any more, and the to-dos the checker finds.
    let checked = rulebook_lang::check("draft.rules", &text);
    let before: BTreeSet<String> = rulebook_lang::check("base.rules", base)
        .diagnostics
        .iter()
        .filter(|d| matches!(d.code, Code::UnusedInput | Code::UnusedParam))
        .map(|d| d.message.clone())
        .collect();
    summary.unused = checked
        .diagnostics
        .iter()
        .filter(|d| matches!(d.code, Code::UnusedInput | Code::UnusedParam))
        .map(|d| d.message.clone())
        .filter(|m| !before.contains(m))
        .collect();
    Ok(Carried { text, summary })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_change_by_context() {
        let ch = changed_numbers(
            "①得3分。每低0.1个百分点扣0.3分。最高扣3分。",
            "①得3分。每低0.1个百分点扣0.3分。最高扣2分。",
        );
        assert_eq!(ch, vec![("3".to_string(), "2".to_string(), "cap")]);
        let r = replace_number("deduct 0.3 per 0.1 of a below b cap 3", "3", "2", "cap");
        assert_eq!(r, "deduct 0.3 per 0.1 of a below b cap 2");
        let r = replace_number("award 0.8 if x16 >= 16 and y = \"16\"", "16", "20", "");
        assert_eq!(r, "award 0.8 if x16 >= 20 and y = \"16\"");
        // Parts named by number are not values.
        let ch = changed_numbers(
            "第（5）—（11）项不设基础分，从第（1）—（4）项得分中扣分，最高扣4分。",
            "第（4）—（10）项不设基础分，从第（1）—（3）项得分中扣分，最高扣3分。",
        );
        assert_eq!(ch, vec![("4".to_string(), "3".to_string(), "cap")]);
    }
}
