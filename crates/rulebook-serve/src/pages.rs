//! The pages, rendered on the server (maud): home, a rulebook, the editor,
//! scoring results, a unit. Chinese, self-contained, printable.

use crate::api::{self, OutFormat};
use crate::files::version;
use crate::gains::gains;
use crate::guard::error;
use crate::results::Scored;
use crate::scoring::{self, Failure};
use crate::State;
use axum::body::Body;
use axum::extract::{Path, Request};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, DOCTYPE};
use rulebook_eval::eval::{Detail, UnitResult};
use rulebook_lang::ir::{NodeKind, Program, Type};
use rulebook_office::layout::{kind_words, measure, range_words};
use rulebook_report::official::{self, item_score, notes};
use rulebook_report::reason::reason;
use rulebook_report::{fmt_dec, markdown::is_under};
use rust_decimal::Decimal;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/", get(home))
        .route("/rulebooks/{name}", get(rulebook))
        .route("/rulebooks/{name}/edit", get(editor))
        .route("/rulebooks/{name}/score", post(score))
        .route("/results/{id}", get(results))
        .route("/results/{id}/units/{unit}", get(unit))
        .route("/results/{id}/download/{format}", get(download))
}

fn layout(title: &str, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="zh-CN" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · 考核规则工作台" }
                    link rel="stylesheet" href="/static/style.css";
                }
                body {
                    header.top {
                        a.brand href="/" { "考核规则工作台" }
                        a href="/" { "规则集" }
                        a href="javascript:window.print()" { "打印本页" }
                    }
                    main { (body) }
                    script src="/static/app.js" {}
                }
            }
        }
        .into_string(),
    )
}

/// A page that only says something (errors, notices).
pub fn message_page(title: &str, message: &str) -> Html<String> {
    layout(
        title,
        html! {
            h1 { (title) }
            p { (message) }
            p { a href="/" { "回到首页" } }
        },
    )
}

pub fn login(failed: bool) -> Html<String> {
    layout(
        "登录",
        html! {
            div.login.card {
                h1 { "登录" }
                p { "这个工作台需要口令。请输入启动服务时设置的口令（--token）。" }
                @if failed { p.bad { "口令不对，请再试一次。" } }
                form method="post" action="/login" {
                    p { input type="password" name="token" autofocus required style="width:100%"; }
                    button type="submit" { "登录" }
                }
            }
        },
    )
}

fn url(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn points(p: Option<Decimal>, bonus: bool) -> String {
    match p {
        Some(p) => format!("{} 分", fmt_dec(p)),
        None if bonus => "加分".to_owned(),
        None => "扣分项".to_owned(),
    }
}

async fn home(axum::extract::State(state): axum::extract::State<State>) -> Response {
    let list = match api::all_info(&state).await {
        Ok(l) => l,
        Err(f) => return error(f.status(), "/", f.summary()),
    };
    layout(
        "规则集",
        html! {
            h1 { "考核规则集" }
            p.sub { "文件夹 " code { (state.files.dir().display()) } " 中的规则集。"
                @if state.edit { "（可编辑）" } }
            @if list.is_empty() {
                p.bad { "这个文件夹里没有 .rules 文件。" }
            } @else {
                table {
                    thead { tr {
                        th { "规则集" } th { "文号" } th.num { "分值" } th.num { "指标" }
                        th.num { "条款" } th.num { "输入项" } th { "检查" } th.noprint { "操作" }
                    } }
                    tbody {
                        @for r in &list {
                            tr {
                                td {
                                    a href={ "/rulebooks/" (url(&r.name)) } {
                                        @if r.title.is_empty() { (r.name) } @else { (r.title) }
                                    }
                                    br; span.muted { (r.name) ".rules" }
                                }
                                td { (r.document) }
                                td.num { (r.points.clone().unwrap_or_default()) }
                                td.num { (r.items) }
                                td.num { (r.clauses) }
                                td.num { (r.inputs) }
                                td {
                                    @if r.ok {
                                        span.ok { "✓ 通过" }
                                        @if r.warnings > 0 { " " span.warn { (r.warnings) " 个警告" } }
                                    } @else {
                                        span.bad { "✗ " (r.errors) " 个错误" }
                                        @if let Some(e) = &r.first_error { br; span.muted { "第 " (e) } }
                                    }
                                }
                                td.noprint {
                                    a href={ "/rulebooks/" (url(&r.name)) } { "打开" }
                                    @if state.edit { " · " a href={ "/rulebooks/" (url(&r.name)) "/edit" } { "编辑" } }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "怎样评分" }
            ol {
                li { "打开一个规则集，下载数据模板（Excel 工作簿）。" }
                li { "在模板中为每个被考核单位填写数据。" }
                li { "在规则集页面上传填好的工作簿（也可以是 JSON 文件或 CSV 文件的 zip）。" }
                li { "查看排名和每个单位的得失分原因、可挽回的分数，下载正式考核表（XLSX）。" }
            }
        },
    )
    .into_response()
}

async fn rulebook(
    axum::extract::State(state): axum::extract::State<State>,
    Path(name): Path<String>,
) -> Response {
    let path = format!("/rulebooks/{name}");
    let program = match scoring::program(&state, &name).await {
        Ok(p) => p,
        Err(Failure::Rulebook(diags)) => return broken(&state, &name, &diags),
        Err(f) => return api::failure_response(&path, f),
    };
    layout(&program.title, rulebook_body(&state, &name, &program)).into_response()
}

/// A rulebook that does not check: its errors, and the way to the editor.
fn broken(state: &State, name: &str, diags: &[scoring::DiagOut]) -> Response {
    let body = html! {
        h1 { (name) ".rules" }
        p.bad { "这个规则集有错误，修正之前不能用来评分：" }
        ul.errors {
            @for d in diags.iter().filter(|d| d.severity == "error") {
                li { "第 " (d.line) " 行第 " (d.column) " 列 " code { (d.code) } "：" (d.message)
                    @if let Some(h) = &d.help { br; span.muted { "提示：" (h) } } }
            }
        }
        @if state.edit { p { a.button href={ "/rulebooks/" (url(name)) "/edit" } { "在编辑器中修改" } } }
    };
    (StatusCode::CONFLICT, layout(name, body)).into_response()
}

fn rulebook_body(state: &State, name: &str, program: &Program) -> Markup {
    let n = url(name);
    let sections = official::sections(program);
    html! {
        h1 { (program.title) }
        p.sub { (program.document) " · " (name) ".rules"
            @if let Some(p) = program.nodes.first().and_then(|r| r.points) { " · 满分 " (fmt_dec(p)) " 分" } }
        div.cards.noprint {
            div.card {
                h3 { "1. 下载数据模板" }
                p { "模板列出每个输入项：名称、类型、单位、取值范围和用到它的条款。" }
                p.downloads {
                    a.button href={ "/api/template?rulebook=" (n) "&format=xlsx" } { "Excel 工作簿（xlsx）" }
                    a.button.light href={ "/api/template?rulebook=" (n) "&format=csv" } { "CSV 文件（zip）" }
                    a.button.light href={ "/api/template?rulebook=" (n) "&format=json" } { "JSON" }
                }
            }
            div.card {
                h3 { "2. 上传填好的数据并评分" }
                form method="post" action={ "/rulebooks/" (n) "/score" } enctype="multipart/form-data" {
                    p { input type="file" name="data" required accept=".xlsx,.xlsm,.xls,.ods,.json,.zip,.csv"; }
                    button type="submit" { "上传并评分" }
                }
                p.muted { "数据有错时会列出每个错误的位置（如 units!D7），并且不评分。" }
            }
            @if state.edit {
                div.card {
                    h3 { "编辑规则" }
                    p { "修改规则集，边写边检查，运行测试，保存（保留上一版）。" }
                    a.button.light href={ "/rulebooks/" (n) "/edit" } { "打开编辑器" }
                }
            }
        }
        h2 { "考核表" }
        table {
            thead { tr { th { "编号" } th { "指标 / 计分标准（原文）" } th.num { "分值" } th { "考核单位" } th { "规则" } } }
            tbody {
                @for s in &sections {
                    tr { th colspan="5" { (s.label)
                        @if let Some(p) = s.points { "（" (fmt_dec(p)) " 分）" }
                        @if let Some(c) = s.cap { "（加分上限 " (fmt_dec(c)) " 分）" } } }
                    @for it in &s.items {
                        tr {
                            td { b { (it.id) } }
                            td { b { (it.label) } }
                            td.num { (points(it.points, s.bonus)) }
                            td { (program.node(it.node).map(|d| d.by.join("、")).unwrap_or_default()) }
                            td {}
                        }
                        @for x in under(program, it.node) {
                            @if let Some(d) = program.node(x) {
                                @if !d.rules.is_empty() || (x != it.node && !d.text.is_empty()) {
                                    tr {
                                        td.muted { (d.id) }
                                        td.sentence { (official::citation(program, x)) }
                                        td.num { @if x != it.node { @if let Some(p) = d.points { (fmt_dec(p)) } } }
                                        td { @if x != it.node { (d.by.join("、")) } }
                                        td.rule { @for r in &d.rules { (r.source) "\n" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "输入项" }
        p.muted { "每个被考核单位要填写的数据（模板中的列）。" }
        (inputs_table(program))
    }
}

/// Node `i` and every node under it, in document order.
fn under(program: &Program, i: u32) -> Vec<u32> {
    let mut out = vec![i];
    let mut k = 0;
    while let Some(&x) = out.get(k) {
        if let Some(d) = program.node(x) {
            out.extend(d.children.iter().copied());
        }
        k += 1;
    }
    out.sort_unstable();
    out
}

fn inputs_table(program: &Program) -> Markup {
    let rows = program
        .globals
        .iter()
        .map(|d| (d, "全部单位共用"))
        .chain(program.inputs.iter().map(|d| (d, "")))
        .chain(
            program
                .params
                .iter()
                .map(|p| (&p.input, "参数（各单位目标值）")),
        );
    html! {
        table {
            thead { tr { th { "编号" } th { "名称" } th { "类型" } th { "单位" } th { "取值范围" } th { "必填" } th { "用于条款" } } }
            tbody {
                @for (d, note) in rows {
                    tr {
                        td { code { (d.name) } }
                        td { (d.label) @if !note.is_empty() { br; span.muted { (note) } } }
                        td { (kind_words(&d.ty))
                            @if let Type::Enum(names) = &d.ty { br; span.muted { (names.join(" / ")) } } }
                        td { (measure(&d.ty)) }
                        td { (range_words(&d.ty, &d.range)) }
                        td { @if d.optional { "可空" } @else { "必填" } }
                        td { (d.used_by.join("、")) }
                    }
                }
            }
        }
    }
}

async fn editor(
    axum::extract::State(state): axum::extract::State<State>,
    Path(name): Path<String>,
) -> Response {
    let path = format!("/rulebooks/{name}/edit");
    if !state.edit {
        return error(
            StatusCode::FORBIDDEN,
            &path,
            "编辑功能未开启：请用 `rulebook serve --edit` 启动服务。".to_owned(),
        );
    }
    let text = match state.files.read(&name) {
        Ok(t) => t,
        Err(e) => return api::file_failure(&path, e),
    };
    let others: Vec<String> = state
        .files
        .names()
        .into_iter()
        .filter(|n| *n != name)
        .collect();
    let body = html! {
        h1 { "编辑 " (name) ".rules" }
        div.toolbar {
            span #status { "检查中…" }
            button #format.light type="button" { "格式化" }
            button #test.light type="button" { "运行测试" }
            button #save type="button" { "保存" }
            span { "与 "
                select #against {
                    @for o in &others { option value=(o) { (o) } }
                    option value=(name) { (name) "（已保存的版本）" }
                }
                " " button #diff.light type="button" { "对比" } }
            a href={ "/rulebooks/" (url(&name)) } { "查看规则集" }
        }
        div.editor {
            div.code {
                pre #gutter.gutter { "1" }
                textarea #source spellcheck="false" data-name=(name) data-version=(version(&text)) { (text) }
            }
            div.side {
                h3 { "检查结果" }
                ul #diags.diags {}
                h3 { "输出" }
                pre #output { "格式化、测试、保存和对比的结果显示在这里。" }
            }
        }
        script src="/static/editor.js" {}
    };
    layout(&format!("编辑 {name}"), body).into_response()
}

async fn score(
    axum::extract::State(state): axum::extract::State<State>,
    Path(name): Path<String>,
    req: Request<Body>,
) -> Response {
    let path = format!("/rulebooks/{name}/score");
    let (file_name, bytes) = match api::upload(&state, req, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match scoring::score(&state, &name, file_name.clone(), bytes).await {
        Ok((program, batch, units)) => {
            let id = state.results.new_id(units.len());
            state.results.put(Scored {
                id: id.clone(),
                rulebook: name,
                file_name,
                program,
                batch,
                units,
            });
            Redirect::to(&format!("/results/{id}")).into_response()
        }
        Err(Failure::Data(errors)) => {
            let body = html! {
                h1 { "数据有错误，没有评分" }
                p.sub { "文件 " code { (file_name) } " 中有 " (errors.len()) " 处错误。请在文件中改正后重新上传。" }
                table {
                    thead { tr { th { "位置" } th { "单位" } th { "输入项" } th { "问题" } } }
                    tbody {
                        @for e in &errors {
                            tr {
                                td { code { (e.location) } }
                                td { (e.unit.clone().unwrap_or_default()) }
                                td { (e.field.clone().unwrap_or_default()) }
                                td { (e.message) @if let Some(h) = &e.help { br; span.muted { "提示：" (h) } } }
                            }
                        }
                    }
                }
                p { a.button href={ "/rulebooks/" (url(&name)) } { "返回重新上传" } }
            };
            (StatusCode::UNPROCESSABLE_ENTITY, layout("数据有错误", body)).into_response()
        }
        Err(Failure::Rulebook(d)) => broken(&state, &name, &d),
        Err(f) => api::failure_response(&path, f),
    }
}

fn find(state: &State, id: &str) -> Result<Arc<Scored>, Response> {
    state.results.get(id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "/results",
            "找不到这次评分的结果（服务重启或结果太旧时会被清除）。请重新上传数据。".to_owned(),
        )
    })
}

/// The totals as a bar chart (SVG, drawn here), largest first.
fn chart(units: &[&UnitResult]) -> Markup {
    const SHOWN: usize = 60;
    const WIDTH: i64 = 560;
    let max = units
        .iter()
        .map(|u| u.total)
        .max()
        .unwrap_or(Decimal::ONE)
        .max(Decimal::ONE);
    let shown: Vec<&&UnitResult> = units.iter().take(SHOWN).collect();
    let row = 22;
    let height = row * shown.len() + 10;
    html! {
        svg.chart role="img" aria-label="各单位总分" width="100%" viewBox={ "0 0 820 " (height) } {
            @for (k, u) in shown.iter().enumerate() {
                @let y = k * row + 4;
                @let w = u.total.max(Decimal::ZERO).checked_mul(Decimal::from(WIDTH)).and_then(|x| x.checked_div(max)).unwrap_or_default().round();
                text x="150" y=(y + 14) text-anchor="end" { (u.unit) }
                rect class=(if u.vetoes.is_empty() { "bar" } else { "bar veto" }) x="160" y=(y) width=(w) height="16" {}
                text x=(w + Decimal::from(166)) y=(y + 13) { (fmt_dec(u.total))
                    @if !u.vetoes.is_empty() { " （一票否决）" } }
            }
        }
        @if units.len() > SHOWN { p.muted { "图中只画出前 " (SHOWN) " 名；全部单位见下表。" } }
    }
}

async fn results(
    axum::extract::State(state): axum::extract::State<State>,
    Path(id): Path<String>,
) -> Response {
    let s = match find(&state, &id) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut ranked: Vec<&UnitResult> = s.units.iter().collect();
    ranked.sort_by_key(|u| u.rank);
    let body = html! {
        h1 { "评分结果：" (s.program.title) }
        p.sub { "数据文件 " code { (s.file_name) } " · " (s.units.len()) " 个单位 · 规则集 "
            a href={ "/rulebooks/" (url(&s.rulebook)) } { (s.rulebook) } }
        p.downloads.noprint {
            "下载："
            a.button href={ "/results/" (id) "/download/xlsx" } { "正式考核表（XLSX）" }
            a.button.light href={ "/results/" (id) "/download/html" } { "HTML 报告" }
            a.button.light href={ "/results/" (id) "/download/csv" } { "CSV" }
            a.button.light href={ "/results/" (id) "/download/json" } { "JSON" }
        }
        h2 { "总分" }
        (chart(&ranked))
        h2 { "排名" }
        p.muted.noprint { "点击表头可排序；点击单位名称查看得失分原因和可挽回的分数。" }
        table.sortable #ranking {
            thead { tr {
                th.sort.num { "排名" } th.sort { "单位" } th.sort.num { "总分" } th.sort.num { "基础得分" }
                th.sort.num { "从总分扣减" } th.sort.num { "加分" } th.sort { "等次" } th.sort { "一票否决" }
            } }
            tbody {
                @for u in &ranked {
                    tr {
                        td.num { (u.rank) }
                        td { a href={ "/results/" (id) "/units/" (url(&u.unit)) } { (u.unit) } }
                        td.num { (fmt_dec(u.total)) }
                        td.num { (fmt_dec(u.base)) }
                        td.num { (fmt_dec(u.total_deductions)) }
                        td.num { (fmt_dec(u.bonus)) }
                        td { (u.grade) }
                        td { (u.veto_ids("、")) }
                    }
                }
            }
        }
    };
    layout("评分结果", body).into_response()
}

fn signed(d: Decimal) -> String {
    if d > Decimal::ZERO {
        format!("+{}", fmt_dec(d))
    } else if d < Decimal::ZERO {
        format!("−{}", fmt_dec(-d))
    } else {
        "0".to_owned()
    }
}

/// Points an item lost: below its points, plus what it sent off the total.
fn item_lost(program: &Program, u: &UnitResult, i: u32) -> Decimal {
    let score = u.nodes.get(i as usize).cloned().unwrap_or_default();
    let below = match program.node(i) {
        Some(n) if !n.bonus => n
            .points
            .map_or(Decimal::ZERO, |p| (p - score.score).max(Decimal::ZERO)),
        _ => Decimal::ZERO,
    };
    below + score.to_total
}

async fn unit(
    axum::extract::State(state): axum::extract::State<State>,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    let s = match find(&state, &id) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(index) = s.units.iter().position(|u| u.unit == name) else {
        return error(
            StatusCode::NOT_FOUND,
            "/results",
            format!("这次评分中没有单位“{name}”。"),
        );
    };
    let s2 = s.clone();
    let found = scoring::blocking(move || {
        let u = s2.units.get(index)?;
        Some(gains(&s2.program, &s2.batch, index, u))
    })
    .await;
    let gained = match found {
        Ok(g) => g.unwrap_or_default(),
        Err(f) => return api::failure_response("/results", f),
    };
    let Some(u) = s.units.get(index) else {
        return error(
            StatusCode::NOT_FOUND,
            "/results",
            "没有这个单位。".to_owned(),
        );
    };
    let p = &s.program;
    let items: Vec<u32> = (0..p.nodes.len() as u32)
        .filter(|i| p.node(*i).is_some_and(|n| n.kind == NodeKind::Item))
        .collect();
    let mut losing: Vec<(u32, Decimal)> = items
        .iter()
        .map(|i| (*i, item_lost(p, u, *i)))
        .filter(|(_, l)| *l > Decimal::ZERO)
        .collect();
    losing.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let sections = official::sections(p);
    let body = html! {
        p.noprint { a href={ "/results/" (id) } { "← 返回评分结果" } }
        h1 { (u.unit) }
        p.sub { (p.title) " · " (p.document) }
        div.figures.card {
            div { "总分" b { (fmt_dec(u.total)) } }
            div { "基础得分" b { (fmt_dec(u.base)) } }
            div { "加分" b { (fmt_dec(u.bonus)) } }
            div { "从总分扣减" b { (fmt_dec(u.total_deductions)) } }
            div { "等次" b { (u.grade) } }
            div { "排名" b { (u.rank) " / " (s.units.len()) } }
        }
        @if !u.vetoes.is_empty() {
            div.card { h3.bad { "一票否决" }
                ul { @for v in &u.vetoes { li { b { (v.id) } "：" (v.reason) } } } }
        }
        h2 #gains { "可挽回的分数" }
        @if gained.is_empty() {
            p.muted { "没有单靠某个数值达到目标就能挽回的分数。" }
        } @else {
            p.muted { "每一条都是把这一个数值改为达标值后重新评分算出的（其他数据不变）。" }
            ul { @for g in gained.iter().take(TOP_GAINS) { (gain_line(g)) } }
            @if gained.len() > TOP_GAINS {
                details.noprint {
                    summary { "另有 " (gained.len() - TOP_GAINS) " 项" }
                    ul { @for g in gained.iter().skip(TOP_GAINS) { (gain_line(g)) } }
                }
            }
        }
        h2 { "失分的指标（从多到少）" }
        @if losing.is_empty() { p.muted { "没有失分。" } }
        @else {
            table {
                thead { tr { th { "指标" } th.num { "失分" } th { "原因（条款：计分标准原文）" } } }
                tbody {
                    @for (i, lost) in &losing {
                        @let n = p.node(*i);
                        tr {
                            td { b { (n.map(|n| n.id.clone()).unwrap_or_default()) } " " (n.map(|n| n.title.clone()).unwrap_or_default()) }
                            td.num.loss { (fmt_dec(*lost)) }
                            td { ul { @for note in notes(p, u, *i) {
                                li { (note.line()) br; span.muted { "「" (note.sentence) "」" } }
                            } } }
                        }
                    }
                }
            }
        }
        h2 { "逐项得分说明" }
        table {
            thead { tr { th { "编号" } th { "指标" } th.num { "分值" } th.num { "得分" } th { "得失分（条款、原因、原文）" } } }
            tbody {
                @for sec in &sections {
                    tr { th colspan="5" { (sec.label) } }
                    @for it in &sec.items {
                        tr {
                            td { b { (it.id) } }
                            td { (it.label) }
                            td.num { (points(it.points, sec.bonus)) }
                            td.num { (fmt_dec(item_score(p, u, it.node))) }
                            td { (entries(p, u, it.node)) }
                        }
                    }
                }
            }
        }
        details {
            summary { "文字版（与 rulebook explain 的输出相同）" }
            pre.explain { (rulebook_report::explain::render(p, u, s.units.len())) }
        }
    };
    layout(&u.unit, body).into_response()
}

/// The gains listed before the rest are folded away.
const TOP_GAINS: usize = 10;

fn gain_line(g: &crate::gains::Gain) -> Markup {
    html! {
        li { span.gain { (g.sentence()) }
            span.muted { "（第 " (g.cite) " 条；现为 " (fmt_dec(g.from)) (g.unit) "）" } }
    }
}

/// Every trace entry under an item: amount, reason, clause and sentence.
fn entries(p: &Program, u: &UnitResult, item: u32) -> Markup {
    let list: Vec<_> = u
        .trace
        .iter()
        .filter(|e| is_under(p, e.node, item))
        .collect();
    html! {
        @if list.is_empty() { span.muted { "—" } }
        @else {
            ul {
                @for e in list {
                    @let cls = if e.amount < Decimal::ZERO { "loss" } else if e.amount > Decimal::ZERO { "gain" } else { "muted" };
                    @let unused = matches!(e.detail, Detail::NotApplicable);
                    li {
                        b class=(cls) { (signed(e.amount)) }
                        " " (p.node(e.node).map(|n| n.id.clone()).unwrap_or_default()) "："
                        (reason(p, u, e))
                        @if unused { span.muted { "（未适用）" } }
                        br; span.muted { "「" (official::citation(p, e.node)) "」" }
                    }
                }
            }
        }
    }
}

async fn download(
    axum::extract::State(state): axum::extract::State<State>,
    Path((id, format)): Path<(String, String)>,
) -> Response {
    let s = match find(&state, &id) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(f) = OutFormat::parse(&format) else {
        return error(
            StatusCode::NOT_FOUND,
            "/results",
            "可下载的格式：xlsx、html、csv、json、jsonl。".to_owned(),
        );
    };
    let s2 = s.clone();
    let stem = format!("{}-scores", s.rulebook);
    match scoring::blocking(move || api::rendered(&s2.program, &s2.units, f, &stem)).await {
        Ok(r) => r,
        Err(f) => api::failure_response("/results", f),
    }
}
