//! The scratch crate: many programs compiled at once, and judged one by one.
//!
//! Compiling a program alone takes seconds, mostly spent on what every
//! program shares (the harness, the link), so programs go in batches: each
//! becomes two modules of one library crate under `target/fuzz/work`,
//! `nI.rs` (the helpers and the case as a native `async fn`) and `cI.rs`
//! (the case in `differential!`), compiled together with the harness of
//! `tests/support` and run as one test binary. The crate depends on the
//! workspace's `desugar` by path and builds in its own target directory,
//! `target/fuzz/target`, so it never waits for the main build's lock.
//!
//! A batch that does not compile is taken apart by the compiler's own
//! report: each error's span (or the macro call it came from) names the
//! file, so the modules with errors are dropped and the rest compiled again,
//! until the rest compiles. An error in `nI.rs` means the generator wrote
//! code rustc rejects; an error only in `cI.rs` is the desugared twin's. An
//! error that names no module makes the batch split in halves, compiled
//! apart, down to the single program that has it.
//!
//! The test binary then runs every `differential!` test. A test that fails
//! fails its program with the harness's report; if the binary dies or hangs,
//! the programs whose tests did not finish run again one at a time, and one
//! that dies or hangs alone fails with `crash` or `hang`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::json::Json;
use crate::program::Program;

/// A compiler error.
#[derive(Debug, Clone)]
pub(crate) struct Diagnostic {
    /// `E0382`, if it has a code.
    pub(crate) code: Option<String>,
    /// The first line of the message.
    pub(crate) message: String,
    /// The whole report, as rustc prints it.
    pub(crate) rendered: String,
}

impl Diagnostic {
    /// Whether it is a syntax error, after which rustc stops early.
    fn is_syntax(&self) -> bool {
        self.code.is_none()
            && [
                "expected ",
                "unexpected ",
                "unclosed ",
                "mismatched closing",
                "this file contains",
            ]
            .iter()
            .any(|start| self.message.starts_with(start))
    }
}

/// The tests `differential!` writes, and two ways a test binary can fail
/// without a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Test {
    /// `same_output_and_events`
    Output,
    /// `same_events_when_cancelled_at_each_poll`
    Cancel,
    /// `same_behaviour_when_polled_after_the_end`
    Repoll,
    /// `same_auto_traits`
    AutoTraits,
    /// The program's tests did not finish in time.
    Hang,
    /// The program's tests killed the test binary.
    Crash,
}

impl Test {
    /// The tests that compare the twins.
    const COMPARED: [Test; 4] = [Test::Output, Test::Cancel, Test::Repoll, Test::AutoTraits];

    /// The test function's name.
    fn function(self) -> &'static str {
        match self {
            Test::Output => "same_output_and_events",
            Test::Cancel => "same_events_when_cancelled_at_each_poll",
            Test::Repoll => "same_behaviour_when_polled_after_the_end",
            Test::AutoTraits => "same_auto_traits",
            Test::Hang => "hang",
            Test::Crash => "crash",
        }
    }

    /// A short name for classes.
    pub(crate) fn short(self) -> &'static str {
        match self {
            Test::Output => "output",
            Test::Cancel => "cancel",
            Test::Repoll => "repoll",
            Test::AutoTraits => "auto-traits",
            Test::Hang => "hang",
            Test::Crash => "crash",
        }
    }
}

/// A failed test and the harness's report.
#[derive(Debug, Clone)]
pub(crate) struct TestFailure {
    pub(crate) test: Test,
    pub(crate) report: String,
}

/// What became of one program.
#[derive(Debug, Clone)]
pub(crate) enum Verdict {
    /// It compiled both ways and every comparison passed.
    Equivalent,
    /// It compiled both ways; the tests were not run.
    Compiles,
    /// The native module did not compile: a generator bug.
    NativeError(Vec<Diagnostic>),
    /// Only the desugared twin did not compile.
    DesugaredError(Vec<Diagnostic>),
    /// The twins compiled and behaved differently; failed tests in order.
    Mismatch(Vec<TestFailure>),
}

/// Which module of a program an error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Native,
    Desugared,
}

/// How far to take a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `cargo check`: compile errors only.
    Check,
    /// Build and run the tests.
    Run,
}

/// What one `cargo` invocation reported.
struct Compiled {
    success: bool,
    /// Errors by program and side; `None` for errors naming no program.
    errors: Vec<(Option<(usize, Side)>, Diagnostic)>,
    executable: Option<PathBuf>,
    stderr: String,
}

/// The scratch crate; see the module docs.
pub(crate) struct Scratch {
    dir: PathBuf,
    target: PathBuf,
    /// Print each cargo invocation and its time.
    pub(crate) verbose: bool,
}

impl Scratch {
    /// Creates (or reuses) the scratch crate under `ROOT/target/fuzz`.
    pub(crate) fn new(root: &Path) -> io::Result<Scratch> {
        let fuzz = root.join("target").join("fuzz");
        let dir = fuzz.join("work");
        fs::create_dir_all(dir.join("src"))?;
        let manifest = format!(
            "# Written by scripts/fuzz: the generated programs, as modules of one test crate.\n\
             [package]\nname = \"desugar-fuzz-work\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [lib]\npath = \"src/lib.rs\"\ndoctest = false\n\n\
             [dependencies]\ndesugar = {{ path = {root:?} }}\n\n\
             # Fast builds: no debug info; incremental, so a batch reuses what it can.\n\
             [profile.dev]\ndebug = false\n\n\
             # Its own workspace, apart from the one it sits in.\n[workspace]\n",
            root = root.display().to_string(),
        );
        write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
        let lock = dir.join("Cargo.lock");
        if !lock.exists() {
            // The workspace's versions, so nothing is resolved anew.
            let _ = fs::copy(root.join("Cargo.lock"), &lock);
        }
        let support = root.join("tests").join("support").join("mod.rs");
        let header = format!(
            "//! Written by scripts/fuzz: the programs of one batch.\n\
             #![allow(warnings, arithmetic_overflow, unconditional_panic, unconditional_recursion)]\n\n\
             #[path = {:?}]\nmod support;\n\n",
            support.display().to_string()
        );
        write_if_changed(&dir.join("src").join("header.in"), &header)?;
        Ok(Scratch {
            dir,
            target: fuzz.join("target"),
            verbose: false,
        })
    }

    /// Compiles `programs` together and judges each: see the module docs.
    pub(crate) fn evaluate(&self, programs: &[Program], mode: Mode) -> io::Result<Vec<Verdict>> {
        let src = self.dir.join("src");
        for entry in fs::read_dir(&src)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if module_of(name).is_some() {
                fs::remove_file(&path)?;
            }
        }
        for (index, program) in programs.iter().enumerate() {
            let native = format!("n{index}");
            write_if_changed(&src.join(format!("{native}.rs")), &program.native_module())?;
            write_if_changed(
                &src.join(format!("c{index}.rs")),
                &program.differential_module(&native),
            )?;
        }
        let mut verdicts: Vec<Option<Verdict>> = vec![None; programs.len()];
        let all: BTreeSet<usize> = (0..programs.len()).collect();
        let (compiling, executable) = self.isolate(all, mode, &mut verdicts)?;
        if mode == Mode::Check {
            for index in compiling {
                verdicts[index] = Some(Verdict::Compiles);
            }
        } else if !compiling.is_empty() {
            let executable =
                executable.ok_or_else(|| io::Error::other("cargo built no test binary"))?;
            self.run_all(&executable, &compiling, &mut verdicts)?;
        }
        Ok(verdicts
            .into_iter()
            .map(|verdict| verdict.expect("every program is judged"))
            .collect())
    }

    /// Compiles `set`, dropping the programs with errors (recording their
    /// verdicts) until the rest compiles; returns the rest and, when
    /// running, the test binary.
    fn isolate(
        &self,
        mut set: BTreeSet<usize>,
        mode: Mode,
        verdicts: &mut [Option<Verdict>],
    ) -> io::Result<(BTreeSet<usize>, Option<PathBuf>)> {
        let mut split_once = false;
        loop {
            if set.is_empty() {
                return Ok((set, None));
            }
            let compiled = self.compile(&set, mode)?;
            if compiled.success {
                return Ok((set, compiled.executable));
            }
            let mut by_program: BTreeMap<usize, (Side, Vec<Diagnostic>)> = BTreeMap::new();
            let mut unattributed = Vec::new();
            for (place, diagnostic) in compiled.errors {
                match place {
                    Some((index, side)) if set.contains(&index) => {
                        let entry = by_program.entry(index).or_insert((side, Vec::new()));
                        if side == Side::Native {
                            entry.0 = Side::Native;
                        }
                        entry.1.push(diagnostic);
                    }
                    _ => unattributed.push(diagnostic),
                }
            }
            // A syntax error stops rustc before it type-checks anything.
            let early = by_program
                .values()
                .flat_map(|(_, diagnostics)| diagnostics)
                .any(Diagnostic::is_syntax);
            if !by_program.is_empty() {
                for (index, (side, diagnostics)) in by_program {
                    set.remove(&index);
                    verdicts[index] = Some(match side {
                        Side::Native => Verdict::NativeError(diagnostics),
                        Side::Desugared => Verdict::DesugaredError(diagnostics),
                    });
                }
                if mode == Mode::Check && unattributed.is_empty() && !early {
                    // rustc reports the errors of every body in one go (it
                    // type-checks and borrow-checks each body on its own):
                    // what reported none compiles, no second check needed.
                    return Ok((set, None));
                }
                continue;
            }
            if unattributed.is_empty() {
                return Err(io::Error::other(format!(
                    "cargo failed without a compiler error:\n{}",
                    compiled.stderr
                )));
            }
            if set.len() == 1 || split_once {
                // The error names no module, and no smaller set isolates it:
                // it belongs to these programs together.
                for index in std::mem::take(&mut set) {
                    verdicts[index] = Some(Verdict::DesugaredError(unattributed.clone()));
                }
                return Ok((set, None));
            }
            let mut first: BTreeSet<usize> = set.iter().copied().collect();
            let second =
                first.split_off(&set.iter().copied().nth(set.len() / 2).expect("two or more"));
            let (first, _) = self.isolate(first, mode, verdicts)?;
            let (second, _) = self.isolate(second, mode, verdicts)?;
            set = first.union(&second).copied().collect();
            split_once = true;
        }
    }

    /// One `cargo check` or `cargo test --no-run` of the modules in `set`.
    fn compile(&self, set: &BTreeSet<usize>, mode: Mode) -> io::Result<Compiled> {
        let mut lib = fs::read_to_string(self.dir.join("src").join("header.in"))?;
        for index in set {
            lib.push_str(&format!("mod n{index};\nmod c{index};\n"));
        }
        write_if_changed(&self.dir.join("src").join("lib.rs"), &lib)?;
        let mut command =
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
        match mode {
            Mode::Check => command.args(["check", "--tests"]),
            Mode::Run => command.args(["test", "--no-run"]),
        };
        command
            .args([
                "--lib",
                "--message-format=json",
                "--quiet",
                "--manifest-path",
            ])
            .arg(self.dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", &self.target)
            .env("CARGO_TERM_COLOR", "never")
            .stdin(Stdio::null());
        let started = Instant::now();
        let output = command.output()?;
        if self.verbose {
            eprintln!(
                "  cargo {} of {} programs: {:.1} s",
                if mode == Mode::Check {
                    "check"
                } else {
                    "build"
                },
                set.len(),
                started.elapsed().as_secs_f64()
            );
        }
        let mut errors = Vec::new();
        let mut executable = None;
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let Some(json) = Json::parse(line) else {
                continue;
            };
            match json.get("reason").and_then(Json::as_str) {
                Some("compiler-message") => {
                    let Some(message) = json.get("message") else {
                        continue;
                    };
                    if message.get("level").and_then(Json::as_str) != Some("error") {
                        continue;
                    }
                    let text = message.get("message").and_then(Json::as_str).unwrap_or("");
                    if text.starts_with("aborting due to") {
                        continue;
                    }
                    let diagnostic = Diagnostic {
                        code: message
                            .get("code")
                            .and_then(|code| code.get("code"))
                            .and_then(Json::as_str)
                            .map(str::to_owned),
                        message: text.lines().next().unwrap_or("").to_owned(),
                        rendered: message
                            .get("rendered")
                            .and_then(Json::as_str)
                            .unwrap_or(text)
                            .to_owned(),
                    };
                    errors.push((attribute(message), diagnostic));
                }
                Some("compiler-artifact") => {
                    let test = json
                        .get("profile")
                        .and_then(|p| p.get("test"))
                        .and_then(Json::as_bool)
                        == Some(true);
                    if let Some(path) = json.get("executable").and_then(Json::as_str)
                        && test
                    {
                        executable = Some(PathBuf::from(path));
                    }
                }
                _ => {}
            }
        }
        Ok(Compiled {
            success: output.status.success(),
            errors,
            executable,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// Runs the tests of the programs in `set` and records their verdicts.
    fn run_all(
        &self,
        executable: &Path,
        set: &BTreeSet<usize>,
        verdicts: &mut [Option<Verdict>],
    ) -> io::Result<()> {
        let timeout = Duration::from_secs(60 + 2 * set.len() as u64);
        let run = self.run_tests(executable, None, 2, timeout)?;
        let mut suspects = Vec::new();
        for &index in set {
            match judge(&run, index) {
                Some(verdict) => verdicts[index] = Some(verdict),
                None => suspects.push(index),
            }
        }
        for index in suspects {
            let alone = self.run_tests(
                executable,
                Some(&format!("c{index}::")),
                1,
                Duration::from_secs(60),
            )?;
            verdicts[index] = Some(judge(&alone, index).unwrap_or_else(|| {
                let test = if alone.timed_out {
                    Test::Hang
                } else {
                    Test::Crash
                };
                let report = format!(
                    "the test binary {} while running this program's tests alone ({})\n{}",
                    if alone.timed_out { "hung" } else { "died" },
                    alone.status,
                    tail(&alone.output, 40)
                );
                Verdict::Mismatch(vec![TestFailure { test, report }])
            }));
        }
        Ok(())
    }

    /// Runs the test binary (only the tests matching `filter`) under a timeout.
    fn run_tests(
        &self,
        executable: &Path,
        filter: Option<&str>,
        threads: u32,
        timeout: Duration,
    ) -> io::Result<TestRun> {
        let log_path = self.dir.join("test-output.txt");
        let log = fs::File::create(&log_path)?;
        let mut command = Command::new(executable);
        if let Some(filter) = filter {
            command.arg(filter);
        }
        command
            .arg(format!("--test-threads={threads}"))
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let started = Instant::now();
        let mut child = command.spawn()?;
        let (status, timed_out) = loop {
            if let Some(status) = child.try_wait()? {
                break (Some(status), false);
            }
            if started.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                break (None, true);
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if self.verbose {
            eprintln!("  tests: {:.1} s", started.elapsed().as_secs_f64());
        }
        let output = fs::read_to_string(&log_path).unwrap_or_default();
        Ok(TestRun::parse(output, status, timed_out))
    }
}

/// What a run of the test binary reported.
struct TestRun {
    /// Test name to passed.
    results: BTreeMap<String, bool>,
    /// Test name to its failure report.
    reports: BTreeMap<String, String>,
    output: String,
    status: String,
    timed_out: bool,
}

impl TestRun {
    fn parse(output: String, status: Option<ExitStatus>, timed_out: bool) -> TestRun {
        let mut results = BTreeMap::new();
        let mut reports = BTreeMap::new();
        let mut current: Option<(String, String)> = None;
        for line in output.lines() {
            if let Some(rest) = line.strip_prefix("test ")
                && let Some((name, result)) = rest.rsplit_once(" ... ")
            {
                match result.trim() {
                    "ok" => {
                        results.insert(name.to_owned(), true);
                    }
                    "FAILED" => {
                        results.insert(name.to_owned(), false);
                    }
                    _ => {}
                }
                continue;
            }
            if let Some(name) = line
                .strip_prefix("---- ")
                .and_then(|l| l.strip_suffix(" stdout ----"))
            {
                if let Some((name, report)) = current.take() {
                    reports.insert(name, report);
                }
                current = Some((name.to_owned(), String::new()));
                continue;
            }
            if line == "failures:" || line.starts_with("test result:") {
                if let Some((name, report)) = current.take() {
                    reports.insert(name, report);
                }
                continue;
            }
            if let Some((_, report)) = &mut current {
                report.push_str(line);
                report.push('\n');
            }
        }
        if let Some((name, report)) = current.take() {
            reports.insert(name, report);
        }
        TestRun {
            results,
            reports,
            output,
            status: status.map_or_else(|| "killed after the timeout".to_owned(), |s| s.to_string()),
            timed_out,
        }
    }
}

/// The verdict for program `index` from a run, or `None` if not all of
/// its tests finished.
fn judge(run: &TestRun, index: usize) -> Option<Verdict> {
    let mut failures = Vec::new();
    for test in Test::COMPARED {
        let name = format!("c{index}::case::{}", test.function());
        match run.results.get(&name)? {
            true => {}
            false => failures.push(TestFailure {
                test,
                report: run
                    .reports
                    .get(&name)
                    .cloned()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            }),
        }
    }
    Some(if failures.is_empty() {
        Verdict::Equivalent
    } else {
        Verdict::Mismatch(failures)
    })
}

/// The program and side a diagnostic is in: the first span (or a macro
/// call it was expanded from) in a program's module.
fn attribute(message: &Json) -> Option<(usize, Side)> {
    let spans = message.get("spans")?.items();
    let primary = spans
        .iter()
        .filter(|span| span.get("is_primary").and_then(Json::as_bool) == Some(true));
    let others = spans
        .iter()
        .filter(|span| span.get("is_primary").and_then(Json::as_bool) != Some(true));
    for span in primary.chain(others) {
        if let Some(found) = span_module(span) {
            return Some(found);
        }
    }
    message.get("children")?.items().iter().find_map(attribute)
}

/// The program module of a span, following its macro expansions outwards.
fn span_module(span: &Json) -> Option<(usize, Side)> {
    let file = span.get("file_name").and_then(Json::as_str).unwrap_or("");
    if file.starts_with("src/") || file.contains("/fuzz/work/src/") {
        let name = file.rsplit('/').next().unwrap_or(file);
        if let Some(found) = module_of(name) {
            return Some(found);
        }
    }
    span_module(span.get("expansion")?.get("span")?)
}

/// `n12.rs` is program 12's native module, `c12.rs` its differential one.
fn module_of(file_name: &str) -> Option<(usize, Side)> {
    let stem = file_name.strip_suffix(".rs")?;
    let (side, digits) = match stem.as_bytes().first()? {
        b'n' => (Side::Native, &stem[1..]),
        b'c' => (Side::Desugared, &stem[1..]),
        _ => return None,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, side))
}

/// Writes `contents` unless the file already holds them.
fn write_if_changed(path: &Path, contents: &str) -> io::Result<()> {
    if fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    let mut file = fs::File::create(path)?;
    file.write_all(contents.as_bytes())
}

/// The last `lines` lines of `text`.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_are_named_by_side_and_index() {
        assert_eq!(module_of("n12.rs"), Some((12, Side::Native)));
        assert_eq!(module_of("c3.rs"), Some((3, Side::Desugared)));
        assert_eq!(module_of("compare.rs"), None);
        assert_eq!(module_of("c.rs"), None);
    }

    #[test]
    fn errors_are_attributed_through_expansions() {
        let message = Json::parse(
            r#"{"spans":[{"file_name":"/r/tests/support/compare.rs","is_primary":true,
                "expansion":{"span":{"file_name":"src/c7.rs","is_primary":false}}}],"children":[]}"#,
        )
        .unwrap();
        assert_eq!(attribute(&message), Some((7, Side::Desugared)));
    }

    #[test]
    fn test_output_is_parsed() {
        let output = "running 2 tests\ntest c1::case::same_auto_traits ... ok\n\
            test c1::case::same_output_and_events ... FAILED\n\nfailures:\n\n\
            ---- c1::case::same_output_and_events stdout ----\nthread panicked\nevents differ\n\n\
            failures:\n    c1::case::same_output_and_events\n\ntest result: FAILED.\n";
        let run = TestRun::parse(output.to_owned(), None, false);
        assert_eq!(run.results.get("c1::case::same_auto_traits"), Some(&true));
        assert_eq!(
            run.results.get("c1::case::same_output_and_events"),
            Some(&false)
        );
        assert!(run.reports["c1::case::same_output_and_events"].contains("events differ"));
        assert!(judge(&run, 1).is_none(), "two of its tests never ran");
    }
}
