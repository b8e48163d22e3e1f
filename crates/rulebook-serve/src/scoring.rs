//! Checking a rulebook and scoring a data file, off the async threads, a
//! few scorings at a time (the rest wait their turn), so that many
//! uploads at once keep memory bounded.

use crate::files::FileError;
use crate::State;
use axum::http::StatusCode;
use rulebook_eval::data::{Batch, DataError};
use rulebook_eval::eval::{evaluate_batch, Options, UnitResult};
use rulebook_lang::diag::{Diagnostic, Severity, Source};
use rulebook_lang::ir::Program;
use serde::Serialize;

/// A diagnostic as the API gives it: 1-based line and column (characters).
#[derive(Debug, Clone, Serialize)]
pub struct DiagOut {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub label: String,
    pub help: Option<String>,
}

pub fn diagnostics_out(name: &str, text: &str, diagnostics: &[Diagnostic]) -> Vec<DiagOut> {
    let source = Source::new(name, text);
    diagnostics
        .iter()
        .map(|d| {
            let span = d.primary_span();
            let (line, column) = source.line_col(span.start);
            let (end_line, end_column) = source.line_col(span.end);
            DiagOut {
                code: d.code.as_str(),
                severity: match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                message: d.message.clone(),
                line,
                column,
                end_line,
                end_column,
                label: d.labels.first().map(|l| l.text.clone()).unwrap_or_default(),
                help: d.help.clone(),
            }
        })
        .collect()
}

/// A located data error as the API gives it.
#[derive(Debug, Clone, Serialize)]
pub struct DataErrorOut {
    pub location: String,
    pub unit: Option<String>,
    pub field: Option<String>,
    pub message: String,
    pub help: Option<String>,
    /// The whole error in one line, as `rulebook eval` prints it.
    pub text: String,
}

pub fn data_errors_out(errors: &[DataError]) -> Vec<DataErrorOut> {
    errors
        .iter()
        .map(|e| DataErrorOut {
            location: e.location.to_string(),
            unit: e.unit.clone(),
            field: e.field.clone(),
            message: e.message.clone(),
            help: e.help.clone(),
            text: e.to_string(),
        })
        .collect()
}

/// Why a scoring gave no scores.
pub enum Failure {
    File(FileError),
    /// The rulebook itself does not check.
    Rulebook(Vec<DiagOut>),
    /// The data has errors: nothing was scored.
    Data(Vec<DataErrorOut>),
    /// A rule could not be computed for some unit.
    Eval(Vec<String>),
    Internal(String),
}

impl Failure {
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::File(FileError::BadName(_)) => StatusCode::BAD_REQUEST,
            Failure::File(FileError::NotFound(_)) => StatusCode::NOT_FOUND,
            Failure::File(FileError::Conflict(_)) => StatusCode::CONFLICT,
            Failure::File(FileError::Io(_)) | Failure::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Failure::Rulebook(_) => StatusCode::CONFLICT,
            Failure::Data(_) | Failure::Eval(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// The failure in one sentence (the details are in the JSON).
    pub fn summary(&self) -> String {
        match self {
            Failure::File(e) => e.message().to_owned(),
            Failure::Rulebook(d) => format!(
                "the rulebook has {} error(s); fix it before scoring",
                d.iter().filter(|x| x.severity == "error").count()
            ),
            Failure::Data(e) => format!("{} data error(s): nothing was scored", e.len()),
            Failure::Eval(e) => format!("{} unit(s) could not be scored", e.len()),
            Failure::Internal(m) => m.clone(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        let mut v = serde_json::Map::new();
        v.insert("error".into(), self.summary().into());
        let details = match self {
            Failure::Rulebook(d) => Some(("diagnostics", serde_json::json!(d))),
            Failure::Data(e) => Some(("data_errors", serde_json::json!(e))),
            Failure::Eval(e) => Some(("eval_errors", serde_json::json!(e))),
            _ => None,
        };
        if let Some((k, d)) = details {
            v.insert(k.into(), d);
        }
        serde_json::Value::Object(v)
    }
}

/// Run `f` on a blocking thread; a panic there becomes an error.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| Failure::Internal("internal failure while working on the request".into()))
}

/// A rulebook of the folder, checked.
pub async fn program(state: &State, name: &str) -> Result<Program, Failure> {
    let text = state.files.read(name).map_err(Failure::File)?;
    let name = name.to_owned();
    blocking(move || check_text(&name, &text)).await?
}

pub fn check_text(name: &str, text: &str) -> Result<Program, Failure> {
    let file = format!("{name}.rules");
    let checked = rulebook_lang::check(&file, text);
    match checked.program {
        Some(p) if !checked.diagnostics.iter().any(Diagnostic::is_error) => Ok(p),
        _ => Err(Failure::Rulebook(diagnostics_out(
            &file,
            text,
            &checked.diagnostics,
        ))),
    }
}

/// Score a data file's bytes against a rulebook of the folder: every unit,
/// with its trace, ranked.
pub async fn score(
    state: &State,
    name: &str,
    file_name: String,
    bytes: axum::body::Bytes,
) -> Result<(Program, Batch, Vec<UnitResult>), Failure> {
    let text = state.files.read(name).map_err(Failure::File)?;
    let _permit = state
        .scoring
        .acquire()
        .await
        .map_err(|_| Failure::Internal("the server is stopping".into()))?;
    let name = name.to_owned();
    blocking(move || {
        let program = check_text(&name, &text)?;
        let batch = rulebook_office::read_data(&program, &file_name, &bytes)
            .map_err(|e| Failure::Data(data_errors_out(&e)))?;
        drop(bytes);
        let opts = Options {
            trace: true,
            parallel: false,
        };
        let units = evaluate_batch(&program, &batch, opts).map_err(|e| {
            Failure::Eval(
                e.iter()
                    .map(|e| match e.help() {
                        Some(h) => format!("{e} (help: {h})"),
                        None => e.to_string(),
                    })
                    .collect(),
            )
        })?;
        Ok((program, batch, units))
    })
    .await?
}
