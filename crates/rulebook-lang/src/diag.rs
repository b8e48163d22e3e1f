//! Diagnostics: errors and warnings as data.
//!
//! Every stage collects [`Diagnostic`]s instead of stopping at the first
//! problem; [`Report`] turns them into miette reports bound to their source
//! text, so rendering happens in one place (the CLI) and tests can snapshot it.

use crate::ast::Span;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Declares [`Code`]: one variant per code, with its stable text.
macro_rules! codes {
    ($($variant:ident => $text:literal,)*) => {
        /// Every code a diagnostic can carry: the one list, so that each has
        /// a bad rulebook in `tests/check/` (the corpus test checks none is
        /// missing) and its text is spelled in one place.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order declared.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable text, such as `rulebook::unknown_name`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }

            /// The code a text names, if any.
            pub fn parse(text: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str() == text)
            }
        }
    };
}

codes! {
    AmbiguousTarget => "rulebook::ambiguous_target",
    BadCap => "rulebook::bad_cap",
    BadDate => "rulebook::bad_date",
    BadNumber => "rulebook::bad_number",
    BadTarget => "rulebook::bad_target",
    BadTest => "rulebook::bad_test",
    CapTooLarge => "rulebook::cap_too_large",
    Cycle => "rulebook::cycle",
    DeadTier => "rulebook::dead_tier",
    DeductionInBonus => "rulebook::deduction_in_bonus",
    DuplicateId => "rulebook::duplicate_id",
    DuplicateStatement => "rulebook::duplicate_statement",
    EmptyTier => "rulebook::empty_tier",
    MisplacedBuiltin => "rulebook::misplaced_builtin",
    MisplacedModifier => "rulebook::misplaced_modifier",
    MisplacedRank => "rulebook::misplaced_rank",
    MissingYear => "rulebook::missing_year",
    MixedBlock => "rulebook::mixed_block",
    NegativeAmount => "rulebook::negative_amount",
    Numbering => "rulebook::numbering",
    OutOfRange => "rulebook::out_of_range",
    PointsMismatch => "rulebook::points_mismatch",
    PointsUnknown => "rulebook::points_unknown",
    Syntax => "rulebook::syntax",
    TableGap => "rulebook::table_gap",
    TableShape => "rulebook::table_shape",
    TierGap => "rulebook::tier_gap",
    TierOverlap => "rulebook::tier_overlap",
    TierUnreachable => "rulebook::tier_unreachable",
    Todo => "rulebook::todo",
    TooDeep => "rulebook::too_deep",
    TypeMismatch => "rulebook::type_mismatch",
    UnitMismatch => "rulebook::unit_mismatch",
    UnknownField => "rulebook::unknown_field",
    UnknownName => "rulebook::unknown_name",
    UnknownTarget => "rulebook::unknown_target",
    Unreachable => "rulebook::unreachable",
    Unrounded => "rulebook::unrounded",
    UnusedInput => "rulebook::unused_input",
    UnusedParam => "rulebook::unused_param",
    WrongArity => "rulebook::wrong_arity",
    ZeroStep => "rulebook::zero_step",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable code such as `rulebook::unknown_name`.
    pub code: Code,
    /// Lowercase, no final period; user text in backticks.
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }
    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    /// The first label's span, used to order diagnostics by position.
    pub fn primary_span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }
}

/// The names in scope closest to `name`, for a "did you mean" help: at most
/// a third of the longer name's characters edited (at least one).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let distance = strsim::damerau_levenshtein(name, c);
        let longest = name.chars().count().max(c.chars().count());
        if distance * 3 > longest.max(3) {
            continue;
        }
        // Ties go to the alphabetically first name, so the hint never depends on hash order.
        if best.is_none_or(|(b, bc)| distance < b || (distance == b && c < bc)) {
            best = Some((distance, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Where each line of a text starts: the one way a byte offset becomes a
/// line and column (for the checker, the rendered diagnostics and the
/// language server). Built once per text; each look-up is a binary search
/// plus a walk along one line, so rendering many diagnostics stays linear.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset of the start of each line; the first is 0.
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex {
            starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
            len: text.len(),
        }
    }
    /// How many lines the text has (a final newline starts an empty last line).
    pub fn lines(&self) -> usize {
        self.starts.len()
    }
    /// The 0-based line holding a byte offset.
    pub fn line0(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset.min(self.len))
            .saturating_sub(1)
    }
    /// The 1-based line holding a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.line0(offset) + 1
    }
    /// Where 0-based line `line` starts (the text's end past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.len)
    }
    /// 1-based line and column (in characters) of a byte offset into `text`.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line0(offset);
        let start = self.line_start(line).min(offset);
        let col = text.get(start..offset).map_or(0, |s| s.chars().count());
        (line + 1, col + 1)
    }
    /// 0-based line and column in UTF-16 units (what editors count).
    pub fn utf16(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line0(offset);
        let start = self.line_start(line).min(offset);
        let col = text
            .get(start..offset)
            .map_or(0, |s| s.chars().map(char::len_utf16).sum());
        (line, col)
    }
    /// The byte offset of a 0-based line and UTF-16 column (clamped to the
    /// line's end, and to the text's end past the last line).
    pub fn offset_utf16(&self, text: &str, line: usize, col: usize) -> usize {
        let Some(&start) = self.starts.get(line) else {
            return text.len();
        };
        let mut units = 0;
        for (i, c) in text.get(start..).unwrap_or("").char_indices() {
            if units >= col || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    }
}

/// A source file's name and text, shared by the diagnostics rendered from it.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: Arc<str>,
    index: Arc<OnceLock<LineIndex>>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Source {
            name: name.into(),
            text: text.into(),
            index: Arc::default(),
        }
    }
    /// The text's line index, built on first use and shared by clones.
    pub fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.index().line_col(&self.text, offset)
    }
}

/// A diagnostic bound to its source: what miette renders.
#[derive(Debug, Clone)]
pub struct Report {
    pub diagnostic: Diagnostic,
    pub source: Source,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let len = self.source.text.len();
        Some(Box::new(self.diagnostic.labels.iter().map(move |l| {
            let start = l.span.start.min(len);
            let end = l.span.end.clamp(start, len);
            miette::LabeledSpan::new_with_span(Some(l.text.clone()), (start, end - start))
        })))
    }
}

impl miette::SourceCode for Report {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        // miette would scan the text from its start for every span: cut the
        // lines it needs out first, found through the line index.
        let text: &'a str = &self.source.text;
        let index = self.source.index();
        let start = span.offset().min(text.len());
        let end = (start + span.len()).min(text.len());
        let first_line = index.line0(start);
        let last_line = index.line0(end.saturating_sub(1).max(start));
        let from_line = first_line.saturating_sub(context_lines_before);
        let to_line = (last_line + context_lines_after + 1).min(index.lines());
        let from = index.line_start(from_line);
        let to = index.line_start(to_line).max(end);
        let window = text.get(from..to).unwrap_or("");
        let local = miette::SourceSpan::new((start - from).into(), end - start);
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        // miette counts columns in bytes; people (and editors) count characters.
        let column = if context_lines_before == 0 && context_lines_after == 0 {
            index.line_col(text, start).1.saturating_sub(1)
        } else {
            inner.column()
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.source.name.clone(),
            inner.data(),
            miette::SourceSpan::new((inner.span().offset() + from).into(), inner.span().len()),
            inner.line() + from_line,
            column,
            inner.line_count(),
        )))
    }
}

/// Render diagnostics as plain text (no colour, unicode), as tests and
/// non-terminal output see them.
pub fn render_plain(source: &Source, diagnostics: &[Diagnostic]) -> String {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_links(false);
    let mut out = String::new();
    for d in diagnostics {
        let report = Report {
            diagnostic: d.clone(),
            source: source.clone(),
        };
        let mut s = String::new();
        if handler.render_report(&mut s, &report).is_err() {
            s = format!("{}: {}\n", d.code, d.message);
        }
        out.push_str(&s);
        out.push('\n');
    }
    out
}
