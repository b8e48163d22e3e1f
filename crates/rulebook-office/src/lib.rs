//! Spreadsheets: blank data templates, and filled-in workbooks read back.
//!
//! `layout` says which sheet and column holds each input; `template`
//! writes a blank data file from it (xlsx, CSV files or JSON); `read`
//! turns a filled-in workbook into tables of cells checked by the CSV reader,
//! reporting every bad cell as `Sheet!B7` (`xlsx_info` adds the percent
//! formats and uncalculated formulas calamine does not report); `cells` is the one place where
//! a spreadsheet's numbers become text. Everything takes and returns
//! bytes or text; the CLI does the file IO.

mod cells;
pub mod data_file;
pub mod layout;
pub mod read;
pub mod template;
mod xlsx_info;

pub use data_file::read_data;
pub use read::read_workbook;

/// The creation date written into every workbook, so that the same input
/// gives the same bytes.
pub fn fixed_date() -> Result<rust_xlsxwriter::ExcelDateTime, rust_xlsxwriter::XlsxError> {
    rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 1, 1)
}
