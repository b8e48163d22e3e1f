//! The HTTP API (`docs/http-api.md`): rulebooks, checking, formatting,
//! tests, saving, diffs, scoring and templates. The pages call it too.

use crate::files::{version, FileError};
use crate::guard::error;
use crate::scoring::{self, blocking, diagnostics_out, DiagOut, Failure};
use crate::State;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Query, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rulebook_eval::data::{Batch, DataError};
use rulebook_eval::eval::UnitResult;
use rulebook_lang::ir::{NodeKind, Program};
use rulebook_report as report;
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/rulebooks", get(rulebooks))
        .route("/api/source", get(source))
        .route("/api/check", post(check))
        .route("/api/format", post(format))
        .route("/api/test", post(test))
        .route("/api/save", post(save))
        .route("/api/diff", get(diff_files).post(diff_text))
        .route("/api/eval", post(eval))
        .route("/api/template", get(template))
}

/// A rulebook in a line of the home page or `GET /api/rulebooks`.
#[derive(Debug, Clone, Serialize)]
pub struct RulebookInfo {
    pub name: String,
    pub title: String,
    pub document: String,
    /// The document's total points (the base items'), as a decimal string.
    pub points: Option<String>,
    pub items: usize,
    pub clauses: usize,
    pub inputs: usize,
    pub tests: usize,
    /// Checks without errors.
    pub ok: bool,
    pub errors: usize,
    pub warnings: usize,
    /// The first error, if any, in one line.
    pub first_error: Option<String>,
}

pub fn info(name: &str, text: &str) -> RulebookInfo {
    let checked = rulebook_lang::check(&format!("{name}.rules"), text);
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = checked.diagnostics.len() - errors;
    let diags = diagnostics_out(&format!("{name}.rules"), text, &checked.diagnostics);
    let first_error = diags
        .iter()
        .find(|d| d.severity == "error")
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message));
    let mut out = RulebookInfo {
        name: name.to_owned(),
        title: String::new(),
        document: String::new(),
        points: None,
        items: 0,
        clauses: 0,
        inputs: 0,
        tests: 0,
        ok: errors == 0 && checked.program.is_some(),
        errors,
        warnings,
        first_error,
    };
    if let Some(p) = &checked.program {
        let count = |k: NodeKind| p.nodes.iter().filter(|n| n.kind == k).count();
        out.title = p.title.clone();
        out.document = p.document.clone();
        out.points = p.nodes.first().and_then(|r| r.points).map(report::fmt_dec);
        out.items = count(NodeKind::Item);
        out.clauses = count(NodeKind::Clause);
        out.inputs = p.inputs.len() + p.globals.len() + p.params.len();
        out.tests = p.tests.len();
    }
    out
}

/// Every rulebook of the folder with its summary.
pub async fn all_info(state: &State) -> Result<Vec<RulebookInfo>, Failure> {
    let mut texts = Vec::new();
    for name in state.files.names() {
        match state.files.read(&name) {
            Ok(t) => texts.push((name, t)),
            Err(e) => texts.push((name, format!("# {}", e.message()))),
        }
    }
    blocking(move || texts.iter().map(|(n, t)| info(n, t)).collect()).await
}

fn failure(path: &str, f: Failure) -> Response {
    if path.starts_with("/api/") {
        (f.status(), Json(f.json())).into_response()
    } else {
        error(f.status(), path, f.summary())
    }
}

async fn rulebooks(axum::extract::State(state): axum::extract::State<State>) -> Response {
    match all_info(&state).await {
        Ok(list) => Json(list).into_response(),
        Err(f) => failure("/api/", f),
    }
}

#[derive(Deserialize)]
struct NameQuery {
    rulebook: String,
    #[serde(default)]
    version: Option<String>,
}

async fn source(
    axum::extract::State(state): axum::extract::State<State>,
    Query(q): Query<NameQuery>,
) -> Response {
    match state.files.read(&q.rulebook) {
        Ok(text) => Json(serde_json::json!({
            "rulebook": q.rulebook,
            "version": version(&text),
            "text": text,
        }))
        .into_response(),
        Err(e) => failure("/api/", Failure::File(e)),
    }
}

/// The result of `POST /api/check`.
#[derive(Serialize)]
pub struct CheckOut {
    pub ok: bool,
    pub errors: usize,
    pub warnings: usize,
    pub diagnostics: Vec<DiagOut>,
}

#[derive(Deserialize)]
struct CheckQuery {
    #[serde(default)]
    rulebook: Option<String>,
}

fn text_of(body: Bytes) -> Result<String, Response> {
    String::from_utf8(body.to_vec()).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "/api/",
            format!(
                "the rulebook is not UTF-8 text (bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

async fn check(Query(q): Query<CheckQuery>, body: Bytes) -> Response {
    let text = match text_of(body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let name = format!("{}.rules", q.rulebook.as_deref().unwrap_or("rulebook"));
    let out = blocking(move || {
        let checked = rulebook_lang::check(&name, &text);
        let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
        CheckOut {
            ok: errors == 0,
            errors,
            warnings: checked.diagnostics.len() - errors,
            diagnostics: diagnostics_out(&name, &text, &checked.diagnostics),
        }
    })
    .await;
    match out {
        Ok(o) => Json(o).into_response(),
        Err(f) => failure("/api/", f),
    }
}

async fn format(body: Bytes) -> Response {
    let text = match text_of(body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match blocking(move || rulebook_lang::format::format(&text)).await {
        Ok(t) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], t).into_response(),
        Err(f) => failure("/api/", f),
    }
}

fn need_edit(state: &State) -> Result<(), Response> {
    if state.edit {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "/api/",
            "editing is off: start the server with `rulebook serve --edit`".to_owned(),
        ))
    }
}

/// One test's outcome, as `rulebook test` prints it.
#[derive(Serialize)]
struct TestOut {
    name: String,
    line: usize,
    passed: bool,
    checks: usize,
    /// Why the test could not run, if it could not.
    error: Option<String>,
    mismatches: Vec<String>,
}

/// Run the tests written in a rulebook's text (the editor's, or the saved
/// file's when the body is empty). A test's `data "…"` file is read
/// relative to the folder, as `rulebook test` reads it relative to the
/// rulebook; only with `--edit`.
async fn test(
    axum::extract::State(state): axum::extract::State<State>,
    Query(q): Query<NameQuery>,
    body: Bytes,
) -> Response {
    if let Err(r) = need_edit(&state) {
        return r;
    }
    let text = if body.is_empty() {
        match state.files.read(&q.rulebook) {
            Ok(t) => t,
            Err(e) => return failure("/api/", Failure::File(e)),
        }
    } else {
        match text_of(body) {
            Ok(t) => t,
            Err(r) => return r,
        }
    };
    let dir = state.files.dir().to_path_buf();
    let name = q.rulebook.clone();
    let _permit = state.scoring.acquire().await;
    let run = blocking(move || {
        let program = scoring::check_text(&name, &text)?;
        let mut loader = |rel: &str| -> Result<Batch, Vec<DataError>> {
            let path = dir.join(rel);
            rulebook_office::data_file::read_path(&program, &path).unwrap_or_else(|message| {
                Err(vec![DataError {
                    unit: None,
                    field: None,
                    location: rulebook_eval::data::Location::File(rel.to_owned()),
                    message,
                    help: None,
                }])
            })
        };
        let outcomes = rulebook_eval::tests_run::run_tests(&program, &mut loader);
        Ok::<_, Failure>(
            outcomes
                .into_iter()
                .map(|o| TestOut {
                    passed: o.passed(),
                    name: o.name,
                    line: o.line,
                    checks: o.checks,
                    error: o.error,
                    mismatches: o.mismatches.iter().map(ToString::to_string).collect(),
                })
                .collect::<Vec<_>>(),
        )
    })
    .await;
    match run {
        Ok(Ok(tests)) => {
            let passed = tests.iter().filter(|t| t.passed).count();
            Json(serde_json::json!({
                "passed": passed,
                "failed": tests.len() - passed,
                "tests": tests,
            }))
            .into_response()
        }
        Ok(Err(f)) | Err(f) => failure("/api/", f),
    }
}

async fn save(
    axum::extract::State(state): axum::extract::State<State>,
    Query(q): Query<NameQuery>,
    body: Bytes,
) -> Response {
    if let Err(r) = need_edit(&state) {
        return r;
    }
    let text = match text_of(body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match state.files.save(&q.rulebook, &text, q.version.as_deref()) {
        Ok(()) => {
            let i = info(&q.rulebook, &text);
            Json(serde_json::json!({
                "saved": true,
                "version": version(&text),
                "backup": format!("{}.rules.bak", q.rulebook),
                "errors": i.errors,
                "warnings": i.warnings,
            }))
            .into_response()
        }
        Err(e) => failure("/api/", Failure::File(e)),
    }
}

#[derive(Deserialize)]
struct DiffQuery {
    old: String,
    #[serde(default)]
    new: Option<String>,
}

fn diff_out(old: &Program, new: &Program) -> Response {
    let changes = report::diff::diff(old, new);
    Json(serde_json::json!({
        "same": changes.is_empty(),
        "changes": changes.len(),
        "text": report::diff::render(&changes),
    }))
    .into_response()
}

/// `GET /api/diff?old=A&new=B`: what changed between two rulebooks.
async fn diff_files(
    axum::extract::State(state): axum::extract::State<State>,
    Query(q): Query<DiffQuery>,
) -> Response {
    let Some(new) = q.new.as_deref() else {
        return error(
            StatusCode::BAD_REQUEST,
            "/api/",
            "give both rulebooks: ?old=A&new=B".to_owned(),
        );
    };
    match (
        scoring::program(&state, &q.old).await,
        scoring::program(&state, new).await,
    ) {
        (Ok(a), Ok(b)) => diff_out(&a, &b),
        (Err(f), _) | (_, Err(f)) => failure("/api/", f),
    }
}

/// `POST /api/diff?old=A` with a rulebook's text: what it changes from A.
async fn diff_text(
    axum::extract::State(state): axum::extract::State<State>,
    Query(q): Query<DiffQuery>,
    body: Bytes,
) -> Response {
    let text = match text_of(body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let old = match scoring::program(&state, &q.old).await {
        Ok(p) => p,
        Err(f) => return failure("/api/", f),
    };
    match blocking(move || scoring::check_text("new", &text)).await {
        Ok(Ok(new)) => diff_out(&old, &new),
        Ok(Err(f)) | Err(f) => failure("/api/", f),
    }
}

/// An output format of a scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutFormat {
    Json,
    Jsonl,
    Csv,
    Xlsx,
    Html,
}

impl OutFormat {
    pub fn parse(s: &str) -> Option<OutFormat> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

/// A scoring's report as a download: the same bytes `rulebook eval
/// --format F` writes (`jsonl`: one unit of the JSON report per line).
pub fn rendered(
    program: &Program,
    units: &[UnitResult],
    format: OutFormat,
    stem: &str,
) -> Response {
    let (ctype, ext, bytes) = match format {
        OutFormat::Json => (
            "application/json",
            "json",
            report::json::render(program, units, report::json::Detail::Full).into_bytes(),
        ),
        OutFormat::Jsonl => {
            let mut lines = Vec::new();
            for u in units {
                report::json::unit_text(program, u, true, report::json::Detail::Full, &mut lines);
            }
            ("application/x-ndjson", "jsonl", lines)
        }
        OutFormat::Csv => match report::csv_out::render(program, units) {
            Ok(s) => ("text/csv; charset=utf-8", "csv", s.into_bytes()),
            Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "/api/", e),
        },
        OutFormat::Xlsx => match report::xlsx::render(program, units) {
            Ok(b) => (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
                b,
            ),
            Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "/api/", e),
        },
        OutFormat::Html => (
            "text/html; charset=utf-8",
            "html",
            report::html::render(program, units).into_bytes(),
        ),
    };
    download(ctype, &format!("{stem}.{ext}"), bytes)
}

/// Bytes as a file to save, named in ASCII and, for browsers that read
/// it, in UTF-8.
pub fn download(ctype: &str, file_name: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, ctype.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize)]
struct EvalQuery {
    rulebook: String,
    #[serde(default)]
    format: Option<String>,
    /// The data file's name, when the body is the bare file.
    #[serde(default)]
    name: Option<String>,
}

/// The uploaded data file: a multipart form's first file (or a field named
/// `data`), or the whole body. Its name comes from the form, `?name=`, or
/// the content type.
pub async fn upload(
    state: &State,
    req: Request<Body>,
    name: Option<String>,
) -> Result<(String, Bytes), Response> {
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let path = req.uri().path().to_owned();
    let too_large = |status: StatusCode| {
        error(
            status,
            &path,
            format!(
                "the upload is larger than the limit ({} MB); start the server with a larger --max-upload",
                state.max_upload >> 20
            ),
        )
    };
    // The whole body first: a body over the limit (announced or streamed)
    // is then always a 413, whatever its kind.
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, state.max_upload).await {
        Ok(b) => b,
        Err(e) if over_limit(&e) => return Err(too_large(StatusCode::PAYLOAD_TOO_LARGE)),
        Err(e) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                &path,
                format!("the upload did not arrive whole: {e}"),
            ))
        }
    };
    if ctype.starts_with("multipart/form-data") {
        let req = Request::from_parts(parts, Body::from(body));
        let mut form = Multipart::from_request(req, state)
            .await
            .map_err(|e| error(e.status(), &path, e.body_text()))?;
        loop {
            match form.next_field().await {
                Ok(Some(field)) => {
                    let is_file = field.file_name().is_some() || field.name() == Some("data");
                    if !is_file {
                        continue;
                    }
                    let file_name = field
                        .file_name()
                        .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f).to_owned())
                        .or(name.clone())
                        .unwrap_or_else(|| "data".to_owned());
                    return match field.bytes().await {
                        Ok(b) => Ok((file_name, b)),
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            Err(too_large(e.status()))
                        }
                        Err(e) => Err(error(e.status(), &path, e.body_text())),
                    };
                }
                Ok(None) => {
                    return Err(error(
                        StatusCode::BAD_REQUEST,
                        &path,
                        "the form holds no file: choose the data file to upload".to_owned(),
                    ))
                }
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(too_large(e.status()))
                }
                Err(e) => return Err(error(e.status(), &path, e.body_text())),
            }
        }
    }
    let file_name = name.unwrap_or_else(|| {
        let ext = if ctype.contains("json") {
            "json"
        } else if ctype.contains("spreadsheetml") || ctype.contains("ms-excel") {
            "xlsx"
        } else if ctype.contains("zip") {
            "zip"
        } else if ctype.contains("csv") {
            "csv"
        } else {
            "bin"
        };
        format!("data.{ext}")
    });
    Ok((file_name, body))
}

/// Whether a body failed because it was over the size limit.
fn over_limit(e: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

async fn eval(
    axum::extract::State(state): axum::extract::State<State>,
    Query(q): Query<EvalQuery>,
    req: Request<Body>,
) -> Response {
    let format = match q.format.as_deref().map(OutFormat::parse) {
        None => OutFormat::Json,
        Some(Some(f)) => f,
        Some(None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "/api/",
                "format must be json, jsonl, csv, xlsx or html".to_owned(),
            )
        }
    };
    let (file_name, bytes) = match upload(&state, req, q.name.clone()).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match scoring::score(&state, &q.rulebook, file_name, bytes).await {
        Ok((program, _batch, units)) => {
            rendered(&program, &units, format, &format!("{}-scores", q.rulebook))
        }
        Err(f) => failure("/api/", f),
    }
}

#[derive(Deserialize)]
struct TemplateQuery {
    rulebook: String,
    #[serde(default)]
    format: Option<String>,
}

/// A blank data file: the workbook, a zip of the CSV files, or JSON.
async fn template(
    axum::extract::State(state): axum::extract::State<State>,
    Query(q): Query<TemplateQuery>,
) -> Response {
    let program = match scoring::program(&state, &q.rulebook).await {
        Ok(p) => p,
        Err(f) => return failure("/api/", f),
    };
    let stem = format!("{}-data", q.rulebook);
    let made = match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => rulebook_office::template::xlsx(&program).map(|b| {
            download(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{stem}.xlsx"),
                b,
            )
        }),
        "json" => Ok(download(
            "application/json",
            &format!("{stem}.json"),
            rulebook_office::template::json(&program).into_bytes(),
        )),
        "csv" => rulebook_office::template::csv_files(&program)
            .and_then(|files| zip_files(&files))
            .map(|b| download("application/zip", &format!("{stem}-csv.zip"), b)),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "/api/",
                "format must be xlsx, csv or json".to_owned(),
            )
        }
    };
    made.unwrap_or_else(|e| error(StatusCode::INTERNAL_SERVER_ERROR, "/api/", e))
}

fn zip_files(files: &[(String, String)]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, text) in files {
        zip.start_file(name.as_str(), opts)
            .and_then(|()| zip.write_all(text.as_bytes()).map_err(Into::into))
            .map_err(|e| format!("cannot write the zip file: {e}"))?;
    }
    zip.finish()
        .map(std::io::Cursor::into_inner)
        .map_err(|e| format!("cannot write the zip file: {e}"))
}

/// For a file error on a page.
pub fn file_failure(path: &str, e: FileError) -> Response {
    failure(path, Failure::File(e))
}

/// For any failure on a page or in the API.
pub fn failure_response(path: &str, f: Failure) -> Response {
    failure(path, f)
}
