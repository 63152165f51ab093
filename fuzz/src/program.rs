//! A generated program, its edits, and the source files made from it.
//!
//! A program is the case `async fn case(PARAMS) -> OUT { BODY }`, the
//! arguments to call it with, and the helper items it may use. It is written
//! out three ways:
//!
//! - [`Program::native_module`]: the helpers and the case as a plain native
//!   `async fn` (with a call of it). If this does not compile, the generator
//!   is wrong, whatever `#[desugar]` does.
//! - [`Program::differential_module`]: the case in `differential!`, which
//!   compiles it natively and through `#[desugar]` and writes the tests that
//!   compare the two. It uses the helpers of the native module, so an error
//!   in this file is the desugared twin's.
//! - [`Program::standalone`]: one file for `tests/` (a regression test).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::generate::Ty;
use crate::tree::{Edit, Node, Part, indent, uses_name};

/// The `use`s every program's code sees.
const IMPORTS: &str = "use std::cell::RefCell;
use std::fmt::Debug;
use std::rc::Rc;
use std::sync::Mutex;
";

/// A parameter of the case and the argument it is called with.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    /// `name: Type`
    pub(crate) decl: String,
    /// The argument expression.
    pub(crate) arg: String,
}

/// A generated program; see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    /// The helper items (each a removable node).
    pub(crate) items: Vec<Node>,
    /// The case's parameters.
    pub(crate) params: Vec<Param>,
    /// The case's output type.
    pub(crate) ret: Ty,
    /// The case's body, a block.
    pub(crate) body: Node,
}

/// One change the reducer may make to a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProgramEdit {
    /// Delete a parameter and its argument.
    Param(usize),
    /// Edit the body.
    Body(Edit),
}

impl Program {
    /// `async fn case(PARAMS) -> OUT`
    fn signature(&self) -> String {
        let params: Vec<&str> = self.params.iter().map(|p| p.decl.as_str()).collect();
        format!(
            "async fn case({}) -> {}",
            params.join(", "),
            self.ret.rust().expect("output types are writable")
        )
    }

    /// `(ARGS)`
    fn args(&self) -> String {
        let args: Vec<&str> = self.params.iter().map(|p| p.arg.as_str()).collect();
        format!("({})", args.join(", "))
    }

    /// The body, indented by `depth` levels.
    fn body_source(&self, depth: usize) -> String {
        indent(&self.body.render(), depth).trim_start().to_owned()
    }

    /// The helpers, all of them or only those the case names.
    fn items_source(&self, only_used: bool) -> String {
        let used = format!("{} {}", self.signature(), self.body.render());
        let mut out = String::new();
        for item in &self.items {
            let source = item.render();
            if only_used && !names_any(&used, &defined_names(&source)) {
                continue;
            }
            out.push_str(&source);
            out.push_str("\n\n");
        }
        out
    }

    /// The native module `name` (see the module docs).
    pub(crate) fn native_module(&self) -> String {
        format!(
            "use crate::support::*;\n{IMPORTS}\n{items}/// The case, native only: if this fails, the generator is wrong.\n\
             pub(crate) mod check {{\n    use super::*;\n\n    pub(crate) {signature} {body}\n\n    \
             pub(crate) fn call() {{\n        let _future = async {{\n            \
             let output = case{args}.await;\n            let _: &dyn Debug = &output;\n        }};\n    }}\n}}\n",
            items = self.items_source(false),
            signature = self.signature(),
            body = self.body_source(1),
            args = self.args(),
        )
    }

    /// The differential module, using the helpers of `native` (see the
    /// module docs).
    pub(crate) fn differential_module(&self, native: &str) -> String {
        format!(
            "use crate::support::*;\nuse super::{native}::*;\n{IMPORTS}\ndifferential! {{\n    \
             {signature} {body}\n    with {args};\n}}\n",
            signature = self.signature(),
            body = self.body_source(1),
            args = self.args(),
        )
    }

    /// A test file for `tests/`, opening with `header` (`//!` lines).
    pub(crate) fn standalone(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            let _ = writeln!(out, "//! {line}");
        }
        let _ = write!(
            out,
            "\nmod support;\n\n{IMPORTS}\nuse support::*;\n\n{items}differential! {{\n    \
             {signature} {body}\n    with {args};\n}}\n",
            items = self.items_source(true),
            signature = self.signature(),
            body = self.body_source(1),
            args = self.args(),
        );
        out.replace("//! \n", "//!\n")
    }

    /// Every edit, parameters first, then the body's, shallow ones first.
    pub(crate) fn edits(&self) -> Vec<ProgramEdit> {
        let mut edits: Vec<ProgramEdit> = (0..self.params.len()).map(ProgramEdit::Param).collect();
        edits.extend(self.body.edits().into_iter().map(ProgramEdit::Body));
        edits
    }

    /// The program with `edit` made, if it applies (and does not delete a
    /// `let` whose locals are still used).
    pub(crate) fn apply(&self, edit: &ProgramEdit) -> Option<Program> {
        let mut program = self.clone();
        match edit {
            ProgramEdit::Param(index) => {
                if *index >= program.params.len() {
                    return None;
                }
                let removed = program.params.remove(*index);
                let name = removed.decl.split(':').next().unwrap_or("");
                let name = name.trim_start_matches("mut ").trim();
                if uses_name(&program.body.render(), name) {
                    return None;
                }
            }
            ProgramEdit::Body(edit) => {
                program.body = self.body.apply(edit)?;
                // Deleting a `let` whose names are still used cannot compile.
                if let Edit::Remove(path) = edit {
                    let declared = self.body.at(path)?.declared();
                    if !declared.is_empty() {
                        let text = format!("{}{}", program.signature(), program.body.render());
                        if declared.iter().any(|name| uses_name(&text, name)) {
                            return None;
                        }
                    }
                }
            }
        }
        Some(program)
    }

    /// The positions (in the body's parts) of its removable statements.
    pub(crate) fn top_statements(&self) -> Vec<usize> {
        self.body
            .parts
            .iter()
            .enumerate()
            .filter(|(_, part)| matches!(part, Part::Node(node) if node.removable))
            .map(|(index, _)| index)
            .collect()
    }

    /// The program without the body's parts at `positions`, unless they
    /// declare locals used by the rest.
    pub(crate) fn without_parts(&self, positions: &[usize]) -> Option<Program> {
        let mut program = self.clone();
        let mut positions = positions.to_vec();
        positions.sort_unstable();
        let mut declared = Vec::new();
        for &position in positions.iter().rev() {
            if let Part::Node(node) = program.body.parts.remove(position) {
                declared.extend(node.declared());
            }
        }
        let text = program.body.render();
        (!declared.iter().any(|name| uses_name(&text, name))).then_some(program)
    }

    /// The reducer's measure: nodes in the body, and parameters.
    pub(crate) fn size(&self) -> usize {
        self.body.size() + self.params.len()
    }

    /// The constructs the case holds (see [`Node::constructs`]).
    pub(crate) fn constructs(&self) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        self.body.constructs(&mut found);
        if self.params.iter().any(|p| p.decl.contains("impl ")) {
            found.insert("impl-trait-param".to_owned());
        }
        found
    }

    /// The case's source text (to compare candidates).
    pub(crate) fn key(&self) -> String {
        format!("{}{}{}", self.signature(), self.args(), self.body.render())
    }
}

/// The names an item defines: `fn NAME`, `struct NAME`.
fn defined_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for keyword in ["fn ", "struct "] {
        for (at, _) in source.match_indices(keyword) {
            let before = source[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = source[at + keyword.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // Only the first definition names the item (the rest are methods).
            if !name.is_empty() {
                names.push(name);
                break;
            }
        }
        if !names.is_empty() {
            break;
        }
    }
    if source.contains("struct Acc") {
        names = vec!["Acc".to_owned()];
    }
    names
}

/// Whether `text` uses any of `names` as a whole word.
fn names_any(text: &str, names: &[String]) -> bool {
    names.iter().any(|name| {
        text.match_indices(name.as_str()).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + name.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(before) && !word(after)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_items() {
        assert_eq!(
            defined_names("/// x\npub(crate) fn add(a: u32) {}"),
            ["add"]
        );
        assert_eq!(
            defined_names("pub(crate) async fn twice(n: u32) {}"),
            ["twice"]
        );
        assert_eq!(
            defined_names("pub(crate) struct Acc {}\nimpl Acc { fn new() {} }"),
            ["Acc"]
        );
        assert!(names_any("check(1)", &["check".to_owned()]));
        assert!(!names_any("checked(1)", &["check".to_owned()]));
    }
}
