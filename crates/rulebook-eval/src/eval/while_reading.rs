//! Scoring a JSON data file while it is read.
//!
//! In: a program whose units' scores need nothing from other units (no
//! `rank`, no aggregate over the batch) and a JSON data file. Out: each
//! unit's result, in the file's order, handed to a sink on the calling
//! thread while another thread reads and checks the file: on two cores
//! reading and scoring take about a quarter more time than reading alone
//! (README, "Speed"), and no unit's data is kept once it is scored. A file
//! that is not plainly sound is read whole instead and given back for the
//! exact errors; nothing scored from it counts ([`WhileReading::Whole`]
//! tells the caller to drop what its sink was given).

use super::{Engine, EvalError, UnitResult};
use crate::compiled::Compiled;
use crate::data::{self, Batch, DataError, EachUnit, Piece, UnitData};
use crate::value::Value;
use rulebook_lang::ir::Program;
use std::path::Path;
use std::sync::mpsc::{self, TrySendError};

/// Units sent from the reading thread to the scoring one at a time.
const CHUNK: usize = 64;

/// How scoring while reading ended.
#[derive(Debug)]
pub enum WhileReading {
    /// The file was sound and every unit went to the sink, except those
    /// that could not be scored: these errors (every one, in order).
    Scored(Vec<EvalError>),
    /// The file is not plainly sound, or the program's scores need the
    /// whole batch: here it is, read whole (or its errors). What the sink
    /// was given, if anything, is to be dropped.
    Whole(Result<Batch, Vec<DataError>>),
}

/// Whether a program's units can be scored one by one as they are read.
pub fn scores_alone(program: &Program) -> bool {
    program.ranks.is_empty() && program.across.is_empty()
}

enum Msg {
    Globals(Vec<Value>),
    Units(Vec<UnitData>),
    /// Units the reading thread scored itself, the scoring one being busy.
    Scored(Vec<Result<UnitResult, EvalError>>),
}

/// Score the units of the JSON data file at `path` as it is read (see the
/// module's notes). `tick` is called once per unit scored; `file_name` is
/// used in the locations of data errors. `Err` is a file that cannot be
/// read at all.
pub fn score_while_reading(
    program: &Program,
    file_name: &str,
    path: &Path,
    tick: &(dyn Fn() + Sync),
    sink: &mut dyn FnMut(UnitResult),
) -> std::io::Result<WhileReading> {
    if !scores_alone(program) {
        return data::load_json_path(program, file_name, path).map(WhileReading::Whole);
    }
    let compiled = Compiled::new(program);
    let engine = Engine::Compiled(&compiled);
    // Without globals in the rulebook there is nothing to wait for.
    let no_globals = program.globals.is_empty().then(Vec::new);
    let mut globals = no_globals.clone();
    let mut waiting: Vec<UnitData> = Vec::new();
    let mut errors = Vec::new();
    let mut hand_on = |r: Result<UnitResult, EvalError>| {
        match r {
            Ok(r) => sink(r),
            Err(e) => errors.push(e),
        }
        tick();
    };
    let mut worker = engine.worker();
    let read = std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<Msg>(2);
        // Units scored on the other thread come back to be freed where
        // they were made: the allocator frees memory of its own thread
        // without taking a lock that the reading thread's allocations
        // need (freeing them on the scoring thread took some 40 % of the
        // run).
        let (back_tx, back_rx) = mpsc::channel::<Vec<UnitData>>();
        let reader = s.spawn(move || {
            // The reading thread scores a chunk itself whenever the scoring
            // one has not yet taken the last ones: both cores then score.
            let mut worker = engine.worker();
            let mut globals = no_globals;
            let mut send = |chunk: Vec<UnitData>, globals: &Option<Vec<Value>>| {
                while let Ok(done) = back_rx.try_recv() {
                    drop(done);
                }
                match (tx.try_send(Msg::Units(chunk)), globals) {
                    (Err(TrySendError::Full(Msg::Units(units))), Some(g)) => {
                        let scored = units
                            .iter()
                            .map(|u| worker.score(g, u, &[], &[], false))
                            .collect();
                        drop(units);
                        let _ = tx.send(Msg::Scored(scored));
                    }
                    (Err(TrySendError::Full(msg)), _) => {
                        let _ = tx.send(msg);
                    }
                    (Ok(()) | Err(TrySendError::Disconnected(_)), _) => {}
                }
            };
            let mut chunk = Vec::with_capacity(CHUNK);
            let read = data::each_json_unit(program, file_name, path, &mut |piece| match piece {
                Piece::Globals(g) => {
                    if !chunk.is_empty() {
                        send(std::mem::take(&mut chunk), &globals);
                    }
                    if globals.is_none() {
                        globals = Some(g.clone());
                        let _ = tx.send(Msg::Globals(g));
                    }
                }
                Piece::Unit(u) => {
                    chunk.push(u);
                    if chunk.len() >= CHUNK {
                        let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                        send(full, &globals);
                    }
                }
            });
            if !chunk.is_empty() {
                send(chunk, &globals);
            }
            read
        });
        for msg in rx {
            let mut score = |g: &[Value], units: Vec<UnitData>| {
                for u in &units {
                    hand_on(worker.score(g, u, &[], &[], false));
                }
                // (Once the reading is over, they are freed here.)
                let _ = back_tx.send(units);
            };
            match (msg, &globals) {
                (Msg::Globals(g), None) => {
                    score(&g, std::mem::take(&mut waiting));
                    globals = Some(g);
                }
                (Msg::Globals(_), Some(_)) => {}
                (Msg::Units(us), Some(g)) => score(g, us),
                (Msg::Units(us), None) => waiting.extend(us),
                (Msg::Scored(rs), _) => rs.into_iter().for_each(&mut hand_on),
            }
        }
        reader
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the data file's reader stopped")))
    })?;
    Ok(match read {
        EachUnit::Done => WhileReading::Scored(errors),
        EachUnit::Whole(whole) => WhileReading::Whole(whole),
    })
}
