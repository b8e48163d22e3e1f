//! Checking: syntax tree → IR, with every problem found in one run.
//!
//! Resolves names to slots, checks types and units of measure, resolves node
//! targets (`off 5.1..5.4`, `to total`), infers and checks points (an item's
//! points are the sum of its parts, a cap never exceeds what it can take),
//! checks tiers for overlaps, gaps and dead bands, and warns of unused
//! inputs. The IR is produced only when there is no error; warnings ride
//! along either way.

use crate::ast::{self, BinOp, CmpOp, ExprKind, Span, Spanned};
use crate::diag::{did_you_mean, Code, Diagnostic};
pub(crate) use crate::ir::const_num;
use crate::ir::{self, Agg, Builtin, Expr, Func, Type, Unit};
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};

/// The result of checking one file.
#[derive(Debug)]
pub struct Checked {
    /// `Some` when there was no error.
    pub program: Option<ir::Program>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parse and check a rulebook's source.
pub fn check(source_name: &str, src: &str) -> Checked {
    let file = match crate::parse::parse(src) {
        Ok(f) => f,
        Err(diagnostics) => {
            return Checked {
                program: None,
                diagnostics,
            }
        }
    };
    let mut c = Checker::new(src);
    let program = c.run(source_name, &file);
    let mut diagnostics = c.diags;
    diagnostics.extend(crate::todo::diagnostics(&file));
    diagnostics.sort_by_key(|d| (d.primary_span().start, d.severity));
    let has_error = diagnostics.iter().any(|d| d.is_error());
    Checked {
        program: if has_error { None } else { Some(program) },
        diagnostics,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Slot {
    Input(u32),
    Global(u32),
    Param(u32),
    Let(u32),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LetState {
    Todo,
    InProgress,
    Done,
}

pub(crate) struct Checker<'a> {
    src: &'a str,
    /// Byte offsets where lines start, to find line numbers quickly.
    line_starts: crate::diag::LineIndex,
    diags: Vec<Diagnostic>,
    names: HashMap<String, (Slot, Span)>,
    input_types: Vec<Type>,
    global_types: Vec<Type>,
    param_types: Vec<Type>,
    /// What each input, global and parameter can be, from its declaration.
    input_bounds: Vec<crate::bounds::Interval>,
    global_bounds: Vec<crate::bounds::Interval>,
    param_bounds: Vec<crate::bounds::Interval>,
    table_defs: Vec<ir::TableDef>,
    lets: Vec<Option<ir::LetDef>>,
    let_state: Vec<LetState>,
    let_inputs: Vec<BTreeSet<Slot>>,
    tables: HashMap<String, (u32, usize)>,
    locals: Vec<(String, Type)>,
    max_locals: u32,
    ranks: Vec<Expr>,
    across: Vec<ir::AcrossDef>,
    used: BTreeSet<Slot>,
    /// Inputs read while checking the current rule or let.
    reads: BTreeSet<Slot>,
    /// Where `total`, `base`, `bonus`, `vetoed` may be used.
    builtins_allowed: bool,
    in_rank: bool,
}

type Ty = Option<Type>;

/// A tier's constant bounds, each with whether it is included, and its span.
type Bound = Option<(Decimal, bool)>;
type Band = (Bound, Bound, Span);

fn num(u: Unit) -> Ty {
    Some(Type::Num(u))
}

impl<'a> Checker<'a> {
    fn new(src: &'a str) -> Self {
        Checker {
            src,
            line_starts: crate::diag::LineIndex::new(src),
            diags: Vec::new(),
            names: HashMap::new(),
            input_types: Vec::new(),
            global_types: Vec::new(),
            param_types: Vec::new(),
            input_bounds: Vec::new(),
            global_bounds: Vec::new(),
            param_bounds: Vec::new(),
            table_defs: Vec::new(),
            lets: Vec::new(),
            let_state: Vec::new(),
            let_inputs: Vec::new(),
            tables: HashMap::new(),
            locals: Vec::new(),
            max_locals: 0,
            ranks: Vec::new(),
            across: Vec::new(),
            used: BTreeSet::new(),
            reads: BTreeSet::new(),
            builtins_allowed: false,
            in_rank: false,
        }
    }

    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.line(offset)
    }

    fn snippet(&self, span: Span) -> String {
        let s = self.src.get(span.start..span.end).unwrap_or("");
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn run(&mut self, source_name: &str, file: &ast::File) -> ir::Program {
        let (inputs, globals, params) = self.declare_inputs(file);
        self.declare_tables(file);
        for l in &file.lets {
            let idx = self.lets.len() as u32;
            self.define(&l.name, Slot::Let(idx), "derived value");
            self.lets.push(None);
            self.let_state.push(LetState::Todo);
            self.let_inputs.push(BTreeSet::new());
        }
        for i in 0..file.lets.len() {
            self.check_let(file, i);
        }
        let tables: Vec<ir::TableDef> = file
            .tables
            .iter()
            .map(|t| ir::TableDef {
                name: t.name.node.clone(),
                label: t.label.as_ref().map(|l| l.node.clone()).unwrap_or_default(),
                arity: t.rows.first().map(|r| r.keys.len()).unwrap_or(0),
                rows: t
                    .rows
                    .iter()
                    .map(|r| {
                        (
                            r.keys.iter().map(|k| k.node.clone()).collect(),
                            r.value.node,
                        )
                    })
                    .collect(),
                cites: Vec::new(),
            })
            .collect();
        self.table_defs = tables.clone();

        let mut nodes = crate::check_nodes::NodeChecker::new(self, file);
        nodes.build(file);
        let (ir_nodes, used_by) = nodes.finish();
        let mut tables = tables;
        crate::check_tests::table_cites(self, file, &ir_nodes, &mut tables);

        let mut inputs = inputs;
        let mut globals = globals;
        let mut params = params;
        for (slot, ids) in used_by {
            let list = match slot {
                Slot::Input(i) => inputs.get_mut(i as usize).map(|d| &mut d.used_by),
                Slot::Global(i) => globals.get_mut(i as usize).map(|d| &mut d.used_by),
                Slot::Param(i) => params.get_mut(i as usize).map(|d| &mut d.input.used_by),
                Slot::Let(_) => None,
            };
            if let Some(list) = list {
                *list = ids;
            }
        }

        self.builtins_allowed = true;
        let grades = self.grades(file);
        self.builtins_allowed = false;
        let fields: Vec<&str> = (inputs.iter().chain(globals.iter()))
            .map(|d| d.name.as_str())
            .chain(params.iter().map(|p| p.input.name.as_str()))
            .collect();
        let tests = crate::check_tests::tests(self, file, &ir_nodes, &fields);
        let year = self.year(file, &params);
        self.unused(file);

        let lets = self.lets.iter().flatten().cloned().collect();
        ir::Program {
            version: ir::IR_VERSION,
            title: file
                .title
                .as_ref()
                .map(|t| t.node.clone())
                .unwrap_or_default(),
            document: file
                .document
                .as_ref()
                .map(|t| t.node.clone())
                .unwrap_or_default(),
            source_name: source_name.to_string(),
            inputs,
            globals,
            params,
            lets,
            tables,
            ranks: std::mem::take(&mut self.ranks),
            across: std::mem::take(&mut self.across),
            nodes: ir_nodes,
            grades,
            tests,
            locals: self.max_locals,
            floor: match &file.floor {
                None => Some(Decimal::ZERO),
                Some(f) => f.node,
            },
            year,
        }
    }

    /// The year parameters given by year are read for: `year 2024`, or
    /// `year from GLOBAL` (a number the data gives).
    fn year(&mut self, file: &ast::File, params: &[ir::ParamDef]) -> Option<ir::YearSource> {
        let source = match &file.year {
            None => None,
            Some(y) => match &y.node {
                ast::YearDecl::Fixed(n) => Some(ir::YearSource::Fixed(*n)),
                ast::YearDecl::From(g) => match self.names.get(&g.node).copied() {
                    Some((Slot::Global(i), _)) => {
                        self.used.insert(Slot::Global(i));
                        if !matches!(
                            self.global_types.get(i as usize),
                            Some(Type::Num(Unit::Plain | Unit::Count))
                        ) {
                            self.err(
                                Diagnostic::error(Code::TypeMismatch, "the year must be a number")
                                    .label(g.span, "not a number")
                                    .help("declare it as `global year: count \"考核年度\"`"),
                            );
                        }
                        Some(ir::YearSource::Global(i))
                    }
                    _ => {
                        self.err(
                            Diagnostic::error(Code::UnknownName, format!("`{}` is not a global", g.node))
                                .label(g.span, "the year is read from a global")
                                .help("declare it with `global NAME: count \"考核年度\"` and give it under `globals` in the data"),
                        );
                        None
                    }
                },
            },
        };
        if source.is_none() {
            let by_year = file
                .inputs
                .iter()
                .filter(|d| d.kind == ast::InputKind::Param)
                .zip(params.iter())
                .find(|(_, p)| !p.by_year.is_empty());
            if let Some((decl, _)) = by_year {
                if file.year.is_none() {
                    self.err(
                        Diagnostic::error(Code::MissingYear, format!("`{}` is given by year, but the rulebook has no year", decl.name.node))
                            .label(decl.name.span, "values by year")
                            .help("say which year to score: `year 2024` at the top, or `year from GLOBAL` to read it from the data"),
                    );
                }
            }
        }
        source
    }

    fn define(&mut self, name: &ast::Ident, slot: Slot, what: &str) {
        if let Some((_, first)) = self.names.get(&name.node) {
            let first = *first;
            self.err(
                Diagnostic::error(
                    Code::DuplicateId,
                    format!("`{}` is declared twice", name.node),
                )
                .label(name.span, format!("this {what} has the same name"))
                .label(first, "first declared here")
                .help("give each input, parameter and derived value its own name"),
            );
            return;
        }
        self.names.insert(name.node.clone(), (slot, name.span));
    }

    fn declare_inputs(
        &mut self,
        file: &ast::File,
    ) -> (Vec<ir::InputDef>, Vec<ir::InputDef>, Vec<ir::ParamDef>) {
        let mut inputs = Vec::new();
        let mut globals = Vec::new();
        let mut params = Vec::new();
        for d in &file.inputs {
            let ty = self.lower_type(&d.ty);
            let def = ir::InputDef {
                name: d.name.node.clone(),
                label: d.label.as_ref().map(|l| l.node.clone()).unwrap_or_default(),
                ty: ty.clone(),
                optional: d.ty.optional,
                range: d.ty.range.iter().map(|(op, v)| (*op, v.node)).collect(),
                used_by: Vec::new(),
            };
            let bound = crate::bounds::declared(&ty, &def.range, &def.name);
            match d.kind {
                ast::InputKind::Unit => {
                    self.define(&d.name, Slot::Input(inputs.len() as u32), "input");
                    self.input_types.push(ty);
                    self.input_bounds.push(bound);
                    inputs.push(def);
                }
                ast::InputKind::Global => {
                    self.define(&d.name, Slot::Global(globals.len() as u32), "global");
                    self.global_types.push(ty);
                    self.global_bounds.push(bound);
                    globals.push(def);
                }
                ast::InputKind::Param => {
                    if !matches!(ty, Type::Num(_) | Type::Bool | Type::Text | Type::Date) {
                        self.err(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                "a parameter must be a single number",
                            )
                            .label(d.ty.span, "not a number type")
                            .help("parameters hold one value per unit, such as `pct` or `count`"),
                        );
                    }
                    let mut seen: HashMap<&str, Span> = HashMap::new();
                    for (unit, v) in &d.values {
                        if let Some(first) = seen.insert(unit.node.as_str(), unit.span) {
                            self.err(
                                Diagnostic::error(
                                    Code::DuplicateId,
                                    format!("`{}` has two values", unit.node),
                                )
                                .label(unit.span, "second value")
                                .label(first, "first value")
                                .help("give each unit one value"),
                            );
                        }
                        if let Some(msg) = range_violation(&ty, &def.range, v.node) {
                            self.err(
                                Diagnostic::error(
                                    Code::OutOfRange,
                                    format!("the value for `{}` is out of range", unit.node),
                                )
                                .label(v.span, msg)
                                .help("check the value against the parameter's type and range"),
                            );
                        }
                    }
                    self.define(&d.name, Slot::Param(params.len() as u32), "parameter");
                    self.param_types.push(ty.clone());
                    self.param_bounds.push(bound);
                    let mut seen_year: HashMap<(Option<&str>, i32), Span> = HashMap::new();
                    for ast::YearValue {
                        unit,
                        year,
                        value: v,
                    } in &d.by_year
                    {
                        let key = (unit.as_ref().map(|u| u.node.as_str()), year.node);
                        if let Some(first) = seen_year.insert(key, year.span) {
                            self.err(
                                Diagnostic::error(
                                    Code::DuplicateId,
                                    format!("{} has two values", year.node),
                                )
                                .label(year.span, "second value")
                                .label(first, "first value")
                                .help("give each year one value"),
                            );
                        }
                        if let Some(msg) = range_violation(&ty, &def.range, v.node) {
                            self.err(
                                Diagnostic::error(
                                    Code::OutOfRange,
                                    format!("the value for {} is out of range", year.node),
                                )
                                .label(v.span, msg)
                                .help("check the value against the parameter's type and range"),
                            );
                        }
                    }
                    params.push(ir::ParamDef {
                        input: def,
                        values: d
                            .values
                            .iter()
                            .map(|(u, v)| (u.node.clone(), v.node))
                            .collect(),
                        by_year: d
                            .by_year
                            .iter()
                            .map(|y| {
                                (
                                    y.unit.as_ref().map(|u| u.node.clone()),
                                    y.year.node,
                                    y.value.node,
                                )
                            })
                            .collect(),
                    });
                }
            }
        }
        (inputs, globals, params)
    }

    fn lower_type(&mut self, t: &ast::TypeExpr) -> Type {
        match &t.body {
            ast::TypeBody::Scalar(s) => match s.as_str() {
                "bool" => Type::Bool,
                "date" => Type::Date,
                "text" => Type::Text,
                "count" => Type::Num(Unit::Count),
                "pct" => Type::Num(Unit::Pct),
                "pp" => Type::Num(Unit::Pp),
                "points" => Type::Num(Unit::Points),
                "yuan" => Type::Num(Unit::Yuan),
                "wan" => Type::Num(Unit::Wan),
                "wan_m3" => Type::Num(Unit::WanM3),
                "ug" => Type::Num(Unit::Ug),
                "mgl" => Type::Num(Unit::Mgl),
                "days" => Type::Num(Unit::Days),
                "rank" => Type::Num(Unit::Rank),
                "ratio" => Type::Num(Unit::Ratio),
                _ => Type::Num(Unit::Plain),
            },
            ast::TypeBody::Enum(names) => {
                let mut seen = BTreeSet::new();
                for n in names {
                    if !seen.insert(n.node.clone()) {
                        self.err(
                            Diagnostic::error(
                                Code::DuplicateId,
                                format!("`{}` is listed twice", n.node),
                            )
                            .label(n.span, "listed again here")
                            .help("list each name once"),
                        );
                    }
                }
                Type::Enum(names.iter().map(|n| n.node.clone()).collect())
            }
            ast::TypeBody::List(inner) => Type::List(Box::new(self.lower_type(inner))),
            ast::TypeBody::Record(fields) => {
                let mut seen: HashMap<&str, Span> = HashMap::new();
                let mut out = Vec::new();
                for f in fields {
                    if let Some(first) = seen.insert(f.name.node.as_str(), f.name.span) {
                        self.err(
                            Diagnostic::error(
                                Code::DuplicateId,
                                format!("field `{}` is declared twice", f.name.node),
                            )
                            .label(f.name.span, "second field")
                            .label(first, "first field")
                            .help("give each field its own name"),
                        );
                    }
                    out.push(ir::FieldDef {
                        name: f.name.node.clone(),
                        label: f.label.as_ref().map(|l| l.node.clone()).unwrap_or_default(),
                        ty: self.lower_type(&f.ty),
                        optional: f.ty.optional,
                        range: f.ty.range.iter().map(|(op, v)| (*op, v.node)).collect(),
                    });
                }
                Type::Record(out)
            }
        }
    }

    fn declare_tables(&mut self, file: &ast::File) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for (i, t) in file.tables.iter().enumerate() {
            if let Some(first) = seen.insert(t.name.node.as_str(), t.name.span) {
                self.err(
                    Diagnostic::error(
                        Code::DuplicateId,
                        format!("table `{}` is declared twice", t.name.node),
                    )
                    .label(t.name.span, "second table")
                    .label(first, "first table")
                    .help("give each table its own name"),
                );
            }
            let arity = t.rows.first().map(|r| r.keys.len()).unwrap_or(0);
            let mut keys_seen: HashMap<Vec<&str>, Span> = HashMap::new();
            for r in &t.rows {
                if r.keys.len() != arity {
                    self.err(
                        Diagnostic::error(
                            Code::TableShape,
                            "table rows have different numbers of keys",
                        )
                        .label(
                            r.span,
                            format!(
                                "{} here, {} in the first row",
                                keys(r.keys.len()),
                                keys(arity)
                            ),
                        )
                        .help("give every row as many keys as the first row, separated by commas before the `:`"),
                    );
                }
                let key: Vec<&str> = r.keys.iter().map(|k| k.node.as_str()).collect();
                if let Some(first) = keys_seen.insert(key, r.span) {
                    self.err(
                        Diagnostic::error(
                            Code::DuplicateId,
                            "this table row repeats an earlier key",
                        )
                        .label(r.span, "repeated key")
                        .label(first, "first row with this key")
                        .help("each combination of keys may appear once"),
                    );
                }
            }
            self.tables.insert(t.name.node.clone(), (i as u32, arity));
        }
    }

    fn check_let(&mut self, file: &ast::File, i: usize) -> Ty {
        let state = self.let_state.get(i).copied().unwrap_or(LetState::Done);
        let decl = file.lets.get(i)?;
        match state {
            LetState::Done => {
                return self
                    .lets
                    .get(i)
                    .and_then(|l| l.as_ref())
                    .map(|l| l.ty.clone())
            }
            LetState::InProgress => {
                self.err(
                    Diagnostic::error(Code::Cycle, format!("`{}` is defined in terms of itself", decl.name.node))
                        .label(decl.name.span, "this derived value depends on itself")
                        .help("break the cycle: a derived value may only use inputs and other derived values"),
                );
                return None;
            }
            LetState::Todo => {}
        }
        if let Some(s) = self.let_state.get_mut(i) {
            *s = LetState::InProgress;
        }
        let saved_reads = std::mem::take(&mut self.reads);
        let saved_locals = std::mem::take(&mut self.locals);
        let (e, ty) = self.expr_in(file, &decl.value);
        let reads = std::mem::replace(&mut self.reads, saved_reads);
        self.locals = saved_locals;
        if let Some(s) = self.let_inputs.get_mut(i) {
            *s = reads;
        }
        if let Some(s) = self.let_state.get_mut(i) {
            *s = LetState::Done;
        }
        if let (Some(ty), Some(slot)) = (ty.clone(), self.lets.get_mut(i)) {
            *slot = Some(ir::LetDef {
                name: decl.name.node.clone(),
                label: decl
                    .label
                    .as_ref()
                    .map(|l| l.node.clone())
                    .unwrap_or_default(),
                ty,
                expr: e,
            });
        }
        ty
    }

    /// The order of lets in the IR must let each depend only on earlier
    /// ones; lets are resolved on first use, so the IR slot is the
    /// declaration index and the evaluator computes them on demand.
    pub(crate) fn expr_in(&mut self, file: &ast::File, e: &ast::Expr) -> (Expr, Ty) {
        let mut ctx = ExprCtx { file };
        self.expr(&mut ctx, e)
    }

    fn grades(&mut self, file: &ast::File) -> Vec<ir::GradeDef> {
        let mut out = Vec::new();
        let mut seen_otherwise: Option<Span> = None;
        for g in &file.grades {
            if let Some(prev) = seen_otherwise {
                self.err(
                    Diagnostic::warning(
                        Code::Unreachable,
                        "this grade follows `otherwise` and never applies",
                    )
                    .label(g.span, "never reached")
                    .label(prev, "`otherwise` takes every unit left")
                    .help("put `otherwise` last"),
                );
            }
            let condition = match &g.condition {
                Some(c) => {
                    let (e, ty) = self.expr_in(file, c);
                    self.expect_bool(&ty, c.span, "a grade's condition");
                    Some(e)
                }
                None => {
                    seen_otherwise = Some(g.span);
                    None
                }
            };
            out.push(ir::GradeDef {
                name: g.name.node.clone(),
                condition,
            });
        }
        out
    }

    fn unused(&mut self, file: &ast::File) {
        for d in &file.inputs {
            let Some((slot, _)) = self.names.get(&d.name.node).copied() else {
                continue;
            };
            if self.used.contains(&slot) {
                continue;
            }
            let (code, what) = match d.kind {
                ast::InputKind::Param => (Code::UnusedParam, "parameter"),
                ast::InputKind::Global => (Code::UnusedInput, "global"),
                ast::InputKind::Unit => (Code::UnusedInput, "input"),
            };
            self.err(
                Diagnostic::warning(code, format!("{what} `{}` is never used", d.name.node))
                    .label(d.name.span, "declared here but no rule reads it")
                    .help("remove it, or use it in the clause it belongs to"),
            );
        }
        for (i, l) in file.lets.iter().enumerate() {
            if !self.used.contains(&Slot::Let(i as u32)) {
                self.err(
                    Diagnostic::warning(
                        Code::UnusedInput,
                        format!("derived value `{}` is never used", l.name.node),
                    )
                    .label(l.name.span, "defined here but nothing reads it")
                    .help("remove it, or use it in a rule"),
                );
            }
        }
    }

    pub(crate) fn take_reads(&mut self) -> BTreeSet<Slot> {
        std::mem::take(&mut self.reads)
    }

    pub(crate) fn expect_bool(&mut self, ty: &Ty, span: Span, what: &str) {
        if let Some(t) = ty {
            if *t != Type::Bool {
                self.err(
                    Diagnostic::error(Code::TypeMismatch, format!("{what} must be true or false"))
                        .label(span, format!("this is {}", t.describe()))
                        .help("compare it, e.g. `x > 0`, or use a bool input"),
                );
            }
        }
    }

    /// An amount must be a plain number, points or a count.
    pub(crate) fn expect_amount(&mut self, ty: &Ty, span: Span) {
        match ty {
            None | Some(Type::Num(Unit::Plain | Unit::Points | Unit::Count | Unit::Ratio)) => {}
            Some(Type::Num(Unit::Pct)) => self.err(
                Diagnostic::error(Code::UnitMismatch, "an amount of points cannot be in pct (%)")
                    .label(span, "this is a percent (80 means 80 %)")
                    .help("turn a percent into a ratio by dividing by 100%: `70 * rate / 100%` (比例×70)"),
            ),
            Some(Type::Num(Unit::Rank)) => self.err(
                Diagnostic::error(Code::UnitMismatch, "an amount of points cannot be a rank")
                    .label(span, "this is a place (1 = first)")
                    .help("count the places below the first with `rank - 1`, e.g. `deduct 1.5 each rank(x) - 1`, or score places with `tiers`"),
            ),
            Some(Type::Num(u)) => self.err(
                Diagnostic::error(Code::UnitMismatch, format!("an amount of points cannot be in {}", u.name()))
                    .label(span, format!("this is in {}", u.name()))
                    .help("multiply a number of steps or occurrences by points, e.g. `0.3 per 0.1 of x below target`"),
            ),
            Some(t) => self.err(
                Diagnostic::error(Code::TypeMismatch, "an amount must be a number")
                    .label(span, format!("this is {}", t.describe()))
                    .help("use `award N if condition` for a condition"),
            ),
        }
    }

    fn unknown_name(&mut self, name: &str, span: Span) {
        let mut candidates: Vec<String> = self.names.keys().cloned().collect();
        candidates.extend(self.locals.iter().map(|(n, _)| n.clone()));
        candidates.sort();
        let mut d = Diagnostic::error(Code::UnknownName, format!("unknown name `{name}`")).label(
            span,
            "not an input, parameter, derived value or loop variable",
        );
        d = match did_you_mean(name, candidates.iter().map(|s| s.as_str())) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help("declare it with `input`, `global`, `param` or `let`"),
        };
        self.err(d);
    }

    fn expr(&mut self, ctx: &mut ExprCtx<'_>, e: &ast::Expr) -> (Expr, Ty) {
        let span = e.span;
        match &e.node {
            ExprKind::Number(v, unit) => {
                let u = match unit.as_deref() {
                    Some("days") => Unit::Days,
                    Some("pp") => Unit::Pp,
                    Some("%" | "pct") => Unit::Pct,
                    Some("points") => Unit::Points,
                    Some("yuan") => Unit::Yuan,
                    Some("wan") => Unit::Wan,
                    Some("wan_m3") => Unit::WanM3,
                    Some("ug") => Unit::Ug,
                    Some("mgl") => Unit::Mgl,
                    _ => Unit::Plain,
                };
                (Expr::Num(*v), num(u))
            }
            ExprKind::Date(s) => match crate::date::parse_date(s) {
                Some(d) => (Expr::Date(d), Some(Type::Date)),
                None => {
                    self.err(
                        Diagnostic::error(Code::BadDate, format!("`{s}` is not a date"))
                            .label(span, "no such day")
                            .help("write dates as YYYY-MM-DD"),
                    );
                    (Expr::Date(0), None)
                }
            },
            ExprKind::Str(s) => (Expr::Str(s.clone()), Some(Type::Text)),
            ExprKind::Bool(b) => (Expr::Bool(*b), Some(Type::Bool)),
            ExprKind::List(items) => {
                let mut out = Vec::new();
                let mut elem: Ty = None;
                for it in items {
                    let (x, t) = self.expr(ctx, it);
                    out.push(x);
                    elem = match (elem, t) {
                        (None, t) => t,
                        (Some(a), Some(b)) => Some(self.unify(a, b, it.span, "list elements")),
                        (a, None) => a,
                    };
                }
                (
                    Expr::List(out),
                    Some(Type::List(Box::new(elem.unwrap_or(Type::Num(Unit::Plain))))),
                )
            }
            ExprKind::Builtin(b) => {
                if !self.builtins_allowed {
                    self.err(
                        Diagnostic::error(
                            Code::MisplacedBuiltin,
                            format!("`{b}` is only known once a unit is scored"),
                        )
                        .label(span, "not available inside rules")
                        .help("a rule cannot depend on the score it adds to: use `total`, `base`, `bonus` and `vetoed` in `grade` lines"),
                    );
                }
                let (bi, ty) = match b.as_str() {
                    "total" => (Builtin::Total, num(Unit::Points)),
                    "base" => (Builtin::Base, num(Unit::Points)),
                    "bonus" => (Builtin::Bonus, num(Unit::Points)),
                    _ => (Builtin::Vetoed, Some(Type::Bool)),
                };
                (Expr::Builtin(bi), ty)
            }
            ExprKind::Name(n) => self.name(ctx, n, span),
            ExprKind::Unary(op, x) => {
                let (xe, t) = self.expr(ctx, x);
                match op {
                    ast::UnaryOp::Not => {
                        self.expect_bool(&t, x.span, "the operand of `not`");
                        (Expr::Not(Box::new(xe)), Some(Type::Bool))
                    }
                    ast::UnaryOp::Neg => {
                        let t = self.expect_num(t, x.span, "the operand of `-`");
                        if let Expr::Num(v) = xe {
                            return (Expr::Num(-v), t);
                        }
                        (Expr::Neg(Box::new(xe)), t)
                    }
                }
            }
            ExprKind::Binary(op, a, b) => {
                let (mut ae, mut at) = self.expr(ctx, a);
                let (mut be, mut bt) = self.expr(ctx, b);
                if let BinOp::Cmp(_) = op {
                    // A ratio (0.8) compared with a percent (80 %): compare
                    // the ratio's percent, exactly.
                    let hundred = |e: Expr| {
                        Expr::Bin(
                            BinOp::Mul,
                            Box::new(e),
                            Box::new(Expr::Num(Decimal::ONE_HUNDRED)),
                        )
                    };
                    match (&at, &bt) {
                        (Some(Type::Num(Unit::Ratio)), Some(Type::Num(Unit::Pct))) => {
                            ae = hundred(ae);
                            at = num(Unit::Pct);
                        }
                        (Some(Type::Num(Unit::Pct)), Some(Type::Num(Unit::Ratio))) => {
                            be = hundred(be);
                            bt = num(Unit::Pct);
                        }
                        (Some(Type::Num(Unit::Ratio)), Some(Type::Num(Unit::Plain))) => {
                            self.ratio_vs_whole(&be, a.span, b.span);
                        }
                        (Some(Type::Num(Unit::Plain)), Some(Type::Num(Unit::Ratio))) => {
                            self.ratio_vs_whole(&ae, b.span, a.span);
                        }
                        _ => {}
                    }
                }
                let ty = self.binary_type(*op, at, bt, a, b);
                if *op == BinOp::Div {
                    if let Some(z) = const_num(&be) {
                        if z.is_zero() {
                            self.err(
                                Diagnostic::error(Code::ZeroStep, "division by zero")
                                    .label(b.span, "this is zero")
                                    .help("divide by a number that is never zero"),
                            );
                        }
                    }
                }
                (Expr::Bin(*op, Box::new(ae), Box::new(be)), ty)
            }
            ExprKind::If(c, a, b) => {
                let (ce, ct) = self.expr(ctx, c);
                self.expect_bool(&ct, c.span, "the condition of `if`");
                let (ae, at) = self.expr(ctx, a);
                let (be, bt) = self.expr(ctx, b);
                let ty = match (at, bt) {
                    (Some(x), Some(y)) => Some(self.unify(x, y, span, "the two branches of `if`")),
                    _ => None,
                };
                (Expr::If(Box::new(ce), Box::new(ae), Box::new(be)), ty)
            }
            ExprKind::Call(f, args) => self.call(ctx, f, args, span),
            ExprKind::Comprehension {
                func,
                body,
                fors,
                filter,
            } => self.comprehension(ctx, func, body, fors, filter.as_deref()),
            ExprKind::Binder {
                func,
                var,
                list,
                filter,
            } => {
                let fors = vec![(var.clone(), (**list).clone())];
                // `any(x in L where C)` asks whether some x satisfies C: C is what is tested.
                if matches!(func.node.as_str(), "any" | "all") {
                    if let Some(cond) = filter.as_deref() {
                        return self.comprehension(ctx, func, cond, &fors, None);
                    }
                }
                // `count(x in L where C)` counts the elements that pass, whatever they are.
                let body = if func.node == "count" {
                    Spanned::new(ExprKind::Bool(true), var.span)
                } else {
                    Spanned::new(ExprKind::Name(var.node.clone()), var.span)
                };
                self.comprehension(ctx, func, &body, &fors, filter.as_deref())
            }
            ExprKind::Field(x, f) => {
                let (xe, t) = self.expr(ctx, x);
                match t {
                    None => (Expr::Bool(false), None),
                    Some(Type::Record(fields)) => {
                        match fields.iter().position(|fd| fd.name == f.node) {
                            Some(i) => {
                                let ty = fields.get(i).map(|fd| fd.ty.clone());
                                (Expr::Field(Box::new(xe), i as u32), ty)
                            }
                            None => {
                                let mut d = Diagnostic::error(
                                    Code::UnknownField,
                                    format!("the record has no field `{}`", f.node),
                                )
                                .label(f.span, "no such field");
                                d = match did_you_mean(
                                    &f.node,
                                    fields.iter().map(|fd| fd.name.as_str()),
                                ) {
                                    Some(s) => d.help(format!("did you mean `{s}`?")),
                                    None => d.help(format!(
                                        "its fields are {}",
                                        fields
                                            .iter()
                                            .map(|fd| format!("`{}`", fd.name))
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )),
                                };
                                self.err(d);
                                (Expr::Bool(false), None)
                            }
                        }
                    }
                    Some(Type::Group(k, _)) if f.node == "key" => {
                        (Expr::GroupKey(Box::new(xe)), Some(*k))
                    }
                    Some(Type::Group(_, _)) if f.node == "count" => {
                        (Expr::GroupCount(Box::new(xe)), num(Unit::Count))
                    }
                    Some(t) => {
                        self.err(
                            Diagnostic::error(Code::UnknownField, format!("`.{}` needs a record", f.node))
                                .label(x.span, format!("this is {}", t.describe()))
                                .help("fields belong to records, e.g. `c.found` for `c in cases`; a group has `.key` and `.count`"),
                        );
                        (Expr::Bool(false), None)
                    }
                }
            }
            ExprKind::Index(x, keys) => self.table_index(ctx, x, keys, span),
            ExprKind::IsMissing(x, missing) => {
                let (xe, _) = self.expr(ctx, x);
                (Expr::IsMissing(Box::new(xe), *missing), Some(Type::Bool))
            }
            ExprKind::GroupedBy(x, f) => {
                let (xe, t) = self.expr(ctx, x);
                match t {
                    None => (Expr::Bool(false), None),
                    Some(Type::List(inner)) => match &*inner {
                        Type::Record(fields) => {
                            match fields.iter().position(|fd| fd.name == f.node) {
                                Some(i) => {
                                    let key =
                                        fields.get(i).map(|fd| fd.ty.clone()).unwrap_or(Type::Text);
                                    (
                                        Expr::GroupBy(Box::new(xe), i as u32),
                                        Some(Type::List(Box::new(Type::Group(
                                            Box::new(key),
                                            inner.clone(),
                                        )))),
                                    )
                                }
                                None => {
                                    let mut d = Diagnostic::error(
                                        Code::UnknownField,
                                        format!("the records have no field `{}`", f.node),
                                    )
                                    .label(f.span, "no such field");
                                    if let Some(s) = did_you_mean(
                                        &f.node,
                                        fields.iter().map(|fd| fd.name.as_str()),
                                    ) {
                                        d = d.help(format!("did you mean `{s}`?"));
                                    }
                                    self.err(d);
                                    (Expr::Bool(false), None)
                                }
                            }
                        }
                        other => {
                            self.err(
                                Diagnostic::error(
                                    Code::TypeMismatch,
                                    "`grouped by` needs a list of records",
                                )
                                .label(x.span, format!("this is a list of {}", other.describe()))
                                .help("group a list of records by one of their fields"),
                            );
                            (Expr::Bool(false), None)
                        }
                    },
                    Some(t) => {
                        self.err(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                "`grouped by` needs a list of records",
                            )
                            .label(x.span, format!("this is {}", t.describe()))
                            .help("group a list of records by one of their fields"),
                        );
                        (Expr::Bool(false), None)
                    }
                }
            }
            ExprKind::Tiers(subject, tiers) => self.tiers(ctx, subject, tiers),
            ExprKind::Cases(arms) => self.cases(ctx, arms, span),
            ExprKind::AcrossUnits { func, body, filter } => {
                self.across_units(ctx, func, body, filter.as_deref(), span)
            }
        }
    }

    /// `cases { C1: A1, C2: A2, else: B }`: nested `if`s, first match wins;
    /// without `else`, nothing matching gives 0.
    fn cases(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        arms: &[(Option<ast::Expr>, ast::Expr)],
        span: Span,
    ) -> (Expr, Ty) {
        let mut lowered = Vec::new();
        let mut ty: Ty = None;
        let mut else_at: Option<usize> = None;
        for (i, (cond, value)) in arms.iter().enumerate() {
            if let Some(first) = else_at {
                if first < i {
                    let arm = cond
                        .as_ref()
                        .map_or(value.span, |c| c.span.join(value.span));
                    let mut d = Diagnostic::warning(
                        Code::DeadTier,
                        "this case comes after `else` and never applies",
                    )
                    .label(arm, "never reached");
                    if let Some((_, else_value)) = arms.get(first) {
                        d = d.label(else_value.span, "`else` holds for everything left");
                    }
                    self.err(
                        d.help("put `else` last: cases are tried in order and `else` always holds"),
                    );
                }
            }
            let ce = cond.as_ref().map(|c| {
                let (ce, ct) = self.expr(ctx, c);
                self.expect_bool(&ct, c.span, "a case's condition");
                ce
            });
            if ce.is_none() && else_at.is_none() {
                else_at = Some(i);
            }
            let (ve, vt) = self.expr(ctx, value);
            ty = match (ty, vt) {
                (Some(a), Some(b)) => Some(self.unify(a, b, value.span, "the cases' values")),
                (a, b) => a.or(b),
            };
            lowered.push((ce, ve));
        }
        if arms.is_empty() {
            self.err(
                Diagnostic::error(Code::Syntax, "`cases` needs at least one case")
                    .label(span, "no cases")
                    .help("write e.g. `cases { rate >= 90%: 10, else: 0 }`"),
            );
        }
        // Build from the last case back: no `else` means 0.
        let mut out = Expr::Num(Decimal::ZERO);
        for (ce, ve) in lowered.into_iter().rev() {
            out = match ce {
                None => ve,
                Some(c) => Expr::If(Box::new(c), Box::new(ve), Box::new(out)),
            };
        }
        (out, ty.or(num(Unit::Plain)))
    }

    /// `max(E across units)` and the like: one value for the whole batch.
    fn across_units(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        func: &ast::Ident,
        body: &ast::Expr,
        filter: Option<&ast::Expr>,
        span: Span,
    ) -> (Expr, Ty) {
        let f = match func.node.as_str() {
            "max" => ir::AcrossFn::Max,
            "min" => ir::AcrossFn::Min,
            "mean" => ir::AcrossFn::Mean,
            "sum" => ir::AcrossFn::Sum,
            "count" => ir::AcrossFn::Count,
            other => {
                let mut d = Diagnostic::error(
                    Code::UnknownName,
                    format!("`{other}` cannot go across units"),
                )
                .label(func.span, "not an aggregate over the batch");
                d = match did_you_mean(other, ["max", "min", "mean", "sum", "count"]) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(
                        "across units: max, min, mean, sum and count (and `rank(E)` for places)",
                    ),
                };
                self.err(d);
                return (Expr::Bool(false), None);
            }
        };
        if self.in_rank || !self.locals.is_empty() {
            let d = match self.locals.last() {
                Some((local, _)) => Diagnostic::error(
                    Code::MisplacedRank,
                    "an aggregate across units cannot be taken inside a loop over records",
                )
                .label(span, format!("inside the loop over `{local}`, one record of one unit"))
                .help(
                    "name it outside the loop from a value each unit has as a whole, e.g. `let city_mean = mean(fines_total across units) \"全市平均\"`, and compare the records with `city_mean`",
                ),
                None => Diagnostic::error(
                    Code::MisplacedRank,
                    "an aggregate across units cannot be used here",
                )
                .label(span, "inside a rank or another aggregate across units")
                .help("compute it from each unit's own values, e.g. `max(pm25 across units)`"),
            };
            self.err(d);
        }
        let saved = self.in_rank;
        self.in_rank = true;
        let (be, bt) = self.expr(ctx, body);
        let fe = filter.map(|c| {
            let (fe, ft) = self.expr(ctx, c);
            self.expect_bool(&ft, c.span, "a `where` condition");
            fe
        });
        self.in_rank = saved;
        let ty = if f == ir::AcrossFn::Count {
            self.expect_bool(&bt, body.span, "what `count` counts across units");
            num(Unit::Count)
        } else {
            self.expect_num(
                bt,
                body.span,
                &format!("what `{}` takes across units", func.node),
            )
        };
        // The same aggregate written twice is computed once.
        let idx = match self
            .across
            .iter()
            .position(|a| a.func == f && a.expr == be && a.filter == fe)
        {
            Some(i) => i as u32,
            None => {
                self.across.push(ir::AcrossDef {
                    func: f,
                    expr: be,
                    filter: fe,
                    source: self.snippet(span),
                });
                (self.across.len() - 1) as u32
            }
        };
        (Expr::Across(idx), ty)
    }

    /// A ratio compared with a plain number above 1 (`good / total >= 80`)
    /// is almost surely a percent written without its `%`.
    fn ratio_vs_whole(&mut self, other: &Expr, ratio_span: Span, other_span: Span) {
        let Some(v) = const_num(other) else { return };
        if v > Decimal::ONE {
            let n = v.normalize();
            self.err(
                Diagnostic::error(
                    Code::UnitMismatch,
                    format!("a ratio is compared with {n}, but a ratio is a fraction (0.8 = 80 %)"),
                )
                .label(
                    ratio_span,
                    "a ratio of like quantities, between 0 and 1 when within target",
                )
                .label(other_span, format!("{n} reads as {n} times the whole"))
                .help(format!(
                    "write `{n}%` for a percent, or `{}` as a fraction",
                    (v / Decimal::ONE_HUNDRED).normalize()
                )),
            );
        }
    }

    fn name(&mut self, ctx: &mut ExprCtx<'_>, n: &str, span: Span) -> (Expr, Ty) {
        if let Some(pos) = self.locals.iter().rposition(|(name, _)| name == n) {
            let ty = self.locals.get(pos).map(|(_, t)| t.clone());
            return (Expr::Local(pos as u32), ty);
        }
        let Some((slot, _)) = self.names.get(n).copied() else {
            self.unknown_name(n, span);
            return (Expr::Bool(false), None);
        };
        self.used.insert(slot);
        match slot {
            Slot::Input(i) => {
                self.reads.insert(slot);
                (Expr::Input(i), self.input_types.get(i as usize).cloned())
            }
            Slot::Global(i) => {
                self.reads.insert(slot);
                (Expr::Global(i), self.global_types.get(i as usize).cloned())
            }
            Slot::Param(i) => {
                self.reads.insert(slot);
                (Expr::Param(i), self.param_types.get(i as usize).cloned())
            }
            Slot::Let(i) => {
                let ty = self.check_let(ctx.file, i as usize);
                let inner = self.let_inputs.get(i as usize).cloned().unwrap_or_default();
                self.reads.extend(inner);
                (Expr::Let(i), ty)
            }
        }
    }

    fn expect_num(&mut self, t: Ty, span: Span, what: &str) -> Ty {
        match t {
            None => None,
            Some(Type::Num(u)) => num(u),
            Some(t) => {
                self.err(
                    Diagnostic::error(Code::TypeMismatch, format!("{what} must be a number"))
                        .label(span, format!("this is {}", t.describe()))
                        .help("arithmetic works on numbers, counts and amounts"),
                );
                None
            }
        }
    }

    /// The common type of two values that must agree (branches, list items).
    fn unify(&mut self, a: Type, b: Type, span: Span, what: &str) -> Type {
        match (&a, &b) {
            (Type::Num(x), Type::Num(y)) => match add_units(*x, *y, false) {
                Some(u) => Type::Num(u),
                None => {
                    self.err(
                        Diagnostic::error(
                            Code::UnitMismatch,
                            format!("{what} mix {} and {}", x.name(), y.name()),
                        )
                        .label(span, "different units of measure")
                        .help("make both sides the same unit"),
                    );
                    a
                }
            },
            (Type::Enum(_), Type::Text) | (Type::Text, Type::Enum(_)) => Type::Text,
            _ if a == b => a,
            _ => {
                self.err(
                    Diagnostic::error(
                        Code::TypeMismatch,
                        format!("{what} mix {} and {}", a.describe(), b.describe()),
                    )
                    .label(span, "different types")
                    .help("make both sides the same type"),
                );
                a
            }
        }
    }

    fn binary_type(&mut self, op: BinOp, at: Ty, bt: Ty, a: &ast::Expr, b: &ast::Expr) -> Ty {
        let span = a.span.join(b.span);
        match op {
            BinOp::And | BinOp::Or => {
                let word = if op == BinOp::And { "and" } else { "or" };
                self.expect_bool(&at, a.span, &format!("each side of `{word}`"));
                self.expect_bool(&bt, b.span, &format!("each side of `{word}`"));
                Some(Type::Bool)
            }
            BinOp::Cmp(cmp) => {
                let (Some(x), Some(y)) = (at, bt) else {
                    return Some(Type::Bool);
                };
                let ok = match (&x, &y) {
                    (Type::Num(p), Type::Num(q)) => {
                        if add_units(*p, *q, false).is_none() {
                            self.err(
                                Diagnostic::error(
                                    Code::UnitMismatch,
                                    format!("cannot compare {} with {}", p.name(), q.name()),
                                )
                                .label(a.span, format!("in {}", p.name()))
                                .label(b.span, format!("in {}", q.name()))
                                .help("compare values of the same unit of measure"),
                            );
                        }
                        true
                    }
                    (Type::Date, Type::Date) => true,
                    (Type::Bool, Type::Bool) | (Type::Text, Type::Text) => {
                        matches!(cmp, CmpOp::Eq | CmpOp::Ne)
                    }
                    (Type::Enum(names), Type::Text) | (Type::Text, Type::Enum(names)) => {
                        if let Some(s) = string_literal(a).or_else(|| string_literal(b)) {
                            if !names.iter().any(|n| n == s) {
                                let mut d = Diagnostic::error(
                                    Code::UnknownName,
                                    format!("`{s}` is not one of the listed names"),
                                )
                                .label(
                                    span,
                                    format!(
                                        "the names are {}",
                                        names
                                            .iter()
                                            .map(|n| format!("\"{n}\""))
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    ),
                                );
                                if let Some(m) = did_you_mean(s, names.iter().map(|n| n.as_str())) {
                                    d = d.help(format!("did you mean `\"{m}\"`?"));
                                } else {
                                    d = d.help("compare with one of the names the input lists");
                                }
                                self.err(d);
                            }
                        }
                        matches!(cmp, CmpOp::Eq | CmpOp::Ne)
                    }
                    (Type::Enum(_), Type::Enum(_)) => matches!(cmp, CmpOp::Eq | CmpOp::Ne),
                    _ => false,
                };
                if !ok {
                    self.err(
                        Diagnostic::error(Code::TypeMismatch, format!("cannot compare {} with {}", x.describe(), y.describe()))
                            .label(span, format!("`{}` does not apply here", cmp.symbol()))
                            .help("numbers and dates compare by size; names, text and bools only by `=` and `!=`"),
                    );
                }
                Some(Type::Bool)
            }
            BinOp::Add | BinOp::Sub => {
                let (Some(x), Some(y)) = (at, bt) else {
                    return None;
                };
                match (&x, &y) {
                    (Type::Date, Type::Date) if op == BinOp::Sub => num(Unit::Days),
                    (Type::Date, Type::Num(Unit::Days | Unit::Plain)) => Some(Type::Date),
                    (Type::Num(Unit::Ratio), Type::Num(Unit::Pct))
                    | (Type::Num(Unit::Pct), Type::Num(Unit::Ratio)) => {
                        let verb = if op == BinOp::Add { "add" } else { "subtract" };
                        self.err(
                            Diagnostic::error(
                                Code::UnitMismatch,
                                format!("cannot {verb} a ratio and a percent"),
                            )
                            .label(a.span, format!("in {}", if matches!(x, Type::Num(Unit::Ratio)) { "ratio (0.8 = 80 %)" } else { "pct (80 = 80 %)" }))
                            .label(b.span, format!("in {}", if matches!(y, Type::Num(Unit::Ratio)) { "ratio (0.8 = 80 %)" } else { "pct (80 = 80 %)" }))
                            .help("convert one side: `r * 100%` turns a ratio into a percent, `p / 100%` a percent into a ratio"),
                        );
                        None
                    }
                    (Type::Num(Unit::Rank), Type::Num(Unit::Rank | Unit::Plain))
                        if op == BinOp::Sub =>
                    {
                        // `rank - 1`: the places below the first, a count.
                        num(Unit::Count)
                    }
                    (Type::Num(p), Type::Num(q)) => match add_units(*p, *q, op == BinOp::Sub) {
                        Some(u) => num(u),
                        None => {
                            let verb = if op == BinOp::Add { "add" } else { "subtract" };
                            self.err(
                                Diagnostic::error(
                                    Code::UnitMismatch,
                                    format!("cannot {verb} {} and {}", p.name(), q.name()),
                                )
                                .label(a.span, format!("in {}", p.name()))
                                .label(b.span, format!("in {}", q.name()))
                                .help("add and subtract values of the same unit of measure"),
                            );
                            None
                        }
                    },
                    _ => {
                        self.err(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!(
                                    "cannot do arithmetic on {} and {}",
                                    x.describe(),
                                    y.describe()
                                ),
                            )
                            .label(span, "not numbers")
                            .help(
                                "arithmetic works on numbers; dates subtract to a number of days",
                            ),
                        );
                        None
                    }
                }
            }
            BinOp::Mul | BinOp::Div => {
                let x = self.expect_num(at, a.span, "each side of `×` and `/`");
                let y = self.expect_num(bt, b.span, "each side of `×` and `/`");
                let (Some(Type::Num(p)), Some(Type::Num(q))) = (x, y) else {
                    return None;
                };
                if p == Unit::Rank || q == Unit::Rank {
                    let verb = if op == BinOp::Mul {
                        "multiplied"
                    } else {
                        "divided"
                    };
                    self.err(
                        Diagnostic::error(Code::UnitMismatch, format!("a rank cannot be {verb}"))
                            .label(if p == Unit::Rank { a.span } else { b.span }, "a place (1 = first), not a quantity")
                            .help("count the places below the first with `rank - 1` (a count), e.g. `1.5 * (rank(x) - 1)`, or score places with `tiers`"),
                    );
                    return None;
                }
                let r = if op == BinOp::Mul {
                    mul_units(p, q)
                } else {
                    div_units(p, q)
                };
                match r {
                    Some(u) => num(u),
                    None => {
                        let verb = if op == BinOp::Mul {
                            "multiply"
                        } else {
                            "divide"
                        };
                        self.err(
                            Diagnostic::error(Code::UnitMismatch, format!("cannot {verb} {} by {}", p.name(), q.name()))
                                .label(a.span, format!("in {}", p.name()))
                                .label(b.span, format!("in {}", q.name()))
                                .help("multiply by a plain number or a count; divide values of the same unit to get a ratio"),
                        );
                        None
                    }
                }
            }
        }
    }

    fn call(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        f: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> (Expr, Ty) {
        let lowered: Vec<(Expr, Ty, Span)> = if f.node == "rank" {
            let saved = self.in_rank;
            self.in_rank = true;
            let v = args.iter().map(|a| {
                let (e, t) = self.expr(ctx, a);
                (e, t, a.span)
            });
            let v: Vec<_> = v.collect();
            self.in_rank = saved;
            v
        } else {
            args.iter()
                .map(|a| {
                    let (e, t) = self.expr(ctx, a);
                    (e, t, a.span)
                })
                .collect()
        };
        let arity = |c: &mut Self, want: &str, ok: bool| -> bool {
            if !ok {
                c.err(
                    Diagnostic::error(Code::WrongArity, format!("`{}` takes {want}", f.node))
                        .label(span, format!("{} given", args.len()))
                        .help("see docs/language.md for the functions and their arguments"),
                );
            }
            ok
        };
        let n = lowered.len();
        let exprs: Vec<Expr> = lowered.iter().map(|(e, _, _)| e.clone()).collect();
        match f.node.as_str() {
            "min" | "max" | "mean" if n == 1 => {
                // One argument: a list of numbers (`max(scores)`), never a
                // single value, whose max would be itself.
                let (e, t, s) = lowered
                    .first()
                    .cloned()
                    .unwrap_or((Expr::Bool(false), None, span));
                match t {
                    Some(Type::List(inner)) if matches!(*inner, Type::Num(_)) => {
                        let slot = self.locals.len() as u32;
                        self.max_locals = self.max_locals.max(slot + 1);
                        let agg = match f.node.as_str() {
                            "min" => Agg::Min,
                            "max" => Agg::Max,
                            _ => Agg::Mean,
                        };
                        (
                            Expr::Agg {
                                agg,
                                body: Box::new(Expr::Local(slot)),
                                loops: vec![(slot, e)],
                                filter: None,
                            },
                            Some(*inner),
                        )
                    }
                    None => (Expr::Bool(false), None),
                    Some(t) => {
                        self.err(
                            Diagnostic::error(
                                Code::WrongArity,
                                format!("`{}` of one value is that value", f.node),
                            )
                            .label(s, format!("one {}", t.describe()))
                            .help(format!(
                                "give two or more values, `{0}(a, b)`; go over a list, `{0}(x.v for x in list)`; or across all units, `{0}(v across units)`",
                                f.node
                            )),
                        );
                        (Expr::Bool(false), None)
                    }
                }
            }
            "mean" => {
                self.err(
                    Diagnostic::error(Code::WrongArity, "`mean` takes a list")
                        .label(span, format!("{n} values given"))
                        .help("write `mean(x.v for x in list)`, `mean(list)` or `mean(v across units)`"),
                );
                (Expr::Bool(false), None)
            }
            "min" | "max" => {
                if !arity(self, "one or more numbers", n >= 1) {
                    return (Expr::Bool(false), None);
                }
                let mut ty: Ty = None;
                for (_, t, s) in &lowered {
                    let t =
                        self.expect_num(t.clone(), *s, &format!("each argument of `{}`", f.node));
                    ty = match (ty, t) {
                        (Some(a), Some(b)) => {
                            Some(self.unify(a, b, *s, &format!("the arguments of `{}`", f.node)))
                        }
                        (a, b) => a.or(b),
                    };
                }
                let func = if f.node == "min" {
                    Func::Min
                } else {
                    Func::Max
                };
                (Expr::Call(func, exprs), ty)
            }
            "clamp" => {
                if !arity(self, "three arguments: value, least, most", n == 3) {
                    return (Expr::Bool(false), None);
                }
                let mut ty: Ty = None;
                for (_, t, s) in &lowered {
                    let t = self.expect_num(t.clone(), *s, "each argument of `clamp`");
                    ty = match (ty, t) {
                        (Some(a), Some(b)) => {
                            Some(self.unify(a, b, *s, "the arguments of `clamp`"))
                        }
                        (a, b) => a.or(b),
                    };
                }
                (Expr::Call(Func::Clamp, exprs), ty)
            }
            "floor" | "ceil" | "abs" => {
                if !arity(self, "one number", n == 1) {
                    return (Expr::Bool(false), None);
                }
                let (_, t, s) = lowered
                    .first()
                    .cloned()
                    .unwrap_or((Expr::Bool(false), None, span));
                let ty = self.expect_num(t, s, &format!("the argument of `{}`", f.node));
                let func = match f.node.as_str() {
                    "floor" => Func::Floor,
                    "ceil" => Func::Ceil,
                    _ => Func::Abs,
                };
                (Expr::Call(func, exprs), ty)
            }
            "round" => {
                if !arity(self, "a number and a number of decimal places", n == 2) {
                    return (Expr::Bool(false), None);
                }
                let (_, t, s) = lowered
                    .first()
                    .cloned()
                    .unwrap_or((Expr::Bool(false), None, span));
                let ty = self.expect_num(t, s, "the first argument of `round`");
                let places_ok = exprs.get(1).and_then(const_num).is_some_and(|p| {
                    p >= Decimal::ZERO && p <= Decimal::from(10) && p.fract().is_zero()
                });
                if !places_ok {
                    self.err(
                        Diagnostic::error(
                            Code::BadNumber,
                            "`round` needs a whole number of places from 0 to 10",
                        )
                        .label(
                            lowered.get(1).map(|l| l.2).unwrap_or(span),
                            "not a whole number from 0 to 10",
                        )
                        .help("write e.g. `round(x, 2)`"),
                    );
                }
                (Expr::Call(Func::Round, exprs), ty)
            }
            "count" => {
                if !arity(self, "a list", n == 1) {
                    return (Expr::Bool(false), None);
                }
                if let Some((_, Some(t), s)) = lowered.first() {
                    if !matches!(t, Type::List(_) | Type::Group(_, _)) {
                        self.err(
                            Diagnostic::error(Code::TypeMismatch, "`count` needs a list")
                                .label(*s, format!("this is {}", t.describe()))
                                .help("count a list, or `count(x in list where condition)`"),
                        );
                    }
                }
                (Expr::Call(Func::Count, exprs), num(Unit::Count))
            }
            "sorted" | "gaps" => {
                if !arity(self, "a list", n == 1) {
                    return (Expr::Bool(false), None);
                }
                let elem = match lowered.first() {
                    Some((_, Some(Type::List(inner)), _))
                        if matches!(**inner, Type::Date | Type::Num(_)) =>
                    {
                        Some((**inner).clone())
                    }
                    Some((_, Some(t), s)) => {
                        self.err(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!("`{}` needs a list of dates or numbers", f.node),
                            )
                            .label(*s, format!("this is {}", t.describe()))
                            .help("e.g. `gaps(road_check_dates)`"),
                        );
                        None
                    }
                    _ => None,
                };
                if f.node == "sorted" {
                    (
                        Expr::Call(Func::Sorted, exprs),
                        elem.map(|e| Type::List(Box::new(e))),
                    )
                } else {
                    let gap = match elem {
                        Some(Type::Date) => Some(Type::Num(Unit::Days)),
                        Some(Type::Num(Unit::Pct)) => Some(Type::Num(Unit::Pp)),
                        other => other,
                    };
                    (
                        Expr::Call(Func::Gaps, exprs),
                        gap.map(|g| Type::List(Box::new(g))),
                    )
                }
            }
            "ladder" => {
                if !arity(self, "a count and one or more amounts", n >= 2) {
                    return (Expr::Bool(false), None);
                }
                for (i, (_, t, s)) in lowered.iter().enumerate() {
                    let t = self.expect_num(t.clone(), *s, "each argument of `ladder`");
                    if i > 0 {
                        self.expect_amount(&t, *s);
                    }
                }
                (Expr::Call(Func::Ladder, exprs), num(Unit::Plain))
            }
            "rank" => {
                if !arity(self, "one number to rank the units by", n == 1) {
                    return (Expr::Bool(false), None);
                }
                if let Some((_, t, s)) = lowered.first() {
                    self.expect_num(t.clone(), *s, "what `rank` ranks by");
                }
                if self.in_rank || !self.locals.is_empty() {
                    self.err(
                        Diagnostic::error(Code::MisplacedRank, "`rank` cannot be used here")
                            .label(span, "inside another rank or a loop")
                            .help("rank units by a value computed from each unit's own inputs"),
                    );
                }
                let idx = self.ranks.len() as u32;
                self.ranks
                    .push(exprs.into_iter().next().unwrap_or(Expr::Num(Decimal::ZERO)));
                (Expr::Rank(idx), num(Unit::Rank))
            }
            "sum" | "any" | "all" => {
                self.err(
                    Diagnostic::error(Code::WrongArity, format!("`{}` works over a list", f.node))
                        .label(span, "no list given")
                        .help(format!(
                        "write `{}(x in list where condition)` or `sum(expression for x in list)`",
                        f.node
                    )),
                );
                (Expr::Bool(false), None)
            }
            other => {
                const FUNCS: [&str; 16] = [
                    "min", "max", "mean", "clamp", "floor", "ceil", "round", "abs", "count",
                    "sorted", "gaps", "ladder", "rank", "sum", "any", "all",
                ];
                let mut d =
                    Diagnostic::error(Code::UnknownName, format!("unknown function `{other}`"))
                        .label(f.span, "not a function of the language");
                d = match did_you_mean(other, FUNCS) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!("the functions are {}", FUNCS.join(", "))),
                };
                self.err(d);
                (Expr::Bool(false), None)
            }
        }
    }

    fn comprehension(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        func: &ast::Ident,
        body: &ast::Expr,
        fors: &[(ast::Ident, ast::Expr)],
        filter: Option<&ast::Expr>,
    ) -> (Expr, Ty) {
        let agg = match func.node.as_str() {
            "sum" => Agg::Sum,
            "max" => Agg::Max,
            "min" => Agg::Min,
            "count" => Agg::Count,
            "any" => Agg::Any,
            "all" => Agg::All,
            "mean" => Agg::Mean,
            other => {
                let mut d = Diagnostic::error(
                    Code::UnknownName,
                    format!("`{other}` cannot go over a list"),
                )
                .label(func.span, "not an aggregate");
                d = match did_you_mean(other, ["sum", "max", "min", "mean", "count", "any", "all"])
                {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("the aggregates are sum, max, min, mean, count, any and all"),
                };
                self.err(d);
                return (Expr::Bool(false), None);
            }
        };
        let base = self.locals.len();
        let mut loops = Vec::new();
        for (var, list) in fors {
            let (le, lt) = self.expr(ctx, list);
            let elem = match lt {
                Some(Type::List(inner)) => Some(*inner),
                Some(Type::Group(_, rec)) => Some(*rec),
                Some(t) => {
                    self.err(
                        Diagnostic::error(Code::TypeMismatch, "a loop needs a list")
                            .label(list.span, format!("this is {}", t.describe()))
                            .help(
                                "loop over a list input, `gaps(...)`, or `list grouped by field`",
                            ),
                    );
                    None
                }
                None => None,
            };
            let slot = self.locals.len() as u32;
            self.locals
                .push((var.node.clone(), elem.unwrap_or(Type::Bool)));
            self.max_locals = self.max_locals.max(self.locals.len() as u32);
            loops.push((slot, le));
        }
        let filter_e = filter.map(|f| {
            let (fe, ft) = self.expr(ctx, f);
            self.expect_bool(&ft, f.span, "a `where` condition");
            Box::new(fe)
        });
        let (be, bt) = self.expr(ctx, body);
        self.locals.truncate(base);
        let ty = match agg {
            Agg::Count | Agg::Any | Agg::All => {
                // `count(x in L)` counts elements; with a bool body it counts the true ones.
                if fors.len() == 1
                    && matches!(&body.node, ExprKind::Name(n) if fors.first().is_some_and(|(v, _)| &v.node == n))
                {
                    if agg != Agg::Count {
                        self.expect_bool(&bt, body.span, &format!("what `{}` tests", func.node));
                    }
                } else {
                    self.expect_bool(&bt, body.span, &format!("what `{}` tests", func.node));
                }
                if agg == Agg::Count {
                    num(Unit::Count)
                } else {
                    Some(Type::Bool)
                }
            }
            _ => self.expect_num(bt, body.span, &format!("what `{}` adds up", func.node)),
        };
        (
            Expr::Agg {
                agg,
                body: Box::new(be),
                loops,
                filter: filter_e,
            },
            ty,
        )
    }

    fn table_index(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        x: &ast::Expr,
        keys: &[ast::Expr],
        span: Span,
    ) -> (Expr, Ty) {
        let lowered: Vec<(Expr, Ty, Span)> = keys
            .iter()
            .map(|k| {
                let (e, t) = self.expr(ctx, k);
                (e, t, k.span)
            })
            .collect();
        let ExprKind::Name(name) = &x.node else {
            self.err(
                Diagnostic::error(
                    Code::TypeMismatch,
                    "only a table can be looked up with `[...]`",
                )
                .label(x.span, "not a table name")
                .help("declare a `table` and write `name[key]`"),
            );
            return (Expr::Bool(false), None);
        };
        let Some((idx, arity)) = self.tables.get(name).copied() else {
            let names: Vec<String> = self.tables.keys().cloned().collect();
            let mut d = Diagnostic::error(Code::UnknownName, format!("unknown table `{name}`"))
                .label(x.span, "no table by this name");
            d = match did_you_mean(name, names.iter().map(|s| s.as_str())) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("declare it with `table name { \"key\": value ... }`"),
            };
            self.err(d);
            return (Expr::Bool(false), None);
        };
        if lowered.len() != arity {
            self.err(
                Diagnostic::error(
                    Code::WrongArity,
                    format!("table `{name}` has {arity} key(s)"),
                )
                .label(span, format!("{} given", lowered.len()))
                .help("give one key per column of the table"),
            );
        }
        for (_, t, s) in &lowered {
            if let Some(t) = t {
                if !matches!(t, Type::Text | Type::Enum(_)) {
                    self.err(
                        Diagnostic::error(Code::TypeMismatch, "table keys are names")
                            .label(*s, format!("this is {}", t.describe()))
                            .help("look tables up by a name input or field"),
                    );
                }
            }
        }
        // Every combination of listed names should have a row.
        let enums: Option<Vec<Vec<String>>> = lowered
            .iter()
            .map(|(_, t, _)| match t {
                Some(Type::Enum(n)) => Some(n.clone()),
                _ => None,
            })
            .collect();
        if let (Some(enums), Some(decl)) = (enums, ctx.file.tables.get(idx as usize)) {
            // A row of the wrong shape is reported as such (`table_shape`):
            // the rows it was meant to be would be reported missing.
            if enums.len() == arity && decl.rows.iter().all(|r| r.keys.len() == arity) {
                let mut missing = Vec::new();
                let mut combos: Vec<Vec<String>> = vec![Vec::new()];
                for names in &enums {
                    combos = combos
                        .into_iter()
                        .flat_map(|c| {
                            names.iter().map(move |n| {
                                let mut c = c.clone();
                                c.push(n.clone());
                                c
                            })
                        })
                        .collect();
                }
                for c in combos {
                    let has = decl
                        .rows
                        .iter()
                        .any(|r| r.keys.iter().map(|k| &k.node).eq(c.iter()));
                    if !has {
                        missing.push(c.join(", "));
                    }
                }
                if !missing.is_empty() {
                    self.err(
                        Diagnostic::warning(
                            Code::TableGap,
                            format!("table `{name}` has no row for {}", missing.join("; ")),
                        )
                        .label(span, "such a lookup gives 0")
                        .label(decl.name.span, "table declared here")
                        .help("add the missing rows, with 0 where the document gives nothing"),
                    );
                }
            }
        }
        (
            Expr::Table(idx, lowered.into_iter().map(|(e, _, _)| e).collect()),
            num(Unit::Plain),
        )
    }

    fn tiers(
        &mut self,
        ctx: &mut ExprCtx<'_>,
        subject: &ast::Expr,
        tiers: &[ast::Tier],
    ) -> (Expr, Ty) {
        let (se, st) = self.expr(ctx, subject);
        let mut out = Vec::new();
        let mut amount_ty: Ty = None;
        let mut bands: Vec<Band> = Vec::new();
        let mut has_else = false;
        let mut interval_style = false;
        // An empty band is the one mistake to report: the overlaps and gaps
        // it would cause are not checked.
        let mut empty_band = false;
        let mut else_span: Option<Span> = None;
        for t in tiers {
            if let Some(first) = else_span {
                self.err(
                    Diagnostic::warning(
                        Code::DeadTier,
                        "this tier comes after `else` and never applies",
                    )
                    .label(t.span, "never reached")
                    .label(first, "`else` holds for everything left")
                    .help("put `else` last: tiers are tried in order and `else` always holds"),
                );
            }
            if matches!(t.band, ast::Band::Else) && else_span.is_none() {
                else_span = Some(t.span);
            }
            let mut bound = |c: &mut Self, e: &ast::Expr| -> (Expr, Option<Decimal>) {
                let (be, bt) = c.expr(ctx, e);
                if let (Some(s), Some(b)) = (st.clone(), bt) {
                    c.unify(s, b, e.span, "a tier's bound and what it measures");
                }
                let v = const_num(&be);
                (be, v)
            };
            let band = match &t.band {
                ast::Band::Else => {
                    has_else = true;
                    ir::BandDef::Else
                }
                ast::Band::Cmp(op, e) => {
                    let (be, v) = bound(self, e);
                    let (lo, hi) = match (op, v) {
                        (CmpOp::Gt, Some(v)) => (Some((v, false)), None),
                        (CmpOp::Ge, Some(v)) => (Some((v, true)), None),
                        (CmpOp::Lt, Some(v)) => (None, Some((v, false))),
                        (CmpOp::Le, Some(v)) => (None, Some((v, true))),
                        (CmpOp::Eq, Some(v)) => (Some((v, true)), Some((v, true))),
                        _ => (None, None),
                    };
                    if v.is_some() && *op != CmpOp::Ne {
                        bands.push((lo, hi, t.span));
                    }
                    ir::BandDef::Cmp(*op, be)
                }
                ast::Band::Interval {
                    lo,
                    lo_closed,
                    hi,
                    hi_closed,
                } => {
                    interval_style = true;
                    let (le, lv) = bound(self, lo);
                    let (he, hv) = bound(self, hi);
                    if let (Some(l), Some(h)) = (lv, hv) {
                        if l > h || (l == h && !(*lo_closed && *hi_closed)) {
                            empty_band = true;
                            let (label, help) = if l > h {
                                (
                                    "its first bound is above its second",
                                    format!(
                                        "write the lower bound first: `{}{}, {}{}`",
                                        if *lo_closed { '[' } else { '(' },
                                        self.snippet(hi.span),
                                        self.snippet(lo.span),
                                        if *hi_closed { ']' } else { ')' },
                                    ),
                                )
                            } else {
                                (
                                    "both bounds are the same, and one end is left out",
                                    format!(
                                        "write `= {}` for the one value, or widen the interval",
                                        self.snippet(lo.span)
                                    ),
                                )
                            };
                            self.err(
                                Diagnostic::error(Code::EmptyTier, "this tier holds no value")
                                    .label(t.span, label)
                                    .help(help),
                            );
                        }
                        bands.push((Some((l, *lo_closed)), Some((h, *hi_closed)), t.span));
                    }
                    ir::BandDef::Interval {
                        lo: le,
                        lo_closed: *lo_closed,
                        hi: he,
                        hi_closed: *hi_closed,
                    }
                }
            };
            let (ae, at) = self.expr(ctx, &t.amount);
            amount_ty = match (amount_ty, at) {
                (Some(a), Some(b)) => Some(self.unify(a, b, t.amount.span, "the tiers' amounts")),
                (a, b) => a.or(b),
            };
            out.push(ir::TierDef { band, amount: ae });
        }
        let integral = matches!(&st, Some(Type::Num(u)) if u.is_integral());
        if !empty_band {
            self.check_bands(&bands, has_else, interval_style, integral);
        }
        (
            Expr::Tiers(Box::new(se), out),
            amount_ty.or(num(Unit::Plain)),
        )
    }

    /// Overlaps and gaps between interval tiers; tiers that earlier ones
    /// already cover entirely (first match wins, so they never apply).
    fn check_bands(
        &mut self,
        bands: &[Band],
        has_else: bool,
        interval_style: bool,
        integral: bool,
    ) {
        for (i, (lo, hi, s)) in bands.iter().enumerate() {
            for (plo, phi, ps) in bands.iter().take(i) {
                if covers(*plo, *phi, *lo, *hi) {
                    self.err(
                        Diagnostic::warning(Code::TierUnreachable, "this tier never applies")
                            .label(*s, "every value it holds is taken by an earlier tier")
                            .label(*ps, "this earlier tier comes first")
                            .help("tiers are tried in order and the first that holds wins: put the narrower tier first"),
                    );
                    break;
                }
                if interval_style && overlaps(*plo, *phi, *lo, *hi) {
                    self.err(
                        Diagnostic::warning(Code::TierOverlap, "these tiers overlap")
                            .label(*s, "this tier")
                            .label(*ps, "shares values with this one")
                            .help("make the ends meet without overlapping, e.g. `[500, 1000]` then `(1000, 2000]`"),
                    );
                }
            }
        }
        if interval_style && !has_else {
            let mut sorted: Vec<_> = bands
                .iter()
                .filter(|(l, h, _)| l.is_some() && h.is_some())
                .collect();
            sorted.sort_by(|a, b| a.0.map(|x| x.0).cmp(&b.0.map(|x| x.0)));
            for pair in sorted.windows(2) {
                let (Some(a), Some(b)) = (pair.first(), pair.get(1)) else {
                    continue;
                };
                if let (Some((ahi, ac)), Some((blo, bc))) = (a.1, b.0) {
                    // Whole numbers have nothing between 3 and 4.
                    let adjacent_whole = integral
                        && ac
                        && bc
                        && ahi.fract().is_zero()
                        && blo.fract().is_zero()
                        && ahi + Decimal::ONE == blo;
                    let gap = (ahi < blo && !adjacent_whole) || (ahi == blo && !ac && !bc);
                    if gap {
                        self.err(
                            Diagnostic::warning(
                                Code::TierGap,
                                format!("no tier holds values between {ahi} and {blo}"),
                            )
                            .label(b.2, "this tier starts after a gap")
                            .help("close the gap, or add `else: 0` if values there score nothing"),
                        );
                    }
                }
            }
        }
    }
}

fn lower_le(a: Option<(Decimal, bool)>, b: Option<(Decimal, bool)>) -> bool {
    // Is lower bound a at most lower bound b (a starts no later than b)?
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((x, xc)), Some((y, yc))) => x < y || (x == y && (xc || !yc)),
    }
}

fn upper_ge(a: Option<(Decimal, bool)>, b: Option<(Decimal, bool)>) -> bool {
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((x, xc)), Some((y, yc))) => x > y || (x == y && (xc || !yc)),
    }
}

fn covers(
    plo: Option<(Decimal, bool)>,
    phi: Option<(Decimal, bool)>,
    lo: Option<(Decimal, bool)>,
    hi: Option<(Decimal, bool)>,
) -> bool {
    lower_le(plo, lo) && upper_ge(phi, hi)
}

fn overlaps(
    alo: Option<(Decimal, bool)>,
    ahi: Option<(Decimal, bool)>,
    blo: Option<(Decimal, bool)>,
    bhi: Option<(Decimal, bool)>,
) -> bool {
    let before = |hi: Option<(Decimal, bool)>, lo: Option<(Decimal, bool)>| match (hi, lo) {
        (Some((h, hc)), Some((l, lc))) => h < l || (h == l && !(hc && lc)),
        _ => false,
    };
    !(before(ahi, blo) || before(bhi, alo))
}

pub(crate) struct ExprCtx<'f> {
    pub file: &'f ast::File,
}

fn string_literal(e: &ast::Expr) -> Option<&str> {
    match &e.node {
        ExprKind::Str(s) => Some(s),
        _ => None,
    }
}

/// Units of a sum or difference, or `None` when they do not mix.
pub(crate) fn add_units(a: Unit, b: Unit, sub: bool) -> Option<Unit> {
    use Unit::*;
    Some(match (a, b) {
        (Pct, Pct) if sub => Pp,
        (Pct, Pp) | (Pp, Pct) => Pct,
        (x, y) if x == y => x,
        (Plain, y) => y,
        (x, Plain) => x,
        (Count, Points) | (Points, Count) => Points,
        _ => return None,
    })
}

fn mul_units(a: Unit, b: Unit) -> Option<Unit> {
    use Unit::*;
    Some(match (a, b) {
        (Rank, _) | (_, Rank) => return None,
        (Plain | Ratio, Ratio) | (Ratio, Plain) => Ratio,
        (Plain | Ratio, y) => y,
        (x, Plain | Ratio) => x,
        (Count, y) => y,
        (x, Count) => x,
        _ => return None,
    })
}

fn div_units(a: Unit, b: Unit) -> Option<Unit> {
    use Unit::*;
    Some(match (a, b) {
        (Rank, _) | (_, Rank) => return None,
        (Plain, Plain) => Plain,
        // Like by like: a ratio (good days / all days, done / task).
        (x, y) if x == y => Ratio,
        (x, Plain | Ratio) => x,
        (x, Count) => x,
        (Pp, Pct) | (Pct, Pp) => Plain,
        _ => return None,
    })
}

/// Whether dividing by `d` always gives a terminating decimal: its digits,
/// without the decimal point, are made of 2s and 5s only (0.5, 4, 100).
fn terminating_divisor(d: Decimal) -> bool {
    let mut m = d.normalize().mantissa().unsigned_abs();
    if m == 0 {
        return false;
    }
    for p in [2, 5] {
        while m.is_multiple_of(p) {
            m /= p;
        }
    }
    m == 1
}

/// Why a parameter value breaks its type's range, if it does.
fn range_violation(ty: &Type, range: &[(CmpOp, Decimal)], v: Decimal) -> Option<String> {
    if let Type::Num(u) = ty {
        if let Some(min) = u.intrinsic_min() {
            if v < min {
                return Some(format!("{} cannot be below {min}", u.name()));
            }
        }
        if u.is_integral() && !v.fract().is_zero() {
            return Some(format!("{} must be a whole number", u.name()));
        }
    }
    for (op, b) in range {
        let ok = match op {
            CmpOp::Eq => v == *b,
            CmpOp::Ne => v != *b,
            CmpOp::Lt => v < *b,
            CmpOp::Le => v <= *b,
            CmpOp::Gt => v > *b,
            CmpOp::Ge => v >= *b,
        };
        if !ok {
            return Some(format!("must be {} {b}", op.symbol()));
        }
    }
    None
}

pub(crate) use Slot as InputSlot;

impl Checker<'_> {
    pub(crate) fn diag(&mut self, d: Diagnostic) {
        self.err(d);
    }
    pub(crate) fn lower_expr(&mut self, file: &ast::File, e: &ast::Expr) -> (Expr, Ty) {
        self.expr_in(file, e)
    }
    /// Whether `e` may be a decimal that does not terminate (1/3): it
    /// divides by something other than a constant of 2s and 5s, or takes a
    /// mean, and nothing rounds it.
    pub(crate) fn may_not_terminate(&self, e: &Expr) -> bool {
        let mut stack = vec![e];
        let mut seen_lets = BTreeSet::new();
        while let Some(x) = stack.pop() {
            match x {
                Expr::Bin(BinOp::Div, a, b) => {
                    match const_num(b) {
                        Some(d) if terminating_divisor(d) => {}
                        _ => return true,
                    }
                    stack.push(a);
                }
                Expr::Agg { agg: Agg::Mean, .. } => return true,
                Expr::Across(i)
                    if self
                        .across
                        .get(*i as usize)
                        .is_some_and(|a| a.func == ir::AcrossFn::Mean) =>
                {
                    return true;
                }
                Expr::Call(Func::Round | Func::Floor | Func::Ceil, _) => {}
                Expr::Let(i) if seen_lets.insert(*i) => {
                    if let Some(Some(l)) = self.lets.get(*i as usize) {
                        stack.push(&l.expr);
                    }
                }
                Expr::Bin(_, a, b) => stack.extend([&**a, &**b]),
                Expr::Neg(a) | Expr::Not(a) => stack.push(a),
                Expr::If(c, a, b) => stack.extend([&**c, &**a, &**b]),
                Expr::Call(_, args) | Expr::List(args) => stack.extend(args.iter()),
                Expr::Agg { body, loops, .. } => {
                    stack.push(body);
                    stack.extend(loops.iter().map(|(_, l)| l));
                }
                Expr::Tiers(s, tiers) => {
                    stack.push(s);
                    stack.extend(tiers.iter().map(|t| &t.amount));
                }
                _ => {}
            }
        }
        false
    }

    /// What `e` can be where `cond` holds, from the declared ranges.
    pub(crate) fn bound_where(&self, e: &Expr, cond: Option<&Expr>) -> crate::bounds::Interval {
        let mut env = crate::bounds::Env::new(
            &self.input_bounds,
            &self.global_bounds,
            &self.param_bounds,
            &self.lets,
            &self.table_defs,
            &self.across,
        );
        env.bound_where(e, cond)
    }
    pub(crate) fn describe_span(&self, span: Span) -> String {
        self.snippet(span)
    }
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.line_of(offset)
    }
}

/// "1 key", "2 keys".
fn keys(n: usize) -> String {
    if n == 1 {
        "1 key".to_string()
    } else {
        format!("{n} keys")
    }
}
