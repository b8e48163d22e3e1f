//! Throughput of the whole pipeline on the 2024 Ziyuan rulebook:
//! check (source → IR), data loading (JSON → slots) and evaluation of
//! 100 000 units on one thread and on all cores. Run with `cargo bench`.
//!
//! The units are the eight example units of `examples/ziyuan-2024/data.json`,
//! renamed and with their air-quality figures varied so that no two units
//! score alike; ranks are computed across the whole batch. Each way of
//! scoring is timed in [`ROUNDS`] rounds, taken in turn, and reported as the
//! median run with the fastest and slowest beside it: the project's VM
//! drifts by up to ±30 % within minutes, and one run says little.
//!
//! `cargo bench -p rulebook-cli --bench throughput -- --write N FILE` writes
//! a data file of N such units instead (for whole-process measurements of
//! `rulebook eval` under `/usr/bin/time -v`); `-- --load-only` times the
//! data loading alone, five rounds, in wall and CPU time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rulebook_eval::data::{load_json, load_json_path, Batch};
use rulebook_eval::eval::{evaluate_batch, evaluate_batch_map, rank_batch, Options};
use rulebook_eval::Value;
use rulebook_lang::ir::{Type, Unit};
use rust_decimal::Decimal;
use std::path::Path;
use std::time::Instant;

mod ziyuan_typed;

const UNITS: usize = 100_000;

/// `-- --units N`: score N units rather than [`UNITS`], made from 64 loaded
/// ones, the rulebook checked once, and with `--score-only` scored once
/// rather than five times: for an instruction counter such as `valgrind
/// --tool=callgrind`, which runs far slower.
fn units_arg() -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    let k = args.iter().position(|a| a == "--units")?;
    args.get(k + 1)?.parse().ok()
}
const LOAD_UNITS: usize = 10_000;

/// Let the allocator tidy the memory freed so far before a timing starts:
/// glibc merges freed small blocks at the next large request, so without
/// this a timed load pays for the tree dropped before it.
fn settle() {
    drop(std::hint::black_box(Vec::<u8>::with_capacity(1 << 16)));
}

/// Seconds this thread has spent on the CPU, from the kernel's scheduler
/// statistics (on a shared machine, wall time also counts other processes'
/// turns); `None` where the kernel does not tell.
fn cpu_seconds() -> Option<f64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns / 1e9)
}

fn main() {
    let units_given = units_arg();
    let units_n = units_given.unwrap_or(UNITS);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let src = std::fs::read_to_string(root.join("rulebooks/ziyuan-2024.rules")).unwrap();
    let data = std::fs::read_to_string(root.join("examples/ziyuan-2024/data.json")).unwrap();

    // Check: parse + resolve + type-check + lower to IR.
    let runs = if units_given.is_some() { 1 } else { 50 };
    let t = Instant::now();
    let mut program = None;
    for _ in 0..runs {
        program = rulebook_lang::check("ziyuan-2024.rules", &src).program;
    }
    let check_ms = t.elapsed().as_secs_f64() * 1000.0 / runs as f64;
    let program = program.expect("the Ziyuan rulebook checks clean");

    // Data loading: a JSON file of LOAD_UNITS units.
    let json: serde_json::Value = serde_json::from_str(&data).unwrap();
    let examples = json["units"].as_array().unwrap().clone();
    let args: Vec<String> = std::env::args().collect();
    let (count, write_to) = match args.iter().position(|a| a == "--write") {
        Some(k) => (
            args[k + 1].parse::<usize>().unwrap(),
            Some(args[k + 2].clone()),
        ),
        // With `--units`, only what the scored batch is made of.
        None => (units_given.map_or(LOAD_UNITS, |_| 64), None),
    };
    let mut units = Vec::with_capacity(count);
    for i in 0..count {
        let mut u = examples[i % examples.len()].clone();
        u["unit"] = serde_json::Value::String(format!("单位{i:06}"));
        if u.get("params").is_none() || u["params"].is_null() {
            u["params"] = json["units"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|x| (!x["params"].is_null()).then(|| x["params"].clone()))
                .unwrap_or(serde_json::Value::Null);
        }
        units.push(u);
    }
    if let Some(path) = write_to {
        // Air quality varied per unit, as in the scored batch below.
        let ug: Vec<&str> = program
            .inputs
            .iter()
            .filter(|d| d.ty == Type::Num(Unit::Ug))
            .map(|d| d.name.as_str())
            .collect();
        for (i, u) in units.iter_mut().enumerate() {
            for name in &ug {
                let v = &mut u[*name];
                if let Some(n) = v
                    .as_number()
                    .and_then(|n| n.to_string().parse::<Decimal>().ok())
                {
                    let varied = n + Decimal::new((i % 97) as i64, 1);
                    *v = serde_json::from_str(&varied.to_string()).unwrap();
                }
            }
        }
        let doc = serde_json::json!({ "globals": json["globals"], "units": units });
        std::fs::write(&path, serde_json::to_string(&doc).unwrap()).unwrap();
        println!("wrote {count} units to {path}");
        return;
    }
    let big = serde_json::json!({ "globals": json["globals"], "units": units }).to_string();
    // As `rulebook eval` reads a file: from disk, in pieces, one pass per unit.
    let file = std::env::temp_dir().join(format!("rulebook-bench-{}.json", std::process::id()));
    std::fs::write(&file, &big).unwrap();
    // `-- --load-only`: the three loads, interleaved, five rounds, wall and
    // CPU time each (for comparing two builds on a shared machine).
    if args.iter().any(|a| a == "--load-only") {
        let cpu_now = || cpu_seconds().unwrap_or(0.0);
        for _ in 0..5 {
            settle();
            let (c, t) = (cpu_now(), Instant::now());
            let b = load_json_path(&program, "bench.json", &file)
                .unwrap()
                .unwrap();
            let (file_s, file_cpu) = (t.elapsed().as_secs_f64(), cpu_now() - c);
            drop(b);
            settle();
            let (c, t) = (cpu_now(), Instant::now());
            let b = load_json(&program, "bench.json", &big).unwrap();
            let (text_s, text_cpu) = (t.elapsed().as_secs_f64(), cpu_now() - c);
            drop(b);
            settle();
            let (c, t) = (cpu_now(), Instant::now());
            let typed: ziyuan_typed::Doc = serde_json::from_str(&big).unwrap();
            let (typed_s, typed_cpu) = (t.elapsed().as_secs_f64(), cpu_now() - c);
            drop(typed);
            let rate = |s: f64| count as f64 / s;
            println!(
                "units/s wall (CPU): file {:.0} ({:.0})  text {:.0} ({:.0})  serde typed {:.0} ({:.0})",
                rate(file_s),
                rate(file_cpu),
                rate(text_s),
                rate(text_cpu),
                rate(typed_s),
                rate(typed_cpu)
            );
        }
        std::fs::remove_file(&file).unwrap();
        return;
    }
    settle();
    let t = Instant::now();
    let loaded = load_json_path(&program, "bench.json", &file)
        .unwrap()
        .unwrap_or_else(|e| panic!("{}", e[0]));
    let load_s = t.elapsed().as_secs_f64();
    std::fs::remove_file(&file).unwrap();
    // Text in memory (an upload to `rulebook serve`): a tree per unit, then checked.
    settle();
    let t = Instant::now();
    let in_memory = load_json(&program, "bench.json", &big).unwrap_or_else(|e| panic!("{}", e[0]));
    let load_text_s = t.elapsed().as_secs_f64();
    assert_eq!(in_memory, loaded);
    drop(in_memory);
    // The floor to compare with: serde_json's typed deserialisation of the
    // same text into a struct with one field per input, as a hand-written
    // program would read it (exact numbers, no positions).
    settle();
    let t = Instant::now();
    let typed: ziyuan_typed::Doc = serde_json::from_str(&big).unwrap();
    let typed_s = t.elapsed().as_secs_f64();
    assert_eq!(typed.units.len(), count);
    drop(typed);

    // The batch to score: UNITS units, air quality varied per unit.
    let mut batch = Batch {
        globals: loaded.globals.clone(),
        units: Vec::with_capacity(units_n),
    };
    let ug: Vec<usize> = program
        .inputs
        .iter()
        .enumerate()
        .filter(|(_, d)| d.ty == Type::Num(Unit::Ug))
        .map(|(i, _)| i)
        .collect();
    for i in 0..units_n {
        let mut u = loaded.units[i % loaded.units.len()].clone();
        u.name = format!("单位{i:06}");
        for &slot in &ug {
            if let Value::Num(v) = u.inputs[slot] {
                u.inputs[slot] = Value::Num(v + Decimal::new((i % 97) as i64, 1));
            }
        }
        batch.units.push(u);
    }

    // Scoring keeps what a summary table needs of each unit (its total and
    // item scores), as `rulebook eval --format table|csv` does; keeping the
    // full results (every node, every trace entry) is measured separately.
    let items: Vec<usize> = program.items().map(|i| i as usize).collect();
    let summary = |u: &mut rulebook_eval::eval::UnitResult| {
        let scores: Vec<Decimal> = items.iter().map(|&i| u.nodes[i].score).collect();
        (u.total, scores)
    };
    // Scoring with the compiled evaluator (what every command uses) or the
    // reference interpreter it is tested against, keeping the summary.
    let time_with = |reference: bool, parallel: bool, trace: bool| {
        let opts = Options { trace, parallel };
        let t = Instant::now();
        let r = if reference {
            rulebook_eval::eval::reference::evaluate_batch_map(
                &program,
                &batch,
                opts,
                &|| {},
                &summary,
            )
        } else {
            evaluate_batch_map(&program, &batch, opts, &|| {}, &summary)
        }
        .unwrap();
        assert_eq!(r.len(), units_n);
        std::hint::black_box(&r);
        t.elapsed().as_secs_f64()
    };
    let time = |parallel: bool| time_with(false, parallel, false);
    // `-- --score-only [reference] [trace]`: only that scoring, on one
    // thread, five times (for a profiler).
    if args.iter().any(|a| a == "--score-only") {
        let reference = args.iter().any(|a| a == "reference");
        let trace = args.iter().any(|a| a == "trace");
        let runs = if units_given.is_some() { 1 } else { 5 };
        for _ in 0..runs {
            let cpu = cpu_seconds();
            let secs = time_with(reference, false, trace);
            match (cpu, cpu_seconds()) {
                (Some(a), Some(b)) => println!(
                    "{:.0} units/s ({:.0} units per second on the CPU)",
                    units_n as f64 / secs,
                    units_n as f64 / (b - a)
                ),
                _ => println!("{:.0} units/s", units_n as f64 / secs),
            }
        }
        return;
    }
    let full = |trace: bool| {
        let t = Instant::now();
        let r = evaluate_batch(
            &program,
            &batch,
            Options {
                trace,
                parallel: true,
            },
        )
        .unwrap();
        assert_eq!(r.len(), units_n);
        std::hint::black_box(&r);
        t.elapsed().as_secs_f64()
    };
    // The first pass of a constant-memory run (`eval --format csv|json|jsonl`):
    // each unit scored for its total only, then ranked.
    let ranking = || {
        let t = Instant::now();
        let r = rank_batch(&program, &batch, true).unwrap();
        std::hint::black_box(&r);
        t.elapsed().as_secs_f64()
    };
    // Every configuration is timed several times, the configurations taken
    // in turn round after round, so that the VM's drift (up to ±30 % within
    // minutes) falls on all of them alike; each is reported as its median,
    // with the fastest and slowest runs beside it.
    let _warm = time(true);
    let configs: Vec<(bool, bool, bool)> = [false, true]
        .iter()
        .flat_map(|&reference| {
            [(false, false), (false, true), (true, false), (true, true)]
                .into_iter()
                .map(move |(parallel, trace)| (reference, parallel, trace))
        })
        .collect();
    let mut table: Vec<Vec<f64>> = vec![Vec::new(); configs.len()];
    let (mut rank_pass, mut all_full, mut all_traced) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for (k, &(reference, parallel, trace)) in configs.iter().enumerate() {
            // (The reference interpreter, three to four times slower, in the
            // first three rounds only.)
            if !reference || round < 3 {
                table[k].push(time_with(reference, parallel, trace));
            }
        }
        rank_pass.push(ranking());
        all_full.push(full(false));
        all_traced.push(full(true));
    }
    let table: Vec<(bool, bool, bool, Spread)> = configs
        .iter()
        .zip(&table)
        .map(|(&(reference, parallel, trace), secs)| (reference, parallel, trace, spread(secs)))
        .collect();
    let of = |parallel: bool, trace: bool| {
        table
            .iter()
            .find(|t| !t.0 && t.1 == parallel && t.2 == trace)
            .map(|t| t.3)
            .unwrap()
    };
    let (one, all) = (of(false, false), of(true, false));
    let (rank_pass, all_full, all_traced) =
        (spread(&rank_pass), spread(&all_full), spread(&all_traced));
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);

    println!(
        "Ziyuan 2024 rulebook: {} inputs, {} nodes",
        program.inputs.len(),
        program.nodes.len()
    );
    println!("check (parse + type-check + IR):     {check_ms:.2} ms per run");
    println!(
        "load JSON file ({count} units, {:.1} MB): {:.0} units/s",
        big.len() as f64 / 1e6,
        count as f64 / load_s
    );
    println!(
        "load JSON text in memory:           {:.0} units/s",
        count as f64 / load_text_s
    );
    println!(
        "serde_json typed deserialisation:   {:.0} units/s",
        count as f64 / typed_s
    );
    let rate = |t: Spread| t.rates(units_n);
    println!("evaluate {units_n} units, 1 thread:    {}", rate(one));
    println!("evaluate {units_n} units, {cores} cores:     {}", rate(all));
    println!("  … keeping every node's score:     {}", rate(all_full));
    println!("  … and every trace entry:          {}", rate(all_traced));
    println!(
        "ranking pass (totals only), {cores} cores: {}",
        rate(rank_pass)
    );
    println!("evaluator  threads  trace  units/s: median of the runs (fastest–slowest, runs)");
    for (reference, parallel, trace, secs) in table {
        println!(
            "{:<10} {:<8} {:<6} {}",
            if reference { "reference" } else { "compiled" },
            if parallel { cores } else { 1 },
            if trace { "yes" } else { "no" },
            rate(secs)
        );
    }
}

/// Rounds of timing in the table: each configuration of the compiled
/// evaluator is timed this many times (the reference interpreter three).
const ROUNDS: usize = 5;

/// A configuration's timings in seconds: the median, the fastest and the
/// slowest, and how many runs.
#[derive(Clone, Copy)]
struct Spread {
    median: f64,
    fastest: f64,
    slowest: f64,
    runs: usize,
}

fn spread(secs: &[f64]) -> Spread {
    let mut s = secs.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    Spread {
        median: s[s.len() / 2],
        fastest: s[0],
        slowest: s[s.len() - 1],
        runs: s.len(),
    }
}

impl Spread {
    /// As units per second: "median (fastest–slowest, runs)".
    fn rates(self, units: usize) -> String {
        let r = |secs: f64| units as f64 / secs;
        format!(
            "{:.0} ({:.0}–{:.0}, {} runs)",
            r(self.median),
            r(self.fastest),
            r(self.slowest),
            self.runs
        )
    }
}
