//! A language server for `.rules` files, over stdin/stdout (`rulebook lsp`).
//!
//! On every open and change it checks the rulebook and publishes the same
//! diagnostics `rulebook check` prints (code, message, labels, help), and on
//! hover over a name it shows what the rulebook declares it to be. It holds
//! no state but the open documents' text; the checker does the work.

use rulebook_lang::ast::Span;
use rulebook_lang::diag::{Diagnostic as Diag, Severity};
use std::collections::HashMap;
use std::sync::Mutex;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer, LspService, Server};

mod rename;

struct Backend {
    client: Client,
    docs: Mutex<HashMap<Url, String>>,
}

/// An LSP position (line, UTF-16 column) for a byte offset.
pub fn position(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col: usize = before
        .get(line_start..)
        .unwrap_or("")
        .chars()
        .map(char::len_utf16)
        .sum();
    Position::new(line as u32, col as u32)
}

/// The byte offset of an LSP position.
pub fn offset(text: &str, pos: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text.get(line_start..).and_then(|r| r.find('\n')) {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let mut units = 0u32;
    for (i, c) in text.get(line_start..).unwrap_or("").char_indices() {
        if units >= pos.character || c == '\n' {
            return line_start + i;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

fn range(text: &str, span: Span) -> Range {
    Range::new(position(text, span.start), position(text, span.end))
}

/// The checker's diagnostics in LSP form.
pub fn diagnostics(uri: &Url, text: &str) -> Vec<Diagnostic> {
    let checked = rulebook_lang::check(uri.as_str(), text);
    checked
        .diagnostics
        .iter()
        .map(|d| to_lsp(uri, text, d))
        .collect()
}

fn to_lsp(uri: &Url, text: &str, d: &Diag) -> Diagnostic {
    let primary = d.labels.first().map(|l| l.span).unwrap_or_default();
    let mut message = d.message.clone();
    if let Some(l) = d.labels.first() {
        message.push_str(&format!(": {}", l.text));
    }
    if let Some(h) = &d.help {
        message.push_str(&format!("\nhelp: {h}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .skip(1)
        .map(|l| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), range(text, l.span)),
            message: l.text.clone(),
        })
        .collect();
    Diagnostic {
        range: range(text, primary),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("rulebook".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    }
}

/// What a name at `offset` is: an input, global, parameter or derived value.
pub fn hover_text(text: &str, at: usize) -> Option<String> {
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    let start = text
        .get(..at)?
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_name(*c))
        .last()
        .map(|(i, _)| i)
        .unwrap_or(at);
    let end = at
        + text
            .get(at..)?
            .char_indices()
            .take_while(|(_, c)| is_name(*c))
            .map(|(_, c)| c.len_utf8())
            .sum::<usize>();
    let word = text.get(start..end)?;
    if word.is_empty() {
        return None;
    }
    let file = rulebook_lang::parse::parse(text).ok()?;
    if let Some(d) = file.inputs.iter().find(|d| d.name.node == word) {
        let kind = match d.kind {
            rulebook_lang::ast::InputKind::Unit => "input",
            rulebook_lang::ast::InputKind::Global => "global",
            rulebook_lang::ast::InputKind::Param => "param",
        };
        let ty = text.get(d.ty.span.start..d.ty.span.end).unwrap_or("");
        let label = d.label.as_ref().map(|l| l.node.as_str()).unwrap_or("");
        return Some(format!("{kind} `{word}`: {ty}\n\n{label}"));
    }
    if let Some(l) = file.lets.iter().find(|l| l.name.node == word) {
        let expr = text.get(l.value.span.start..l.value.span.end).unwrap_or("");
        let label = l.label.as_ref().map(|l| l.node.as_str()).unwrap_or("");
        return Some(format!("let `{word}` = {expr}\n\n{label}"));
    }
    None
}

impl Backend {
    async fn refresh(&self, uri: Url, text: String) {
        let diags = diagnostics(&uri, &text);
        if let Ok(mut docs) = self.docs.lock() {
            docs.insert(uri.clone(), text);
        }
        self.client.publish_diagnostics(uri, diags, None).await;
    }
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, _: InitializeParams) -> Result<InitializeResult> {
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::FULL,
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                rename_provider: Some(OneOf::Left(true)),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "rulebook".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, p: DidOpenTextDocumentParams) {
        self.refresh(p.text_document.uri, p.text_document.text)
            .await;
    }

    async fn did_change(&self, p: DidChangeTextDocumentParams) {
        if let Some(change) = p.content_changes.into_iter().last() {
            self.refresh(p.text_document.uri, change.text).await;
        }
    }

    async fn did_close(&self, p: DidCloseTextDocumentParams) {
        if let Ok(mut docs) = self.docs.lock() {
            docs.remove(&p.text_document.uri);
        }
    }

    async fn hover(&self, p: HoverParams) -> Result<Option<Hover>> {
        let uri = p.text_document_position_params.text_document.uri;
        let pos = p.text_document_position_params.position;
        let text = match self.docs.lock() {
            Ok(docs) => docs.get(&uri).cloned(),
            Err(_) => None,
        };
        Ok(text
            .and_then(|t| hover_text(&t, offset(&t, pos)))
            .map(|s| Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: s,
                }),
                range: None,
            }))
    }

    async fn rename(&self, p: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let uri = p.text_document_position.text_document.uri;
        let pos = p.text_document_position.position;
        let text = self.docs.lock().ok().and_then(|d| d.get(&uri).cloned());
        rename::workspace_edit(uri, text, |t| offset(t, pos), &p.new_name)
    }
}

/// Serve the language server protocol on stdin/stdout until the client exits.
pub fn run_stdio() -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (service, socket) = LspService::new(|client| Backend {
            client,
            docs: Mutex::new(HashMap::new()),
        });
        Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
            .serve(service)
            .await;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "甲乙\n  x𝄞y";
        assert_eq!(position(text, 0), Position::new(0, 0));
        assert_eq!(position(text, "甲".len()), Position::new(0, 1));
        let y = text.find('y').unwrap();
        // `𝄞` takes two UTF-16 units.
        assert_eq!(position(text, y), Position::new(1, 5));
        assert_eq!(offset(text, Position::new(1, 5)), y);
    }

    #[test]
    fn diagnostics_carry_code_and_range() {
        let text = "input supervision_missed: count \"次数\"\nitem 1 \"示例\" {\n  points 2\n  clause 1.1 \"扣分\" { deduct 0.5 each supervison_missed }\n}\n";
        let uri = Url::parse("file:///x.rules").unwrap();
        let d = diagnostics(&uri, text);
        let unknown = d
            .iter()
            .find(|d| d.code == Some(NumberOrString::String("rulebook::unknown_name".into())))
            .unwrap();
        // `  clause 1.1 "扣分" { deduct 0.5 each ` is 36 UTF-16 units.
        assert_eq!(unknown.range.start, Position::new(3, 36));
        assert!(unknown
            .message
            .contains("did you mean `supervision_missed`?"));
    }

    #[test]
    fn hover_tells_what_a_name_is() {
        let text = "input pm25: ug \"PM2.5年均浓度\"\nitem 1 \"x\" { points 3  clause 1.1 \"y\" { deduct 0.3 per 0.1 of pm25 above 26.5 cap 3 } }\n";
        let at = text.rfind("pm25").unwrap() + 2;
        let h = hover_text(text, at).unwrap();
        assert!(h.starts_with("input `pm25`: ug"), "{h}");
        assert!(h.contains("PM2.5年均浓度"));
    }
}
