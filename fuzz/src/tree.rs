//! The generated code as a tree the reducer can edit.
//!
//! A [`Node`] is a run of text with child nodes in it, tagged with the
//! [`Kind`] of construct it was generated as. It knows nothing of Rust's
//! grammar; what makes it editable is what the generator wrote down when it
//! made the node:
//!
//! - `removable`: the node is a whole statement (or item) and may be deleted;
//! - `alts`: other ways to write it that have the same type in any context: a
//!   plain literal (`1`, `String::from("s")`), or one of its children (the
//!   branch of an `if`, the value inside `leaf(..).await`, the body of a
//!   loop), or a template around its children.
//!
//! An [`Edit`] deletes a node or swaps it for one of its alternatives. The
//! result is not always valid Rust (deleting a `let` strands its uses), and
//! that is fine: the reducer keeps an edit only when the program still
//! compiles natively and still fails the same way.

use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The constructs the generator writes: every node is tagged with one, and
/// each can be switched off (`--without NAME`). [`Kind::Plain`] is structure
/// (a block's braces, a literal), not a construct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    /// Structure, not a construct.
    Plain,
    /// `let x = ..;`
    Let,
    /// `let x: T = ..;`
    LetTyped,
    /// `let mut x = ..;`
    LetMut,
    /// `let (a, b) = ..;`
    LetTuple,
    /// `let Acc { n, tag } = ..;`
    LetStruct,
    /// `ref` and `ref mut` bindings.
    LetRef,
    /// `let Some(x) = .. else { .. };`
    LetElse,
    /// `let _ = ..;` (drops a temporary at once).
    LetUnderscore,
    /// `x = ..;`
    Assign,
    /// `x += ..;`, `x ^= ..;`
    CompoundAssign,
    /// `if .. { .. } else { .. }`
    If,
    /// `if let .. = .. { .. } else { .. }`
    IfLet,
    /// `match .. { .. }`
    Match,
    /// A `match` arm with an `if` guard.
    MatchGuard,
    /// `loop { .. }` with a counter and `break value`.
    Loop,
    /// `while cond { .. }`
    While,
    /// `while let Some(x) = v.pop() { .. }`
    WhileLet,
    /// `for i in 0..n { .. }`
    ForRange,
    /// `for x in v.iter() { .. }` and `for x in vec { .. }`
    ForIter,
    /// A labelled loop left with `break 'label` or `continue 'label`.
    LabeledBreak,
    /// `continue;`
    Continue,
    /// `break;`
    Break,
    /// `return ..;` before the end.
    Return,
    /// `expr?`
    Try,
    /// A block `{ .. }` as a statement or expression.
    Block,
    /// `panic!(..)` on a branch.
    Panic,
    /// `leaf(name, value).await`
    AwaitLeaf,
    /// `.await` on a call of a helper `async fn`.
    AwaitHelper,
    /// `.await` on an `async fn` method of the helper struct.
    AwaitMethod,
    /// `async { .. }.await`
    AsyncBlock,
    /// `async move { .. }.await`
    AsyncMoveBlock,
    /// A future kept in a local (`let fut = async move { .. };`) and awaited later.
    StoredFuture,
    /// A call of a synchronous helper fn.
    Call,
    /// A `&self` method of the helper struct.
    MethodRef,
    /// A `&mut self` method of the helper struct (or `Vec::push`).
    MethodMut,
    /// A `self` method of the helper struct (consumes it).
    MethodSelf,
    /// `acc.n`, `acc.tag` read through a field.
    Field,
    /// `let t = acc.tag;`: a field moved out of a local.
    PartialMove,
    /// `a ^ b`, `a == b`, `a.wrapping_add(b)`.
    Binary,
    /// `a && b`, `a || b`: the right side runs only sometimes.
    LazyBool,
    /// `!b`
    Unary,
    /// `(a, b)`
    Tuple,
    /// `[a, b]`
    Array,
    /// `Acc { n: .., tag: .. }`
    StructLit,
    /// `format!(..)`
    Format,
    /// `vec![..]`
    VecMacro,
    /// `assert!(..)`, `assert_eq!(..)`
    Assert,
    /// `matches!(..)`
    Matches,
    /// `Noisy` values, whose drops are logged.
    Noisy,
    /// A `Noisy` temporary in the middle of an expression.
    Temporary,
    /// `let r = &x;` kept across an await.
    Borrow,
    /// `let m = &mut x;` kept across an await.
    BorrowMut,
    /// A `RefCell` borrow guard.
    RefCellGuard,
    /// A `Mutex` lock guard.
    MutexGuard,
    /// A closure capturing by reference.
    Closure,
    /// A `move` closure.
    MoveClosure,
    /// A call of a generic helper.
    Generic,
    /// A parameter `f: impl Fn(u32) -> u32`.
    ImplTraitParam,
    /// `Rc<u32>` locals (not `Send`).
    Rc,
    /// A `let` that shadows an earlier local.
    Shadow,
    /// `drop(x);`
    Drop,
}

/// The name of every kind, in the order of [`Kind`].
const NAMES: &[(Kind, &str)] = &[
    (Kind::Plain, "plain"),
    (Kind::Let, "let"),
    (Kind::LetTyped, "let-typed"),
    (Kind::LetMut, "let-mut"),
    (Kind::LetTuple, "let-tuple"),
    (Kind::LetStruct, "let-struct"),
    (Kind::LetRef, "let-ref"),
    (Kind::LetElse, "let-else"),
    (Kind::LetUnderscore, "let-underscore"),
    (Kind::Assign, "assign"),
    (Kind::CompoundAssign, "compound-assign"),
    (Kind::If, "if"),
    (Kind::IfLet, "if-let"),
    (Kind::Match, "match"),
    (Kind::MatchGuard, "match-guard"),
    (Kind::Loop, "loop"),
    (Kind::While, "while"),
    (Kind::WhileLet, "while-let"),
    (Kind::ForRange, "for-range"),
    (Kind::ForIter, "for-iter"),
    (Kind::LabeledBreak, "labeled-break"),
    (Kind::Continue, "continue"),
    (Kind::Break, "break"),
    (Kind::Return, "return"),
    (Kind::Try, "try"),
    (Kind::Block, "block"),
    (Kind::Panic, "panic"),
    (Kind::AwaitLeaf, "await-leaf"),
    (Kind::AwaitHelper, "await-helper"),
    (Kind::AwaitMethod, "await-method"),
    (Kind::AsyncBlock, "async-block"),
    (Kind::AsyncMoveBlock, "async-move-block"),
    (Kind::StoredFuture, "stored-future"),
    (Kind::Call, "call"),
    (Kind::MethodRef, "method-ref"),
    (Kind::MethodMut, "method-mut"),
    (Kind::MethodSelf, "method-self"),
    (Kind::Field, "field"),
    (Kind::PartialMove, "partial-move"),
    (Kind::Binary, "binary"),
    (Kind::LazyBool, "lazy-bool"),
    (Kind::Unary, "unary"),
    (Kind::Tuple, "tuple"),
    (Kind::Array, "array"),
    (Kind::StructLit, "struct-lit"),
    (Kind::Format, "format"),
    (Kind::VecMacro, "vec-macro"),
    (Kind::Assert, "assert"),
    (Kind::Matches, "matches"),
    (Kind::Noisy, "noisy"),
    (Kind::Temporary, "temporary"),
    (Kind::Borrow, "borrow"),
    (Kind::BorrowMut, "borrow-mut"),
    (Kind::RefCellGuard, "refcell-guard"),
    (Kind::MutexGuard, "mutex-guard"),
    (Kind::Closure, "closure"),
    (Kind::MoveClosure, "move-closure"),
    (Kind::Generic, "generic"),
    (Kind::ImplTraitParam, "impl-trait-param"),
    (Kind::Rc, "rc"),
    (Kind::Shadow, "shadow"),
    (Kind::Drop, "drop"),
];

impl Kind {
    /// Every construct (all kinds but [`Kind::Plain`]).
    pub(crate) fn constructs() -> impl Iterator<Item = Kind> {
        NAMES
            .iter()
            .map(|&(kind, _)| kind)
            .filter(|&kind| kind != Kind::Plain)
    }

    /// The kebab-case name used on the command line and in reports.
    pub(crate) fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(kind, _)| *kind == self)
            .map(|(_, name)| *name)
            .expect("every kind is named")
    }

    /// The kind called `name`.
    pub(crate) fn from_name(name: &str) -> Option<Kind> {
        NAMES
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(kind, _)| *kind)
    }

    /// Whether this kind is an `.await` (its subtree suspends).
    pub(crate) fn is_await(self) -> bool {
        matches!(
            self,
            Kind::AwaitLeaf
                | Kind::AwaitHelper
                | Kind::AwaitMethod
                | Kind::AsyncBlock
                | Kind::AsyncMoveBlock
                | Kind::StoredFuture
        )
    }

    /// Whether this kind has operands an `.await` can sit in, worth naming
    /// as `"await in <kind>"` when one does.
    fn is_operand_position(self) -> bool {
        matches!(
            self,
            Kind::Call
                | Kind::MethodRef
                | Kind::MethodMut
                | Kind::MethodSelf
                | Kind::Binary
                | Kind::LazyBool
                | Kind::Unary
                | Kind::Tuple
                | Kind::Array
                | Kind::StructLit
                | Kind::Format
                | Kind::VecMacro
                | Kind::Assert
                | Kind::Matches
                | Kind::If
                | Kind::IfLet
                | Kind::Match
                | Kind::MatchGuard
                | Kind::While
                | Kind::WhileLet
                | Kind::ForIter
                | Kind::Try
                | Kind::Temporary
                | Kind::Closure
                | Kind::MoveClosure
                | Kind::Generic
        )
    }
}

/// A piece of a node: text, or a child node.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    /// Source text, written as is.
    Text(String),
    /// A child node.
    Node(Node),
}

/// A piece of an alternative: text, or the child with this id.
#[derive(Debug, Clone)]
pub(crate) enum Alt {
    /// Source text.
    Text(String),
    /// The child node of this id, moved into the alternative.
    Child(u32),
}

/// A node of generated code; see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Unique within a program; alternatives name children by it.
    pub(crate) id: u32,
    /// What it was generated as.
    pub(crate) kind: Kind,
    /// Its text and children, in order.
    pub(crate) parts: Vec<Part>,
    /// Other ways to write it, simplest first; each has the node's type.
    pub(crate) alts: Vec<Vec<Alt>>,
    /// Whether it is a statement (or item) that may be deleted.
    pub(crate) removable: bool,
}

impl Node {
    /// An empty node of `kind`.
    pub(crate) fn new(id: u32, kind: Kind) -> Self {
        Node {
            id,
            kind,
            parts: Vec::new(),
            alts: Vec::new(),
            removable: false,
        }
    }

    /// Appends text.
    pub(crate) fn text(mut self, text: impl Into<String>) -> Self {
        self.push_text(text);
        self
    }

    /// Appends text in place.
    pub(crate) fn push_text(&mut self, text: impl Into<String>) {
        let text = text.into();
        if let Some(Part::Text(last)) = self.parts.last_mut() {
            last.push_str(&text);
        } else {
            self.parts.push(Part::Text(text));
        }
    }

    /// Appends a child.
    pub(crate) fn child(mut self, child: Node) -> Self {
        self.parts.push(Part::Node(child));
        self
    }

    /// Appends `children`, each followed by a newline (a block's statements).
    pub(crate) fn lines(self, children: impl IntoIterator<Item = Node>) -> Self {
        children
            .into_iter()
            .fold(self, |node, child| node.child(child).text("\n"))
    }

    /// Appends `children` with `separator` between them (a list's items).
    pub(crate) fn separated(
        self,
        children: impl IntoIterator<Item = Node>,
        separator: &str,
    ) -> Self {
        children
            .into_iter()
            .enumerate()
            .fold(self, |node, (index, child)| {
                if index > 0 {
                    node.text(separator).child(child)
                } else {
                    node.child(child)
                }
            })
    }

    /// Appends a child in place.
    pub(crate) fn push_child(&mut self, child: Node) {
        self.parts.push(Part::Node(child));
    }

    /// Adds an alternative.
    pub(crate) fn alt(mut self, alt: Vec<Alt>) -> Self {
        self.alts.push(alt);
        self
    }

    /// Adds the alternative "just this child".
    pub(crate) fn hoist(self, child: u32) -> Self {
        self.alt(vec![Alt::Child(child)])
    }

    /// Marks it as a deletable statement.
    pub(crate) fn removable(mut self) -> Self {
        self.removable = true;
        self
    }

    /// The source text.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Node(node) => node.write(out),
            }
        }
    }

    /// The child nodes, in order.
    pub(crate) fn children(&self) -> impl Iterator<Item = &Node> {
        self.parts.iter().filter_map(|part| match part {
            Part::Node(node) => Some(node),
            Part::Text(_) => None,
        })
    }

    /// The locals a `let` statement declares: the generated names (`x12`,
    /// `fut3`, ..) in its pattern. Empty for other nodes.
    pub(crate) fn declared(&self) -> Vec<String> {
        let Some(Part::Text(first)) = self.parts.first() else {
            return Vec::new();
        };
        let Some(rest) = first.trim_start().strip_prefix("let ") else {
            return Vec::new();
        };
        let pattern = rest.split(" = ").next().unwrap_or(rest);
        pattern
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|word| is_generated_name(word))
            .map(str::to_owned)
            .collect()
    }

    /// The node at `path`, if there is one.
    pub(crate) fn at(&self, path: &[usize]) -> Option<&Node> {
        let mut node = self;
        for &index in path {
            node = match node.parts.get(index)? {
                Part::Node(child) => child,
                Part::Text(_) => return None,
            };
        }
        Some(node)
    }

    /// The number of nodes in this subtree (the reducer's measure of size).
    pub(crate) fn size(&self) -> usize {
        1 + self.children().map(Node::size).sum::<usize>()
    }

    /// Whether an `.await` is anywhere in this subtree.
    fn awaits(&self) -> bool {
        self.kind.is_await() || self.children().any(Node::awaits)
    }

    /// Adds the constructs this subtree holds to `found`: the kinds of its
    /// nodes, and "await-in-KIND" for each operand position holding an await.
    pub(crate) fn constructs(&self, found: &mut BTreeSet<String>) {
        if self.kind != Kind::Plain {
            found.insert(self.kind.name().to_owned());
        }
        if self.kind.is_operand_position() && self.children().any(Node::awaits) {
            found.insert(format!("await-in-{}", self.kind.name()));
        }
        for child in self.children() {
            child.constructs(found);
        }
    }

    /// Every edit of this subtree, shallow ones first (they remove the most).
    pub(crate) fn edits(&self) -> Vec<Edit> {
        let mut found = Vec::new();
        self.collect_edits(&mut Vec::new(), &mut found);
        // A stable sort keeps preorder within a depth.
        found.sort_by_key(|edit| edit.path().len());
        found
    }

    fn collect_edits(&self, path: &mut Vec<usize>, found: &mut Vec<Edit>) {
        if self.removable {
            found.push(Edit::Remove(path.clone()));
        }
        for index in 0..self.alts.len() {
            found.push(Edit::Swap(path.clone(), index));
        }
        for (index, part) in self.parts.iter().enumerate() {
            if let Part::Node(child) = part {
                path.push(index);
                child.collect_edits(path, found);
                path.pop();
            }
        }
    }

    /// This tree with `edit` made, or `None` if it does not apply (the root
    /// cannot be removed).
    pub(crate) fn apply(&self, edit: &Edit) -> Option<Node> {
        let mut root = self.clone();
        match edit {
            Edit::Remove(path) => {
                let (&last, parent) = path.split_last()?;
                let parent = root.at_mut(parent)?;
                parent.parts.remove(last);
            }
            Edit::Swap(path, index) => {
                let node = root.at_mut(path)?;
                let replacement = node.alternative(*index)?;
                *node = replacement;
            }
        }
        Some(root)
    }

    fn at_mut(&mut self, path: &[usize]) -> Option<&mut Node> {
        let mut node = self;
        for &index in path {
            node = match node.parts.get_mut(index)? {
                Part::Node(child) => child,
                Part::Text(_) => return None,
            };
        }
        Some(node)
    }

    /// The node its alternative `index` makes.
    fn alternative(&self, index: usize) -> Option<Node> {
        let alt = self.alts.get(index)?;
        let child = |id: u32| self.children().find(|child| child.id == id).cloned();
        if let [Alt::Child(id)] = alt.as_slice() {
            let mut hoisted = child(*id)?;
            hoisted.removable = self.removable;
            return Some(hoisted);
        }
        let mut replacement = Node::new(self.id, Kind::Plain);
        replacement.removable = self.removable;
        for piece in alt {
            match piece {
                Alt::Text(text) => replacement.push_text(text.clone()),
                Alt::Child(id) => replacement.push_child(child(*id)?),
            }
        }
        Some(replacement)
    }
}

/// Whether `word` is a name the generator makes up: letters, then digits.
pub(crate) fn is_generated_name(word: &str) -> bool {
    let letters = word.trim_end_matches(|c: char| c.is_ascii_digit());
    !letters.is_empty()
        && letters.len() < word.len()
        && letters.chars().all(|c| c.is_ascii_lowercase())
}

/// Whether `text` holds `name` as a whole word.
pub(crate) fn uses_name(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(text[..at].chars().next_back()) && !word(text[at + name.len()..].chars().next())
    })
}

/// One change the reducer may make to a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Edit {
    /// Delete the removable node at this path (indices into `parts`).
    Remove(Vec<usize>),
    /// Replace the node at this path by its alternative of this index.
    Swap(Vec<usize>, usize),
}

impl Edit {
    fn path(&self) -> &[usize] {
        match self {
            Edit::Remove(path) | Edit::Swap(path, _) => path,
        }
    }
}

/// Re-indents generated source by its brackets: each line is indented four
/// spaces per bracket open before it. The generator writes each statement on
/// its own line and never puts an unbalanced bracket in a string literal.
pub(crate) fn indent(source: &str, base: usize) -> String {
    let mut out = String::new();
    let mut depth = base as isize;
    for line in source.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (opens, closes, leading_closes) = brackets(line);
        let here = (depth - leading_closes).max(0) as usize;
        let _ = writeln!(out, "{}{line}", "    ".repeat(here));
        depth += opens - closes;
    }
    out
}

/// Counts the brackets of a line outside string literals: opened, closed,
/// and closed before anything else on the line.
fn brackets(line: &str) -> (isize, isize, isize) {
    let (mut opens, mut closes, mut leading) = (0, 0, 0);
    let mut in_string = false;
    let mut escaped = false;
    let mut at_start = true;
    for c in line.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                at_start = false;
            }
            '{' | '(' | '[' => {
                opens += 1;
                at_start = false;
            }
            '}' | ')' | ']' => {
                closes += 1;
                if at_start {
                    leading += 1;
                }
            }
            _ if c.is_whitespace() => {}
            _ => at_start = false,
        }
    }
    (opens, closes, leading)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Node {
        // if c { a } else { b }
        let a = Node::new(2, Kind::Plain).text("{ a }");
        let b = Node::new(3, Kind::Plain).text("{ b }");
        let stmt = Node::new(1, Kind::If)
            .text("if c ")
            .child(a)
            .text(" else ")
            .child(b)
            .text("\n")
            .alt(vec![Alt::Text("x".into())])
            .hoist(2)
            .removable();
        Node::new(0, Kind::Block).text("{\n").child(stmt).text("}")
    }

    #[test]
    fn edits_delete_and_swap() {
        let root = sample();
        let edits = root.edits();
        assert_eq!(edits[0], Edit::Remove(vec![1]));
        assert_eq!(root.apply(&edits[0]).unwrap().render(), "{\n}");
        assert_eq!(root.apply(&edits[1]).unwrap().render(), "{\nx}");
        assert_eq!(root.apply(&edits[2]).unwrap().render(), "{\n{ a }}");
    }

    #[test]
    fn constructs_name_awaits_in_operands() {
        let awaited = Node::new(2, Kind::AwaitLeaf).text("leaf(\"a\", 1).await");
        let call = Node::new(1, Kind::Call).text("f(").child(awaited).text(")");
        let mut found = BTreeSet::new();
        call.constructs(&mut found);
        let found: Vec<_> = found.into_iter().collect();
        assert_eq!(found, ["await-in-call", "await-leaf", "call"]);
    }

    #[test]
    fn indents_by_brackets() {
        let source = "fn f() {\nlet x = format!(\"{}\", 1);\nif x {\ny\n}\n}\n";
        let expected =
            "fn f() {\n    let x = format!(\"{}\", 1);\n    if x {\n        y\n    }\n}\n";
        assert_eq!(indent(source, 0), expected);
    }

    #[test]
    fn names_round_trip() {
        for kind in Kind::constructs() {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
    }
}
