//! `desugar-fuzz`: random async programs, compiled natively and through
//! `#[desugar]`, compared by the differential harness (`scripts/fuzz`).
//!
//! Hand-written differential tests check the cases someone thought of. This
//! crate writes the others: for each seed a random, well-typed `async fn`
//! with its helpers, compiles it twice with `differential!` from
//! `tests/support` (natively, and through `#[desugar]`), and lets the harness
//! compare the twins: output, every event (polls, wake-ups, uses and drops,
//! in order) under eight schedules of `Pending`s, cancellation after every
//! number of polls, polling after the end and after a panic, auto traits.
//! A program on which the macro fails to compile, or behaves differently
//! from rustc, is reduced and saved.
//!
//! # The generator
//!
//! [`generate`] is type-directed: it asks for an expression of a type from a
//! small universe (`u32`, `bool`, `String`, `Noisy`, `Option<u32>`,
//! `Vec<u32>`, `Result<u32, String>`, `&u32`, `&str`, a struct `Acc`) and
//! picks one of the ways to make it, `.await`s in every operand position
//! among them. A model of ownership beside the scopes (moves, borrows held by
//! bindings, guards, closures and temporaries) keeps every program compiling
//! natively; a program that does not is a bug of the generator, counted and
//! shown apart. A seed always gives the same program. Every construct has a
//! name (`scripts/fuzz --constructs` lists them) and can be switched off
//! with `--without NAME,..`.
//!
//! # Batches
//!
//! A program alone takes seconds to compile, so [`scratch`] compiles a batch
//! of them (50 by default) as modules of one crate under `target/fuzz/work`,
//! with its own target directory. Errors are traced to the module they are
//! in, and a batch with errors is compiled again without the programs that
//! have them (halved, when an error names none) until the rest compiles.
//! Then one test binary runs every comparison.
//!
//! # The reducer
//!
//! [`reduce`] deletes statements and parameters, replaces expressions by
//! literals, and unwraps `if`s, loops, blocks and `.await`s, keeping each
//! edit that leaves the failure of the same kind (a desugared compile error
//! with the same message, or the same comparison failing). Candidate edits of
//! all failing programs are tried together, a batch per round.
//!
//! # Output
//!
//! Each failure is saved in `target/fuzz/seed-N/`: `case.rs` (the reduced
//! program, as a test file for `tests/`), `original.rs`, and `reason.txt`
//! (its class, the constructs it still holds, the first compiler error or
//! the first differing event). The last line printed is the summary,
//! `fuzz: P/T equivalent (C compile errors, M mismatches)`.
//!
//! `--ci` runs a fixed range of seeds and compares the failures with
//! `tests/fuzz/known_failures.txt` (see [`known`]): it fails on a new one.

mod generate;
mod json;
mod known;
mod program;
mod reduce;
mod report;
mod rng;
mod scratch;
mod tree;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::generate::Config;
use crate::program::Program;
use crate::scratch::{Mode, Scratch, Verdict};
use crate::tree::Kind;

/// The seeds `--ci` runs.
const CI_SEEDS: Range<u64> = 0..60;

const USAGE: &str = "usage: scripts/fuzz [OPTIONS]

  --seeds A..B         the seeds to run (default 0..100; `A..` with --count)
  --count N            run N seeds (from A, or from 0)
  --batch K            programs compiled together (default 50)
  --ci                 the fixed seeds 0..60, compared with tests/fuzz/known_failures.txt:
                       fails only on a failing seed not in the list
  --known FILE         compare with this list of known failures (default with --ci)
  --write-known        rewrite the list from this run's failures
  --no-reduce          save failures as generated
  --reduce-time SECS   stop reducing after this long (default 600; 60 with --ci)
  --without A,B        never generate these constructs (see --constructs)
  --constructs         list the construct names
  --print SEED         print the program of one seed and exit
  --verbose            time every cargo invocation
";

/// The command line.
struct Options {
    seeds: Range<u64>,
    batch: usize,
    ci: bool,
    known: Option<PathBuf>,
    write_known: bool,
    reduce: bool,
    reduce_time: Duration,
    config: Config,
    print: Option<u64>,
    verbose: bool,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("fuzz: {error}");
            ExitCode::from(2)
        }
    }
}

/// The repository: `DESUGAR_FUZZ_ROOT` (set by `scripts/fuzz`), or the
/// parent of this crate.
fn root() -> PathBuf {
    std::env::var_os("DESUGAR_FUZZ_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("the fuzz crate is in the workspace")
                .to_owned()
        })
}

fn parse_options() -> Result<Option<Options>, String> {
    let mut options = Options {
        seeds: 0..100,
        batch: 50,
        ci: false,
        known: None,
        write_known: false,
        reduce: true,
        reduce_time: Duration::from_secs(600),
        config: Config::default(),
        print: None,
        verbose: false,
    };
    let mut seeds: Option<(u64, Option<u64>)> = None;
    let mut count = None;
    let mut reduce_time = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |text: String| {
            text.parse::<u64>()
                .map_err(|_| format!("not a number: {text}"))
        };
        match arg.as_str() {
            "--seeds" => {
                let text = value("--seeds")?;
                let (start, end) = text.split_once("..").ok_or("--seeds takes A..B")?;
                let end = if end.is_empty() {
                    None
                } else {
                    Some(number(end.to_owned())?)
                };
                seeds = Some((number(start.to_owned())?, end));
            }
            "--count" => count = Some(number(value("--count")?)?),
            "--batch" => options.batch = number(value("--batch")?)?.max(1) as usize,
            "--ci" => options.ci = true,
            "--known" => options.known = Some(PathBuf::from(value("--known")?)),
            "--write-known" => options.write_known = true,
            "--no-reduce" => options.reduce = false,
            "--reduce-time" => {
                reduce_time = Some(Duration::from_secs(number(value("--reduce-time")?)?))
            }
            "--without" => {
                for name in value("--without")?.split(',').filter(|n| !n.is_empty()) {
                    let kind = Kind::from_name(name)
                        .ok_or(format!("no construct `{name}` (see --constructs)"))?;
                    options.config.disabled.insert(kind);
                }
            }
            "--constructs" => {
                for kind in Kind::constructs() {
                    println!("{}", kind.name());
                }
                return Ok(None);
            }
            "--print" => options.print = Some(number(value("--print")?)?),
            "--verbose" => options.verbose = true,
            "--help" | "-h" => {
                print!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    options.seeds = match (seeds, count) {
        (Some((start, Some(end))), None) => start..end,
        (Some((start, Some(end))), Some(count)) => start..end.min(start + count),
        (Some((start, None)), count) => start..start + count.unwrap_or(100),
        (None, Some(count)) => 0..count,
        (None, None) if options.ci => CI_SEEDS,
        (None, None) => 0..100,
    };
    if options.ci && options.known.is_none() {
        options.known = Some(root().join("tests").join("fuzz").join("known_failures.txt"));
    }
    options.reduce_time =
        reduce_time.unwrap_or(Duration::from_secs(if options.ci { 60 } else { 600 }));
    Ok(Some(options))
}

fn run() -> Result<ExitCode, String> {
    let Some(options) = parse_options()? else {
        return Ok(ExitCode::SUCCESS);
    };
    let root = root();
    if let Some(seed) = options.print {
        let program = generate::generate(seed, &options.config);
        print!(
            "{}",
            program.standalone(&format!("scripts/fuzz, seed {seed}"))
        );
        return Ok(ExitCode::SUCCESS);
    }
    let started = Instant::now();
    let io = |error: std::io::Error| error.to_string();
    let mut scratch = Scratch::new(&root).map_err(io)?;
    scratch.verbose = options.verbose;
    let out_dir = root.join("target").join("fuzz");

    // 1. Generate.
    let seeds: Vec<u64> = options.seeds.clone().collect();
    let programs: Vec<Program> = seeds
        .iter()
        .map(|&seed| generate::generate(seed, &options.config))
        .collect();
    println!(
        "fuzz: seeds {}..{}: {} programs in batches of {}",
        options.seeds.start,
        options.seeds.end,
        programs.len(),
        options.batch
    );

    // 2. Compile and compare, a batch at a time.
    let mut verdicts: Vec<Verdict> = Vec::new();
    for (number, chunk) in programs.chunks(options.batch).enumerate() {
        let batch_started = Instant::now();
        let judged = scratch.evaluate(chunk, Mode::Run).map_err(io)?;
        let first = seeds[number * options.batch];
        println!(
            "batch {}: seeds {}..{}: {} ({:.0} s)",
            number + 1,
            first,
            first + chunk.len() as u64,
            tally(&judged),
            batch_started.elapsed().as_secs_f64()
        );
        verdicts.extend(judged);
    }

    // 3. Which failures are news.
    let known = match &options.known {
        Some(path) => Some(known::read(path).map_err(io)?),
        None => None,
    };
    let failing: known::Known = seeds
        .iter()
        .zip(&verdicts)
        .filter(|(_, verdict)| is_failure(verdict))
        .map(|(&seed, verdict)| (seed, report::class(verdict)))
        .collect();
    let is_new = |seed: u64| {
        known
            .as_ref()
            .is_none_or(|known| !known.contains_key(&seed))
    };

    // 4. Reduce the failures (with a list, only the new ones).
    let to_reduce: Vec<usize> = (0..seeds.len())
        .filter(|&i| {
            options.reduce && reduce::Expect::of(&verdicts[i]).is_some() && is_new(seeds[i])
        })
        .collect();
    let mut reduced: Vec<Option<reduce::Reduced>> = vec![None; seeds.len()];
    if !to_reduce.is_empty() {
        println!(
            "fuzz: reducing {} failures (at most {} s)",
            to_reduce.len(),
            options.reduce_time.as_secs()
        );
        let failures = to_reduce
            .iter()
            .map(|&i| (programs[i].clone(), verdicts[i].clone()))
            .collect();
        let mut progress = |line: &str| println!("{line}");
        let results =
            reduce::reduce(&scratch, failures, options.reduce_time, &mut progress).map_err(io)?;
        for (&i, result) in to_reduce.iter().zip(results) {
            reduced[i] = Some(result);
        }
    }

    // 5. Save every failure.
    let mut generator_bugs = Vec::new();
    for (i, &seed) in seeds.iter().enumerate() {
        let stale = out_dir.join(format!("seed-{seed}"));
        if !is_failure(&verdicts[i]) {
            if stale.exists() {
                std::fs::remove_dir_all(&stale).map_err(io)?;
            }
            continue;
        }
        let record = report::Record {
            seed,
            original: &programs[i],
            original_verdict: &verdicts[i],
            reduced: reduced[i].as_ref().map(|r| (&r.program, &r.verdict)),
        };
        let dir = report::save(&out_dir, &record).map_err(io)?;
        if matches!(verdicts[i], Verdict::NativeError(_)) {
            generator_bugs.push((seed, dir));
        }
    }
    if !failing.is_empty() {
        println!("fuzz: failures saved in {}/seed-N/", out_dir.display());
        let mut classes: std::collections::BTreeMap<&str, Vec<u64>> = Default::default();
        for (seed, class) in &failing {
            classes.entry(class).or_default().push(*seed);
        }
        for (class, seeds) in classes {
            let shown: Vec<String> = seeds.iter().take(12).map(u64::to_string).collect();
            let more = if seeds.len() > 12 { ", .." } else { "" };
            println!(
                "  {:3} {class} (seeds {}{more})",
                seeds.len(),
                shown.join(", ")
            );
        }
    }

    // 6. Compare with the list of known failures.
    let mut code = ExitCode::SUCCESS;
    if let Some(known) = &known {
        let new: Vec<(&u64, &String)> = failing
            .iter()
            .filter(|(seed, _)| !known.contains_key(seed))
            .collect();
        let fixed: Vec<&u64> = known
            .keys()
            .filter(|seed| options.seeds.contains(seed) && !failing.contains_key(seed))
            .collect();
        for seed in &fixed {
            println!(
                "fuzz: known failure seed {seed} ({}) passes now: take it off the list",
                known[seed]
            );
        }
        for (seed, class) in &new {
            println!(
                "fuzz: NEW failure seed {seed}: {class} (see {}/seed-{seed}/reason.txt)",
                out_dir.display()
            );
        }
        if !new.is_empty() && !options.write_known {
            code = ExitCode::FAILURE;
        }
    }
    if options.write_known {
        let path = options
            .known
            .clone()
            .unwrap_or_else(|| root.join("tests").join("fuzz").join("known_failures.txt"));
        let old = known.clone().unwrap_or_default();
        known::write(&path, &old, &options.seeds, &failing).map_err(io)?;
        println!(
            "fuzz: wrote {} failing seeds to {}",
            failing.len(),
            path.display()
        );
    }
    if !generator_bugs.is_empty() {
        println!(
            "fuzz: {} generator bugs (the native version does not compile): seeds {}",
            generator_bugs.len(),
            generator_bugs
                .iter()
                .map(|(seed, _)| seed.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if options.ci {
            code = ExitCode::FAILURE;
        }
    }
    println!("fuzz: done in {:.0} s", started.elapsed().as_secs_f64());
    let (equivalent, compile, mismatch) = counts(&verdicts);
    println!(
        "fuzz: {equivalent}/{} equivalent ({compile} compile errors, {mismatch} mismatches)",
        verdicts.len()
    );
    Ok(code)
}

/// Whether a verdict is a failure to record (a generator bug is one).
fn is_failure(verdict: &Verdict) -> bool {
    !matches!(verdict, Verdict::Equivalent | Verdict::Compiles)
}

/// Equivalent programs, desugared compile errors, mismatches.
fn counts(verdicts: &[Verdict]) -> (usize, usize, usize) {
    let count = |f: fn(&Verdict) -> bool| verdicts.iter().filter(|v| f(v)).count();
    (
        count(|v| matches!(v, Verdict::Equivalent)),
        count(|v| matches!(v, Verdict::DesugaredError(_))),
        count(|v| matches!(v, Verdict::Mismatch(_))),
    )
}

/// `20 equivalent, 25 compile errors, 5 mismatches[, 1 generator bug]`
fn tally(verdicts: &[Verdict]) -> String {
    let (equivalent, compile, mismatch) = counts(verdicts);
    let bugs = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::NativeError(_)))
        .count();
    let mut text =
        format!("{equivalent} equivalent, {compile} compile errors, {mismatch} mismatches");
    if bugs > 0 {
        text.push_str(&format!(", {bugs} generator bugs"));
    }
    text
}

/// The constructs of programs, for `--constructs`-style listings in tests.
#[cfg(test)]
fn constructs_of(programs: &[Program]) -> std::collections::BTreeSet<String> {
    programs.iter().flat_map(Program::constructs).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        let config = Config::default();
        for seed in 0..20 {
            let a = generate::generate(seed, &config);
            let b = generate::generate(seed, &config);
            assert_eq!(a.key(), b.key(), "seed {seed}");
        }
    }

    #[test]
    fn generator_covers_the_constructs() {
        let config = Config::default();
        let programs: Vec<Program> = (0..300)
            .map(|seed| generate::generate(seed, &config))
            .collect();
        let found = constructs_of(&programs);
        let missing: Vec<&str> = Kind::constructs()
            .map(Kind::name)
            .filter(|name| !found.contains(*name))
            .collect();
        assert!(missing.is_empty(), "never generated: {missing:?}");
    }

    #[test]
    fn disabled_constructs_are_not_generated() {
        let mut config = Config::default();
        config.disabled.insert(Kind::AwaitLeaf);
        config.disabled.insert(Kind::Match);
        for seed in 0..50 {
            let found = generate::generate(seed, &config).constructs();
            assert!(
                !found.contains("await-leaf") && !found.contains("match"),
                "seed {seed}: {found:?}"
            );
        }
    }

    #[test]
    fn every_edit_of_a_program_applies() {
        let program = generate::generate(7, &Config::default());
        let mut applied = 0;
        for edit in program.edits() {
            // `None`: a `let` whose locals are used later.
            if let Some(edited) = program.apply(&edit) {
                assert!(edited.size() <= program.size(), "{edit:?}");
                applied += 1;
            }
        }
        assert!(applied > 10, "only {applied} edits apply");
    }
}
