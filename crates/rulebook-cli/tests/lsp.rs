//! `rulebook lsp` as an editor drives it: initialize, open a rulebook with a
//! mistake, receive its diagnostics, shut down.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

fn send(w: &mut impl Write, v: serde_json::Value) {
    let body = v.to_string();
    write!(w, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
    w.flush().unwrap();
}

fn recv(r: &mut impl BufRead) -> serde_json::Value {
    let mut len = 0;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            len = n.parse().unwrap();
        }
    }
    let mut buf = vec![0; len];
    r.read_exact(&mut buf).unwrap();
    serde_json::from_slice(&buf).unwrap()
}

#[test]
fn diagnostics_reach_the_editor() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rulebook"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut w = child.stdin.take().unwrap();
    let mut r = BufReader::new(child.stdout.take().unwrap());
    send(
        &mut w,
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    let init = recv(&mut r);
    assert_eq!(init["id"], 1);
    assert_eq!(init["result"]["capabilities"]["hoverProvider"], true);
    send(
        &mut w,
        serde_json::json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    let text = "input a: count \"次数\"\nitem 1 \"示例\" {\n  points 2\n  clause 1.1 \"每次扣0.5分，最高扣3分\" { deduct 0.5 each a cap 3 }\n}\n";
    send(
        &mut w,
        serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": "file:///tmp/x.rules", "languageId": "rules", "version": 1, "text": text}}}),
    );
    let diags = loop {
        let m = recv(&mut r);
        if m["method"] == "textDocument/publishDiagnostics" {
            break m;
        }
    };
    let list = diags["params"]["diagnostics"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{diags}");
    assert_eq!(list[0]["code"], "rulebook::cap_too_large");
    assert_eq!(list[0]["range"]["start"]["line"], 3);
    send(
        &mut w,
        serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
    );
    let down = loop {
        let m = recv(&mut r);
        if m["id"] == 2 {
            break m;
        }
    };
    assert!(down["error"].is_null());
    send(
        &mut w,
        serde_json::json!({"jsonrpc": "2.0", "method": "exit"}),
    );
    drop(w);
    let status = child.wait().unwrap();
    assert!(status.success());
}
