//! Rows of the table → the tree of sections, items, parts and clauses, with
//! the document's numbering (一、 1． （1） ①), points, responsible units and
//! every sentence verbatim.

use crate::model::{Document, Kind, Node, Row, Table};
use crate::text::{circled, dec, first_number_after, part_marker};
use regex::Regex;
use rust_decimal::Decimal;
use std::sync::OnceLock;

fn re(cell: &'static OnceLock<Option<Regex>>, pat: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pat).ok()).as_ref()
}

/// `一、标题` → (`一`, `标题`).
fn section_head(s: &str) -> Option<(String, String)> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    let first = s.lines().map(str::trim).find(|l| !l.is_empty())?;
    let c = re(&R, r"^([一二三四五六七八九十]+)[、．.]\s*(.*)$")?.captures(first)?;
    Some((c.get(1)?.as_str().into(), c.get(2)?.as_str().trim().into()))
}

/// A cell that opens a section (`一、…`).
pub(crate) fn opens_section(s: &str) -> bool {
    section_head(s).is_some()
}

/// The sentences of an indicator's standard, one clause each: split at 。,
/// and at ； between two sentences that each score (but not between a
/// condition and its negation, 「…达到…的，…；…未达到…的，…」); a sentence
/// that scores nothing (「加扣分：参照…，设置加分项。」) opens the next.
fn clauses_of(standard: &str) -> Vec<String> {
    let scoring = |t: &str| {
        let t = t.rsplit_once('：').map(|(_, r)| r).unwrap_or(t);
        let t = t.replace("加分项", "");
        crate::recognise::scores(&t) || t.contains("计分")
    };
    let mut pieces: Vec<String> = Vec::new();
    for sentence in standard.split_inclusive('。') {
        let halves: Vec<&str> = sentence.split_inclusive('；').collect();
        let mut cur = String::new();
        for h in halves {
            let parallel = {
                let strip = |x: &str| {
                    x.replace(['未', '不'], "")
                        .chars()
                        .take(4)
                        .collect::<String>()
                };
                !cur.is_empty() && strip(&cur) == strip(h)
            };
            if !cur.is_empty() && scoring(&cur) && scoring(h) && !parallel {
                pieces.push(std::mem::take(&mut cur));
            }
            cur.push_str(h);
        }
        if !cur.trim().is_empty() {
            pieces.push(cur);
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut pending = String::new();
    for p in pieces {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        pending.push_str(p);
        if scoring(p) {
            out.push(std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        match out.last_mut() {
            Some(last) => last.push_str(&pending),
            None => out.push(pending),
        }
    }
    out
}

/// `5．打好蓝天保卫战` → (`5`, `打好蓝天保卫战`).
fn item_head(s: &str) -> Option<(String, String)> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    let first = s.lines().map(str::trim).find(|l| !l.is_empty())?;
    let c = re(&R, r"^(\d+)\s*[．.、]\s*(.*)$")?.captures(first)?;
    Some((c.get(1)?.as_str().into(), c.get(2)?.as_str().trim().into()))
}

/// The document's sentences of a cell: one per line, lines that break a
/// sentence in the middle (after a comma) joined again.
fn paragraphs(cell: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in cell.lines() {
        let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
        if line.is_empty() {
            continue;
        }
        let starts_marker = part_marker(line).is_some() || circled(line).is_some();
        if let Some(prev) = out.last_mut() {
            let open = prev.ends_with(['，', '、', ',']);
            let sentence_cut = (prev.contains('。') || prev.contains('，'))
                && !prev.ends_with(['。', '；', '：', '！', '？', '）', ')', '」', '”', ';', ':']);
            if !starts_marker && (open || sentence_cut) {
                prev.push_str(line);
                continue;
            }
        }
        out.push(line.to_string());
    }
    out
}

/// One `（1）（2）①…名称` group of a 考核单位 cell.
#[derive(Debug, Default)]
struct ByGroup {
    targets: Vec<(u32, Option<u32>)>,
    units: String,
}

/// Split a 考核单位 cell into its numbered groups; a cell without numbers
/// gives one group with no targets (one unit per line).
fn by_groups(cell: &str) -> Vec<ByGroup> {
    let mut groups: Vec<ByGroup> = Vec::new();
    let mut cur = ByGroup::default();
    let mut last_part: Option<u32> = None;
    let mut rest = cell.trim();
    let mut prev_was_part = false;
    while !rest.is_empty() {
        if let Some((n, after)) = part_marker(rest) {
            if !cur.units.trim().is_empty() {
                groups.push(std::mem::take(&mut cur));
            }
            cur.targets.push((n, None));
            last_part = Some(n);
            prev_was_part = true;
            rest = after.trim_start();
            continue;
        }
        if let Some((k, after)) = circled(rest) {
            if !cur.units.trim().is_empty() {
                groups.push(std::mem::take(&mut cur));
            }
            match (prev_was_part, cur.targets.last_mut()) {
                (true, Some(t)) if t.1.is_none() => t.1 = Some(k),
                _ => cur.targets.push((last_part.unwrap_or(0), Some(k))),
            }
            prev_was_part = false;
            rest = after.trim_start();
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            cur.units.push(c);
        }
        prev_was_part = false;
        rest = chars.as_str();
    }
    if !cur.units.trim().is_empty() || !cur.targets.is_empty() {
        groups.push(cur);
    }
    groups
}

fn units_of(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// A responsible-unit assignment waiting for the item's parts to exist.
struct PendingBy {
    targets: Vec<(u32, Option<u32>)>,
    units: Vec<String>,
    /// For units with no numbers: the part that was current at the start of
    /// the row (None: the item itself).
    row_part: Option<u32>,
    /// The parts the row starts.
    started: Vec<u32>,
    first_row: bool,
}

struct ItemBuilder {
    node: Node,
    bonus: bool,
    by: Vec<PendingBy>,
    /// Index path of the current part within `node.children`.
    part: Option<usize>,
    part_no: Option<u32>,
    rows: usize,
}

impl ItemBuilder {
    fn new(node: Node, bonus: bool) -> Self {
        ItemBuilder {
            node,
            bonus,
            by: Vec::new(),
            part: None,
            part_no: None,
            rows: 0,
        }
    }

    fn current_part(&mut self) -> Option<&mut Node> {
        let i = self.part?;
        self.node.children.get_mut(i)
    }

    fn add_row(&mut self, row: &Row) {
        let row_part = self.part_no;
        let first_row = self.rows == 0;
        self.rows += 1;
        let before = self.node.children.len();
        for para in paragraphs(&row.standard) {
            self.add_paragraph(para);
        }
        let started: Vec<u32> = self
            .node
            .children
            .iter()
            .skip(before)
            .filter_map(|c| c.id.rsplit(['.', 'B']).next().and_then(|n| n.parse().ok()))
            .collect();
        let groups = by_groups(&row.by);
        for g in groups {
            let units = if g.targets.is_empty() {
                units_of(&g.units)
            } else {
                vec![g.units.split_whitespace().collect::<Vec<_>>().join(" ")]
            };
            self.by.push(PendingBy {
                targets: g.targets,
                units,
                row_part,
                started: started.clone(),
                first_row,
            });
        }
    }

    fn add_paragraph(&mut self, para: String) {
        let item_id = self.node.id.clone();
        if let Some((n, rest)) = part_marker(&para) {
            let refers_back = rest.starts_with('项') || Some(n) == self.part_no;
            if !refers_back {
                let id = if self.bonus {
                    format!("B{n}")
                } else {
                    format!("{item_id}.{n}")
                };
                let kind = if self.bonus { Kind::Item } else { Kind::Part };
                let mut part = Node::new(kind, id, para.clone());
                part.points = points_in_title(&para);
                part.cap = node_cap(&para);
                self.node.children.push(part);
                self.part = Some(self.node.children.len() - 1);
                self.part_no = Some(n);
                return;
            }
            return self.add_text(para, false);
        }
        if let Some((k, rest)) = circled(&para) {
            if !rest.starts_with('项') {
                let bonus = self.bonus;
                match self.current_part() {
                    Some(p) => {
                        let kind = if bonus { Kind::Part } else { Kind::Clause };
                        let mut c = Node::new(kind, format!("{}.{k}", p.id), para.clone());
                        c.cap = if bonus { node_cap(&para) } else { None };
                        p.children.push(c);
                    }
                    None => {
                        let c = Node::new(Kind::Part, format!("{item_id}.{k}"), para);
                        self.node.children.push(c);
                    }
                }
                return;
            }
        }
        let whole_item = para.starts_with('第')
            && (para.contains('—') || para.contains('－') || para.contains('-'))
            || (para.starts_with('（') && para.ends_with('）'));
        self.add_text(para, whole_item)
    }

    fn add_text(&mut self, para: String, whole_item: bool) {
        if !whole_item {
            if let Some(p) = self.current_part() {
                match p.children.last_mut() {
                    // A note after a bonus part's sentence belongs to it.
                    Some(last) if last.kind == Kind::Part && last.children.is_empty() => {
                        if circled(&last.title).is_some() && !last.title.contains('。') {
                            // 「本项最高加1分」 in the note: the part's own cap.
                            if last.cap.is_none() {
                                last.cap = node_cap(&para);
                            }
                            last.text.push(para);
                            return;
                        }
                        p.text.push(para);
                    }
                    _ => p.text.push(para),
                }
                return;
            }
        }
        self.node.text.push(para);
    }

    /// A row naming its own indicator (a part with its 权重) under the item,
    /// its standard's sentences the clauses.
    fn add_indicator(&mut self, row: &Row) {
        let k = self.node.children.len() + 1;
        let id = format!("{}.{k}", self.node.id);
        let points = row.points.trim();
        let title = if row.points_column == "权重" {
            format!("{}（权重{points}）", row.part.trim())
        } else {
            format!("{}（{points}分）", row.part.trim())
        };
        let mut part = Node::new(Kind::Part, id.clone(), title);
        part.points = dec(points);
        for (i, c) in clauses_of(&row.standard).into_iter().enumerate() {
            part.children
                .push(Node::new(Kind::Clause, format!("{id}.{}", i + 1), c));
        }
        let units = units_of(&row.by);
        if self.node.by.is_empty() && self.node.children.is_empty() {
            self.node.by = units;
        } else if !units.is_empty() && units != self.node.by {
            part.by = units;
        }
        self.node.children.push(part);
    }

    fn finish(mut self) -> Node {
        // Parts with clauses take their points from 「得N分」 in their sentence.
        for p in &mut self.node.children {
            if p.points.is_none() && !p.children.is_empty() && !self.bonus {
                p.points = first_number_after(&p.title, "得", "分");
            }
        }
        let pending = std::mem::take(&mut self.by);
        let mut item_by: Vec<String> = Vec::new();
        for pb in pending {
            if pb.targets.is_empty() {
                // A row that starts exactly one part: its units are that part's.
                let one = match pb.started.as_slice() {
                    _ if self.bonus => None,
                    [n] => Some(*n),
                    [] if !pb.first_row => pb.row_part,
                    _ => None,
                };
                match (pb.first_row && pb.started.len() != 1, one) {
                    (false, Some(n)) => {
                        let known = item_by.iter().any(|u| pb.units.contains(u));
                        if !known {
                            if let Some(p) = self.part_mut(n, None) {
                                push_units(&mut p.by, &pb.units);
                            }
                        }
                    }
                    _ => push_units(&mut item_by, &pb.units),
                }
                continue;
            }
            for (n, k) in &pb.targets {
                if let Some(node) = self.part_mut(*n, *k) {
                    push_units(&mut node.by, &pb.units);
                }
            }
        }
        // Every part with the same single unit and no clause with its own:
        // the unit is the item's.
        let parts = &self.node.children;
        let first = parts.first().map(|p| p.by.clone());
        let uniform = !parts.is_empty()
            && item_by.is_empty()
            && parts.len() > 1
            && parts
                .iter()
                .all(|p| Some(&p.by) == first.as_ref() && p.by.len() == 1)
            && parts
                .iter()
                .all(|p| p.children.iter().all(|c| c.by.is_empty()));
        if uniform {
            item_by = first.unwrap_or_default();
            for p in &mut self.node.children {
                p.by.clear();
            }
        }
        let mut by = item_by;
        by.append(&mut self.node.by);
        self.node.by = by;
        self.node
    }

    fn part_mut(&mut self, n: u32, k: Option<u32>) -> Option<&mut Node> {
        let id = if self.bonus {
            format!("B{n}")
        } else {
            format!("{}.{n}", self.node.id)
        };
        let part = self.node.children.iter_mut().find(|p| p.id == id)?;
        match k {
            None => Some(part),
            Some(k) => {
                let cid = format!("{id}.{k}");
                part.children.iter_mut().find(|c| c.id == cid)
            }
        }
    }
}

fn push_units(to: &mut Vec<String>, units: &[String]) {
    for u in units {
        if !to.contains(u) {
            to.push(u.clone());
        }
    }
}

/// `（9分）` in a part's title.
fn points_in_title(title: &str) -> Option<Decimal> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    let c = re(&R, r"（(\d+(?:\.\d+)?)分）")?.captures(title)?;
    dec(c.get(1)?.as_str())
}

/// 本项最高加1.5分 / 加分上限不超过10分: the node's own cap.
fn node_cap(text: &str) -> Option<Decimal> {
    first_number_after(text, "本项最高加", "分")
        .or_else(|| first_number_after(text, "加分上限不超过", "分"))
        .or_else(|| first_number_after(text, "本项最多加", "分"))
}

/// `资政办发〔2024〕10号` in a line.
fn document_number(line: &str) -> Option<String> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    let m = re(&R, r"[^\s，。：:]*〔\d{4}〕\d+号")?.find(line)?;
    Some(m.as_str().to_string())
}

/// Build the document's tree from its table.
pub fn build(table: &Table) -> Document {
    let mut doc = Document {
        number: table.preamble.iter().find_map(|l| document_number(l)),
        title: table
            .preamble
            .iter()
            .rev()
            .find(|l| l.contains("表") || l.contains("标准") || l.contains("细则"))
            .or(table.preamble.last())
            .map(|l| l.trim().to_string()),
        points: table.total.as_deref().and_then(dec),
        sections: Vec::new(),
    };
    let mut item: Option<ItemBuilder> = None;
    let flush = |item: &mut Option<ItemBuilder>, doc: &mut Document| {
        if let Some(b) = item.take() {
            let bonus = b.bonus;
            let node = b.finish();
            let section = if bonus {
                doc.sections.iter_mut().rev().find(|s| s.bonus)
            } else {
                doc.sections.iter_mut().rev().find(|s| !s.bonus)
            };
            if let Some(s) = section {
                if bonus {
                    // The bonus table has no items column: its rows' （n） are the items.
                    push_units(&mut s.by, &node.by);
                    for t in node.text {
                        if !s.text.contains(&t) {
                            if s.cap.is_none() {
                                s.cap = node_cap(&t);
                            }
                            s.text.push(t);
                        }
                    }
                    s.children.extend(node.children);
                } else {
                    s.children.push(node);
                }
            }
        }
    };
    for row in &table.rows {
        if row.bonus {
            if !doc.sections.iter().any(|s| s.bonus) {
                flush(&mut item, &mut doc);
                let mut s = Node::new(Kind::Section, "加分", "加分项");
                s.bonus = true;
                doc.sections.push(s);
            }
            if item.as_ref().is_some_and(|b| !b.bonus) {
                flush(&mut item, &mut doc);
            }
            let b = item
                .get_or_insert_with(|| ItemBuilder::new(Node::new(Kind::Item, "加分", ""), true));
            // Each bonus row repeats the units; the rows' parts continue.
            b.rows = 0;
            // A table that gives the bonus item's number and title in its
            // own column (`（6）大气污染防治`) and only ①② in the standard.
            let head = row.item.lines().next().unwrap_or("").trim();
            if part_marker(head).is_some() && !row.standard.trim_start().starts_with(head) {
                b.add_paragraph(head.to_string());
            }
            b.add_row(row);
            continue;
        }
        if let Some((id, title)) = section_head(&row.section) {
            if !doc.sections.iter().any(|s| s.id == id) {
                flush(&mut item, &mut doc);
                doc.sections.push(Node::new(Kind::Section, id, title));
            }
        }
        // A table with a column of indicators and their 权重: each row a part.
        if !row.part.trim().is_empty() {
            if !row.item.trim().is_empty() || item.is_none() {
                flush(&mut item, &mut doc);
                let items = doc
                    .sections
                    .iter()
                    .filter(|s| !s.bonus)
                    .map(|s| s.children.len())
                    .sum::<usize>();
                let (id, title) = item_head(&row.item)
                    .unwrap_or_else(|| ((items + 1).to_string(), row.item.trim().to_string()));
                let mut node = Node::new(Kind::Item, id, title);
                node.text = row.notes.clone();
                item = Some(ItemBuilder::new(node, false));
            }
            if let Some(b) = item.as_mut() {
                b.add_indicator(row);
            }
            continue;
        }
        match item_head(&row.item) {
            Some((id, title)) if item.as_ref().is_none_or(|b| b.node.id != id) => {
                flush(&mut item, &mut doc);
                let mut node = Node::new(Kind::Item, id, title);
                node.points = dec(row.points.trim());
                node.no_base = node.points.is_none();
                item = Some(ItemBuilder::new(node, false));
            }
            _ => {}
        }
        if let Some(b) = item.as_mut() {
            b.add_row(row);
        }
    }
    flush(&mut item, &mut doc);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_groups_read_numbers_and_circles() {
        let g = by_groups("（1） （2）①（3）资源生态环境局\n\n（2） 县城市管监局");
        assert_eq!(g.len(), 2);
        assert_eq!(
            g.first().map(|g| g.targets.clone()),
            Some(vec![(1, None), (2, Some(1)), (3, None)])
        );
        let g = by_groups("（5）①③④⑤资源生态环境局②资源镇");
        assert_eq!(
            g.get(1).map(|g| g.targets.clone()),
            Some(vec![(5, Some(2))])
        );
    }

    #[test]
    fn broken_sentences_are_joined() {
        let p = paragraphs("④罚款，500元1次加0.05分，\n\n1000元1次加0.1分。\n（5）砖厂管理\n砖厂…");
        assert_eq!(p.len(), 3);
    }
}
