//! Checking the `test` blocks (and the clauses table rows cite): what each test gives (a data file, `given`,
//! `globals`, a batch of `units`) and what it expects (scores, or
//! `expect error FIELD`), lowered to [`ir::TestDef`]. Part of
//! [`crate::check`].
//!
//! Guarantees: every once-only statement written twice, every expectation
//! naming no node, no field or no unit of the batch, and every mix that
//! cannot run (`expect error` beside scores, `given` beside `units`, an
//! expectation that does not say which unit of a batch it means) is a
//! located error.

use crate::ast::{self, Span, Value};
use crate::check::Checker;
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::ir;
use std::collections::HashMap;

/// The tests, checked; `nodes` are the table's nodes and `fields` the names
/// of every input, global and parameter.
pub(crate) fn tests(
    c: &mut Checker<'_>,
    file: &ast::File,
    nodes: &[ir::NodeDef],
    fields: &[&str],
) -> Vec<ir::TestDef> {
    let mut out = Vec::new();
    let mut names: HashMap<&str, Span> = HashMap::new();
    for t in &file.tests {
        if let Some(first) = names.insert(t.name.node.as_str(), t.name.span) {
            c.diag(
                Diagnostic::error(
                    Code::DuplicateId,
                    format!("test `{}` is declared twice", t.name.node),
                )
                .label(t.name.span, "second test")
                .label(first, "first test")
                .help("give each test its own name"),
            );
        }
        for r in &t.repeated {
            c.diag(
                Diagnostic::error(
                    Code::BadTest,
                    format!("`{}` is written twice in one test", r.what),
                )
                .label(r.again, "written again here")
                .label(r.first, "first written here")
                .help(format!(
                    "a test has one `{}`: put everything in the first one (or write a second test)",
                    r.what
                )),
            );
        }
        if t.data.is_none() && t.given.is_none() && t.units.is_none() {
            c.diag(
                Diagnostic::error(Code::BadTest, "this test has no data")
                    .label(t.name.span, "no `data`, no `given` and no `units`")
                    .help("add `given { input: value, ... }`, `data \"file.json\" unit \"name\"` or `units [ { unit: \"name\", ... } ]`"),
            );
        }
        let batch = t.units.as_ref().map(|u| batch_names(c, u));
        if let (Some(g), Some(u)) = (&t.given, &t.units) {
            c.diag(
                Diagnostic::error(Code::BadTest, "`given` and `units` in one test")
                    .label(g.span, "`given` changes the test's unit")
                    .label(u.span, "`units` gives every unit")
                    .help("write the unit's inputs in its entry in `units`"),
            );
        }
        // Unnamed expectations are about the test's unit: the one named by
        // `data … unit`, else the batch's only unit.
        let test_unit_known = t.data.as_ref().is_some_and(|(_, u)| u.is_some())
            || batch.as_ref().is_none_or(|b| b.len() == 1);
        let mut expects = Vec::new();
        for x in &t.expects {
            match (&x.unit, &batch) {
                (Some(u), Some(b)) if t.data.is_none() && !b.iter().any(|n| n == &u.node) => {
                    let mut d = Diagnostic::error(
                        Code::UnknownName,
                        format!("there is no unit `{}` in this test's `units`", u.node),
                    )
                    .label(u.span, "not a unit of the batch");
                    d = d.help(match did_you_mean(&u.node, b.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("the units are {}", quoted(b)),
                    });
                    c.diag(d);
                }
                (None, _) if !test_unit_known => {
                    c.diag(
                        Diagnostic::error(
                            Code::BadTest,
                            "this expectation does not say which unit it is about",
                        )
                        .label(x.target.span, "in a batch of several units")
                        .help(format!(
                            "name the unit: `expect \"{}\" {} = …`",
                            batch
                                .as_ref()
                                .and_then(|b| b.first())
                                .map(String::as_str)
                                .unwrap_or("甲"),
                            c.describe_span(x.target.span)
                        )),
                    );
                }
                _ => {}
            }
            expects.push(ir::ExpectDef {
                unit: x.unit.as_ref().map(|u| u.node.clone()),
                key: expect_key(c, x, nodes),
                value: x.value.node.clone(),
                line: c.line(x.span.start),
            });
        }
        let mut expect_errors = Vec::new();
        for f in &t.expect_errors {
            let head = f.node.split(['.', '[']).next().unwrap_or("");
            if !fields.contains(&head) {
                let mut d = Diagnostic::error(
                    Code::UnknownName,
                    format!("there is no input, global or parameter `{head}`"),
                )
                .label(f.span, "not a field of this rulebook's data");
                d = d.help(match did_you_mean(head, fields.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "name the input, global or parameter whose value must be refused"
                        .to_string(),
                });
                c.diag(d);
            }
            expect_errors.push(ir::ExpectErrorDef {
                field: f.node.clone(),
                line: c.line(f.span.start),
            });
        }
        if let (Some(e), Some(x)) = (t.expect_errors.first(), t.expects.first()) {
            c.diag(
                Diagnostic::error(
                    Code::BadTest,
                    "`expect error` and expected scores in one test",
                )
                .label(e.span, "the data must be refused")
                .label(x.span, "so nothing is scored to compare")
                .help("put the expected scores in a test of their own"),
            );
        }
        out.push(ir::TestDef {
            name: t.name.node.clone(),
            data: t
                .data
                .as_ref()
                .map(|(p, u)| (p.node.clone(), u.as_ref().map(|u| u.node.clone()))),
            given: t.given.as_ref().map(|g| g.node.clone()),
            globals: t.globals.as_ref().map(|g| g.node.clone()),
            units: t.units.as_ref().map(|u| u.node.clone()),
            expects,
            expect_errors,
            line: c.line(t.span.start),
        });
    }
    out
}

/// The names of a `units [ … ]` batch; every entry must be an object with
/// a `unit` name of its own.
fn batch_names(c: &mut Checker<'_>, units: &ast::Spanned<Value>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let Value::List(entries) = &units.node else {
        c.diag(
            Diagnostic::error(Code::BadTest, "`units` is not a list of units")
                .label(units.span, "expected `[ { unit: \"name\", ... }, ... ]`")
                .help("write each unit as `{ unit: \"name\", input: value, ... }` inside `[ ]`"),
        );
        return names;
    };
    for (k, e) in entries.iter().enumerate() {
        let name = match e {
            Value::Object(pairs) => pairs.iter().find(|(k, _)| k == "unit").map(|(_, v)| v),
            _ => None,
        };
        match name {
            Some(Value::Str(n)) if names.contains(n) => c.diag(
                Diagnostic::error(
                    Code::BadTest,
                    format!("unit `{n}` is given twice in `units`"),
                )
                .label(units.span, format!("entry {} repeats `{n}`", k + 1))
                .help("give each unit once, with all its inputs"),
            ),
            Some(Value::Str(n)) => names.push(n.clone()),
            _ => c.diag(
                Diagnostic::error(
                    Code::BadTest,
                    format!("entry {} of `units` has no `unit` name", k + 1),
                )
                .label(units.span, "every entry needs `unit: \"name\"`")
                .help("write each unit as `{ unit: \"name\", input: value, ... }`"),
            ),
        }
    }
    names
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn expect_key(c: &mut Checker<'_>, x: &ast::Expect, nodes: &[ir::NodeDef]) -> ir::ExpectKey {
    let key = match &x.target.node {
        ast::ExpectTarget::Total => ir::ExpectKey::Total,
        ast::ExpectTarget::Base => ir::ExpectKey::Base,
        ast::ExpectTarget::Bonus => ir::ExpectKey::Bonus,
        ast::ExpectTarget::Deductions => ir::ExpectKey::Deductions,
        ast::ExpectTarget::Grade => ir::ExpectKey::Grade,
        ast::ExpectTarget::Vetoes => ir::ExpectKey::Vetoes,
        ast::ExpectTarget::Rank => ir::ExpectKey::Rank,
        ast::ExpectTarget::Node { id, to_total } => {
            if !nodes.iter().any(|n| &n.id == id) {
                let mut d =
                    Diagnostic::error(Code::UnknownName, format!("there is no node `{id}`")).label(
                        x.target.span,
                        "not a section, item, part or clause of this rulebook",
                    );
                if let Some(s) = did_you_mean(id, nodes.iter().map(|n| n.id.as_str())) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                c.diag(d);
            }
            ir::ExpectKey::Node {
                id: id.clone(),
                to_total: *to_total,
            }
        }
    };
    let ok = matches!(
        (&key, &x.value.node),
        (ir::ExpectKey::Grade, Value::Str(_))
            | (ir::ExpectKey::Vetoes, Value::List(_))
            | (
                ir::ExpectKey::Total
                    | ir::ExpectKey::Base
                    | ir::ExpectKey::Bonus
                    | ir::ExpectKey::Deductions
                    | ir::ExpectKey::Rank
                    | ir::ExpectKey::Node { .. },
                Value::Number(_)
            )
    );
    if !ok {
        c.diag(
            Diagnostic::error(
                Code::BadTest,
                "this expectation has the wrong kind of value",
            )
            .label(x.value.span, "not what this expectation compares")
            .help("scores are numbers, `grade` is a quoted name, `vetoes` is a list such as `[\"21.2.1\"]`"),
        );
    }
    key
}

/// `cite ID` on table rows: each names a node of the table, whose sentence
/// a value taken from that row is reported under.
pub(crate) fn table_cites(
    c: &mut Checker<'_>,
    file: &ast::File,
    nodes: &[ir::NodeDef],
    tables: &mut [ir::TableDef],
) {
    for (t, def) in file.tables.iter().zip(tables.iter_mut()) {
        if t.rows.iter().all(|r| r.cite.is_none()) {
            continue;
        }
        def.cites = t
            .rows
            .iter()
            .map(|r| {
                let cite = r.cite.as_ref()?;
                let found = nodes.iter().position(|n| n.id == cite.node);
                if found.is_none() {
                    let mut d = Diagnostic::error(
                        Code::UnknownName,
                        format!("there is no node `{}` to cite", cite.node),
                    )
                    .label(
                        cite.span,
                        "not a section, item, part or clause of this rulebook",
                    );
                    d = d.help(
                        match did_you_mean(&cite.node, nodes.iter().map(|n| n.id.as_str())) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "cite the clause whose sentence this row's value comes from"
                                .to_string(),
                        },
                    );
                    c.diag(d);
                }
                found.map(|i| i as u32)
            })
            .collect();
    }
}
