//! Expressions, by type. [`Gen::value`] first may pick a construct every
//! type has (`leaf(..).await`, `async` blocks, `if`, `match`, blocks, a
//! `loop` that breaks with the value, a generic call, a stored future);
//! otherwise the type's own ways to be made.

use super::{FrameKind, Gen, Hold, LoopTarget, Ty, Use, VarId};
use crate::tree::{Kind, Node};

/// A `match` arm to generate: its pattern, the binding it makes (name and
/// type), and whether the arm may get a guard (a later arm catches what it
/// refuses).
type ArmShape = (String, Option<(String, Ty)>, bool);

impl Gen<'_> {
    /// An expression of type `ty`; `depth` bounds its nesting. A reference
    /// in it follows the current [`Flow`](super::Flow).
    pub(super) fn value(&mut self, ty: Ty, depth: u32) -> Node {
        let depth = if self.fuel <= 0 { 0 } else { depth };
        let node = match self.common(ty, depth) {
            Some(node) => node,
            None => match ty {
                Ty::U32 => self.u32_expr(depth),
                Ty::Bool => self.bool_expr(depth),
                Ty::String => self.string_expr(depth),
                Ty::Noisy => self.noisy_expr(depth),
                Ty::OptU32 => self.opt_expr(depth),
                Ty::VecU32 => self.vec_expr(depth),
                Ty::ResU32 => self.res_expr(depth),
                Ty::RefU32 => self.ref_u32_expr(),
                Ty::RefStr => self.ref_str_expr(),
                Ty::Acc => self.acc_expr(depth),
                _ => unreachable!("no expressions of {ty:?}"),
            },
        };
        self.simplifiable(node, ty)
    }

    /// The constructs every type has, or `None` for the type's own.
    fn common(&mut self, ty: Ty, depth: u32) -> Option<Node> {
        let awaits = self.can_await();
        let deep = depth > 0;
        let stored = self.has_future(ty);
        let weights = [
            40,
            self.weight(Kind::AwaitLeaf, 14, awaits),
            self.weight(Kind::AsyncBlock, 2, awaits && deep),
            self.weight(Kind::AsyncMoveBlock, 2, awaits && deep),
            self.weight(Kind::If, 3, deep),
            self.weight(Kind::Match, 2, deep),
            self.weight(Kind::IfLet, 2, deep),
            self.weight(Kind::Block, 2, deep),
            self.weight(Kind::Loop, 1, deep),
            self.weight(Kind::Generic, 2, deep),
            self.weight(Kind::Generic, 1, deep && awaits),
            self.weight(Kind::StoredFuture, 8, stored),
        ];
        let depth = depth.saturating_sub(1);
        Some(match self.rng.weighted(&weights)? {
            1 => self.leaf(ty, depth),
            2 => self.async_block(ty, depth, false),
            3 => self.async_block(ty, depth, true),
            4 => self.if_expr(Some(ty), depth),
            5 => self.match_expr(Some(ty), depth),
            6 => self.if_let(Some(ty), depth),
            7 => {
                let count = self.rng.below(3);
                // A block on its own: its value may stand for it.
                let block = self.block(count, Some(ty), depth, false);
                match block.children().last().map(|tail| tail.id) {
                    Some(tail) => block.hoist(tail),
                    None => block,
                }
            }
            8 => self.loop_expr(ty, depth),
            9 => {
                // pick(flag, a, b)
                let flag = self.expr(Ty::Bool, depth);
                let a = self.value(ty, depth);
                let b = self.value(ty, depth);
                let (a_id, b_id) = (a.id, b.id);
                self.node(Kind::Generic)
                    .text("pick(")
                    .child(flag)
                    .text(", ")
                    .child(a)
                    .text(", ")
                    .child(b)
                    .text(")")
                    .hoist(a_id)
                    .hoist(b_id)
            }
            10 => {
                let inner = self.value(ty, depth);
                let inner_id = inner.id;
                self.node(Kind::Generic)
                    .text("echo(")
                    .child(inner)
                    .text(").await")
                    .hoist(inner_id)
            }
            11 => {
                let id = self.pick_future(ty).expect("checked above");
                let name = self.use_var(id, Use::Move);
                self.node(Kind::StoredFuture).text(format!("{name}.await"))
            }
            _ => return None,
        })
    }

    /// `leaf("aN", value).await`
    pub(super) fn leaf(&mut self, ty: Ty, depth: u32) -> Node {
        let name = self.fresh("a");
        let inner = self.value(ty, depth);
        let inner_id = inner.id;
        self.node(Kind::AwaitLeaf)
            .text(format!("leaf(\"{name}\", "))
            .child(inner)
            .text(").await")
            .hoist(inner_id)
    }

    /// `async { .. }.await` or `async move { .. }.await`, ending in a `ty`.
    fn async_block(&mut self, ty: Ty, depth: u32, moving: bool) -> Node {
        let statements = self.rng.below(3);
        let (kind, keyword) = if moving {
            (Kind::AsyncMoveBlock, "async move ")
        } else {
            (Kind::AsyncBlock, "async ")
        };
        let frame = if moving {
            FrameKind::AsyncMove
        } else {
            FrameKind::Async
        };
        let body = self.in_frame(frame, |this| this.block(statements, Some(ty), depth, false));
        let body_id = body.id;
        self.node(kind)
            .text(keyword)
            .child(body)
            .text(".await")
            .hoist(body_id)
    }

    /// Runs `f` in a new frame of `kind`. For a frame that moves, a few
    /// locals are moved in first: the block's first scope declares them
    /// again, owned, and its first statements use them (see
    /// [`Gen::block`], which reads `pending_moved_in`).
    pub(super) fn in_frame<T>(&mut self, kind: FrameKind, f: impl FnOnce(&mut Self) -> T) -> T {
        let moved_in = if kind.moves() {
            self.choose_moved_in()
        } else {
            Vec::new()
        };
        self.frames.push(super::Frame {
            kind,
            base: self.scopes.len(),
            loops: Vec::new(),
            captured: Default::default(),
        });
        // A closure may run many times: like a loop body.
        let closure = matches!(kind, FrameKind::Closure | FrameKind::MoveClosure);
        if closure {
            self.loop_depth += 1;
        }
        self.pending_moved_in = moved_in;
        let result = f(self);
        self.pending_moved_in.clear();
        if closure {
            self.loop_depth -= 1;
        }
        let frame = self.frames.pop().expect("pushed above");
        self.last_captured = frame.captured;
        result
    }

    /// Up to two movable non-`Copy` locals, moved (into a `move` block).
    fn choose_moved_in(&mut self) -> Vec<(String, Ty)> {
        let mut chosen = Vec::new();
        for _ in 0..self.rng.below(3) {
            let movable = self.pick_visible(|this, id| {
                let var = &this.vars[id];
                !var.ty.is_copy()
                    && matches!(
                        var.ty,
                        Ty::String | Ty::Noisy | Ty::VecU32 | Ty::ResU32 | Ty::Acc
                    )
                    && this.can(id, Use::Move)
            });
            let Some(id) = movable else {
                break;
            };
            let ty = self.vars[id].ty;
            let name = self.use_var(id, Use::Move);
            chosen.push((name, ty));
        }
        chosen
    }

    /// `if cond { a } else { b }`; a statement when `ty` is `None`.
    pub(super) fn if_expr(&mut self, ty: Option<Ty>, depth: u32) -> Node {
        let cond = self.expr(Ty::Bool, depth);
        let then = self.branch(ty, depth);
        let mut node = self.node(Kind::If).text("if ").child(cond).text(" ");
        let then_id = then.id;
        node = node.child(then).hoist(then_id);
        if ty.is_some() || self.rng.chance(50) {
            node = node.text(" else ");
            let otherwise = if ty.is_none() && depth > 0 && self.rng.chance(30) {
                self.if_expr(None, depth - 1)
            } else {
                self.branch(ty, depth)
            };
            let otherwise_id = otherwise.id;
            node = node.child(otherwise).hoist(otherwise_id);
        }
        node
    }

    /// A branch of an `if` or `if let`: a block ending in a `ty`, or, for a
    /// statement, a block of one or two statements.
    fn branch(&mut self, ty: Option<Ty>, depth: u32) -> Node {
        let statements = if ty.is_some() {
            self.rng.below(2)
        } else {
            1 + self.rng.below(2)
        };
        self.block(statements, ty, depth, false)
    }

    /// `if let PATTERN = scrutinee { .. } else { .. }`, sometimes with a
    /// `&& condition` (a let chain).
    pub(super) fn if_let(&mut self, ty: Option<Ty>, depth: u32) -> Node {
        let scrutinee_ty = self.rng.pick(&[Ty::OptU32, Ty::OptU32, Ty::ResU32]);
        let scrutinee = self.expr(scrutinee_ty, depth);
        let binding = self.fresh("k");
        let pattern = match scrutinee_ty {
            Ty::OptU32 => format!("Some({binding})"),
            _ => format!("Ok({binding})"),
        };
        let mut node = self
            .node(Kind::IfLet)
            .text(format!("if let {pattern} = "))
            .child(scrutinee)
            .text(" ");
        self.push_scope();
        self.declare(&binding, Ty::U32, false);
        if self.rng.chance(20) {
            let extra = self.expr(Ty::Bool, depth);
            node = node.text("&& ").child(extra).text(" ");
        }
        let then = self.branch(ty, depth);
        self.pop_scope();
        node = node.child(then);
        if ty.is_some() || self.rng.chance(50) {
            let otherwise = self.branch(ty, depth);
            let otherwise_id = otherwise.id;
            node = node.text(" else ").child(otherwise).hoist(otherwise_id);
        }
        node
    }

    /// `match scrutinee { arms }`: arms are values of `ty`, or blocks.
    pub(super) fn match_expr(&mut self, ty: Option<Ty>, depth: u32) -> Node {
        let scrutinee_ty = self.rng.pick(&[
            Ty::U32,
            Ty::U32,
            Ty::OptU32,
            Ty::OptU32,
            Ty::ResU32,
            Ty::Bool,
        ]);
        let reads = self.reads.len();
        let scrutinee = self.expr(scrutinee_ty, depth);
        // The arms see the scrutinee borrowed.
        let read: Vec<VarId> = self.reads[reads..].to_vec();
        for id in read {
            self.temp_hold(id, false);
        }
        let mut node = self
            .node(Kind::Match)
            .text("match ")
            .child(scrutinee)
            .text(" {\n");
        let arms: Vec<ArmShape> = match scrutinee_ty {
            Ty::U32 => {
                let k = self.fresh("k");
                vec![
                    ("0".to_owned(), None, false),
                    (k.clone(), Some((k.clone(), Ty::U32)), true),
                    (self.fresh("k"), None, false),
                ]
            }
            Ty::OptU32 => {
                let k = self.fresh("k");
                let j = self.fresh("k");
                vec![
                    (format!("Some({k})"), Some((k, Ty::U32)), true),
                    (format!("Some({j})"), Some((j, Ty::U32)), false),
                    ("None".to_owned(), None, false),
                ]
            }
            Ty::ResU32 => {
                let k = self.fresh("k");
                let e = self.fresh("e");
                vec![
                    (format!("Ok({k})"), Some((k, Ty::U32)), true),
                    (format!("Ok({})", self.fresh("k")), None, false),
                    (format!("Err({e})"), Some((e, Ty::String)), false),
                ]
            }
            _ => vec![
                ("true".to_owned(), None, false),
                ("false".to_owned(), None, false),
            ],
        };
        for (pattern, binding, guardable) in arms {
            self.push_scope();
            let mut arm = self.node(Kind::Plain).text(pattern.clone());
            if let Some((name, binding_ty)) = &binding {
                self.declare(name, *binding_ty, false);
            }
            if guardable && self.on(Kind::MatchGuard) && self.rng.chance(60) {
                // A guard may run and fail: it must not move anything.
                let guard = self.conditional_expr(Ty::Bool, depth);
                arm = self
                    .node(Kind::MatchGuard)
                    .text(pattern)
                    .text(" if ")
                    .child(guard);
            } else if guardable {
                // Without a guard the next arm would be unreachable; keep it
                // reachable with an always-false literal guard.
                arm = arm.text(" if false");
            }
            let body = match ty {
                // An arm's temporaries die at its end.
                Some(ty) => self.flowing_value(self.flow, ty, depth),
                None => {
                    let count = 1 + self.rng.below(2);
                    self.block(count, None, depth, false)
                }
            };
            self.pop_scope();
            node = node.child(arm).text(" => ").child(body).text(",\n");
        }
        node.text("}")
    }

    /// `{ let mut c = 0; 'l: loop { c += 1; if c > K { break 'l value; } .. } }`
    fn loop_expr(&mut self, ty: Ty, depth: u32) -> Node {
        self.push_scope();
        let counter = self.loop_counter();
        let labelled = self.on(Kind::LabeledBreak) && self.rng.chance(60);
        let label = labelled.then(|| self.fresh("'l"));
        let limit = self.rng.between(1, 3);
        let target = LoopTarget {
            label,
            value: Some(ty),
            flow: self.flow,
        };
        let label_text = Self::label_text(&target);
        let break_text = match &target.label {
            Some(label) => format!("break {label} "),
            None => "break ".to_owned(),
        };
        self.frames.last_mut().expect("a frame").loops.push(target);
        self.loop_depth += 1;
        let exit = self.flowing_value(self.flow, ty, depth);
        self.push_scope();
        let count = 1 + self.rng.below(2);
        let body = self.statements(count, depth);
        self.pop_scope();
        self.loop_depth -= 1;
        self.frames.last_mut().expect("a frame").loops.pop();
        self.pop_scope();
        let mut node = self
            .node(Kind::Loop)
            .text(format!(
                "{{\nlet mut {counter} = 0;\n{label_text}loop {{\n{counter} += 1;\nif {counter} > {limit} {{\n{break_text}"
            ))
            .child(exit)
            .text(";\n}\n")
            .lines(body);
        if labelled {
            node.kind = Kind::LabeledBreak;
        }
        node.text("}\n}")
    }

    /// Whether a stored future with output `ty` can be awaited here.
    fn has_future(&self, ty: Ty) -> bool {
        self.can_await() && self.any_visible(|this, id| this.future_fits(id, ty))
    }

    fn pick_future(&mut self, ty: Ty) -> Option<VarId> {
        self.pick_visible(|this, id| this.future_fits(id, ty))
    }

    fn future_fits(&self, id: VarId, ty: Ty) -> bool {
        let var = &self.vars[id];
        var.ty == Ty::Future
            && var.output == ty
            && self.can(id, Use::Move)
            && (!ty.is_ref() || var.origin < self.flow.floor)
    }

    /// A value of `ty` read through a reference: a local (not moved), or
    /// any expression (a temporary). The flag says whether it is a local.
    pub(super) fn operand_ref(&mut self, ty: Ty, depth: u32) -> (Node, Option<VarId>) {
        if self.rng.chance(60)
            && let Some(id) = self.pick_var(ty, Use::Read)
        {
            let name = self.use_var(id, Use::Read);
            return (self.text(name), Some(id));
        }
        (self.expr(ty, depth), None)
    }

    /// A local of `ty` by name, used as `how`, if there is one.
    fn var_expr(&mut self, ty: Ty, how: Use) -> Option<Node> {
        let id = self.pick_var(ty, how)?;
        let name = self.use_var(id, how);
        Some(self.text(name))
    }

    /// A local of type `ty` whose name is used in `template` (`{}` is the
    /// name), read with `how`; tagged `kind`.
    fn through_var(&mut self, ty: Ty, how: Use, kind: Kind, template: &str) -> Option<Node> {
        let id = self.pick_var(ty, how)?;
        let name = self.use_var(id, how);
        Some(self.node(kind).text(template.replace("{}", &name)))
    }

    /// A `u32`.
    fn u32_expr(&mut self, depth: u32) -> Node {
        let deep = depth > 0;
        let awaits = self.can_await();
        let d = depth.saturating_sub(1);
        let ret_opt = self.in_fn() && self.ret == Ty::OptU32;
        let ret_res = self.in_fn() && self.ret == Ty::ResU32;
        let weights = [
            10,
            self.weight(Kind::Plain, 12, self.has_var(Ty::U32, Use::Read)),
            self.weight(Kind::Borrow, 4, self.has_var(Ty::RefU32, Use::Read)),
            self.weight(Kind::LetRef, 3, self.has_var(Ty::MutU32, Use::Read)),
            self.weight(Kind::Field, 2, self.has_var(Ty::Acc, Use::Read)),
            self.weight(Kind::MutexGuard, 3, self.has_var(Ty::MutexGuard, Use::Read)),
            self.weight(
                Kind::RefCellGuard,
                3,
                self.has_var(Ty::CellRef, Use::Read) || self.has_var(Ty::CellMut, Use::Read),
            ),
            self.weight(Kind::Rc, 3, self.has_var(Ty::RcU32, Use::Read)),
            self.weight(Kind::BorrowMut, 3, self.has_var(Ty::MutVec, Use::Read)),
            self.weight(Kind::Call, 4, deep),
            self.weight(Kind::Binary, 6, deep),
            self.weight(Kind::Call, 2, deep),
            self.weight(Kind::Call, 2, deep && self.on(Kind::Noisy)),
            self.weight(Kind::MethodRef, 3, deep),
            self.weight(Kind::MethodRef, 2, deep),
            self.weight(Kind::MethodRef, 2, deep),
            self.weight(Kind::MethodSelf, 1, deep),
            self.weight(Kind::MethodRef, 2, deep && self.on(Kind::Noisy)),
            self.weight(Kind::MethodRef, 2, deep),
            self.weight(Kind::MethodMut, 2, deep),
            self.weight(Kind::MethodSelf, 1, deep),
            self.weight(Kind::AwaitMethod, 2, deep && awaits),
            self.weight(
                Kind::AwaitMethod,
                1,
                deep && awaits && self.has_var(Ty::Acc, Use::Mutate),
            ),
            self.weight(Kind::AwaitHelper, 4, deep && awaits),
            self.weight(Kind::AwaitHelper, 2, deep && awaits),
            self.weight(Kind::Closure, 3, self.has_var(Ty::Fn, Use::Read)),
            self.weight(Kind::Try, 5, deep && (ret_opt || ret_res)),
            self.weight(Kind::RefCellGuard, 2, self.has_var(Ty::CellVec, Use::Read)),
            self.weight(
                Kind::MutexGuard,
                2,
                self.has_var(Ty::MutexU32, Use::Interior),
            ),
            self.weight(Kind::Closure, 2, deep),
        ];
        let pick = self.rng.weighted(&weights).unwrap_or(0);
        let found = match pick {
            1 => self.var_expr(Ty::U32, Use::Read),
            2 => self.through_var(Ty::RefU32, Use::Read, Kind::Borrow, "*{}"),
            3 => self.through_var(Ty::MutU32, Use::Read, Kind::LetRef, "*{}"),
            4 => self.through_var(Ty::Acc, Use::Read, Kind::Field, "{}.n"),
            5 => self.through_var(Ty::MutexGuard, Use::Read, Kind::MutexGuard, "*{}"),
            6 => {
                let ty = if self.has_var(Ty::CellRef, Use::Read) {
                    Ty::CellRef
                } else {
                    Ty::CellMut
                };
                self.through_var(ty, Use::Read, Kind::RefCellGuard, "({}.len() as u32)")
            }
            7 => {
                let template = if self.rng.chance(70) {
                    "*{}"
                } else {
                    "(Rc::strong_count(&{}) as u32)"
                };
                self.through_var(Ty::RcU32, Use::Read, Kind::Rc, template)
            }
            8 => self.through_var(Ty::MutVec, Use::Read, Kind::BorrowMut, "({}.len() as u32)"),
            9 => Some(self.call2("add", Ty::U32, Ty::U32, d, Kind::Call, true)),
            10 => {
                let a = self.expr(Ty::U32, d);
                let op = self.rng.pick(&[" ^ ", " | ", " & ", " % "]);
                let (a_id, a) = (a.id, a);
                if op == " % " {
                    let k = self.rng.between(2, 7);
                    Some(
                        self.node(Kind::Binary)
                            .child(a)
                            .text(format!(" % {k}"))
                            .hoist(a_id),
                    )
                } else {
                    let b = self.expr(Ty::U32, d);
                    let b_id = b.id;
                    Some(self.binary(Kind::Binary, a, op, b).hoist(a_id).hoist(b_id))
                }
            }
            11 => {
                let text = self.str_arg(d);
                Some(self.node(Kind::Call).text("length(").child(text).text(")"))
            }
            12 => Some(self.call2("consume", Ty::Noisy, Ty::U32, d, Kind::Call, false)),
            13 => Some(self.method_on(Ty::String, ".len() as u32", d)),
            14 => Some(self.method_on(Ty::VecU32, ".len() as u32", d)),
            15 => Some(self.unwrap_or(Ty::OptU32, Kind::MethodRef, d)),
            16 => Some(self.unwrap_or(Ty::ResU32, Kind::MethodSelf, d)),
            17 => {
                let (noisy, kind) = self.noisy_receiver(d);
                Some(
                    self.node(kind)
                        .text("(")
                        .child(noisy)
                        .text(".name().len() as u32)"),
                )
            }
            18 => Some(self.method_on(Ty::Acc, ".get()", d)),
            19 => Some(self.acc_call(".bump(", false, d)),
            20 => {
                let acc = self.expr(Ty::Acc, d);
                Some(self.node(Kind::MethodSelf).child(acc).text(".finish()"))
            }
            21 => {
                // (&acc).fetch(k).await: the receiver is borrowed across the await.
                let acc = self.held_receiver(Ty::Acc, d);
                let k = self.expr(Ty::U32, d);
                Some(
                    self.node(Kind::AwaitMethod)
                        .child(acc)
                        .text(".fetch(")
                        .child(k)
                        .text(").await"),
                )
            }
            22 => Some(self.acc_call(".grow(", true, d)),
            23 => Some(
                self.call1("twice", Ty::U32, d, Kind::AwaitHelper, true)
                    .text(".await"),
            ),
            24 => {
                let text = self.str_arg(d);
                Some(
                    self.node(Kind::AwaitHelper)
                        .text("measure(")
                        .child(text)
                        .text(").await"),
                )
            }
            25 => {
                let id = self.pick_var(Ty::Fn, Use::Read).expect("checked above");
                let name = self.use_var(id, Use::Read);
                let k = self.expr(Ty::U32, d);
                let k_id = k.id;
                Some(
                    self.node(Kind::Closure)
                        .text(format!("{name}("))
                        .child(k)
                        .text(")")
                        .hoist(k_id),
                )
            }
            26 => {
                let inner = if ret_opt {
                    self.expr(Ty::OptU32, d)
                } else {
                    self.expr(Ty::ResU32, d)
                };
                Some(self.node(Kind::Try).child(inner).text("?"))
            }
            27 => {
                let id = self
                    .pick_var(Ty::CellVec, Use::Read)
                    .expect("checked above");
                let name = self.use_var(id, Use::Read);
                // The guard lives to the end of the statement.
                self.temp_hold(id, false);
                Some(
                    self.node(Kind::RefCellGuard)
                        .text(format!("({name}.borrow().len() as u32)")),
                )
            }
            28 => {
                let id = self
                    .pick_var(Ty::MutexU32, Use::Interior)
                    .expect("checked above");
                let name = self.use_var(id, Use::Interior);
                self.temp_hold(id, true);
                Some(
                    self.node(Kind::MutexGuard)
                        .text(format!("*{name}.lock().unwrap()")),
                )
            }
            29 => Some(self.option_map(d).text(".unwrap_or(0)")),
            _ => None,
        };
        found.unwrap_or_else(|| {
            let n = self.rng.below(20);
            self.text(n.to_string())
        })
    }

    /// `name(a, b)` with arguments of `a` and `b`; hoistable to either
    /// argument of the call's type when `hoist` is set.
    fn call2(&mut self, name: &str, a: Ty, b: Ty, depth: u32, kind: Kind, hoist: bool) -> Node {
        let first = self.expr(a, depth);
        let second = self.expr(b, depth);
        let (first_id, second_id) = (first.id, second.id);
        let mut node = self
            .node(kind)
            .text(format!("{name}("))
            .child(first)
            .text(", ")
            .child(second)
            .text(")");
        if hoist {
            node = node.hoist(first_id).hoist(second_id);
        }
        node
    }

    /// `name(arg)` with an argument of `arg`; hoistable to the argument
    /// when `hoist` is set (it has the call's type).
    pub(super) fn call1(
        &mut self,
        name: &str,
        arg: Ty,
        depth: u32,
        kind: Kind,
        hoist: bool,
    ) -> Node {
        let arg = self.expr(arg, depth);
        let arg_id = arg.id;
        let node = self
            .node(kind)
            .text(format!("{name}("))
            .child(arg)
            .text(")");
        if hoist { node.hoist(arg_id) } else { node }
    }

    /// `(a OP b)`: parenthesized, so that it stands as one operand anywhere.
    fn binary(&mut self, kind: Kind, a: Node, op: &str, b: Node) -> Node {
        self.node(kind)
            .text("(")
            .child(a)
            .text(op)
            .child(b)
            .text(")")
    }

    /// `x.unwrap_or(default)` on an `x` of `ty`; hoistable to the default.
    fn unwrap_or(&mut self, ty: Ty, kind: Kind, depth: u32) -> Node {
        let x = self.expr(ty, depth);
        let default = self.expr(Ty::U32, depth);
        let default_id = default.id;
        self.node(kind)
            .child(x)
            .text(".unwrap_or(")
            .child(default)
            .text(")")
            .hoist(default_id)
    }

    /// `opt.map(|k: u32| ..)`, an `Option<u32>` through a closure.
    fn option_map(&mut self, depth: u32) -> Node {
        let opt = self.expr(Ty::OptU32, depth);
        let (param, body) = self.closure_body(depth, FrameKind::Closure);
        self.node(Kind::Closure)
            .child(opt)
            .text(format!(".map(|{param}: u32| "))
            .child(body)
            .text(")")
    }

    /// A receiver of `ty` read through a reference, kept borrowed to the end
    /// of the statement (across the arguments, and an `.await`).
    fn held_receiver(&mut self, ty: Ty, depth: u32) -> Node {
        let (receiver, var) = self.operand_ref(ty, depth);
        if let Some(id) = var {
            self.temp_hold(id, false);
        }
        receiver
    }

    /// A `Noisy` receiver read through a reference, and the kind of a
    /// method call on it: on a local a `MethodRef`, on a temporary a
    /// `Temporary`.
    pub(super) fn noisy_receiver(&mut self, depth: u32) -> (Node, Kind) {
        let (noisy, var) = self.operand_ref(Ty::Noisy, depth);
        let kind = if var.is_some() {
            Kind::MethodRef
        } else {
            Kind::Temporary
        };
        (noisy, kind)
    }

    /// `Noisy::new("tN").name()`: a `&str` borrowed from a temporary.
    fn temporary_name(&mut self) -> Node {
        let name = self.fresh("t");
        self.node(Kind::Temporary)
            .text(format!("Noisy::new(\"{name}\").name()"))
    }

    /// `Acc::new("accN", n)`, a new `Acc`.
    fn new_acc(&mut self, kind: Kind, depth: u32) -> Node {
        let name = self.fresh("acc");
        let n = self.expr(Ty::U32, depth);
        self.node(kind)
            .text(format!("Acc::new(\"{name}\", "))
            .child(n)
            .text(")")
    }

    /// `receiver SUFFIX`, the receiver read through a reference.
    fn method_on(&mut self, ty: Ty, suffix: &str, depth: u32) -> Node {
        let (receiver, _) = self.operand_ref(ty, depth);
        // A cast is parenthesized: `x as u32 < y` would read `u32<..>`.
        if suffix.contains(" as ") {
            self.node(Kind::MethodRef)
                .text("(")
                .child(receiver)
                .text(format!("{suffix})"))
        } else {
            self.node(Kind::MethodRef).child(receiver).text(suffix)
        }
    }

    /// `acc.bump(k)` or `acc.grow(k).await` on a `mut` local, or on a new
    /// temporary `Acc`.
    pub(super) fn acc_call(&mut self, method: &str, awaits: bool, depth: u32) -> Node {
        let receiver = match self.pick_var(Ty::Acc, Use::Mutate) {
            Some(id) => {
                let name = self.use_var(id, Use::Mutate);
                self.temp_hold(id, true);
                self.text(name)
            }
            None => {
                let name = self.fresh("acc");
                let n = self.rng.below(5);
                self.text(format!("Acc::new(\"{name}\", {n})"))
            }
        };
        let k = self.expr(Ty::U32, depth);
        let (kind, end) = if awaits {
            (Kind::AwaitMethod, ").await")
        } else {
            (Kind::MethodMut, ")")
        };
        self.node(kind)
            .child(receiver)
            .text(method)
            .child(k)
            .text(end)
    }

    /// A `&str` argument used on the spot: may borrow a temporary.
    fn str_arg(&mut self, depth: u32) -> Node {
        if depth > 0 && self.rng.chance(25) {
            if self.on(Kind::Temporary) && self.rng.chance(50) {
                return self.temporary_name();
            }
            let s = self.expr(Ty::String, depth - 1);
            return self.node(Kind::Temporary).child(s).text(".as_str()");
        }
        self.expr(Ty::RefStr, depth)
    }

    /// A closure's parameter and body: `u32` to `u32`, no `.await`.
    pub(super) fn closure_body(&mut self, depth: u32, kind: FrameKind) -> (String, Node) {
        let param = self.fresh("k");
        let body = self.in_frame(kind, |this| {
            this.push_scope();
            let moved = std::mem::take(&mut this.pending_moved_in);
            let mut prelude = Vec::new();
            for (name, ty) in &moved {
                // Owned by the closure, which may run again: never moved.
                let id = this.declare(name, *ty, false);
                this.vars[id].loop_depth = 0;
                prelude.push(this.touch(name, *ty));
            }
            this.declare(&param, Ty::U32, false);
            let value = this.expr(Ty::U32, depth);
            this.pop_scope();
            if prelude.is_empty() {
                value
            } else {
                this.node(Kind::Plain)
                    .text("{\n")
                    .lines(prelude)
                    .child(value)
                    .text("\n}")
            }
        });
        (param, body)
    }

    /// A statement that uses local `name` of `ty` by reference.
    pub(super) fn touch(&mut self, name: &str, ty: Ty) -> Node {
        let text = match ty {
            Ty::Noisy => format!("{name}.touch();"),
            Ty::Acc => format!("{name}.tag.touch();"),
            Ty::String | Ty::VecU32 => format!("log(format!(\"len {{}}\", {name}.len()));"),
            Ty::ResU32 => format!("log(format!(\"{{:?}}\", {name}));"),
            _ => format!("let _ = &{name};"),
        };
        self.text(text)
    }

    /// A `bool`.
    fn bool_expr(&mut self, depth: u32) -> Node {
        let deep = depth > 0;
        let d = depth.saturating_sub(1);
        let weights = [
            8,
            self.weight(Kind::Plain, 10, self.has_var(Ty::Bool, Use::Read)),
            self.weight(Kind::Binary, 12, deep),
            self.weight(Kind::Unary, 3, deep),
            self.weight(Kind::LazyBool, 5, deep),
            self.weight(Kind::MethodRef, 3, deep),
            self.weight(Kind::MethodRef, 2, deep),
            self.weight(Kind::MethodRef, 2, deep),
            self.weight(Kind::MethodRef, 2, deep),
            self.weight(Kind::Matches, 3, deep),
        ];
        let found = match self.rng.weighted(&weights).unwrap_or(0) {
            1 => self.var_expr(Ty::Bool, Use::Read),
            2 => {
                let a = self.expr(Ty::U32, d);
                let op = self.rng.pick(&[" == ", " != ", " < ", " > ", " <= "]);
                let b = self.expr(Ty::U32, d);
                Some(self.binary(Kind::Binary, a, op, b))
            }
            3 => {
                let inner = self.expr(Ty::Bool, d);
                let inner_id = inner.id;
                Some(
                    self.node(Kind::Unary)
                        .text("!")
                        .child(inner)
                        .hoist(inner_id),
                )
            }
            4 => {
                let a = self.expr(Ty::Bool, d);
                let op = self.rng.pick(&[" && ", " || "]);
                // The right side runs only sometimes: it must not move.
                let b = self.conditional_expr(Ty::Bool, d);
                let (a_id, b_id) = (a.id, b.id);
                Some(
                    self.binary(Kind::LazyBool, a, op, b)
                        .hoist(a_id)
                        .hoist(b_id),
                )
            }
            5 => Some(self.method_on(Ty::OptU32, ".is_some()", d)),
            6 => Some(self.method_on(Ty::String, ".is_empty()", d)),
            7 => {
                let v = self.held_receiver(Ty::VecU32, d);
                let k = self.expr(Ty::U32, d);
                Some(
                    self.node(Kind::MethodRef)
                        .child(v)
                        .text(".contains(&")
                        .child(k)
                        .text(")"),
                )
            }
            8 => Some(self.method_on(Ty::ResU32, ".is_ok()", d)),
            9 => {
                let (opt, _) = self.operand_ref(Ty::OptU32, d);
                let k = self.fresh("k");
                self.push_scope();
                self.declare(&k, Ty::U32, false);
                let limit = self.conditional_expr(Ty::U32, d);
                self.pop_scope();
                Some(
                    self.node(Kind::Matches)
                        .text("matches!(")
                        .child(opt)
                        .text(format!(", Some({k}) if {k} > "))
                        .child(limit)
                        .text(")"),
                )
            }
            _ => None,
        };
        found.unwrap_or_else(|| {
            let b = self.rng.chance(50);
            self.text(b.to_string())
        })
    }

    /// A `String`.
    fn string_expr(&mut self, depth: u32) -> Node {
        let deep = depth > 0;
        let awaits = self.can_await();
        let d = depth.saturating_sub(1);
        let weights = [
            8,
            self.weight(Kind::Plain, 8, self.has_var(Ty::String, Use::Move)),
            self.weight(Kind::MethodRef, 3, deep),
            self.weight(Kind::Format, 8, deep),
            self.weight(Kind::MethodRef, 2, deep),
            self.weight(Kind::MethodRef, 2, deep && self.on(Kind::Noisy)),
            self.weight(Kind::AwaitHelper, 3, deep && awaits && self.on(Kind::Noisy)),
            self.weight(Kind::Generic, 2, deep),
            self.weight(Kind::Binary, 2, deep),
            self.weight(Kind::Match, 2, deep),
        ];
        let found = match self.rng.weighted(&weights).unwrap_or(0) {
            1 => self.var_expr(Ty::String, Use::Move),
            2 => Some(self.method_on(Ty::String, ".clone()", d)),
            3 => Some(self.format(d)),
            4 => {
                let s = self.expr(Ty::RefStr, d);
                Some(self.node(Kind::MethodRef).child(s).text(".to_owned()"))
            }
            5 => {
                let (noisy, kind) = self.noisy_receiver(d);
                Some(self.node(kind).child(noisy).text(".name().to_owned()"))
            }
            6 => Some(
                self.call2("named", Ty::Noisy, Ty::U32, d, Kind::AwaitHelper, false)
                    .text(".await"),
            ),
            7 => {
                let ty = self.rng.pick(&[
                    Ty::U32,
                    Ty::OptU32,
                    Ty::VecU32,
                    Ty::Noisy,
                    Ty::Acc,
                    Ty::ResU32,
                ]);
                let (value, _) = self.operand_ref(ty, d);
                Some(
                    self.node(Kind::Generic)
                        .text("show(&")
                        .child(value)
                        .text(")"),
                )
            }
            8 => {
                let s = self.expr(Ty::String, d);
                let tail = self.expr(Ty::RefStr, d);
                let s_id = s.id;
                Some(self.binary(Kind::Binary, s, " + ", tail).hoist(s_id))
            }
            9 => {
                let res = self.expr(Ty::ResU32, d);
                let (k, e) = (self.fresh("k"), self.fresh("e"));
                Some(
                    self.node(Kind::Match)
                        .text("match ")
                        .child(res)
                        .text(format!(
                            " {{\nOk({k}) => format!(\"ok {{{k}}}\"),\nErr({e}) => {e},\n}}"
                        )),
                )
            }
            _ => None,
        };
        found.unwrap_or_else(|| {
            let name = self.fresh("s");
            self.text(format!("String::from(\"{name}\")"))
        })
    }

    /// `format!("..", args)`: the arguments are borrowed, not moved.
    pub(super) fn format(&mut self, depth: u32) -> Node {
        let count = 1 + self.rng.below(3);
        let mut pieces = Vec::new();
        let mut args = Vec::new();
        for _ in 0..count {
            let ty = self.rng.pick(&[
                Ty::U32,
                Ty::U32,
                Ty::Bool,
                Ty::String,
                Ty::RefStr,
                Ty::OptU32,
                Ty::Noisy,
                Ty::VecU32,
            ]);
            let debug = matches!(ty, Ty::OptU32 | Ty::Noisy | Ty::VecU32);
            pieces.push(if debug { "{:?}" } else { "{}" });
            let (arg, _) = self.operand_ref(ty, depth);
            args.push(arg);
        }
        let mut node = self
            .node(Kind::Format)
            .text(format!("format!(\"{}\"", pieces.join("-")));
        for arg in args {
            node = node.text(", ").child(arg);
        }
        node.text(")")
    }

    /// A `Noisy`.
    fn noisy_expr(&mut self, depth: u32) -> Node {
        let d = depth.saturating_sub(1);
        let weights = [
            10,
            self.weight(Kind::Plain, 8, self.has_var(Ty::Noisy, Use::Move)),
            self.weight(Kind::Field, 2, depth > 0),
            self.weight(Kind::PartialMove, 2, self.has_var(Ty::Acc, Use::Move)),
        ];
        let found = match self.rng.weighted(&weights).unwrap_or(0) {
            1 => self.var_expr(Ty::Noisy, Use::Move),
            2 => Some(self.new_acc(Kind::Field, d).text(".tag")),
            3 => self.through_var(Ty::Acc, Use::Move, Kind::PartialMove, "{}.tag"),
            _ => None,
        };
        found.unwrap_or_else(|| {
            let name = self.fresh("n");
            self.node(Kind::Noisy)
                .text(format!("Noisy::new(\"{name}\")"))
        })
    }

    /// An `Option<u32>`.
    fn opt_expr(&mut self, depth: u32) -> Node {
        let deep = depth > 0;
        let d = depth.saturating_sub(1);
        let weights = [
            4,
            self.weight(Kind::Plain, 8, self.has_var(Ty::OptU32, Use::Read)),
            8,
            self.weight(Kind::Call, 3, deep),
            self.weight(Kind::AwaitHelper, 3, deep && self.can_await()),
            self.weight(Kind::MethodRef, 2, deep),
            self.weight(Kind::Closure, 2, deep),
            self.weight(Kind::MethodSelf, 2, deep),
            self.weight(Kind::RefCellGuard, 2, self.has_var(Ty::CellRef, Use::Read)),
        ];
        let found = match self.rng.weighted(&weights).unwrap_or(0) {
            1 => self.var_expr(Ty::OptU32, Use::Read),
            2 => {
                // (No alternative: `n` is a `u32`, not an `Option<u32>`.)
                let n = self.expr(Ty::U32, d);
                Some(self.node(Kind::Plain).text("Some(").child(n).text(")"))
            }
            3 => Some(self.call1("half", Ty::U32, d, Kind::Call, false)),
            4 => Some(
                self.call1("maybe", Ty::U32, d, Kind::AwaitHelper, false)
                    .text(".await"),
            ),
            5 => Some(self.method_on(Ty::VecU32, ".first().copied()", d)),
            6 => Some(self.option_map(d)),
            7 => {
                let res = self.expr(Ty::ResU32, d);
                Some(self.node(Kind::MethodSelf).child(res).text(".ok()"))
            }
            8 => self.through_var(
                Ty::CellRef,
                Use::Read,
                Kind::RefCellGuard,
                "{}.first().copied()",
            ),
            _ => None,
        };
        found.unwrap_or_else(|| self.text("None::<u32>"))
    }

    /// A `Vec<u32>`.
    fn vec_expr(&mut self, depth: u32) -> Node {
        let deep = depth > 0;
        let d = depth.saturating_sub(1);
        let weights = [
            4,
            self.weight(Kind::Plain, 6, self.has_var(Ty::VecU32, Use::Move)),
            self.weight(Kind::VecMacro, 10, true),
            self.weight(Kind::VecMacro, 2, deep),
            self.weight(Kind::MethodRef, 2, deep),
            self.weight(Kind::Array, 3, deep),
            2,
        ];
        let found = match self.rng.weighted(&weights).unwrap_or(0) {
            1 => self.var_expr(Ty::VecU32, Use::Move),
            2 => {
                let count = self.rng.below(4);
                let node = self.node(Kind::VecMacro).text("vec![");
                let items: Vec<Node> = (0..count).map(|_| self.expr(Ty::U32, d)).collect();
                let close = if count == 0 { "0u32; 0]" } else { "]" };
                Some(node.separated(items, ", ").text(close))
            }
            3 => {
                let item = self.expr(Ty::U32, d);
                let n = self.rng.below(4);
                Some(
                    self.node(Kind::VecMacro)
                        .text("vec![")
                        .child(item)
                        .text(format!("; {n}]")),
                )
            }
            4 => Some(self.method_on(Ty::VecU32, ".clone()", d)),
            5 => {
                let a = self.expr(Ty::U32, d);
                let b = self.expr(Ty::U32, d);
                Some(
                    self.node(Kind::Array)
                        .text("Vec::from([")
                        .child(a)
                        .text(", ")
                        .child(b)
                        .text("])"),
                )
            }
            6 => {
                let n = self.rng.below(4);
                Some(self.text(format!("(0..{n}).collect::<Vec<u32>>()")))
            }
            _ => None,
        };
        found.unwrap_or_else(|| self.text("Vec::<u32>::new()"))
    }

    /// A `Result<u32, String>`.
    fn res_expr(&mut self, depth: u32) -> Node {
        let deep = depth > 0;
        let d = depth.saturating_sub(1);
        let weights = [
            6,
            self.weight(Kind::Plain, 6, self.has_var(Ty::ResU32, Use::Move)),
            self.weight(Kind::Plain, 3, deep),
            self.weight(Kind::Call, 4, deep),
            self.weight(Kind::AwaitHelper, 4, deep && self.can_await()),
            self.weight(Kind::MethodRef, 1, deep),
            self.weight(Kind::MethodSelf, 2, deep),
        ];
        let found = match self.rng.weighted(&weights).unwrap_or(0) {
            1 => self.var_expr(Ty::ResU32, Use::Move),
            2 => Some(self.call1("Err::<u32, String>", Ty::String, d, Kind::Plain, false)),
            3 => Some(self.call1("check", Ty::U32, d, Kind::Call, false)),
            4 => Some(
                self.call1("checked", Ty::U32, d, Kind::AwaitHelper, false)
                    .text(".await"),
            ),
            5 => Some(self.method_on(Ty::ResU32, ".clone()", d)),
            6 => {
                let opt = self.expr(Ty::OptU32, d);
                let e = self.expr(Ty::String, d);
                Some(
                    self.node(Kind::MethodSelf)
                        .child(opt)
                        .text(".ok_or(")
                        .child(e)
                        .text(")"),
                )
            }
            _ => None,
        };
        found.unwrap_or_else(|| {
            // (No alternative: `n` is a `u32`, not a `Result`.)
            let n = self.expr(Ty::U32, d);
            self.node(Kind::Plain)
                .text("Ok::<u32, String>(")
                .child(n)
                .text(")")
        })
    }

    /// A `&u32` that may be kept: see [`Flow`](super::Flow).
    fn ref_u32_expr(&mut self) -> Node {
        let weights = [
            3,
            self.weight(Kind::Borrow, 8, self.has_var(Ty::U32, Use::Escape)),
            self.weight(Kind::Borrow, 6, self.has_ref_var(Ty::RefU32)),
            self.weight(Kind::Field, 2, self.has_var(Ty::Acc, Use::Escape)),
        ];
        let found = match self.rng.weighted(&weights).unwrap_or(0) {
            1 => self.through_var(Ty::U32, Use::Escape, Kind::Borrow, "&{}"),
            2 => self.ref_var(Ty::RefU32),
            3 => self.through_var(Ty::Acc, Use::Escape, Kind::Field, "&{}.n"),
            _ => None,
        };
        found.unwrap_or_else(|| {
            let n = self.rng.below(10);
            self.text(format!("&{n}"))
        })
    }

    /// A `&str` that may be kept: see [`Flow`](super::Flow).
    fn ref_str_expr(&mut self) -> Node {
        let temporaries = !self.flow.flowing;
        let weights = [
            3,
            self.weight(Kind::Borrow, 6, self.has_var(Ty::String, Use::Escape)),
            self.weight(Kind::Borrow, 4, self.has_var(Ty::Noisy, Use::Escape)),
            self.weight(Kind::Borrow, 6, self.has_ref_var(Ty::RefStr)),
            self.weight(Kind::Temporary, 2, temporaries && self.on(Kind::Noisy)),
        ];
        let found = match self.rng.weighted(&weights).unwrap_or(0) {
            1 => self.through_var(Ty::String, Use::Escape, Kind::Borrow, "{}.as_str()"),
            2 => self.through_var(Ty::Noisy, Use::Escape, Kind::Borrow, "{}.name()"),
            3 => self.ref_var(Ty::RefStr),
            4 => Some(self.temporary_name()),
            _ => None,
        };
        found.unwrap_or_else(|| {
            let name = self.fresh("str");
            self.text(format!("\"{name}\""))
        })
    }

    /// Whether a reference local of `ty` may flow here.
    fn has_ref_var(&self, ty: Ty) -> bool {
        self.any_visible(|this, id| this.ref_var_fits(id, ty))
    }

    fn ref_var_fits(&self, id: VarId, ty: Ty) -> bool {
        let var = &self.vars[id];
        var.ty == ty && self.can(id, Use::Read) && var.origin < self.flow.floor
    }

    /// A reference local, used as a value (copied).
    fn ref_var(&mut self, ty: Ty) -> Option<Node> {
        let id = self.pick_visible(|this, id| this.ref_var_fits(id, ty))?;
        let name = self.use_var(id, Use::Read);
        Some(self.node(Kind::Borrow).text(name))
    }

    /// An `Acc`.
    fn acc_expr(&mut self, depth: u32) -> Node {
        let d = depth.saturating_sub(1);
        let weights = [
            8,
            self.weight(Kind::Plain, 6, self.has_var(Ty::Acc, Use::Move)),
            self.weight(Kind::StructLit, 4, depth > 0),
        ];
        let found = match self.rng.weighted(&weights).unwrap_or(0) {
            1 => self.var_expr(Ty::Acc, Use::Move),
            2 => {
                let n = self.expr(Ty::U32, d);
                let tag = self.expr(Ty::Noisy, d);
                Some(
                    self.node(Kind::StructLit)
                        .text("Acc { n: ")
                        .child(n)
                        .text(", tag: ")
                        .child(tag)
                        .text(" }"),
                )
            }
            _ => None,
        };
        found.unwrap_or_else(|| self.new_acc(Kind::Plain, d))
    }

    /// Records that the binding being made will hold what the expression
    /// since `mark` borrowed.
    pub(super) fn borrowed_since(&self, mark: usize) -> Vec<Hold> {
        self.borrows[mark..].to_vec()
    }

    /// A future to keep in a local, and its output type.
    pub(super) fn future_expr(&mut self, depth: u32) -> (Node, Ty) {
        let d = depth.saturating_sub(1);
        match self.rng.below(5) {
            0 | 1 => {
                let ty = self.rng.pick(&Ty::VALUES);
                let name = self.fresh("a");
                let inner = self.value(ty, d);
                let node = self
                    .node(Kind::StoredFuture)
                    .text(format!("leaf(\"{name}\", "))
                    .child(inner)
                    .text(")");
                (node, ty)
            }
            2 => (
                self.call1("twice", Ty::U32, d, Kind::StoredFuture, false),
                Ty::U32,
            ),
            3 => {
                let ty = self
                    .rng
                    .pick(&[Ty::U32, Ty::String, Ty::Noisy, Ty::VecU32, Ty::OptU32]);
                let statements = self.rng.below(3);
                let body = self.in_frame(FrameKind::AsyncMove, |this| {
                    this.block(statements, Some(ty), d, false)
                });
                (
                    self.node(Kind::StoredFuture)
                        .text("async move ")
                        .child(body),
                    ty,
                )
            }
            _ => {
                let text = self.kept(Ty::RefStr, d);
                (
                    self.node(Kind::StoredFuture)
                        .text("measure(")
                        .child(text)
                        .text(")"),
                    Ty::U32,
                )
            }
        }
    }
}
