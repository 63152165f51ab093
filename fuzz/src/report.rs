//! Names and records of failures: a short class for each (the lists and the
//! summary use it), and the directory `target/fuzz/seed-N/` that keeps one.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::program::Program;
use crate::reduce::signature;
use crate::scratch::{Diagnostic, Test, TestFailure, Verdict};

/// A short name for the kind of failure: `compile:E0382-borrow-of-moved-value`,
/// `mismatch:cancel:drop-vs-poll`, `generator:E0308-mismatched-types`.
pub(crate) fn class(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Equivalent | Verdict::Compiles => "equivalent".to_owned(),
        Verdict::NativeError(errors) => format!("generator:{}", error_slug(errors.first())),
        Verdict::DesugaredError(errors) => format!("compile:{}", error_slug(errors.first())),
        Verdict::Mismatch(failures) => match failures.first() {
            Some(failure) => format!(
                "mismatch:{}:{}",
                failure.test.short(),
                difference_slug(failure)
            ),
            None => "mismatch".to_owned(),
        },
    }
}

/// `E0382-borrow-of-moved-value` from an error.
fn error_slug(error: Option<&Diagnostic>) -> String {
    let Some(error) = error else {
        return "unknown".to_owned();
    };
    let signature = signature(error);
    let words: Vec<String> = signature
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && *word != "N")
        .take(6)
        .map(str::to_lowercase)
        .collect();
    let mut slug = words.join("-");
    if let Some(code) = &error.code {
        slug = slug.replacen(&code.to_lowercase(), code, 1);
    }
    slug
}

/// What differs first in a failed comparison, in a word or two.
fn difference_slug(failure: &TestFailure) -> String {
    let report = &failure.report;
    if failure.test == Test::AutoTraits {
        let traits: Vec<&str> = ["send", "sync", "unpin"]
            .into_iter()
            .filter(|name| {
                let value = |side: &str| {
                    report
                        .lines()
                        .find(|line| line.trim_start().starts_with(side))
                        .and_then(|line| line.split(&format!("{name}: ")).nth(1))
                        .map(|rest| rest.starts_with("true"))
                };
                value("left") != value("right")
            })
            .collect();
        return if traits.is_empty() {
            "traits".to_owned()
        } else {
            traits.join("-")
        };
    }
    if let Some(line) = report
        .lines()
        .find(|line| line.contains("events differ at index"))
    {
        let first_word = |side: &str| {
            line.split(&format!("{side} "))
                .nth(1)
                .map_or("none", |rest| {
                    rest.trim_start_matches("Some(\"")
                        .split(|c: char| !c.is_alphanumeric())
                        .next()
                        .filter(|word| !word.is_empty())
                        .unwrap_or("none")
                })
        };
        let native = first_word("native");
        let desugared = first_word("desugared");
        let native = if line.contains("native None") {
            "end"
        } else {
            native
        };
        let desugared = if line.contains("desugared None") {
            "end"
        } else {
            desugared
        };
        return format!("{native}-vs-{desugared}");
    }
    if report.contains("ended with") {
        return "result".to_owned();
    }
    match failure.test {
        Test::Hang | Test::Crash => "alone".to_owned(),
        _ => "other".to_owned(),
    }
}

/// The first thing that differs, for `reason.txt`: the first compiler
/// error, or the harness's report of the first failed test (its situation,
/// the results and the first differing event before the full logs).
pub(crate) fn reason(verdict: &Verdict) -> String {
    match verdict {
        Verdict::NativeError(errors) | Verdict::DesugaredError(errors) => errors
            .first()
            .map(|error| error.rendered.trim_end().to_owned())
            .unwrap_or_default(),
        Verdict::Mismatch(failures) => {
            let mut out = String::new();
            for failure in failures {
                let _ = writeln!(out, "failed: {}", failure.test.short());
            }
            if let Some(failure) = failures.first() {
                let report = &failure.report;
                let first: Vec<&str> = report
                    .lines()
                    .filter(|line| {
                        line.contains("differ")
                            || line.contains("ended with")
                            || line.contains("left:")
                            || line.contains("right:")
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "\nfirst difference ({}):\n{}\n\nfull report:\n{}",
                    failure.test.short(),
                    first.join("\n"),
                    report
                );
            }
            out
        }
        Verdict::Equivalent | Verdict::Compiles => "equivalent".to_owned(),
    }
}

/// One failure to record.
pub(crate) struct Record<'a> {
    pub(crate) seed: u64,
    pub(crate) original: &'a Program,
    pub(crate) original_verdict: &'a Verdict,
    /// The reduced program and its verdict, if it was reduced.
    pub(crate) reduced: Option<(&'a Program, &'a Verdict)>,
}

/// Writes `DIR/seed-N/`: `case.rs` (reduced if it was), `original.rs` and
/// `reason.txt`. Returns the directory.
pub(crate) fn save(dir: &Path, record: &Record<'_>) -> io::Result<PathBuf> {
    let seed_dir = dir.join(format!("seed-{}", record.seed));
    if seed_dir.exists() {
        fs::remove_dir_all(&seed_dir)?;
    }
    fs::create_dir_all(&seed_dir)?;
    let (program, verdict) = record
        .reduced
        .unwrap_or((record.original, record.original_verdict));
    let class = class(record.original_verdict);
    let kind = match record.original_verdict {
        Verdict::NativeError(_) => {
            "the native version does not compile: a generator bug".to_owned()
        }
        Verdict::DesugaredError(_) => "compile error in the desugared version only".to_owned(),
        Verdict::Mismatch(failures) => format!(
            "mismatch: {}",
            failures
                .iter()
                .map(|f| f.test.short())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "equivalent".to_owned(),
    };
    let constructs: Vec<String> = program.constructs().into_iter().collect();
    let header = format!(
        "Found by `scripts/fuzz`, seed {seed}: {class}.\n\n{kind}.\n{how} (size {size}, originally {original}).\nConstructs: {constructs}.",
        seed = record.seed,
        how = if record.reduced.is_some() {
            "Reduced"
        } else {
            "Not reduced"
        },
        size = program.size(),
        original = record.original.size(),
        constructs = constructs.join(", "),
    );
    fs::write(seed_dir.join("case.rs"), program.standalone(&header))?;
    fs::write(
        seed_dir.join("original.rs"),
        record.original.standalone(&format!(
            "Found by `scripts/fuzz`, seed {}: the program as generated.",
            record.seed
        )),
    )?;
    let mut text = String::new();
    let _ = writeln!(text, "seed: {}", record.seed);
    let _ = writeln!(text, "class: {class}");
    let _ = writeln!(text, "kind: {kind}");
    let _ = writeln!(
        text,
        "reduced: {}",
        if record.reduced.is_some() {
            format!(
                "yes, from size {} to {}",
                record.original.size(),
                program.size()
            )
        } else {
            "no".to_owned()
        }
    );
    let _ = writeln!(
        text,
        "constructs still in case.rs: {}",
        constructs.join(", ")
    );
    let _ = writeln!(
        text,
        "reproduce: scripts/fuzz --seeds {}..{}",
        record.seed,
        record.seed + 1
    );
    let _ = writeln!(text, "\n{}", reason(verdict));
    fs::write(seed_dir.join("reason.txt"), text)?;
    Ok(seed_dir)
}
