//! The reducer: the smallest program that still fails the same way.
//!
//! A failure keeps its kind while it is reduced: a program whose desugared
//! twin does not compile must keep compiling natively and keep failing with
//! an error of the same signature (the message with names and numbers taken
//! out: "E0382 borrow of moved value: `_`"); a program whose twins behave
//! differently must keep failing the same test (output and events,
//! cancellation, polling after the end, auto traits).
//!
//! First whole runs of the body's statements go, by halves, then quarters
//! (delta debugging: Zeller and Hildebrandt, "Simplifying and Isolating
//! Failure-Inducing Input", 2002). Then single edits, those of
//! [`Program::edits`]: delete a parameter or a statement, replace an expression by a literal of its type, unwrap a
//! node into one of its children (an `if` into a branch, `leaf(x).await`
//! into `x`, a loop into its body). They are tried in order, shallow first,
//! by a cursor that walks the list; after an edit is kept, the list is made
//! again from the smaller program and the walk goes on from where it was. A
//! pass over the whole list that keeps nothing ends the reduction.
//!
//! Trying an edit means compiling the program, so edits are tried in the
//! same batches as programs are: every round, each program being reduced
//! contributes its next few candidates, the compile errors are found with
//! one `cargo check` of all of them, and the mismatches with one build and
//! test run. Each program keeps its smallest candidate that still fails.

use std::collections::BTreeSet;
use std::io;
use std::time::{Duration, Instant};

use crate::program::Program;
use crate::scratch::{Diagnostic, Mode, Scratch, Test, Verdict};

/// Candidate programs for one round: the target's index, the candidate's
/// number among its target's, and the program.
type Candidates = Vec<(usize, usize, Program)>;

/// Candidates per round, over all programs, for `cargo check` and for a run.
const CHECK_ROUND: usize = 160;
const RUN_ROUND: usize = 80;

/// The edit index of a candidate that removed a run of statements.
const CHUNK: usize = usize::MAX;

/// The kind of failure a reduction keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expect {
    /// The desugared twin fails to compile with an error of this signature.
    Desugared(String),
    /// The twins differ in this test.
    Mismatch(Test),
}

impl Expect {
    /// The kind of failure of `verdict`, if it is a failure to reduce.
    pub(crate) fn of(verdict: &Verdict) -> Option<Expect> {
        match verdict {
            Verdict::DesugaredError(errors) => Some(Expect::Desugared(signature(errors.first()?))),
            Verdict::Mismatch(failures) => Some(Expect::Mismatch(failures.first()?.test)),
            _ => None,
        }
    }

    fn mode(&self) -> Mode {
        match self {
            Expect::Desugared(_) => Mode::Check,
            Expect::Mismatch(_) => Mode::Run,
        }
    }

    /// Whether `verdict` is still this kind of failure.
    fn holds(&self, verdict: &Verdict) -> bool {
        match (self, verdict) {
            (Expect::Desugared(expected), Verdict::DesugaredError(errors)) => {
                errors.iter().any(|error| &signature(error) == expected)
            }
            (Expect::Mismatch(expected), Verdict::Mismatch(failures)) => {
                failures.iter().any(|failure| failure.test == *expected)
            }
            _ => false,
        }
    }
}

/// A compiler error without its particulars: the code and the first line of
/// the message, with code in backticks and numbers blanked.
pub(crate) fn signature(error: &Diagnostic) -> String {
    let mut out = String::new();
    if let Some(code) = &error.code {
        out.push_str(code);
        out.push(' ');
    }
    let mut quoted = false;
    for c in error.message.chars() {
        if c == '`' {
            quoted = !quoted;
            if quoted {
                out.push_str("`_`");
            }
            continue;
        }
        if quoted {
            continue;
        }
        if c.is_ascii_digit() {
            if !out.ends_with('N') {
                out.push('N');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A reduced failure.
#[derive(Debug, Clone)]
pub(crate) struct Reduced {
    pub(crate) program: Program,
    pub(crate) verdict: Verdict,
}

/// The reduction of one program in progress.
struct Target {
    current: Program,
    verdict: Verdict,
    expect: Expect,
    /// The next edit to try, an index into `current.edits()`.
    cursor: usize,
    /// Whether an edit was kept since the cursor last started over.
    progressed: bool,
    /// Into how many runs the body's statements are cut; 0 once single
    /// edits have taken over.
    chunks: usize,
    done: bool,
}

/// Reduces each failing program (with its verdict) for at most `budget`;
/// `progress` hears about every round.
pub(crate) fn reduce(
    scratch: &Scratch,
    failures: Vec<(Program, Verdict)>,
    budget: Duration,
    progress: &mut dyn FnMut(&str),
) -> io::Result<Vec<Reduced>> {
    let started = Instant::now();
    let mut targets: Vec<Target> = failures
        .into_iter()
        .map(|(program, verdict)| {
            let expect = Expect::of(&verdict);
            Target {
                current: program,
                done: expect.is_none(),
                expect: expect.unwrap_or(Expect::Mismatch(Test::Crash)),
                verdict,
                cursor: 0,
                progressed: false,
                chunks: 2,
            }
        })
        .collect();
    let mut round = 0;
    while started.elapsed() < budget {
        round += 1;
        // 1. Each program's next candidates, by the mode that judges them.
        let mut batches: [(Mode, Candidates); 2] =
            [(Mode::Check, Vec::new()), (Mode::Run, Vec::new())];
        let active: Vec<usize> = (0..targets.len()).filter(|&t| !targets[t].done).collect();
        if active.is_empty() {
            break;
        }
        let checks = active
            .iter()
            .filter(|&&t| targets[t].expect.mode() == Mode::Check)
            .count();
        let runs = active.len() - checks;
        let mut scanned = vec![0; targets.len()];
        for &t in &active {
            let target = &mut targets[t];
            let batch = match target.expect.mode() {
                Mode::Check => &mut batches[0].1,
                Mode::Run => &mut batches[1].1,
            };
            if target.chunks > 0 {
                let statements = target.current.top_statements();
                let size = statements.len().div_ceil(target.chunks);
                if statements.len() >= 2 && size >= 2 {
                    for chunk in statements.chunks(size) {
                        if let Some(candidate) = target.current.without_parts(chunk) {
                            batch.push((t, CHUNK, candidate));
                        }
                    }
                    continue;
                }
                target.chunks = 0;
            }
            let edits = target.current.edits();
            if target.cursor >= edits.len() {
                if target.progressed {
                    target.cursor = 0;
                    target.progressed = false;
                } else {
                    target.done = true;
                    continue;
                }
            }
            let per = match target.expect.mode() {
                Mode::Check => (CHECK_ROUND / checks.max(1)).clamp(4, 32),
                Mode::Run => (RUN_ROUND / runs.max(1)).clamp(3, 24),
            };
            let mut seen = BTreeSet::new();
            seen.insert(target.current.key());
            let mut index = target.cursor;
            let mut taken = 0;
            while index < edits.len() && taken < per {
                if let Some(candidate) = target.current.apply(&edits[index])
                    && seen.insert(candidate.key())
                {
                    batch.push((t, index, candidate));
                    taken += 1;
                }
                index += 1;
            }
            scanned[t] = index;
        }
        // 2. Judge them all, a batch per mode.
        let mut kept = 0;
        let mut best: Vec<Option<(usize, Program, Verdict)>> = vec![None; targets.len()];
        for (mode, batch) in batches {
            if batch.is_empty() {
                continue;
            }
            let programs: Vec<Program> = batch.iter().map(|(_, _, p)| p.clone()).collect();
            let verdicts = scratch.evaluate(&programs, mode)?;
            for ((t, index, program), verdict) in batch.into_iter().zip(verdicts) {
                if !targets[t].expect.holds(&verdict) {
                    continue;
                }
                let better = match &best[t] {
                    None => true,
                    Some((_, held, _)) => program.size() < held.size(),
                };
                if better {
                    best[t] = Some((index, program, verdict));
                }
            }
        }
        // 3. Keep the best of each; move the cursors on.
        for &t in &active {
            let target = &mut targets[t];
            if target.done {
                continue;
            }
            let chunked = target.chunks > 0;
            match best[t].take() {
                Some((index, program, verdict)) => {
                    target.current = program;
                    target.verdict = verdict;
                    if !chunked {
                        target.cursor = index;
                        target.progressed = true;
                    }
                    kept += 1;
                }
                None if chunked => target.chunks *= 2,
                None => target.cursor = scanned[t],
            }
        }
        let left = targets.iter().filter(|t| !t.done).count();
        progress(&format!(
            "reduce round {round}: {kept} of {} programs smaller, {left} still reducing ({:.0} s)",
            active.len(),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(targets
        .into_iter()
        .map(|target| Reduced {
            program: target.current,
            verdict: target.verdict,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_drop_names_and_numbers() {
        let error = Diagnostic {
            code: Some("E0382".to_owned()),
            message: "borrow of moved value: `x12` in 3 places".to_owned(),
            rendered: String::new(),
        };
        assert_eq!(
            signature(&error),
            "E0382 borrow of moved value: `_` in N places"
        );
    }
}
