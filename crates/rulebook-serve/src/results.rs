//! Scored uploads, kept in memory (never on disk) so the result pages and
//! downloads can be opened after the upload: the newest few, up to a
//! bound on their units, the oldest dropped first.

use rulebook_eval::data::Batch;
use rulebook_eval::eval::UnitResult;
use rulebook_lang::ir::Program;
use std::collections::hash_map::RandomState;
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

/// At most this many scorings are kept…
const MAX_KEPT: usize = 16;
/// …holding at most this many units together.
const MAX_UNITS: usize = 20_000;

pub struct Scored {
    pub id: String,
    /// The rulebook's NAME.
    pub rulebook: String,
    /// The uploaded file's name.
    pub file_name: String,
    pub program: Program,
    /// The data, for re-scoring a unit with one input changed.
    pub batch: Batch,
    /// In the batch's order, ranked.
    pub units: Vec<UnitResult>,
}

#[derive(Default)]
pub struct Results {
    kept: Mutex<VecDeque<Arc<Scored>>>,
    ids: RandomState,
}

impl Results {
    /// An id no one can guess from another's.
    pub fn new_id(&self, seed: usize) -> String {
        let a = self.ids.hash_one((seed, std::time::SystemTime::now()));
        let b = RandomState::new().hash_one(a);
        format!("{a:016x}{b:016x}")
    }

    pub fn put(&self, scored: Scored) -> Arc<Scored> {
        let scored = Arc::new(scored);
        let Ok(mut kept) = self.kept.lock() else {
            return scored;
        };
        kept.push_back(scored.clone());
        while kept.len() > MAX_KEPT
            || (kept.len() > 1 && kept.iter().map(|s| s.units.len()).sum::<usize>() > MAX_UNITS)
        {
            kept.pop_front();
        }
        scored
    }

    pub fn get(&self, id: &str) -> Option<Arc<Scored>> {
        let kept = self.kept.lock().ok()?;
        kept.iter().find(|s| s.id == id).cloned()
    }
}
