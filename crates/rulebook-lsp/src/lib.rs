//! A language server for `.rules` files, over stdin/stdout (`rulebook lsp`).
//!
//! On every open and change it checks the rulebook and publishes the same
//! diagnostics `rulebook check` prints (code, message, labels, help), and on
//! hover over a name it shows what the rulebook declares it to be. It holds
//! no state but the open documents' text; the checker does the work. One
//! synchronous loop reads `Content-Length`-framed messages; a message that
//! cannot be read is answered with a JSON-RPC error and the loop goes on.

use lsp_types::*;
use rulebook_lang::ast::Span;
use rulebook_lang::diag::{Diagnostic as Diag, LineIndex, Severity};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, Write};

mod rename;

/// An LSP position (line, UTF-16 column) for a byte offset.
pub fn position(text: &str, offset: usize) -> Position {
    to_position(&LineIndex::new(text), text, offset)
}

fn to_position(index: &LineIndex, text: &str, offset: usize) -> Position {
    let (line, col) = index.utf16(text, offset);
    Position::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

/// The byte offset of an LSP position.
pub fn offset(text: &str, pos: Position) -> usize {
    LineIndex::new(text).offset_utf16(text, pos.line as usize, pos.character as usize)
}

fn range(index: &LineIndex, text: &str, span: Span) -> Range {
    Range::new(
        to_position(index, text, span.start),
        to_position(index, text, span.end),
    )
}

/// The checker's diagnostics in LSP form (one line index for all of them).
pub fn diagnostics(uri: &Url, text: &str) -> Vec<Diagnostic> {
    let checked = rulebook_lang::check(uri.as_str(), text);
    let index = LineIndex::new(text);
    checked
        .diagnostics
        .iter()
        .map(|d| to_lsp(uri, &index, text, d))
        .collect()
}

fn to_lsp(uri: &Url, index: &LineIndex, text: &str, d: &Diag) -> Diagnostic {
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
            location: Location::new(uri.clone(), range(index, text, l.span)),
            message: l.text.clone(),
        })
        .collect();
    Diagnostic {
        range: range(index, text, primary),
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

/// JSON-RPC error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
/// The largest message body read (a rulebook is far smaller).
const MAX_BODY: usize = 64 << 20;

/// One message as it came off the wire.
enum Frame {
    Body(Vec<u8>),
    /// A header block that cannot be used (no or a bad `Content-Length`).
    BadHeader(String),
    Eof,
}

/// Read one `Content-Length`-framed message.
fn read_frame(r: &mut impl BufRead) -> std::io::Result<Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut any = false;
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Ok(if any {
                Frame::BadHeader("the input ended inside a header".into())
            } else {
                Frame::Eof
            });
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim();
        if line.is_empty() {
            if !any {
                continue;
            }
            break;
        }
        any = true;
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = Some(
                    v.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("bad Content-Length `{}`", v.trim())),
                );
            }
        }
    }
    match length {
        Some(Ok(n)) if n <= MAX_BODY => {
            let mut body = vec![0; n];
            r.read_exact(&mut body)?;
            Ok(Frame::Body(body))
        }
        Some(Ok(n)) => Ok(Frame::BadHeader(format!(
            "a message of {n} bytes is larger than the {MAX_BODY} bytes allowed"
        ))),
        Some(Err(e)) => Ok(Frame::BadHeader(e)),
        None => Ok(Frame::BadHeader("no Content-Length header".into())),
    }
}

fn write_message(w: &mut impl Write, v: &Value) -> std::io::Result<()> {
    let body = v.to_string();
    write!(w, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    w.flush()
}

fn error(id: Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

/// The server's state: the open documents' text.
#[derive(Default)]
struct Server {
    docs: HashMap<Url, String>,
    shut_down: bool,
}

/// What handling one message asks for.
enum Step {
    Reply(Vec<Value>),
    Exit,
}

impl Server {
    fn handle(&mut self, body: &[u8]) -> Step {
        let Ok(text) = std::str::from_utf8(body) else {
            return Step::Reply(vec![error(
                Value::Null,
                PARSE_ERROR,
                "the message is not UTF-8",
            )]);
        };
        let msg: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                return Step::Reply(vec![error(
                    Value::Null,
                    PARSE_ERROR,
                    format!("the message is not JSON: {e}"),
                )])
            }
        };
        let Some(obj) = msg.as_object() else {
            return Step::Reply(vec![error(
                Value::Null,
                INVALID_REQUEST,
                "a message must be a JSON object",
            )]);
        };
        let id = obj.get("id").cloned();
        let Some(method) = obj.get("method").and_then(Value::as_str) else {
            // A response to a request we never send, or nonsense.
            return match id {
                Some(id) if !obj.contains_key("result") && !obj.contains_key("error") => {
                    Step::Reply(vec![error(
                        id,
                        INVALID_REQUEST,
                        "a request needs a `method`",
                    )])
                }
                _ => Step::Reply(Vec::new()),
            };
        };
        let params = obj.get("params").cloned().unwrap_or(Value::Null);
        match id {
            Some(id) => Step::Reply(vec![self.request(id, method, params)]),
            None => self.notification(method, params),
        }
    }

    fn request(&mut self, id: Value, method: &str, params: Value) -> Value {
        let ok = |result: Value| json!({"jsonrpc": "2.0", "id": id, "result": result});
        match method {
            "initialize" => ok(json!({
                "capabilities": ServerCapabilities {
                    text_document_sync: Some(TextDocumentSyncCapability::Kind(
                        TextDocumentSyncKind::FULL,
                    )),
                    hover_provider: Some(HoverProviderCapability::Simple(true)),
                    rename_provider: Some(OneOf::Left(true)),
                    ..ServerCapabilities::default()
                },
                "serverInfo": {"name": "rulebook", "version": env!("CARGO_PKG_VERSION")},
            })),
            "shutdown" => {
                self.shut_down = true;
                ok(Value::Null)
            }
            "textDocument/hover" => match serde_json::from_value::<HoverParams>(params) {
                Ok(p) => {
                    let at = p.text_document_position_params;
                    let hover = self.docs.get(&at.text_document.uri).and_then(|t| {
                        hover_text(t, offset(t, at.position)).map(|s| Hover {
                            contents: HoverContents::Markup(MarkupContent {
                                kind: MarkupKind::Markdown,
                                value: s,
                            }),
                            range: None,
                        })
                    });
                    ok(serde_json::to_value(hover).unwrap_or(Value::Null))
                }
                Err(e) => error(id, INVALID_PARAMS, format!("bad hover parameters: {e}")),
            },
            "textDocument/rename" => match serde_json::from_value::<RenameParams>(params) {
                Ok(p) => {
                    let at = p.text_document_position;
                    let text = self.docs.get(&at.text_document.uri).cloned();
                    let pos = at.position;
                    match rename::workspace_edit(
                        at.text_document.uri,
                        text,
                        |t| offset(t, pos),
                        &p.new_name,
                    ) {
                        Ok(edit) => ok(serde_json::to_value(edit).unwrap_or(Value::Null)),
                        Err(msg) => error(id, INVALID_PARAMS, msg),
                    }
                }
                Err(e) => error(id, INVALID_PARAMS, format!("bad rename parameters: {e}")),
            },
            _ => error(id, METHOD_NOT_FOUND, format!("unknown method `{method}`")),
        }
    }

    fn notification(&mut self, method: &str, params: Value) -> Step {
        let (uri, text) = match method {
            "exit" => return Step::Exit,
            "textDocument/didOpen" => {
                match serde_json::from_value::<DidOpenTextDocumentParams>(params) {
                    Ok(p) => (p.text_document.uri, p.text_document.text),
                    Err(_) => return Step::Reply(Vec::new()),
                }
            }
            "textDocument/didChange" => {
                match serde_json::from_value::<DidChangeTextDocumentParams>(params) {
                    Ok(p) => match p.content_changes.into_iter().last() {
                        Some(c) => (p.text_document.uri, c.text),
                        None => return Step::Reply(Vec::new()),
                    },
                    Err(_) => return Step::Reply(Vec::new()),
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(params) {
                    self.docs.remove(&p.text_document.uri);
                }
                return Step::Reply(Vec::new());
            }
            // `initialized`, `$/cancelRequest`, settings: nothing to do.
            _ => return Step::Reply(Vec::new()),
        };
        let diags = diagnostics(&uri, &text);
        self.docs.insert(uri.clone(), text);
        let publish = PublishDiagnosticsParams::new(uri, diags, None);
        Step::Reply(vec![json!({
            "jsonrpc": "2.0",
            "method": "textDocument/publishDiagnostics",
            "params": publish,
        })])
    }
}

/// Serve the protocol over any reader and writer until `exit` or the end of
/// the input. A message that cannot be read (not JSON, not UTF-8, not an
/// object, a bad `Content-Length`) is answered with a JSON-RPC error and
/// the server goes on. Returns whether `shutdown` came before the end.
pub fn serve(input: &mut impl BufRead, output: &mut impl Write) -> std::io::Result<bool> {
    let mut server = Server::default();
    loop {
        let replies = match read_frame(input)? {
            Frame::Eof => return Ok(server.shut_down),
            Frame::BadHeader(why) => vec![error(Value::Null, PARSE_ERROR, why)],
            Frame::Body(body) => match server.handle(&body) {
                Step::Exit => return Ok(server.shut_down),
                Step::Reply(r) => r,
            },
        };
        for r in &replies {
            write_message(output, r)?;
        }
    }
}

/// Serve the language server protocol on stdin/stdout until the client exits.
pub fn run_stdio() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    serve(&mut stdin.lock(), &mut stdout.lock()).map(|_| ())
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
