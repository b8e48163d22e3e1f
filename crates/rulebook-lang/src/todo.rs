//! `todo "why"`: a rule the author still has to write.
//!
//! `rulebook import` writes one wherever it could not read a sentence; each
//! is an error located at its node, so `check` lists the work left and a
//! draft with any left never scores a unit.

use crate::ast::{File, Node, NodeBody};
use crate::diag::{Code, Diagnostic};

/// One `rulebook::todo` error for every `todo` statement in the file.
pub(crate) fn diagnostics(file: &File) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    collect(None, &file.root, &mut out);
    out
}

fn collect(node: Option<&Node>, body: &NodeBody, out: &mut Vec<Diagnostic>) {
    for todo in &body.todos {
        let d = match node {
            Some(n) => Diagnostic::error(
                Code::Todo,
                format!("{} {} still has a rule to write", n.kind.word(), n.id.node),
            )
            .label(n.id.span, format!("{} {}", n.kind.word(), n.id.node))
            .label(todo.span, todo.node.clone()),
            None => Diagnostic::error(Code::Todo, "the rulebook still has a rule to write")
                .label(todo.span, todo.node.clone()),
        };
        out.push(d.help(
            "write the rules this sentence states (docs/language.md shows each phrasing), \
             then delete the `todo` line",
        ));
    }
    for child in &body.children {
        collect(Some(child), &child.body, out);
    }
}
