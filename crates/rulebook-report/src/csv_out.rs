//! `--format csv`: one row per unit with totals and (unless `--detail
//! summary`) two columns per item, written one unit at a time.

use crate::json::Detail;
use crate::{fmt_dec, write_dec};
use rulebook_eval::eval::UnitResult;
use rulebook_lang::ir::Program;
use std::io::{self, Write};

/// A CSV error as the I/O error it is (a closed pipe stays one).
fn io_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes rows as units come: `begin`, `unit` (or `unit_text` on the
/// thread that scored the unit and `unit_text_with_rank` later) for each,
/// `finish`. Every row is made by `unit_text`.
pub struct CsvWriter<W: Write> {
    w: io::BufWriter<W>,
    /// The items' node indices (none for a summary).
    items: Vec<usize>,
}

impl<W: Write> CsvWriter<W> {
    pub fn begin(program: &Program, out: W, detail: Detail) -> io::Result<Self> {
        let items: Vec<usize> = if detail == Detail::Summary {
            Vec::new()
        } else {
            program.items().map(|i| i as usize).collect()
        };
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
        let mut head = csv::Writer::from_writer(Vec::new());
        head.write_record(&header).map_err(io_err)?;
        let head = head.into_inner().map_err(|e| e.into_error())?;
        let mut w = io::BufWriter::new(out);
        w.write_all(&head)?;
        Ok(CsvWriter { w, items })
    }

    /// A unit's row, its rank as the unit has it.
    pub fn unit(&mut self, u: &UnitResult) -> io::Result<()> {
        let mut text = Vec::new();
        let at = self.unit_text(u, &mut text);
        self.unit_text_with_rank(&text, at, u.rank)
    }

    /// A unit's row as CSV text, all but its rank (which the batch's
    /// order by total gives later), appended to `out`; where the rank goes
    /// in what was appended. Made on the thread that scored the unit, so
    /// that writing the row later is a copy
    /// ([`CsvWriter::unit_text_with_rank`]).
    pub fn unit_text(&self, u: &UnitResult, out: &mut Vec<u8>) -> usize {
        // The row is written by the same CSV writer, into memory, with a
        // one-letter field standing for the rank and one for the item
        // cells; a field is whole once the next one has begun (a quoted
        // field's closing quote comes then), so each stand-in is the last
        // byte written just after it is written. The item cells, numbers
        // that CSV never quotes, are put in as they are.
        let mut w = csv::WriterBuilder::new()
            .buffer_capacity(256)
            .from_writer(Vec::with_capacity(128));
        let stand_in = |w: &mut csv::Writer<Vec<u8>>, letter: &str| {
            let _ = w.write_field(letter);
            let _ = w.flush();
            w.get_ref().len().saturating_sub(1)
        };
        let mut rank_at = 0;
        for (k, f) in figure_fields(u).iter().enumerate() {
            if k == RANK {
                rank_at = stand_in(&mut w, "R");
            } else {
                let _ = w.write_field(f);
            }
        }
        let cells_at = (!self.items.is_empty()).then(|| stand_in(&mut w, "C"));
        let _ = w.write_record(None::<&[u8]>);
        let _ = w.flush();
        let text = w.get_ref();
        let piece = |from: usize, to: usize| text.get(from..to).unwrap_or_default();
        out.extend_from_slice(piece(0, rank_at));
        match cells_at {
            Some(at) => {
                out.extend_from_slice(piece(rank_at + 1, at));
                // (Room for short figures at once.)
                let mut cells = String::with_capacity(self.items.len() * 8);
                for (k, &i) in self.items.iter().enumerate() {
                    let (score, to_total) = u
                        .nodes
                        .get(i)
                        .map_or_else(Default::default, |n| (n.score, n.to_total));
                    if k > 0 {
                        cells.push(',');
                    }
                    write_dec(&mut cells, score);
                    cells.push(',');
                    write_dec(&mut cells, to_total);
                }
                out.extend_from_slice(cells.as_bytes());
                out.extend_from_slice(piece(at + 1, text.len()));
            }
            None => out.extend_from_slice(piece(rank_at + 1, text.len())),
        }
        rank_at
    }

    /// Write a row [`CsvWriter::unit_text`] made, with its rank put in at
    /// `at`.
    pub fn unit_text_with_rank(&mut self, text: &[u8], at: usize, rank: u32) -> io::Result<()> {
        let (before, after) = text.split_at(at.min(text.len()));
        self.w.write_all(before)?;
        write!(self.w, "{rank}")?;
        self.w.write_all(after)
    }

    pub fn finish(self) -> io::Result<W> {
        self.w.into_inner().map_err(|e| e.into_error())
    }
}

/// Where the rank is among a row's first cells.
const RANK: usize = 6;

/// A row's first cells: the unit, its figures, grade, rank and vetoes.
fn figure_fields(u: &UnitResult) -> [String; 8] {
    [
        crate::safe::spreadsheet_cell(&u.unit).into_owned(),
        fmt_dec(u.total),
        fmt_dec(u.base),
        fmt_dec(u.bonus),
        fmt_dec(u.total_deductions),
        crate::safe::spreadsheet_cell(&u.grade).into_owned(),
        u.rank.to_string(),
        crate::safe::spreadsheet_cell(&u.veto_ids(";")).into_owned(),
    ]
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
