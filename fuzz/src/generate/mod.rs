//! The generator: a random, well-typed `async fn` for each seed.
//!
//! Generation is type-directed. Every expression is asked for with a type
//! from a small universe ([`Ty`]: `u32`, `bool`, `String`, `Noisy`,
//! `Option<u32>`, `Vec<u32>`, `Result<u32, String>`, `&u32`, `&str` and the
//! helper struct `Acc`), and each type has its ways to be made: literals,
//! locals, calls, methods, `leaf(..).await`, helper `async fn`s, `async`
//! blocks, `if`, `match`, blocks, loops that break with a value, `?`.
//!
//! What makes the programs compile natively is a small model of ownership
//! kept beside the scopes ([`Var`]): a local that is moved is gone; one
//! declared outside a loop or closure is never moved inside it; a local that
//! is borrowed (by a `let r = &x`, a guard, a `for x in v.iter()`, a closure
//! that captures it, or a temporary earlier in the same statement) is
//! neither moved nor changed until the borrow's scope ends; a reference that
//! flows into a binding only points at locals that outlive it. The model is
//! conservative: it forbids much that rustc accepts, never the reverse.
//! Loops are bounded by counters, arithmetic wraps, and nothing indexes, so
//! the only panics are the `panic!`s and `assert!`s it writes on purpose.
//!
//! Every node is tagged with its [`Kind`]; a kind switched off in the
//! [`Config`] is never generated.

mod expr;
mod items;
mod stmt;

use std::collections::BTreeSet;

use crate::program::{Param, Program};
use crate::rng::Rng;
use crate::tree::{Alt, Kind, Node};

/// Which constructs to generate.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    /// Kinds never to generate.
    pub(crate) disabled: BTreeSet<Kind>,
}

impl Config {
    /// Whether `kind` may be generated.
    pub(crate) fn on(&self, kind: Kind) -> bool {
        !self.disabled.contains(&kind)
    }
}

/// The program for `seed`.
pub(crate) fn generate(seed: u64, config: &Config) -> Program {
    let mut generator = Gen::new(seed, config);
    generator.program()
}

/// The type universe. The first ten are value types expressions are asked
/// for; the rest only ever live in locals made by particular statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    U32,
    Bool,
    String,
    Noisy,
    OptU32,
    VecU32,
    ResU32,
    RefU32,
    RefStr,
    Acc,
    /// `impl Fn(u32) -> u32`: a closure or a parameter.
    Fn,
    /// A future kept in a local; its output is the local's `output`.
    Future,
    /// `&mut Vec<u32>`
    MutVec,
    /// `&mut u32`
    MutU32,
    /// `RefCell<Vec<u32>>`
    CellVec,
    /// `Ref<'_, Vec<u32>>`
    CellRef,
    /// `RefMut<'_, Vec<u32>>`
    CellMut,
    /// `Mutex<u32>`
    MutexU32,
    /// `MutexGuard<'_, u32>`
    MutexGuard,
    /// `Rc<u32>`
    RcU32,
}

impl Ty {
    /// The types expressions are generated for.
    pub(crate) const VALUES: [Ty; 10] = [
        Ty::U32,
        Ty::Bool,
        Ty::String,
        Ty::Noisy,
        Ty::OptU32,
        Ty::VecU32,
        Ty::ResU32,
        Ty::RefU32,
        Ty::RefStr,
        Ty::Acc,
    ];

    /// The type as written in an annotation, if it can be written.
    pub(crate) fn rust(self) -> Option<&'static str> {
        Some(match self {
            Ty::U32 => "u32",
            Ty::Bool => "bool",
            Ty::String => "String",
            Ty::Noisy => "Noisy",
            Ty::OptU32 => "Option<u32>",
            Ty::VecU32 => "Vec<u32>",
            Ty::ResU32 => "Result<u32, String>",
            Ty::RefU32 => "&u32",
            Ty::RefStr => "&str",
            Ty::Acc => "Acc",
            Ty::MutVec => "&mut Vec<u32>",
            Ty::MutU32 => "&mut u32",
            Ty::CellVec => "RefCell<Vec<u32>>",
            Ty::MutexU32 => "Mutex<u32>",
            Ty::RcU32 => "Rc<u32>",
            Ty::Fn | Ty::Future | Ty::CellRef | Ty::CellMut | Ty::MutexGuard => return None,
        })
    }

    /// Whether a use by value copies it rather than moving it.
    pub(crate) fn is_copy(self) -> bool {
        matches!(
            self,
            Ty::U32 | Ty::Bool | Ty::OptU32 | Ty::RefU32 | Ty::RefStr
        )
    }

    /// Whether it is a reference (its value borrows something).
    pub(crate) fn is_ref(self) -> bool {
        matches!(self, Ty::RefU32 | Ty::RefStr)
    }

    /// The simplest expression of this type, valid anywhere: the reducer's
    /// replacement for any expression of the type.
    pub(crate) fn simple(self) -> &'static str {
        match self {
            Ty::U32 => "1",
            Ty::Bool => "true",
            Ty::String => "String::from(\"s\")",
            Ty::Noisy => "Noisy::new(\"r\")",
            Ty::OptU32 => "Some(1)",
            Ty::VecU32 => "vec![1]",
            Ty::ResU32 => "Ok::<u32, String>(1)",
            Ty::RefU32 => "&1",
            Ty::RefStr => "\"s\"",
            Ty::Acc => "Acc::new(\"r\", 1)",
            _ => "()",
        }
    }
}

/// A local's id: its index in [`Gen::vars`].
type VarId = usize;

/// How an expression uses a local.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// By value if it is `Copy`, else through a shared reference that ends
    /// with the expression (`s.len()`, a `format!` argument).
    Read,
    /// By value: moves it unless it is `Copy`.
    Move,
    /// Assigns to it or calls a `&mut self` method.
    Mutate,
    /// A reference to it that may be kept (`&x`, `s.as_str()`).
    Escape,
    /// `RefCell::borrow_mut` or `Mutex::lock`: shared, but exclusive at run time.
    Interior,
}

/// A borrow a local or a statement holds until it ends.
#[derive(Debug, Clone, Copy)]
struct Hold {
    var: VarId,
    exclusive: bool,
}

/// A local of the program being generated.
#[derive(Debug, Clone)]
struct Var {
    name: String,
    ty: Ty,
    /// For `Ty::Future`: the output; for `Ty::Fn`: `u32`.
    output: Ty,
    mutable: bool,
    /// Loop counters and the like: read, never written by other statements.
    fixed: bool,
    moved: bool,
    /// Live shared borrows of it.
    shared: u32,
    /// Live exclusive borrows of it (it cannot be used at all).
    exclusive: u32,
    /// The loops and closures around its declaration.
    loop_depth: u32,
    /// The frame it was declared in.
    frame: usize,
    /// The scope it was declared in.
    scope: usize,
    /// For a reference: the innermost scope of what it points at.
    origin: usize,
    /// The borrows it holds, released when its scope ends.
    holds: Vec<Hold>,
    /// For a reference or a future: what its value borrows (a use of it
    /// passes these on to the binding being made).
    refs: Vec<Hold>,
}

/// What kind of body code is being generated in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    /// The `async fn` itself.
    Fn,
    /// `async { .. }`, awaited at once: captures what it uses.
    Async,
    /// `async move { .. }`: owns what was moved in, copies the rest.
    AsyncMove,
    /// `|k| ..`: captures by reference, no `.await`, may run many times.
    Closure,
    /// `move |k| ..`: like `AsyncMove`, without `.await`.
    MoveClosure,
}

impl FrameKind {
    fn moves(self) -> bool {
        matches!(self, FrameKind::AsyncMove | FrameKind::MoveClosure)
    }

    fn awaits(self) -> bool {
        matches!(
            self,
            FrameKind::Fn | FrameKind::Async | FrameKind::AsyncMove
        )
    }
}

/// A loop `break` and `continue` may target.
#[derive(Debug, Clone)]
struct LoopTarget {
    label: Option<String>,
    /// The type `break` carries (`loop` only).
    value: Option<Ty>,
    /// Where a reference carried by `break` may point.
    flow: Flow,
}

/// A body: the fn, an `async` block or a closure.
#[derive(Debug, Clone)]
struct Frame {
    kind: FrameKind,
    /// `scopes.len()` when it started.
    base: usize,
    /// Loops inside this frame, innermost last.
    loops: Vec<LoopTarget>,
    /// Locals from outside that it used (a closure holds them borrowed).
    captured: BTreeSet<VarId>,
}

/// Where a reference being generated may point: at locals declared below
/// `floor` (they outlive the expression), and at temporaries only when the
/// value does not flow into a binding.
#[derive(Debug, Clone, Copy)]
struct Flow {
    floor: usize,
    flowing: bool,
}

/// The generator's state for one program.
pub(crate) struct Gen<'c> {
    rng: Rng,
    config: &'c Config,
    next_id: u32,
    next_name: u32,
    vars: Vec<Var>,
    scopes: Vec<Vec<VarId>>,
    frames: Vec<Frame>,
    loop_depth: u32,
    /// Borrows held until the end of the current statement, outermost first.
    temps: Vec<Hold>,
    /// Borrows made by the expression being generated (a `let` keeps them).
    borrows: Vec<Hold>,
    /// The scopes references made by the expression point into.
    origins: Vec<usize>,
    /// The locals read by the expression being generated.
    reads: Vec<VarId>,
    flow: Flow,
    /// The case's output type (for `return` and `?`).
    ret: Ty,
    /// Locals moved into the `move` frame being entered: its first block
    /// declares them again.
    pending_moved_in: Vec<(String, Ty)>,
    /// The locals the last closure frame captured.
    last_captured: BTreeSet<VarId>,
    /// Roughly, the nodes still to generate; below zero, only small ones.
    fuel: i32,
}

impl<'c> Gen<'c> {
    fn new(seed: u64, config: &'c Config) -> Self {
        Gen {
            rng: Rng::new(seed),
            config,
            next_id: 0,
            next_name: 0,
            vars: Vec::new(),
            scopes: Vec::new(),
            frames: Vec::new(),
            loop_depth: 0,
            temps: Vec::new(),
            borrows: Vec::new(),
            origins: Vec::new(),
            reads: Vec::new(),
            flow: Flow {
                floor: 0,
                flowing: false,
            },
            ret: Ty::U32,
            pending_moved_in: Vec::new(),
            last_captured: BTreeSet::new(),
            fuel: 0,
        }
    }

    /// Generates the whole program: helpers, signature, body.
    fn program(&mut self) -> Program {
        let seed_fuel = 60 + self.rng.below(90) as i32;
        self.fuel = seed_fuel;
        self.ret = self.rng.pick(&[
            Ty::U32,
            Ty::U32,
            Ty::Bool,
            Ty::String,
            Ty::Noisy,
            Ty::OptU32,
            Ty::VecU32,
            Ty::ResU32,
            Ty::ResU32,
            Ty::Acc,
        ]);
        if !self.config.on(Kind::Try) && self.ret == Ty::ResU32 {
            self.ret = Ty::U32;
        }
        self.frames.push(Frame {
            kind: FrameKind::Fn,
            base: 0,
            loops: Vec::new(),
            captured: BTreeSet::new(),
        });
        self.push_scope();
        let params = self.params();
        let statements = self.rng.between(3, 9) as usize;
        let body = self.block(statements, Some(self.ret), 3, true);
        self.pop_scope();
        let mut next_id = self.next_id;
        Program {
            items: items::items(&mut next_id),
            params,
            ret: self.ret,
            body,
        }
    }

    /// The case's parameters and the arguments it is called with.
    fn params(&mut self) -> Vec<Param> {
        let count = self.rng.below(4);
        let mut params = Vec::new();
        for _ in 0..count {
            let choices: [(Ty, &str, u32); 10] = [
                (Ty::U32, "7", 4),
                (Ty::Bool, "true", 2),
                (Ty::String, "String::from(\"arg\")", 2),
                (Ty::Noisy, "Noisy::new(\"arg\")", 3),
                (Ty::OptU32, "Some(4)", 2),
                (Ty::VecU32, "vec![2, 3]", 2),
                (Ty::RefStr, "\"text\"", 2),
                (Ty::RefU32, "&5", 1),
                (Ty::Acc, "Acc::new(\"param\", 3)", 1),
                (Ty::Fn, "|k: u32| k ^ 3", 1),
            ];
            let weights: Vec<u32> = choices
                .iter()
                .map(|&(ty, _, weight)| {
                    if ty == Ty::Fn && !self.config.on(Kind::ImplTraitParam) {
                        0
                    } else {
                        weight
                    }
                })
                .collect();
            let Some(pick) = self.rng.weighted(&weights) else {
                break;
            };
            let (ty, arg, _) = choices[pick];
            let name = self.fresh("p");
            let mutable = ty != Ty::Fn && !ty.is_ref() && self.rng.chance(25);
            let id = self.declare(&name, ty, mutable);
            if ty == Ty::Fn {
                self.vars[id].output = Ty::U32;
            }
            let decl = match ty {
                Ty::Fn => format!("{name}: impl Fn(u32) -> u32"),
                _ => format!(
                    "{}{name}: {}",
                    if mutable { "mut " } else { "" },
                    ty.rust().expect("parameter types are writable")
                ),
            };
            params.push(Param {
                decl,
                arg: arg.to_owned(),
            });
        }
        params
    }

    // ----- ids, names, nodes -----

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// A new name: `x7`, `n12`, ...
    fn fresh(&mut self, prefix: &str) -> String {
        self.next_name += 1;
        format!("{prefix}{}", self.next_name)
    }

    /// A new node of `kind`.
    fn node(&mut self, kind: Kind) -> Node {
        self.fuel -= 1;
        let id = self.id();
        Node::new(id, kind)
    }

    /// A node that is just text.
    fn text(&mut self, text: impl Into<String>) -> Node {
        let id = self.id();
        Node::new(id, Kind::Plain).text(text)
    }

    fn on(&self, kind: Kind) -> bool {
        self.config.on(kind)
    }

    /// `weight` if `kind` is on and `condition` holds, else 0.
    fn weight(&self, kind: Kind, weight: u32, condition: bool) -> u32 {
        if condition && self.on(kind) {
            weight
        } else {
            0
        }
    }

    fn frame(&self) -> &Frame {
        self.frames.last().expect("inside the fn")
    }

    fn can_await(&self) -> bool {
        self.frame().kind.awaits()
    }

    /// Whether `return` and `?` are possible here (directly in the fn).
    fn in_fn(&self) -> bool {
        self.frame().kind == FrameKind::Fn
    }

    // ----- scopes and locals -----

    fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
    }

    /// Ends the innermost scope: its locals and the borrows they hold end.
    fn pop_scope(&mut self) {
        let scope = self.scopes.pop().expect("a scope to end");
        for id in scope.into_iter().rev() {
            let holds = std::mem::take(&mut self.vars[id].holds);
            for hold in holds {
                self.release(hold);
            }
        }
    }

    fn acquire(&mut self, hold: Hold) {
        let var = &mut self.vars[hold.var];
        if hold.exclusive {
            var.exclusive += 1;
        } else {
            var.shared += 1;
        }
    }

    fn release(&mut self, hold: Hold) {
        let var = &mut self.vars[hold.var];
        if hold.exclusive {
            var.exclusive -= 1;
        } else {
            var.shared -= 1;
        }
    }

    /// `holder` keeps `target` borrowed until `holder`'s scope ends.
    fn hold(&mut self, holder: VarId, target: VarId, exclusive: bool) {
        let hold = Hold {
            var: target,
            exclusive,
        };
        self.acquire(hold);
        self.vars[holder].holds.push(hold);
    }

    /// `target` stays borrowed until the current statement ends.
    fn temp_hold(&mut self, target: VarId, exclusive: bool) {
        let hold = Hold {
            var: target,
            exclusive,
        };
        self.acquire(hold);
        self.temps.push(hold);
    }

    /// Ends the temporary borrows made since `mark`.
    fn release_temps(&mut self, mark: usize) {
        while self.temps.len() > mark {
            let hold = self.temps.pop().expect("above the mark");
            self.release(hold);
        }
    }

    /// Declares a local in the innermost scope.
    fn declare(&mut self, name: &str, ty: Ty, mutable: bool) -> VarId {
        let id = self.vars.len();
        self.vars.push(Var {
            name: name.to_owned(),
            ty,
            output: ty,
            mutable,
            fixed: false,
            moved: false,
            shared: 0,
            exclusive: 0,
            loop_depth: self.loop_depth,
            frame: self.frames.len() - 1,
            scope: self.scopes.len() - 1,
            origin: 0,
            holds: Vec::new(),
            refs: Vec::new(),
        });
        self.scopes.last_mut().expect("a scope").push(id);
        id
    }

    /// The locals in scope, innermost first, without the shadowed ones.
    fn visible(&self) -> Vec<VarId> {
        let mut seen = BTreeSet::new();
        let mut found = Vec::new();
        for scope in self.scopes.iter().rev() {
            for &id in scope.iter().rev() {
                if seen.insert(self.vars[id].name.clone()) {
                    found.push(id);
                }
            }
        }
        found
    }

    /// Whether local `id` may be used as `how` here.
    fn can(&self, id: VarId, how: Use) -> bool {
        let var = &self.vars[id];
        if var.moved || var.exclusive > 0 {
            return false;
        }
        let crossed = &self.frames[var.frame + 1..];
        let copy = var.ty.is_copy();
        if !copy && crossed.iter().any(|frame| frame.kind.moves()) {
            // Only what was moved in (declared anew inside) is reachable.
            return false;
        }
        let only_async = crossed.iter().all(|frame| frame.kind == FrameKind::Async);
        match how {
            Use::Read => true,
            Use::Move => {
                copy || (var.shared == 0 && var.loop_depth == self.loop_depth && only_async)
            }
            Use::Mutate => var.mutable && !var.fixed && var.shared == 0 && only_async,
            Use::Interior => var.shared == 0 && only_async,
            Use::Escape => {
                var.scope < self.flow.floor
                    && crossed
                        .iter()
                        .all(|frame| !frame.kind.moves() || self.flow.floor > frame.base)
            }
        }
    }

    /// A visible local that `fits`, at random.
    fn pick_visible(&mut self, fits: impl Fn(&Self, VarId) -> bool) -> Option<VarId> {
        let candidates: Vec<VarId> = self
            .visible()
            .into_iter()
            .filter(|&id| fits(self, id))
            .collect();
        (!candidates.is_empty()).then(|| self.rng.pick(&candidates))
    }

    /// Whether some visible local `fits`.
    fn any_visible(&self, fits: impl Fn(&Self, VarId) -> bool) -> bool {
        self.visible().into_iter().any(|id| fits(self, id))
    }

    /// A local of type `ty` usable as `how`, at random.
    fn pick_var(&mut self, ty: Ty, how: Use) -> Option<VarId> {
        self.pick_visible(|this, id| this.vars[id].ty == ty && this.can(id, how))
    }

    /// Whether some local of `ty` is usable as `how`.
    fn has_var(&self, ty: Ty, how: Use) -> bool {
        self.any_visible(|this, id| this.vars[id].ty == ty && this.can(id, how))
    }

    /// Uses local `id` as `how` and returns its name: records the move, the
    /// capture by closures in between, and the borrow for `Escape`.
    fn use_var(&mut self, id: VarId, how: Use) -> String {
        debug_assert!(self.can(id, how), "{how:?} of {}", self.vars[id].name);
        let frame = self.vars[id].frame;
        for outer in &mut self.frames[frame + 1..] {
            outer.captured.insert(id);
        }
        self.reads.push(id);
        let var = &mut self.vars[id];
        match how {
            Use::Move if !var.ty.is_copy() => var.moved = true,
            Use::Escape => {
                let scope = var.scope;
                self.borrows.push(Hold {
                    var: id,
                    exclusive: false,
                });
                self.origins.push(scope);
                self.temp_hold(id, false);
            }
            _ => {}
        }
        let var = &self.vars[id];
        if var.ty.is_ref() || var.ty == Ty::Future {
            let origin = var.origin;
            let refs = var.refs.clone();
            self.origins.push(origin);
            self.borrows.extend(refs);
        }
        self.vars[id].name.clone()
    }

    /// Generates with `flow` in place of the current one.
    fn with_flow<T>(&mut self, flow: Flow, f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = std::mem::replace(&mut self.flow, flow);
        let result = f(self);
        self.flow = saved;
        result
    }

    /// The flow of a value made here: a reference in it may point at any
    /// local in scope, and at temporaries unless it is `flowing` into a
    /// binding.
    fn flow_here(&self, flowing: bool) -> Flow {
        Flow {
            floor: self.scopes.len(),
            flowing,
        }
    }

    /// An expression whose value is used on the spot (a call's argument, an
    /// operand): a reference in it may point at anything alive.
    fn expr(&mut self, ty: Ty, depth: u32) -> Node {
        self.with_flow(self.flow_here(false), |this| this.value(ty, depth))
    }

    /// An expression whose value is kept (a `let` initializer): a reference
    /// in it points only at locals that outlive the binding.
    fn kept(&mut self, ty: Ty, depth: u32) -> Node {
        self.with_flow(self.flow_here(true), |this| this.value(ty, depth))
    }

    /// A value that outlives the temporaries of the place it is made in (a
    /// block's tail, a `match` arm, a `break` value): a reference in it may
    /// point where `flow` allows, but never at a temporary.
    fn flowing_value(&mut self, flow: Flow, ty: Ty, depth: u32) -> Node {
        let flow = Flow {
            flowing: true,
            ..flow
        };
        self.with_flow(flow, |this| this.value(ty, depth))
    }

    /// An expression that may run any number of times, or not at all (a
    /// guard, the right side of `&&`): like a loop body, it moves nothing
    /// declared outside it.
    fn conditional_expr(&mut self, ty: Ty, depth: u32) -> Node {
        self.loop_depth += 1;
        let node = self.expr(ty, depth);
        self.loop_depth -= 1;
        node
    }

    /// Wraps `node` with the reducer's alternatives for an expression of `ty`.
    fn simplifiable(&self, node: Node, ty: Ty) -> Node {
        if node.render() == ty.simple() {
            node
        } else {
            node.alt(vec![Alt::Text(ty.simple().to_owned())])
        }
    }
}
