//! Statements and blocks: `let` in its forms (patterns, `ref`, `let else`,
//! borrows, guards, closures, stored futures), assignments, expression
//! statements, `if`/`if let`/`match`, the loops, `break`/`continue`,
//! `return`, `panic!` and `assert!`. Each statement is a removable node.

use super::{FrameKind, Gen, Hold, LoopTarget, Ty, Use, VarId};
use crate::tree::{Kind, Node};

impl Gen<'_> {
    /// `{ statements; tail }`. The top block is the fn's body.
    pub(super) fn block(&mut self, count: usize, tail: Option<Ty>, depth: u32, top: bool) -> Node {
        self.push_scope();
        let kind = if top { Kind::Plain } else { Kind::Block };
        let mut node = self.node(kind).text("{\n");
        // A `move` frame starts by declaring what was moved in, and using it.
        let moved = std::mem::take(&mut self.pending_moved_in);
        let mut touches = Vec::new();
        for (name, ty) in moved {
            self.declare(&name, ty, false);
            touches.push(self.touch(&name, ty).removable());
        }
        node = node.lines(touches);
        let statements = self.statements(count, depth);
        node = node.lines(statements);
        if let Some(ty) = tail {
            // A block's temporaries die at its end: its value may not borrow them.
            let value = self.flowing_value(self.flow, ty, depth);
            node = node.child(value).text("\n");
        }
        self.pop_scope();
        node.text("}")
    }

    /// Up to `count` statements (fewer when the fuel is out).
    pub(super) fn statements(&mut self, count: usize, depth: u32) -> Vec<Node> {
        let mut found = Vec::new();
        for _ in 0..count {
            if self.fuel < -30 {
                break;
            }
            found.extend(self.statement(depth));
        }
        found
    }

    /// One statement (or two: a counter and its loop). The temporary
    /// borrows its expressions made end with it.
    fn statement(&mut self, depth: u32) -> Vec<Node> {
        let temps = self.temps.len();
        let borrows = self.borrows.len();
        let origins = self.origins.len();
        let reads = self.reads.len();
        let found = self.statement_inner(depth);
        self.release_temps(temps);
        self.borrows.truncate(borrows);
        self.origins.truncate(origins);
        self.reads.truncate(reads);
        found.into_iter().map(Node::removable).collect()
    }

    fn statement_inner(&mut self, depth: u32) -> Vec<Node> {
        let deep = depth > 0;
        let awaits = self.can_await();
        let d = depth.saturating_sub(1);
        let in_loop = !self.frame().loops.is_empty();
        let weights = [
            24,
            self.weight(Kind::Shadow, 2, !self.visible().is_empty()),
            self.weight(Kind::LetTuple, 3, true),
            self.weight(Kind::LetStruct, 2, true),
            self.weight(Kind::LetElse, 2, self.in_fn() || in_loop),
            self.weight(Kind::Borrow, 5, true),
            self.weight(Kind::BorrowMut, 2, true),
            self.weight(Kind::RefCellGuard, 2, true),
            self.weight(Kind::MutexGuard, 2, true),
            self.weight(Kind::Rc, 1, true),
            self.weight(Kind::Closure, 3, true),
            self.weight(Kind::MoveClosure, 2, true),
            self.weight(Kind::StoredFuture, 4, awaits),
            self.weight(Kind::PartialMove, 1, self.has_var(Ty::Acc, Use::Move)),
            16,
            self.weight(Kind::Assign, 4, true),
            self.weight(Kind::CompoundAssign, 4, true),
            self.weight(Kind::If, 6, deep),
            self.weight(Kind::IfLet, 3, deep),
            self.weight(Kind::Match, 3, deep),
            self.weight(Kind::ForRange, 3, deep),
            self.weight(Kind::ForIter, 3, deep),
            self.weight(Kind::While, 2, deep),
            self.weight(Kind::WhileLet, 2, deep),
            self.weight(Kind::Loop, 2, deep),
            self.weight(Kind::Block, 1, deep),
            self.weight(Kind::Return, 3, deep && self.in_fn()),
            self.weight(Kind::Panic, 1, true),
            self.weight(Kind::Assert, 2, true),
            self.weight(Kind::Break, 3, in_loop),
            self.weight(Kind::Continue, 2, in_loop),
            self.weight(Kind::Drop, 1, true),
        ];
        let pick = self.rng.weighted(&weights).unwrap_or(0);
        let found = match pick {
            1 => self.let_shadow(depth),
            2 => Some(self.let_tuple(depth)),
            3 => Some(self.let_struct(depth)),
            4 => self.let_else(depth),
            5 => self.let_borrow(),
            6 => self.let_borrow_mut(),
            7 => self.let_cell(depth),
            8 => self.let_mutex(depth),
            9 => Some(self.let_rc(depth)),
            10 => Some(self.let_closure(d, false)),
            11 => Some(self.let_closure(d, true)),
            12 => Some(self.let_future(depth)),
            13 => {
                let node = self.through_var_stmt(
                    Ty::Acc,
                    Use::Move,
                    Kind::PartialMove,
                    "let {new} = {}.tag;",
                );
                node.map(|(node, name)| {
                    self.declare(&name, Ty::Noisy, false);
                    node
                })
            }
            14 => Some(self.expression_statement(depth)),
            15 => self.assign(depth),
            16 => self.compound_assign(depth),
            17 => Some(self.if_expr(None, d)),
            18 => Some(self.if_let(None, d)),
            19 => Some(self.match_expr(None, d)),
            20 => return self.for_range(d),
            21 => Some(self.for_iter(d)),
            22 => return self.while_loop(d),
            23 => return self.while_let(d),
            24 => return self.plain_loop(d),
            25 => {
                let count = 1 + self.rng.below(3);
                Some(self.block(count, None, d, false))
            }
            26 => Some(self.early_return(d)),
            27 => Some(self.panic_branch(d)),
            28 => Some(self.assertion(d)),
            29 => self.break_statement(d),
            30 => self.continue_statement(d),
            31 => self.drop_statement(),
            _ => None,
        };
        vec![found.unwrap_or_else(|| self.let_simple(depth))]
    }

    /// A value type for a new local.
    fn local_ty(&mut self) -> Ty {
        let weights = [6, 2, 3, 3, 2, 2, 2, 2, 2, 2];
        let index = self.rng.weighted(&weights).expect("weights are positive");
        let ty = Ty::VALUES[index];
        if (ty == Ty::Noisy && !self.on(Kind::Noisy))
            || (ty == Ty::Acc && !self.on(Kind::MethodRef))
        {
            Ty::U32
        } else {
            ty
        }
    }

    /// Makes the binding `id` hold what its initializer borrowed (from
    /// `borrows` and `origins` since the marks), if its type keeps borrows.
    fn keep_borrows(&mut self, id: VarId, borrows: usize, origins: usize) {
        let ty = self.vars[id].ty;
        if !(ty.is_ref() || ty == Ty::Future) {
            return;
        }
        let holds: Vec<Hold> = self.borrowed_since(borrows);
        for hold in &holds {
            self.hold(id, hold.var, hold.exclusive);
        }
        self.vars[id].refs = holds;
        self.vars[id].origin = self.origins[origins..].iter().copied().max().unwrap_or(0);
    }

    /// `let x = ..;`, `let x: T = ..;`, `let mut x = ..;`
    fn let_simple(&mut self, depth: u32) -> Node {
        let ty = self.local_ty();
        let (borrows, origins) = (self.borrows.len(), self.origins.len());
        let init = self.kept(ty, depth);
        let name = self.fresh("x");
        let mutable = self.on(Kind::LetMut) && self.rng.chance(25) && !ty.is_ref();
        let typed = self.on(Kind::LetTyped) && self.rng.chance(30);
        let id = self.declare(&name, ty, mutable);
        self.keep_borrows(id, borrows, origins);
        let kind = if mutable {
            Kind::LetMut
        } else if typed {
            Kind::LetTyped
        } else {
            Kind::Let
        };
        let annotation = if typed {
            format!(": {}", ty.rust().expect("value types are writable"))
        } else {
            String::new()
        };
        let keyword = if mutable { "mut " } else { "" };
        self.let_statement(kind, &format!("{keyword}{name}{annotation}"), init)
    }

    /// `let PATTERN = init;`
    fn let_statement(&mut self, kind: Kind, pattern: &str, init: Node) -> Node {
        self.node(kind)
            .text(format!("let {pattern} = "))
            .child(init)
            .text(";")
    }

    /// `let x3 = ..;` where `x3` is already a local (maybe used in `..`).
    fn let_shadow(&mut self, depth: u32) -> Option<Node> {
        let visible = self.visible();
        let old = self.rng.pick(&visible);
        let name = self.vars[old].name.clone();
        let ty = self.local_ty();
        let (borrows, origins) = (self.borrows.len(), self.origins.len());
        let init = self.kept(ty, depth);
        let id = self.declare(&name, ty, false);
        self.keep_borrows(id, borrows, origins);
        Some(self.let_statement(Kind::Shadow, &name, init))
    }

    /// `let (a, ref b) = (.., ..);`, or from `leaf(.., (.., ..)).await`.
    fn let_tuple(&mut self, depth: u32) -> Node {
        let choices = [
            Ty::U32,
            Ty::U32,
            Ty::String,
            Ty::Noisy,
            Ty::OptU32,
            Ty::Bool,
            Ty::RefStr,
            Ty::VecU32,
        ];
        let tys = [self.rng.pick(&choices), self.rng.pick(&choices)];
        let (borrows, origins) = (self.borrows.len(), self.origins.len());
        let items: Vec<Node> = tys
            .iter()
            .map(|&ty| self.kept(ty, depth.saturating_sub(1)))
            .collect();
        let tuple = self
            .node(Kind::Tuple)
            .text("(")
            .separated(items, ", ")
            .text(")");
        let init = if self.can_await() && self.on(Kind::AwaitLeaf) && self.rng.chance(30) {
            let name = self.fresh("a");
            self.node(Kind::AwaitLeaf)
                .text(format!("leaf(\"{name}\", "))
                .child(tuple)
                .text(").await")
        } else {
            tuple
        };
        let mut patterns = Vec::new();
        let mut kind = Kind::LetTuple;
        let here = self.scopes.len() - 1;
        let mut bindings = Vec::new();
        for ty in tys {
            let name = self.fresh("x");
            let roll = self.rng.below(10);
            let (pattern, bound) = if ty == Ty::U32 && roll < 2 && self.on(Kind::LetRef) {
                kind = Kind::LetRef;
                (format!("ref {name}"), Some(Ty::RefU32))
            } else if ty == Ty::U32 && roll < 3 && self.on(Kind::LetRef) {
                kind = Kind::LetRef;
                (format!("ref mut {name}"), Some(Ty::MutU32))
            } else if roll < 4 && !ty.is_ref() && self.on(Kind::LetMut) {
                (format!("mut {name}"), Some(ty))
            } else if roll < 5 {
                ("_".to_owned(), None)
            } else {
                (name.clone(), Some(ty))
            };
            patterns.push(pattern);
            if let Some(bound) = bound {
                bindings.push((
                    name,
                    bound,
                    patterns
                        .last()
                        .is_some_and(|p| p.starts_with("mut ") || p.starts_with("ref mut")),
                ));
            }
        }
        for (name, ty, mutable) in bindings {
            let id = self.declare(&name, ty, mutable);
            if ty == Ty::RefU32 || ty == Ty::MutU32 {
                // Into the tuple, kept alive as long as this scope.
                self.vars[id].origin = here;
            } else {
                self.keep_borrows(id, borrows, origins);
            }
        }
        self.let_statement(kind, &format!("({})", patterns.join(", ")), init)
    }

    /// `let Acc { n: a, tag: b } = ..;` or `let Acc { n: a, .. } = ..;`
    fn let_struct(&mut self, depth: u32) -> Node {
        let init = self.kept(Ty::Acc, depth);
        let n = self.fresh("x");
        let pattern = if self.rng.chance(50) {
            let tag = self.fresh("x");
            self.declare(&tag, Ty::Noisy, false);
            format!("Acc {{ n: {n}, tag: {tag} }}")
        } else {
            format!("Acc {{ n: {n}, .. }}")
        };
        self.declare(&n, Ty::U32, false);
        self.let_statement(Kind::LetStruct, &pattern, init)
    }

    /// `let Some(k) = .. else { return ..; };`
    fn let_else(&mut self, depth: u32) -> Option<Node> {
        let diverge = self.divergence(depth)?;
        let optional = self.rng.chance(60);
        let scrutinee = self.expr(if optional { Ty::OptU32 } else { Ty::ResU32 }, depth);
        let name = self.fresh("k");
        let pattern = if optional { "Some" } else { "Ok" };
        self.declare(&name, Ty::U32, false);
        Some(
            self.node(Kind::LetElse)
                .text(format!("let {pattern}({name}) = "))
                .child(scrutinee)
                .text(" else {\n")
                .child(diverge)
                .text("\n};"),
        )
    }

    /// A statement that leaves the block: `return`, `continue`, or `break`.
    fn divergence(&mut self, depth: u32) -> Option<Node> {
        if self.in_fn() && self.on(Kind::Return) && self.rng.chance(70) {
            let value = self.expr(self.ret, depth.saturating_sub(1));
            return Some(
                self.node(Kind::Return)
                    .text("return ")
                    .child(value)
                    .text(";"),
            );
        }
        let target = self.frame().loops.last()?.clone();
        if target.value.is_none() {
            let word = if self.rng.chance(50) {
                "continue;"
            } else {
                "break;"
            };
            return Some(self.text(word));
        }
        Some(self.text("continue;"))
    }

    /// `let r = &x;`, `let r = s.as_str();`, `let r = n.name();`, `let r = &acc.n;`
    fn let_borrow(&mut self) -> Option<Node> {
        let (borrows, origins) = (self.borrows.len(), self.origins.len());
        let choice = self.with_flow(self.flow_here(true), |this| {
            let options: [(Ty, &str, Ty); 4] = [
                (Ty::U32, "&{}", Ty::RefU32),
                (Ty::String, "{}.as_str()", Ty::RefStr),
                (Ty::Noisy, "{}.name()", Ty::RefStr),
                (Ty::Acc, "&{}.n", Ty::RefU32),
            ];
            let (ty, template, result) = options[this.rng.below(options.len())];
            let id = this.pick_var(ty, Use::Escape)?;
            let name = this.use_var(id, Use::Escape);
            Some((template.replace("{}", &name), result))
        });
        let (init, ty) = choice?;
        let name = self.fresh("r");
        let id = self.declare(&name, ty, false);
        self.keep_borrows(id, borrows, origins);
        Some(
            self.node(Kind::Borrow)
                .text(format!("let {name} = {init};")),
        )
    }

    /// `let m = &mut v;` (a `Vec<u32>`) or `let m = &mut x;` (a `u32`).
    fn let_borrow_mut(&mut self) -> Option<Node> {
        let (ty, result) = if self.rng.chance(60) {
            (Ty::VecU32, Ty::MutVec)
        } else {
            (Ty::U32, Ty::MutU32)
        };
        let target = self.pick_var(ty, Use::Mutate)?;
        let target_name = self.use_var(target, Use::Mutate);
        let name = self.fresh("m");
        let id = self.declare(&name, result, true);
        self.vars[id].origin = self.vars[target].scope;
        self.hold(id, target, true);
        Some(
            self.node(Kind::BorrowMut)
                .text(format!("let {name} = &mut {target_name};")),
        )
    }

    /// `let cell = RefCell::new(..);`, or a guard of one: `cell.borrow()`,
    /// `cell.borrow_mut()`.
    fn let_cell(&mut self, depth: u32) -> Option<Node> {
        if self.rng.chance(50) && self.has_var(Ty::CellVec, Use::Read) {
            let exclusive = self.rng.chance(40);
            let how = if exclusive { Use::Interior } else { Use::Read };
            let cell = self.pick_var(Ty::CellVec, how)?;
            let cell_name = self.use_var(cell, how);
            let name = self.fresh("g");
            let (ty, text) = if exclusive {
                (
                    Ty::CellMut,
                    format!("let mut {name} = {cell_name}.borrow_mut();"),
                )
            } else {
                (Ty::CellRef, format!("let {name} = {cell_name}.borrow();"))
            };
            let id = self.declare(&name, ty, exclusive);
            self.hold(id, cell, exclusive);
            return Some(self.node(Kind::RefCellGuard).text(text));
        }
        let init = self.expr(Ty::VecU32, depth);
        let name = self.fresh("cell");
        self.declare(&name, Ty::CellVec, false);
        Some(self.let_new(Kind::RefCellGuard, &name, "RefCell", init))
    }

    /// `let NAME = WRAPPER::new(init);`
    fn let_new(&mut self, kind: Kind, name: &str, wrapper: &str, init: Node) -> Node {
        self.node(kind)
            .text(format!("let {name} = {wrapper}::new("))
            .child(init)
            .text(");")
    }

    /// `let mx = Mutex::new(..);`, or a guard: `let mut g = mx.lock().unwrap();`
    fn let_mutex(&mut self, depth: u32) -> Option<Node> {
        if self.rng.chance(50)
            && let Some(mutex) = self.pick_var(Ty::MutexU32, Use::Interior)
        {
            let mutex_name = self.use_var(mutex, Use::Interior);
            let name = self.fresh("g");
            let id = self.declare(&name, Ty::MutexGuard, true);
            self.hold(id, mutex, true);
            return Some(
                self.node(Kind::MutexGuard)
                    .text(format!("let mut {name} = {mutex_name}.lock().unwrap();")),
            );
        }
        let init = self.expr(Ty::U32, depth);
        let name = self.fresh("mx");
        self.declare(&name, Ty::MutexU32, false);
        Some(self.let_new(Kind::MutexGuard, &name, "Mutex", init))
    }

    /// `let rc = Rc::new(..);` or `let rc2 = Rc::clone(&rc);`
    fn let_rc(&mut self, depth: u32) -> Node {
        let name = self.fresh("rc");
        if self.rng.chance(40)
            && let Some(other) = self.pick_var(Ty::RcU32, Use::Read)
        {
            let other_name = self.use_var(other, Use::Read);
            self.declare(&name, Ty::RcU32, false);
            return self
                .node(Kind::Rc)
                .text(format!("let {name} = Rc::clone(&{other_name});"));
        }
        let init = self.expr(Ty::U32, depth);
        self.declare(&name, Ty::RcU32, false);
        self.let_new(Kind::Rc, &name, "Rc", init)
    }

    /// `let f = |k: u32| ..;` (holds what it captures) or `let f = move |k: u32| ..;`
    fn let_closure(&mut self, depth: u32, moving: bool) -> Node {
        let kind = if moving {
            FrameKind::MoveClosure
        } else {
            FrameKind::Closure
        };
        let (param, body) = self.closure_body(depth, kind);
        let captured = std::mem::take(&mut self.last_captured);
        let name = self.fresh("f");
        let id = self.declare(&name, Ty::Fn, false);
        self.vars[id].output = Ty::U32;
        if !moving {
            for var in captured {
                self.hold(id, var, false);
            }
        }
        let (kind, keyword) = if moving {
            (Kind::MoveClosure, "move ")
        } else {
            (Kind::Closure, "")
        };
        self.node(kind)
            .text(format!("let {name} = {keyword}|{param}: u32| "))
            .child(body)
            .text(";")
    }

    /// `let fut = leaf(..);` (or another future), awaited later or never.
    fn let_future(&mut self, depth: u32) -> Node {
        let (borrows, origins) = (self.borrows.len(), self.origins.len());
        let (future, output) = self.with_flow(self.flow_here(true), |this| this.future_expr(depth));
        let name = self.fresh("fut");
        let id = self.declare(&name, Ty::Future, false);
        self.vars[id].output = output;
        self.keep_borrows(id, borrows, origins);
        self.let_statement(Kind::StoredFuture, &name, future)
    }

    /// Like `through_var`, for a statement declaring `{new}` (returned).
    fn through_var_stmt(
        &mut self,
        ty: Ty,
        how: Use,
        kind: Kind,
        template: &str,
    ) -> Option<(Node, String)> {
        let id = self.pick_var(ty, how)?;
        let name = self.use_var(id, how);
        let new = self.fresh("x");
        let text = template.replace("{new}", &new).replace("{}", &name);
        Some((self.node(kind).text(text), new))
    }

    /// An expression used for its effects.
    fn expression_statement(&mut self, depth: u32) -> Node {
        let awaits = self.can_await();
        let d = depth.saturating_sub(1);
        let weights = [
            4,
            self.weight(Kind::AwaitLeaf, 8, awaits),
            self.weight(Kind::Format, 3, true),
            self.weight(Kind::MethodRef, 3, self.on(Kind::Noisy)),
            self.weight(Kind::AwaitHelper, 3, awaits),
            self.weight(Kind::LetUnderscore, 3, true),
            self.weight(Kind::MethodMut, 2, true),
            self.weight(Kind::MethodMut, 3, self.has_var(Ty::VecU32, Use::Mutate)),
            self.weight(Kind::MethodMut, 2, self.has_var(Ty::String, Use::Mutate)),
            self.weight(Kind::BorrowMut, 3, self.has_var(Ty::MutVec, Use::Mutate)),
            self.weight(
                Kind::RefCellGuard,
                3,
                self.has_var(Ty::CellMut, Use::Mutate),
            ),
            self.weight(
                Kind::RefCellGuard,
                2,
                self.has_var(Ty::CellVec, Use::Interior),
            ),
            self.weight(
                Kind::MutexGuard,
                3,
                self.has_var(Ty::MutexGuard, Use::Mutate),
            ),
            self.weight(
                Kind::MutexGuard,
                2,
                self.has_var(Ty::MutexU32, Use::Interior),
            ),
            self.weight(Kind::LetRef, 2, self.has_var(Ty::MutU32, Use::Mutate)),
            self.weight(Kind::Field, 2, self.has_var(Ty::Acc, Use::Mutate)),
        ];
        let pick = self.rng.weighted(&weights).unwrap_or(0);
        let found = match pick {
            1 => {
                let ty = self
                    .rng
                    .pick(&[Ty::U32, Ty::Noisy, Ty::String, Ty::Bool, Ty::VecU32]);
                let leaf = self.leaf(ty, d);
                Some(self.node(Kind::Plain).child(leaf).text(";"))
            }
            2 => {
                let message = self.format(d);
                Some(
                    self.node(Kind::Format)
                        .text("log(")
                        .child(message)
                        .text(");"),
                )
            }
            3 => {
                let (noisy, kind) = self.noisy_receiver(d);
                Some(self.node(kind).child(noisy).text(".touch();"))
            }
            4 => Some(
                self.call1("twice", Ty::U32, d, Kind::AwaitHelper, false)
                    .text(".await;"),
            ),
            5 => {
                let ty = self.local_ty();
                let value = self.expr(ty, d);
                Some(self.let_statement(Kind::LetUnderscore, "_", value))
            }
            6 => Some(self.acc_call(".bump(", false, d).text(";")),
            7 => self.mutating_call(
                Ty::VecU32,
                Use::Mutate,
                ".push(",
                Ty::U32,
                Kind::MethodMut,
                d,
            ),
            8 => self.mutating_call(
                Ty::String,
                Use::Mutate,
                ".push_str(",
                Ty::RefStr,
                Kind::MethodMut,
                d,
            ),
            9 => self.mutating_call(
                Ty::MutVec,
                Use::Mutate,
                ".push(",
                Ty::U32,
                Kind::BorrowMut,
                d,
            ),
            10 => self.mutating_call(
                Ty::CellMut,
                Use::Mutate,
                ".push(",
                Ty::U32,
                Kind::RefCellGuard,
                d,
            ),
            11 => self.mutating_call(
                Ty::CellVec,
                Use::Interior,
                ".borrow_mut().push(",
                Ty::U32,
                Kind::RefCellGuard,
                d,
            ),
            12 => {
                let op = self.rng.pick(&[" = ", " ^= ", " |= "]);
                self.mutating_call(
                    Ty::MutexGuard,
                    Use::Mutate,
                    &format!("\0*{{}}{op}"),
                    Ty::U32,
                    Kind::MutexGuard,
                    d,
                )
            }
            13 => self.mutating_call(
                Ty::MutexU32,
                Use::Interior,
                "\0*{}.lock().unwrap() ^= ",
                Ty::U32,
                Kind::MutexGuard,
                d,
            ),
            14 => self.mutating_call(
                Ty::MutU32,
                Use::Mutate,
                "\0*{} ^= ",
                Ty::U32,
                Kind::LetRef,
                d,
            ),
            15 => self.mutating_call(Ty::Acc, Use::Mutate, "\0{}.n ^= ", Ty::U32, Kind::Field, d),
            _ => None,
        };
        found.unwrap_or_else(|| {
            let ty = self.local_ty();
            let value = self.expr(ty, d);
            self.node(Kind::Plain).child(value).text(";")
        })
    }

    /// `target.method(arg);` (or, for a template starting with `\0`,
    /// `TEMPLATE arg;` with `{}` the target): the target is borrowed
    /// exclusively while the argument is evaluated.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call shape, spelled out at each use"
    )]
    fn mutating_call(
        &mut self,
        ty: Ty,
        how: Use,
        method: &str,
        arg: Ty,
        kind: Kind,
        depth: u32,
    ) -> Option<Node> {
        let id = self.pick_var(ty, how)?;
        let name = self.use_var(id, how);
        self.temp_hold(id, true);
        let value = self.expr(arg, depth);
        let node = if let Some(template) = method.strip_prefix('\0') {
            self.node(kind)
                .text(template.replace("{}", &name))
                .child(value)
                .text(";")
        } else {
            self.node(kind)
                .text(format!("{name}{method}"))
                .child(value)
                .text(");")
        };
        Some(node)
    }

    /// `x = ..;` to a `mut` local.
    fn assign(&mut self, depth: u32) -> Option<Node> {
        let id = self.pick_visible(|this, id| {
            let ty = this.vars[id].ty;
            Ty::VALUES.contains(&ty) && !ty.is_ref() && this.can(id, Use::Mutate)
        })?;
        let ty = self.vars[id].ty;
        let name = self.use_var(id, Use::Mutate);
        self.temp_hold(id, true);
        let value = self.expr(ty, depth.saturating_sub(1));
        Some(
            self.node(Kind::Assign)
                .text(format!("{name} = "))
                .child(value)
                .text(";"),
        )
    }

    /// `x ^= ..;` to a `mut u32`, or `s += ..;` to a `mut String`.
    fn compound_assign(&mut self, depth: u32) -> Option<Node> {
        let string = self.rng.chance(30);
        let ty = if string { Ty::String } else { Ty::U32 };
        let id = self.pick_var(ty, Use::Mutate)?;
        let name = self.use_var(id, Use::Mutate);
        self.temp_hold(id, true);
        let (op, arg) = if string {
            (" += ", Ty::RefStr)
        } else {
            (self.rng.pick(&[" ^= ", " |= ", " &= "]), Ty::U32)
        };
        let value = self.expr(arg, depth.saturating_sub(1));
        Some(
            self.node(Kind::CompoundAssign)
                .text(format!("{name}{op}"))
                .child(value)
                .text(";"),
        )
    }

    /// A loop body: a block with the loop's local (if any) declared in it.
    fn loop_body(
        &mut self,
        target: LoopTarget,
        local: Option<(String, Ty, usize)>,
        depth: u32,
        counter: Option<&str>,
    ) -> Node {
        self.frames.last_mut().expect("a frame").loops.push(target);
        self.loop_depth += 1;
        self.push_scope();
        if let Some((name, ty, origin)) = local {
            let id = self.declare(&name, ty, false);
            self.vars[id].fixed = true;
            self.vars[id].origin = origin;
        }
        let mut body = self.node(Kind::Plain).text("{\n");
        if let Some(counter) = counter {
            body = body.text(format!("{counter} += 1;\n"));
        }
        let count = 1 + self.rng.below(3);
        let statements = self.statements(count, depth);
        body = body.lines(statements);
        self.pop_scope();
        self.loop_depth -= 1;
        self.frames.last_mut().expect("a frame").loops.pop();
        body.text("}")
    }

    /// Declares a loop's counter `cN`: `mut`, but changed only by its loop.
    pub(super) fn loop_counter(&mut self) -> String {
        let counter = self.fresh("c");
        let id = self.declare(&counter, Ty::U32, true);
        self.vars[id].fixed = true;
        counter
    }

    /// Runs `f` with local `var` borrowed (shared) throughout: a loop over
    /// it, or over what it yields.
    fn holding<T>(&mut self, var: VarId, f: impl FnOnce(&mut Self) -> T) -> T {
        let hold = Hold {
            var,
            exclusive: false,
        };
        self.acquire(hold);
        let result = f(self);
        self.release(hold);
        result
    }

    /// A new loop target, labelled sometimes.
    fn loop_target(&mut self) -> LoopTarget {
        let label = (self.on(Kind::LabeledBreak) && self.rng.chance(40)).then(|| self.fresh("'l"));
        LoopTarget {
            label,
            value: None,
            flow: self.flow,
        }
    }

    /// `'l: ` before a labelled loop, or nothing.
    pub(super) fn label_text(target: &LoopTarget) -> String {
        target
            .label
            .as_deref()
            .map(|label| format!("{label}: "))
            .unwrap_or_default()
    }

    /// `for i in 0..n { .. }`
    fn for_range(&mut self, depth: u32) -> Vec<Node> {
        let bound = if self.rng.chance(50) {
            let n = self.rng.between(1, 3);
            self.text(n.to_string())
        } else {
            let n = self.expr(Ty::U32, depth);
            self.node(Kind::Plain).text("(").child(n).text(" % 4)")
        };
        let target = self.loop_target();
        let label = Self::label_text(&target);
        let name = self.fresh("i");
        let body = self.loop_body(target, Some((name.clone(), Ty::U32, 0)), depth, None);
        let body_id = body.id;
        vec![
            self.node(Kind::ForRange)
                .text(format!("{label}for {name} in 0.."))
                .child(bound)
                .text(" ")
                .child(body)
                .hoist(body_id)
                .removable(),
        ]
    }

    /// `for x in v.iter() { .. }` or `for x in VEC { .. }`
    fn for_iter(&mut self, depth: u32) -> Node {
        let target = self.loop_target();
        let label = Self::label_text(&target);
        let name = self.fresh("x");
        if self.rng.chance(50)
            && let Some(v) = self.pick_var(Ty::VecU32, Use::Read)
        {
            let v_name = self.use_var(v, Use::Read);
            let origin = self.vars[v].scope;
            let local = Some((name.clone(), Ty::RefU32, origin));
            let body = self.holding(v, |this| this.loop_body(target, local, depth, None));
            return self
                .node(Kind::ForIter)
                .text(format!("{label}for {name} in {v_name}.iter() "))
                .child(body);
        }
        let items = self.expr(Ty::VecU32, depth);
        let body = self.loop_body(target, Some((name.clone(), Ty::U32, 0)), depth, None);
        self.node(Kind::ForIter)
            .text(format!("{label}for {name} in "))
            .child(items)
            .text(" ")
            .child(body)
    }

    /// `let mut c = 0;` and `while c < K { c += 1; .. }` (the condition may
    /// await, or add a condition).
    fn while_loop(&mut self, depth: u32) -> Vec<Node> {
        let counter = self.loop_counter();
        let limit = self.rng.between(1, 3);
        let target = self.loop_target();
        let label = Self::label_text(&target);
        self.loop_depth += 1;
        let cond = if self.can_await() && self.on(Kind::AwaitLeaf) && self.rng.chance(30) {
            let name = self.fresh("a");
            self.node(Kind::AwaitLeaf)
                .text(format!("leaf(\"{name}\", {counter}).await < {limit}"))
        } else if self.on(Kind::LazyBool) && self.rng.chance(30) {
            let extra = self.expr(Ty::Bool, depth);
            self.node(Kind::LazyBool)
                .text(format!("{counter} < {limit} && "))
                .child(extra)
        } else {
            self.text(format!("{counter} < {limit}"))
        };
        self.loop_depth -= 1;
        let body = self.loop_body(target, None, depth, Some(&counter));
        let declaration = self.text(format!("let mut {counter} = 0;")).removable();
        let body_id = body.id;
        vec![
            declaration,
            self.node(Kind::While)
                .text(format!("{label}while "))
                .child(cond)
                .text(" ")
                .child(body)
                .hoist(body_id)
                .removable(),
        ]
    }

    /// `while let Some(x) = v.pop() { .. }`, on a new `let mut` vector if
    /// no local one can be changed.
    fn while_let(&mut self, depth: u32) -> Vec<Node> {
        let mut found = Vec::new();
        let stack = match self.pick_var(Ty::VecU32, Use::Mutate) {
            Some(id) => id,
            None => {
                let init = self.kept(Ty::VecU32, depth);
                let name = self.fresh("st");
                let id = self.declare(&name, Ty::VecU32, true);
                found.push(
                    self.node(Kind::LetMut)
                        .text(format!("let mut {name} = "))
                        .child(init)
                        .text(";")
                        .removable(),
                );
                id
            }
        };
        let stack_name = self.use_var(stack, Use::Mutate);
        let target = self.loop_target();
        let label = Self::label_text(&target);
        let name = self.fresh("x");
        let local = Some((name.clone(), Ty::U32, 0));
        let body = self.holding(stack, |this| this.loop_body(target, local, depth, None));
        found.push(
            self.node(Kind::WhileLet)
                .text(format!(
                    "{label}while let Some({name}) = {stack_name}.pop() "
                ))
                .child(body)
                .removable(),
        );
        found
    }

    /// `let mut c = 0;` and `loop { c += 1; if c > K { break; } .. }`
    fn plain_loop(&mut self, depth: u32) -> Vec<Node> {
        let counter = self.loop_counter();
        let limit = self.rng.between(1, 3);
        let target = self.loop_target();
        let label = Self::label_text(&target);
        let mut body = self.loop_body(target, None, depth, None);
        // The counter and the exit go first in the body.
        if let Some(crate::tree::Part::Text(first)) = body.parts.first_mut() {
            *first = format!("{{\n{counter} += 1;\nif {counter} > {limit} {{\nbreak;\n}}\n");
        }
        let declaration = self.text(format!("let mut {counter} = 0;")).removable();
        vec![
            declaration,
            self.node(Kind::Loop)
                .text(format!("{label}loop "))
                .child(body)
                .removable(),
        ]
    }

    /// `if cond { ..; return value; }`
    fn early_return(&mut self, depth: u32) -> Node {
        let cond = self.expr(Ty::Bool, depth);
        let value = self.expr(self.ret, depth);
        let ret = self
            .node(Kind::Return)
            .text("return ")
            .child(value)
            .text(";");
        self.node(Kind::If)
            .text("if ")
            .child(cond)
            .text(" {\n")
            .child(ret)
            .text("\n}")
    }

    /// `if n % 4 == 3 { panic!(..); }`
    fn panic_branch(&mut self, depth: u32) -> Node {
        let n = self.expr(Ty::U32, depth);
        let shown = self.expr(Ty::U32, depth);
        let name = self.fresh("boom");
        self.node(Kind::Panic)
            .text("if ")
            .child(n)
            .text(" % 4 == 3 {\n")
            .text(format!("panic!(\"{name} {{}}\", "))
            .child(shown)
            .text(");\n}")
    }

    /// `assert!(..)` (sometimes failing) or `assert_ne!(.., 1000000007)`.
    fn assertion(&mut self, depth: u32) -> Node {
        if self.rng.chance(25) {
            let cond = self.expr(Ty::Bool, depth);
            let name = self.fresh("assert");
            return self
                .node(Kind::Assert)
                .text("assert!(")
                .child(cond)
                .text(format!(", \"{name}\");"));
        }
        let n = self.expr(Ty::U32, depth);
        self.node(Kind::Assert)
            .text("assert_ne!(")
            .child(n)
            .text(", 1000000007);")
    }

    /// `if cond { break; }`, `break 'l;`, `break 'l value;`
    fn break_statement(&mut self, depth: u32) -> Option<Node> {
        let loops = self.frame().loops.clone();
        let index = self.rng.below(loops.len());
        let innermost = index == loops.len() - 1;
        let target = &loops[index];
        if !innermost && target.label.is_none() {
            return None;
        }
        let label = if innermost && (target.label.is_none() || self.rng.chance(40)) {
            String::new()
        } else {
            format!(" {}", target.label.as_deref().expect("checked above"))
        };
        let kind = if label.is_empty() {
            Kind::Break
        } else {
            Kind::LabeledBreak
        };
        let cond = self.expr(Ty::Bool, depth);
        let mut node = self
            .node(kind)
            .text("if ")
            .child(cond)
            .text(format!(" {{\nbreak{label}"));
        if let Some(ty) = target.value {
            let value = self.flowing_value(target.flow, ty, depth);
            node = node.text(" ").child(value);
        }
        Some(node.text(";\n}"))
    }

    /// `if cond { continue; }` or `continue 'l;`
    fn continue_statement(&mut self, depth: u32) -> Option<Node> {
        let loops = self.frame().loops.clone();
        let index = self.rng.below(loops.len());
        let innermost = index == loops.len() - 1;
        let label = match (&loops[index].label, innermost) {
            (Some(label), false) => format!(" {label}"),
            (Some(label), true) if self.rng.chance(60) => format!(" {label}"),
            (_, true) => String::new(),
            (None, false) => return None,
        };
        let kind = if label.is_empty() {
            Kind::Continue
        } else {
            Kind::LabeledBreak
        };
        let cond = self.expr(Ty::Bool, depth);
        Some(
            self.node(kind)
                .text("if ")
                .child(cond)
                .text(format!(" {{\ncontinue{label};\n}}")),
        )
    }

    /// `drop(x);` of a local that owns something (a guard or a future too).
    fn drop_statement(&mut self) -> Option<Node> {
        let id = self.pick_visible(|this, id| {
            let ty = this.vars[id].ty;
            !ty.is_copy() && ty != Ty::MutVec && ty != Ty::MutU32 && this.can(id, Use::Move)
        })?;
        let name = self.use_var(id, Use::Move);
        Some(self.node(Kind::Drop).text(format!("drop({name});")))
    }
}
