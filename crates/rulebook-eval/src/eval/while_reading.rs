//! Scoring a JSON data file while it is read.
//!
//! In: a program and a JSON data file. Out: each unit's result, in the
//! file's order, handed to a sink on the calling thread while another
//! thread reads and checks the file: on two cores reading and scoring take
//! about a quarter more time than reading alone (README, "Speed"), and no
//! unit's data is kept once it is scored. When the program's scores need
//! the whole batch (a `rank(…)`, an aggregate across units) and what these
//! read are the units' own inputs, a third thread first skims the file for
//! those inputs alone and works the batch's values out; the units read
//! meanwhile wait for them. The skim is a guess (`data::skim`): before a
//! unit is scored, its name and the values the skim read are compared with
//! the full reading's, and if any differs (or the units are not as many),
//! nothing scored counts and the file is read again whole, to be scored as
//! a batch. A file that is not plainly sound is read whole
//! instead and given back for the exact errors; nothing scored from it
//! counts ([`WhileReading::Whole`] tells the caller to drop what its sink
//! was given). So is a batch whose values cannot be worked out (an error
//! in a rank's expression, say), for the errors scoring it whole gives.

use super::batch_values::{inputs_read, BatchValues, Ranks, Values};
use super::{AcrossValue, Engine, EvalError, UnitResult, Worker};
use crate::compiled::{Compiled, LANES};
use crate::data::{self, Batch, DataError, EachUnit, Piece, UnitData};
use crate::value::Value;
use rulebook_lang::ir::Program;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, TrySendError};
use std::sync::OnceLock;

/// Units sent from the reading thread to the scoring one at a time.
const CHUNK: usize = 64;

/// How scoring while reading ended.
#[derive(Debug)]
pub enum WhileReading {
    /// The file was sound and every unit went to the sink, except those
    /// that could not be scored: these errors (every one, in order).
    Scored(Vec<EvalError>),
    /// The file is not plainly sound, or the batch's values could not be
    /// worked out ahead (or the program's scores need what only a whole
    /// batch gives): here it is, read whole (or its errors). What the sink
    /// was given, if anything, is to be dropped.
    Whole(Result<Batch, Vec<DataError>>),
}

/// Whether a program's units can be scored one by one, needing nothing
/// from the other units (no `rank`, no aggregate over the batch).
pub fn scores_alone(program: &Program) -> bool {
    program.ranks.is_empty() && program.across.is_empty()
}

/// Whether a program's units can be scored as a data file is read: alone,
/// or with the batch's values worked out by a skim of the file ahead of
/// the reading (what they read are the units' own inputs).
pub fn scores_while_reading(program: &Program) -> bool {
    scores_alone(program) || inputs_read(program).is_some()
}

enum Msg<R> {
    Globals(Vec<Value>),
    /// Units from the `.0`th of the file on.
    Units(usize, Vec<UnitData>),
    /// Units the reading thread scored itself (and made what the sink
    /// takes of them), the scoring one being busy.
    Scored(Vec<Result<R, EvalError>>),
    /// The skim is over: the batch's values are in (or cannot be had).
    Ahead,
}

/// The batch's values, as the skim worked them out: `None` when it could
/// not (the file is not shaped as expected, or they have errors).
type Ahead = OnceLock<Option<Skimmed>>;

/// What scoring a unit needs besides its data: the globals, and when the
/// program needs the whole batch, the batch's values.
#[derive(Clone, Copy)]
struct Ready<'a> {
    globals: &'a [Value],
    ahead: Option<&'a Skimmed>,
    /// Whether each unit's trace is kept.
    trace: bool,
}

impl<'a> Ready<'a> {
    /// Ready when the globals are in and, if `ahead` is needed, the
    /// batch's values.
    fn new(globals: Option<&'a [Value]>, ahead: Option<&'a Ahead>, trace: bool) -> Option<Self> {
        let ahead = match ahead {
            None => None,
            Some(a) => Some(a.get()?.as_ref()?),
        };
        Some(Ready {
            globals: globals?,
            ahead,
            trace,
        })
    }

    /// Score the units of the file from its `start`th, a chunk of
    /// [`LANES`] at a time, handing each result to `each` in order, with
    /// its unit's place in the file; from a
    /// chunk with a unit that is not what the skim found, nothing more is
    /// scored (nothing scored then counts).
    fn score_all(
        self,
        worker: &mut Worker<'_, '_>,
        start: usize,
        units: &[UnitData],
        each: &mut dyn FnMut(usize, Result<UnitResult, EvalError>),
    ) {
        for (from, chunk) in (start..).step_by(LANES).zip(units.chunks(LANES)) {
            let (ranks, across): (Option<&Ranks>, &[AcrossValue]) = match self.ahead {
                Some(a) => {
                    let agree = !a.astray.load(Ordering::Relaxed)
                        && (from..).zip(chunk).all(|(k, u)| a.agrees(k, u));
                    if !agree {
                        return;
                    }
                    (Some(&a.values.0), &a.values.1)
                }
                None => (None, &[]),
            };
            // (Each unit's result comes in order.)
            let mut at = from;
            worker.score_units(
                self.globals,
                chunk,
                &|j| ranks.map_or(&[], |r| r.of(from + j)),
                across,
                self.trace,
                &mut |r| {
                    each(at, r.map(std::mem::take));
                    at += 1;
                },
            );
        }
    }
}

/// Whether `path` can be read more than once: a regular file, not a pipe
/// (or anything else) given a file's name, which gives its data once.
pub fn readable_twice(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Score the units of the JSON data file at `path` as it is read (see the
/// module's notes), keeping each unit's trace when `trace`. `tick` is
/// called once per unit scored; `file_name` is used in the locations of
/// data errors. `Err` is a file that cannot be read at all.
pub fn score_while_reading(
    program: &Program,
    file_name: &str,
    path: &Path,
    trace: bool,
    tick: &(dyn Fn() + Sync),
    sink: &mut dyn FnMut(UnitResult),
) -> std::io::Result<WhileReading> {
    score_while_reading_map(program, file_name, path, trace, tick, &|_, u| u, sink)
}

/// [`score_while_reading`], each unit's result first made into what the
/// sink takes by `map` (given the unit's place in the file, from 0), on
/// the thread that scored it: while the sink's thread writes one unit, the
/// reading thread can score and make the next ones.
pub fn score_while_reading_map<R: Send>(
    program: &Program,
    file_name: &str,
    path: &Path,
    trace: bool,
    tick: &(dyn Fn() + Sync),
    map: &(dyn Fn(usize, UnitResult) -> R + Sync),
    sink: &mut dyn FnMut(R),
) -> std::io::Result<WhileReading> {
    // The skim reads the file beside the full reading.
    let a_file = readable_twice(path);
    let wanted = match (scores_alone(program), inputs_read(program)) {
        (true, _) => None,
        (false, Some(wanted)) if a_file => Some(wanted),
        (false, _) => {
            return data::load_json_path(program, file_name, path).map(WhileReading::Whole)
        }
    };
    let compiled = Compiled::new(program);
    let engine = Engine::Compiled(&compiled);
    let ahead_cell: Ahead = OnceLock::new();
    let ahead = wanted.is_some().then_some(&ahead_cell);
    // Without globals in the rulebook there is nothing to wait for.
    let no_globals = program.globals.is_empty().then(Vec::new);
    let mut globals = no_globals.clone();
    let mut waiting: Vec<(usize, Vec<UnitData>)> = Vec::new();
    let mut errors = Vec::new();
    let mut hand_on = |r: Result<R, EvalError>| {
        match r {
            Ok(r) => sink(r),
            Err(e) => errors.push(e),
        }
        tick();
    };
    let mut worker = engine.worker();
    let read = std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<Msg<R>>(2);
        if let Some(wanted) = wanted {
            let tx = tx.clone();
            let cell = &ahead_cell;
            s.spawn(move || {
                let _ = cell.set(skim_ahead(program, engine, path, &wanted));
                let _ = tx.send(Msg::Ahead);
            });
        }
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
            let mut read = 0;
            let mut send = |chunk: Vec<UnitData>, globals: &Option<Vec<Value>>| {
                while let Ok(done) = back_rx.try_recv() {
                    drop(done);
                }
                let start = read;
                read += chunk.len();
                let ready = Ready::new(globals.as_deref(), ahead, trace);
                match (tx.try_send(Msg::Units(start, chunk)), ready) {
                    (Err(TrySendError::Full(Msg::Units(_, units))), Some(r)) => {
                        let mut scored = Vec::with_capacity(units.len());
                        r.score_all(&mut worker, start, &units, &mut |k, x| {
                            scored.push(x.map(|u| map(k, u)));
                        });
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
            let scored = match msg {
                Msg::Globals(g) => {
                    globals.get_or_insert(g);
                    None
                }
                Msg::Units(start, us) => {
                    waiting.push((start, us));
                    None
                }
                Msg::Scored(rs) => Some(rs),
                Msg::Ahead => None,
            };
            // Units wait (in the file's order) until they can be scored;
            // units the reading thread scored come after those.
            if let Some(r) = Ready::new(globals.as_deref(), ahead, trace) {
                for (start, units) in waiting.drain(..) {
                    r.score_all(&mut worker, start, &units, &mut |k, x| {
                        hand_on(x.map(|u| map(k, u)));
                    });
                    // (Once the reading is over, they are freed here.)
                    let _ = back_tx.send(units);
                }
            }
            scored.into_iter().flatten().for_each(&mut hand_on);
        }
        reader
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the data file's reader stopped")))
    })?;
    let held = match ahead_cell.get() {
        Some(Some(skimmed)) => skimmed.held(),
        _ => true,
    };
    Ok(match read {
        // A unit was not what the skim found (a key written with escapes,
        // say): the file read whole, to be scored whole.
        EachUnit::Done if !held => {
            WhileReading::Whole(data::load_json_path(program, file_name, path)?)
        }
        EachUnit::Done if waiting.is_empty() => WhileReading::Scored(errors),
        // The batch's values could not be worked out ahead: the batch, as
        // read, for scoring whole (which reports their errors).
        EachUnit::Done => WhileReading::Whole(Ok(Batch {
            globals: globals.unwrap_or_default(),
            units: waiting.into_iter().flat_map(|(_, us)| us).collect(),
        })),
        EachUnit::Whole(whole) => WhileReading::Whole(whole),
    })
}

/// What the skim found and worked out: the batch's values, and what it
/// read of each unit, to be held to what the full reading gives.
pub(super) struct Skimmed {
    values: Values,
    /// The inputs read (indices into a unit's inputs).
    wanted: Vec<usize>,
    /// Each unit's name, in the file's order.
    names: Vec<String>,
    /// Each unit's wanted inputs, one unit after another.
    inputs: Vec<Value>,
    /// Units whose reading agreed with the skim.
    agreed: AtomicUsize,
    /// Some unit's reading did not: nothing scored counts.
    astray: AtomicBool,
}

impl Skimmed {
    /// Whether the `k`th unit of the file, as fully read, is what the skim
    /// found: the same name and the same wanted values, to the digit.
    fn agrees(&self, k: usize, u: &UnitData) -> bool {
        let w = self.wanted.len();
        let same = self.names.get(k) == Some(&u.name)
            && self.inputs.get(k * w..(k + 1) * w).is_some_and(|mine| {
                self.wanted
                    .iter()
                    .zip(mine)
                    .all(|(&i, v)| u.inputs.get(i).is_some_and(|x| same_value(x, v)))
            });
        if same {
            self.agreed.fetch_add(1, Ordering::Relaxed);
        } else {
            self.astray.store(true, Ordering::Relaxed);
        }
        same
    }

    /// Every unit of the file agreed, and no other.
    fn held(&self) -> bool {
        !self.astray.load(Ordering::Relaxed)
            && self.agreed.load(Ordering::Relaxed) == self.names.len()
    }
}

/// The same value, numbers to the digit (scale included).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.serialize() == y.serialize(),
        (Value::List(x), Value::List(y)) | (Value::Record(x), Value::Record(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(x, y)| same_value(x, y))
        }
        _ => a == b,
    }
}

/// Skim the file at `path` for what the batch's values read (`wanted`)
/// and work them out; `None` when the file is not shaped as expected or
/// the values have errors.
fn skim_ahead(
    program: &Program,
    engine: Engine<'_, '_>,
    path: &Path,
    wanted: &[bool],
) -> Option<Skimmed> {
    let mut worker = engine.worker();
    let mut values = BatchValues::new(program);
    let indices: Vec<usize> = (0..wanted.len())
        .filter(|&i| wanted.get(i).copied().unwrap_or(false))
        .collect();
    let (mut names, mut inputs) = (Vec::new(), Vec::new());
    let shaped = data::skim::units(program, path, wanted, &mut |u| {
        // (What the batch's values read includes no global.)
        values.add(&mut worker, &[], u);
        names.push(u.name.clone());
        inputs.extend(
            indices
                .iter()
                .map(|&i| u.inputs.get(i).cloned().unwrap_or(Value::Missing)),
        );
    });
    match shaped {
        Ok(true) => Some(Skimmed {
            values: values.finish().ok()?,
            wanted: indices,
            names,
            inputs,
            agreed: AtomicUsize::new(0),
            astray: AtomicBool::new(false),
        }),
        _ => None,
    }
}
