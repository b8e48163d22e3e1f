//! Checking: syntax tree → IR, with every problem found in one run.
//!
//! Resolves names to slots, checks types and units of measure, resolves node
//! targets (`off 5.1..5.4`, `to total`), infers and checks points (an item's
//! points are the sum of its parts, a cap never exceeds what it can take),
//! checks tiers for overlaps, gaps and dead bands, and warns of unused
//! inputs. The IR is produced only when there is no error; warnings ride
//! along either way.
//!
//! This file holds the entry point and the declarations (inputs, globals,
//! parameters, tables, derived values, grades, the year); expressions are
//! checked in `expr`, calls and aggregates in `calls`, tiers in `tiers`
//! (modules of this one, so that the checker's state stays its own), the
//! table's tree in `check_nodes` and tests in `check_tests`.

use crate::ast::{self, BinOp, CmpOp, Span};
use expr::ExprCtx;

mod calls;
pub(crate) mod expr;
mod tiers;
use crate::diag::{Code, Diagnostic};
pub(crate) use crate::ir::const_num;
use crate::ir::{self, Agg, Expr, Func, Type, Unit};
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
