//! `--format csv`: one row per unit with totals and (unless `--detail
//! summary`) two columns per item, written one unit at a time.

use crate::json::Detail;
use crate::{fmt_dec, write_dec};
use rulebook_eval::eval::UnitResult;
use rulebook_lang::ir::{NodeKind, Program};
use std::io::{self, Write};

/// A CSV error as the I/O error it is (a closed pipe stays one).
fn io_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes rows as units come: `begin`, `unit` for each, `finish`.
pub struct CsvWriter<W: Write> {
    w: csv::Writer<W>,
    /// The items' node indices (none for a summary).
    items: Vec<usize>,
    row: Vec<String>,
}

impl<W: Write> CsvWriter<W> {
    pub fn begin(program: &Program, out: W, detail: Detail) -> io::Result<Self> {
        let items: Vec<usize> = if detail == Detail::Summary {
            Vec::new()
        } else {
            program
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.kind == NodeKind::Item)
                .map(|(i, _)| i)
                .collect()
        };
        let mut w = csv::Writer::from_writer(out);
        let mut header: Vec<String> = [
            "unit",
            "total",
            "base",
            "bonus",
            "total_deductions",
            "grade",
            "rank",
            "vetoes",
        ]
        .map(String::from)
        .to_vec();
        for &i in &items {
            let id = program.nodes.get(i).map_or("", |n| n.id.as_str());
            header.push(format!("item_{id}"));
            header.push(format!("item_{id}_to_total"));
        }
        w.write_record(&header).map_err(io_err)?;
        Ok(CsvWriter {
            w,
            items,
            row: Vec::new(),
        })
    }

    pub fn unit(&mut self, u: &UnitResult) -> io::Result<()> {
        self.figure_cells(u);
        for &i in &self.items {
            let s = u.nodes.get(i).cloned().unwrap_or_default();
            self.row.push(fmt_dec(s.score));
            self.row.push(fmt_dec(s.to_total));
        }
        self.w.write_record(&self.row).map_err(io_err)
    }

    /// The item cells of a unit's row, appended to `out` separated by commas
    /// (numbers, which CSV never quotes): what a row needs of its nodes, in
    /// a few bytes, for [`CsvWriter::unit_with_cells`] to write later.
    pub fn item_cells(&self, u: &UnitResult, out: &mut String) {
        for (k, &i) in self.items.iter().enumerate() {
            let (score, to_total) = u
                .nodes
                .get(i)
                .map_or_else(Default::default, |n| (n.score, n.to_total));
            if k > 0 {
                out.push(',');
            }
            write_dec(out, score);
            out.push(',');
            write_dec(out, to_total);
        }
    }

    /// A unit's row from its figures (its nodes are not read) and the cells
    /// [`CsvWriter::item_cells`] wrote for it.
    pub fn unit_with_cells(&mut self, u: &UnitResult, cells: &str) -> io::Result<()> {
        self.figure_cells(u);
        for cell in &self.row {
            self.w.write_field(cell).map_err(io_err)?;
        }
        // The item cells are numbers: each written as it is, none made anew.
        if !self.items.is_empty() {
            for cell in cells.split(',') {
                self.w.write_field(cell).map_err(io_err)?;
            }
        }
        // (An empty record after single fields ends the row.)
        self.w.write_record(None::<&[u8]>).map_err(io_err)
    }

    fn figure_cells(&mut self, u: &UnitResult) {
        self.row.clear();
        self.row.extend([
            crate::safe::spreadsheet_cell(&u.unit).into_owned(),
            fmt_dec(u.total),
            fmt_dec(u.base),
            fmt_dec(u.bonus),
            fmt_dec(u.total_deductions),
            crate::safe::spreadsheet_cell(&u.grade).into_owned(),
            u.rank.to_string(),
            crate::safe::spreadsheet_cell(&u.veto_ids(";")).into_owned(),
        ]);
    }

    pub fn finish(self) -> io::Result<W> {
        self.w.into_inner().map_err(|e| e.into_error())
    }
}

/// A whole batch (for tests and small batches).
pub fn render(program: &Program, units: &[UnitResult]) -> Result<String, String> {
    let run = || -> io::Result<Vec<u8>> {
        let mut w = CsvWriter::begin(program, Vec::new(), Detail::Items)?;
        for u in units {
            w.unit(u)?;
        }
        w.finish()
    };
    let bytes = run().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}
