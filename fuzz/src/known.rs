//! The checked-in list of seeds known to fail (`tests/fuzz/known_failures.txt`).
//!
//! One seed a line, then its class; `#` starts a comment. `--ci` fails only
//! on a failing seed that is not listed (a regression), and reports a listed
//! seed that passes (fixed: take it off the list). `--write-known` rewrites
//! the list from a run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::ops::Range;
use std::path::Path;

/// Seed to class.
pub(crate) type Known = BTreeMap<u64, String>;

/// Reads the list; a missing file is an empty list.
pub(crate) fn read(path: &Path) -> io::Result<Known> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Known::new()),
        Err(error) => return Err(error),
    };
    let mut known = Known::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let seed = words.next().and_then(|w| w.parse().ok()).ok_or_else(|| {
            io::Error::other(format!(
                "{}:{}: expected `SEED CLASS`",
                path.display(),
                number + 1
            ))
        })?;
        known.insert(seed, words.next().unwrap_or("unknown").to_owned());
    }
    Ok(known)
}

/// Writes the list: the entries of `old` outside `seeds`, and `failing`.
pub(crate) fn write(
    path: &Path,
    old: &Known,
    seeds: &Range<u64>,
    failing: &Known,
) -> io::Result<()> {
    let mut merged: Known = old
        .iter()
        .filter(|(seed, _)| !seeds.contains(seed))
        .map(|(seed, class)| (*seed, class.clone()))
        .collect();
    merged.extend(failing.iter().map(|(seed, class)| (*seed, class.clone())));
    let mut text = String::from(
        "# Seeds of `scripts/fuzz` known to fail today, and the class of each failure.\n\
         # `scripts/fuzz --ci` fails on a failing seed not listed here, and reports a listed\n\
         # seed that now passes. Rewrite after a fix: scripts/fuzz --ci --write-known\n",
    );
    for (seed, class) in &merged {
        let _ = writeln!(text, "{seed} {class}");
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, text)
}
