//! The document as read: a table of rows, then a tree of nodes.

use rust_decimal::Decimal;

/// One row of the published table, whatever the format it came in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// 一级指标 (empty: the same as the row above).
    pub section: String,
    /// 二级指标 (empty: the same item as the row above).
    pub item: String,
    /// 分值.
    pub points: String,
    /// 考核单位 / 评分单位.
    pub by: String,
    /// 计分标准.
    pub standard: String,
    /// The row belongs to the bonus table (加分项).
    pub bonus: bool,
    /// The row's own indicator under the item (a table with a column of
    /// indicators and their 权重 beside the item's): a part.
    pub part: String,
    /// Other columns about the item (考核内容), as `列名：…`.
    pub notes: Vec<String>,
    /// What the document calls its points column (分值, 权重).
    pub points_column: String,
    /// Where the row starts in the file, for messages (`line 41`, `Sheet1!A7`).
    pub place: String,
}

/// The table and the text around it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Lines before the table: the notice, the title, the document number.
    pub preamble: Vec<String>,
    pub rows: Vec<Row>,
    /// The 总分 row's value, when the table has one.
    pub total: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Section,
    Item,
    Part,
    Clause,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Section => "section",
            Kind::Item => "item",
            Kind::Part => "part",
            Kind::Clause => "clause",
        }
    }
}

/// A node of the document: section, item, part or clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    pub id: String,
    /// The title, or for a clause (and a part or item written as one
    /// sentence) the sentence, verbatim.
    pub title: String,
    pub points: Option<Decimal>,
    /// 不设基础分 / 未设分值.
    pub no_base: bool,
    pub bonus: bool,
    /// The most the node awards or deducts, when the document states it
    /// for the node as a whole (加分上限, 本项最高加1.5分).
    pub cap: Option<Decimal>,
    pub by: Vec<String>,
    /// Further sentences of the node (preambles, notes, standards without ①②).
    pub text: Vec<String>,
    pub children: Vec<Node>,
}

impl Node {
    pub fn new(kind: Kind, id: impl Into<String>, title: impl Into<String>) -> Self {
        Node {
            kind,
            id: id.into(),
            title: title.into(),
            points: None,
            no_base: false,
            bonus: false,
            cap: None,
            by: Vec::new(),
            text: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Every node of the subtree, this one first, in document order.
    pub fn walk(&self) -> Vec<&Node> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }
}

/// The whole document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub title: Option<String>,
    pub number: Option<String>,
    pub points: Option<Decimal>,
    pub sections: Vec<Node>,
}

impl Document {
    /// Every node, in document order.
    pub fn nodes(&self) -> Vec<&Node> {
        self.sections.iter().flat_map(|s| s.walk()).collect()
    }
}
