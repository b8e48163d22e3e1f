//! What an xlsx workbook says about its cells beyond their values.
//!
//! In: the bytes of an xlsx (or xlsm) file. Out: for each sheet, by name,
//! the cells whose number format is a percent (Excel stores 88% as 0.88)
//! and the cells that hold a formula without a saved result (a file
//! written by a program that does not calculate). calamine reads the
//! values; this reads the styles and the formula marks it does not report.
//! Anything unreadable here simply yields nothing: calamine reports
//! damaged files.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read};

/// Cells by 0-based (row, column), as calamine numbers them.
#[derive(Debug, Default)]
pub(crate) struct SheetInfo {
    pub percent: HashSet<(u32, u32)>,
    pub uncalculated: Vec<(u32, u32)>,
}

/// Each sheet's info, by sheet name.
pub(crate) fn read(bytes: &[u8]) -> HashMap<String, SheetInfo> {
    let mut out = HashMap::new();
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return out;
    };
    let Some(styles) = part(&mut zip, "xl/styles.xml").map(|x| percent_styles(&x)) else {
        return out;
    };
    let workbook = part(&mut zip, "xl/workbook.xml").unwrap_or_default();
    let rels = part(&mut zip, "xl/_rels/workbook.xml.rels").unwrap_or_default();
    let targets = relationships(&rels);
    for (name, id) in sheets(&workbook) {
        let Some(target) = targets.get(&id) else {
            continue;
        };
        let path = match target.strip_prefix('/') {
            Some(abs) => abs.to_owned(),
            None => format!("xl/{target}"),
        };
        if let Some(xml) = part(&mut zip, &path) {
            out.insert(name, sheet_info(&xml, &styles));
        }
    }
    out
}

fn part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<Vec<u8>> {
    let mut f = zip.by_name(name).ok()?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).ok()?;
    Some(buf)
}

fn attr(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            let raw = String::from_utf8_lossy(&a.value).into_owned();
            quick_xml::escape::unescape(&raw)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The sheets' names and relationship ids, in workbook order.
fn sheets(xml: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut r = Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"sheet" => {
                if let (Some(n), Some(id)) = (attr(&e, b"name"), attr(&e, b"id")) {
                    out.push((n, id));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

fn relationships(xml: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut r = Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"Relationship" => {
                if let (Some(id), Some(t)) = (attr(&e, b"Id"), attr(&e, b"Target")) {
                    out.insert(id, t);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// For each cell style (`s` index), whether its number format is a percent.
fn percent_styles(xml: &[u8]) -> Vec<bool> {
    let mut custom: HashMap<String, bool> = HashMap::new();
    let mut out = Vec::new();
    let mut in_xfs = false;
    let mut r = Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                b"numFmt" => {
                    if let (Some(id), Some(code)) = (attr(&e, b"numFmtId"), attr(&e, b"formatCode"))
                    {
                        custom.insert(id, is_percent_code(&code));
                    }
                }
                b"cellXfs" => in_xfs = true,
                b"xf" if in_xfs => {
                    let id = attr(&e, b"numFmtId").unwrap_or_default();
                    // Built-in formats 9 (0%) and 10 (0.00%).
                    let pct = id == "9" || id == "10" || custom.get(&id).copied().unwrap_or(false);
                    out.push(pct);
                }
                _ => {}
            },
            Ok(Event::End(e)) if e.local_name().as_ref() == b"cellXfs" => in_xfs = false,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// A format code showing a percent: a `%` outside quotes and escapes, in
/// the section for positive numbers.
fn is_percent_code(code: &str) -> bool {
    let mut chars = code.chars();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if !quoted => {
                chars.next();
            }
            ';' if !quoted => return false,
            '%' if !quoted => return true,
            _ => {}
        }
    }
    false
}

/// `B7` → (6, 1).
fn cell_ref(r: &str) -> Option<(u32, u32)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (col_s, row_s) = (r.get(..letters)?, r.get(letters..)?);
    let mut col: u32 = 0;
    for b in col_s.bytes() {
        col = col
            .checked_mul(26)?
            .checked_add(u32::from(b.to_ascii_uppercase().checked_sub(b'A')?) + 1)?;
    }
    let row: u32 = row_s.parse().ok()?;
    Some((row.checked_sub(1)?, col.checked_sub(1)?))
}

fn sheet_info(xml: &[u8], styles: &[bool]) -> SheetInfo {
    let mut info = SheetInfo::default();
    let mut r = Reader::from_reader(xml);
    let mut buf = Vec::new();
    // The cell being read: its place, and whether it has a formula and a value.
    let mut cell: Option<((u32, u32), bool, bool)> = None;
    let (mut row, mut next_col) = (0u32, 0u32);
    loop {
        let ev = r.read_event_into(&mut buf);
        match ev {
            Ok(Event::Start(ref e) | Event::Empty(ref e)) => match e.local_name().as_ref() {
                b"row" => {
                    if let Some(n) = attr(e, b"r").and_then(|v| v.parse::<u32>().ok()) {
                        row = n.saturating_sub(1);
                    } else {
                        row = row.saturating_add(1);
                    }
                    next_col = 0;
                }
                b"c" => {
                    let at = attr(e, b"r")
                        .and_then(|v| cell_ref(&v))
                        .unwrap_or((row, next_col));
                    next_col = at.1.saturating_add(1);
                    let style = attr(e, b"s")
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if styles.get(style).copied().unwrap_or(false) {
                        info.percent.insert(at);
                    }
                    if matches!(ev, Ok(Event::Start(_))) {
                        cell = Some((at, false, false));
                    }
                }
                b"f" => {
                    if let Some(c) = cell.as_mut() {
                        c.1 = true;
                    }
                }
                b"v" | b"is" => {
                    if let Some(c) = cell.as_mut() {
                        c.2 = matches!(ev, Ok(Event::Start(_)));
                    }
                }
                _ => {}
            },
            Ok(Event::End(ref e)) if e.local_name().as_ref() == b"c" => {
                if let Some((at, true, false)) = cell.take() {
                    info.uncalculated.push(at);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_codes() {
        assert!(is_percent_code("0.00%"));
        assert!(is_percent_code("0%;[Red]-0%"));
        assert!(!is_percent_code("0.00"));
        assert!(!is_percent_code("0\"%\""));
        assert!(!is_percent_code("0\\%"));
        assert!(!is_percent_code("0;0%"));
    }

    #[test]
    fn refs() {
        assert_eq!(cell_ref("A1"), Some((0, 0)));
        assert_eq!(cell_ref("B7"), Some((6, 1)));
        assert_eq!(cell_ref("XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(cell_ref("7"), None);
    }
}
