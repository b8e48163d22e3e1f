//! `rulebook rename OLD NEW FILE…`: rename an input, global, parameter,
//! `let` or table everywhere it is used. Only real references change —
//! names bound by `for x in …` / `x in …` shadow, and strings, sentences
//! and comments are untouched — and the result must check as well as the
//! original did.

use rulebook_lang::ast::{
    Amount, Band, Expr, ExprKind, File, NodeBody, Rule, RuleOrBlock, Span, Value,
};

/// The spans of every declaration of and reference to `name`.
pub fn references(file: &File, src: &str, name: &str) -> Vec<Span> {
    let mut out = Vec::new();
    for i in &file.inputs {
        if i.name.node == name {
            out.push(i.name.span);
        }
    }
    for l in &file.lets {
        if l.name.node == name {
            out.push(l.name.span);
        }
        expr(&l.value, name, &mut Vec::new(), &mut out);
    }
    for t in &file.tables {
        if t.name.node == name {
            out.push(t.name.span);
        }
    }
    for g in &file.grades {
        if let Some(c) = &g.condition {
            expr(c, name, &mut Vec::new(), &mut out);
        }
    }
    body(&file.root, name, &mut out);
    // Test overrides name inputs as keys: `given { name: … }`.
    for t in &file.tests {
        for v in [&t.given, &t.globals].into_iter().flatten() {
            if let Value::Object(pairs) = &v.node {
                if pairs.iter().any(|(k, _)| k == name) {
                    out.extend(keys_in(src, v.span, name, 1));
                }
            }
        }
        // `units [ { unit: "甲", name: … }, … ]`
        if let Some(v) = &t.units {
            out.extend(keys_in(src, v.span, name, 2));
        }
        // `expect error name`
        for e in &t.expect_errors {
            if e.node == name {
                let quoted = src.get(e.span.start..).is_some_and(|t| t.starts_with('"'));
                let skip = usize::from(quoted);
                out.push(Span::new(
                    e.span.start + skip,
                    e.span.start + skip + name.len(),
                ));
            }
        }
    }
    out.sort_by_key(|s| s.start);
    out.dedup();
    out
}

/// Where `name` stands as a key (`name:` or `"name":`) inside an object's text.
fn keys_in(src: &str, span: Span, name: &str, level: usize) -> Vec<Span> {
    let Some(text) = src.get(span.start..span.end) else {
        return Vec::new();
    };
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut in_str = false;
    let mut i = 0;
    while let Some(c) = text.get(i..).and_then(|t| t.chars().next()) {
        match c {
            '"' => in_str = !in_str,
            '{' | '[' if !in_str => depth += 1,
            '}' | ']' if !in_str => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == level && !in_str && text.get(i..).is_some_and(|t| t.starts_with(name)) {
            let before_ok = text
                .get(..i)
                .and_then(|b| b.chars().last())
                .is_none_or(|b| !ident(b));
            let after = text.get(i + name.len()..).unwrap_or("");
            let after_ok = !after.starts_with(ident) && after.trim_start().starts_with(':');
            if before_ok && after_ok {
                out.push(Span::new(span.start + i, span.start + i + name.len()));
            }
        }
        if depth == level && in_str && c == '"' {
            // A quoted key `"name":`.
            let after = text.get(i + 1..).unwrap_or("");
            if after.starts_with(name)
                && after.get(name.len()..).is_some_and(|a| {
                    a.starts_with('"')
                        && a.get(1..).is_some_and(|r| r.trim_start().starts_with(':'))
                })
            {
                out.push(Span::new(
                    span.start + i + 1,
                    span.start + i + 1 + name.len(),
                ));
            }
        }
        i += c.len_utf8();
    }
    out
}

fn body(b: &NodeBody, name: &str, out: &mut Vec<Span>) {
    if let Some(c) = &b.cap {
        expr(c, name, &mut Vec::new(), out);
    }
    for r in &b.rules {
        match r {
            RuleOrBlock::Rule(r) => rule(r, name, out),
            RuleOrBlock::Block { cap, rules, .. } => {
                expr(cap, name, &mut Vec::new(), out);
                for r in rules {
                    rule(r, name, out);
                }
            }
        }
    }
    for c in &b.children {
        body(&c.body, name, out);
    }
}

fn rule(r: &Rule, name: &str, out: &mut Vec<Span>) {
    let mut scope = Vec::new();
    if let Some(a) = &r.amount {
        match a {
            Amount::Plain(e) => expr(e, name, &mut scope, out),
            Amount::Each { rate, count } => {
                expr(rate, name, &mut scope, out);
                expr(count, name, &mut scope, out);
            }
            Amount::Steps {
                rate,
                step,
                actual,
                target,
                ..
            } => {
                for e in [rate, step, actual, target] {
                    expr(e, name, &mut scope, out);
                }
            }
            Amount::Proportion { max, ratio, floor } => {
                expr(max, name, &mut scope, out);
                expr(ratio, name, &mut scope, out);
                if let Some(f) = floor {
                    expr(f, name, &mut scope, out);
                }
            }
        }
    }
    for e in [&r.cap, &r.condition, &r.unless, &r.otherwise]
        .into_iter()
        .flatten()
    {
        expr(e, name, &mut scope, out);
    }
    if let Some(t) = &r.times {
        expr(&t.factor, name, &mut scope, out);
        if let Some(w) = &t.when {
            expr(w, name, &mut scope, out);
        }
    }
}

/// References in an expression; `scope` holds the names bound around it.
fn expr(e: &Expr, name: &str, scope: &mut Vec<String>, out: &mut Vec<Span>) {
    match &e.node {
        ExprKind::Name(n) => {
            if n == name && !scope.iter().any(|s| s == name) {
                out.push(e.span);
            }
        }
        ExprKind::Number(..)
        | ExprKind::Date(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Builtin(_) => {}
        ExprKind::List(xs) => xs.iter().for_each(|x| expr(x, name, scope, out)),
        ExprKind::Unary(_, a) | ExprKind::IsMissing(a, _) | ExprKind::GroupedBy(a, _) => {
            expr(a, name, scope, out)
        }
        ExprKind::Field(a, _) => expr(a, name, scope, out),
        ExprKind::Binary(_, a, b) => {
            expr(a, name, scope, out);
            expr(b, name, scope, out);
        }
        ExprKind::If(a, b, c) => {
            expr(a, name, scope, out);
            expr(b, name, scope, out);
            expr(c, name, scope, out);
        }
        ExprKind::Call(_, args) => args.iter().for_each(|x| expr(x, name, scope, out)),
        ExprKind::Comprehension {
            body: b,
            fors,
            filter,
            ..
        } => {
            let depth = scope.len();
            for (var, list) in fors {
                expr(list, name, scope, out);
                scope.push(var.node.clone());
            }
            expr(b, name, scope, out);
            if let Some(f) = filter {
                expr(f, name, scope, out);
            }
            scope.truncate(depth);
        }
        ExprKind::Binder {
            var, list, filter, ..
        } => {
            expr(list, name, scope, out);
            scope.push(var.node.clone());
            if let Some(f) = filter {
                expr(f, name, scope, out);
            }
            scope.pop();
        }
        ExprKind::Index(a, keys) => {
            expr(a, name, scope, out);
            keys.iter().for_each(|k| expr(k, name, scope, out));
        }
        ExprKind::Cases(cases) => {
            for (cond, amount) in cases {
                if let Some(c) = cond {
                    expr(c, name, scope, out);
                }
                expr(amount, name, scope, out);
            }
        }
        ExprKind::AcrossUnits { body, filter, .. } => {
            expr(body, name, scope, out);
            if let Some(f) = filter {
                expr(f, name, scope, out);
            }
        }
        ExprKind::Tiers(a, tiers) => {
            expr(a, name, scope, out);
            for t in tiers {
                match &t.band {
                    Band::Else => {}
                    Band::Cmp(_, x) => expr(x, name, scope, out),
                    Band::Interval { lo, hi, .. } => {
                        expr(lo, name, scope, out);
                        expr(hi, name, scope, out);
                    }
                }
                expr(&t.amount, name, scope, out);
            }
        }
    }
}

/// Whether `s` can be a name in the language.
pub fn valid_name(s: &str) -> bool {
    let src = format!("let {s} = 1");
    rulebook_lang::parse::parse(&src)
        .ok()
        .is_some_and(|f| f.lets.first().is_some_and(|l| l.name.node == s))
}

/// The declared name at a byte offset (on a declaration or a reference).
pub fn name_at(src: &str, offset: usize) -> Option<String> {
    let file = rulebook_lang::parse::parse(src).ok()?;
    let mut names: Vec<String> = file.inputs.iter().map(|i| i.name.node.clone()).collect();
    names.extend(file.lets.iter().map(|l| l.name.node.clone()));
    names.extend(file.tables.iter().map(|t| t.name.node.clone()));
    names.into_iter().find(|n| {
        references(&file, src, n)
            .iter()
            .any(|s| s.start <= offset && offset <= s.end)
    })
}

/// The text with `old` renamed to `new`, and how many places changed.
pub fn rename(src: &str, old: &str, new: &str) -> Result<(String, usize), String> {
    if !valid_name(new) {
        return Err(format!("`{new}` cannot be a name (a letter first, then letters, digits or `_`; not a reserved word)"));
    }
    let file = rulebook_lang::parse::parse(src)
        .map_err(|_| "the rulebook has syntax errors; `rulebook check` shows them".to_string())?;
    let declared = |n: &str| {
        file.inputs.iter().any(|i| i.name.node == n)
            || file.lets.iter().any(|l| l.name.node == n)
            || file.tables.iter().any(|t| t.name.node == n)
    };
    if !declared(old) {
        return Ok((src.to_string(), 0));
    }
    if declared(new) {
        return Err(format!("`{new}` is already declared; choose another name"));
    }
    let spans = references(&file, src, old);
    let mut out = String::with_capacity(src.len());
    let mut last = 0;
    for s in &spans {
        out.push_str(src.get(last..s.start).unwrap_or(""));
        out.push_str(new);
        last = s.end;
    }
    out.push_str(src.get(last..).unwrap_or(""));
    // Resolve with the checker: the renamed rulebook must check as well as
    // the original (a local `for new in …` could capture a reference).
    let errors = |t: &str| {
        rulebook_lang::check("", t)
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .count()
    };
    if errors(&out) > errors(src) {
        return Err(format!(
            "renaming `{old}` to `{new}` would change what the rules mean (a name bound inside a rule is called `{new}`); choose another name"
        ));
    }
    Ok((out, spans.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_references_not_strings_or_locals() {
        let src = "input fines: list of yuan \"fines 罚款\"\ninput f: count \"f\"\nitem 1 \"fines\" {\n  points 1\n  award sum(0.1 for fines2 in fines) cap 1\n  deduct 0.1 each count(f in fines where f > 5)\n  deduct 0.2 each f\n}\ntest \"t\" {\n  given { fines: [1], f: 2 }\n  expect total = 1\n}\n";
        let (out, n) = rename(src, "f", "cases").unwrap_or_default();
        assert_eq!(n, 3, "{out}");
        assert!(out.contains("input cases: count \"f\""));
        assert!(out.contains("count(f in fines where f > 5)"));
        assert!(out.contains("deduct 0.2 each cases"));
        assert!(out.contains("given { fines: [1], cases: 2 }"));
        let (out, n) = rename(src, "fines", "burning_fines").unwrap_or_default();
        assert_eq!(n, 4, "{out}");
        assert!(out.contains("item 1 \"fines\""));
        assert!(rename(src, "f", "fines").is_err());
        assert!(rename(src, "f", "each").is_err());
    }
}
