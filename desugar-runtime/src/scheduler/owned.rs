//! The registry of a runtime's unfinished tasks, for shutdown.
//!
//! A task's future lives in the task, and a task lives as long as anyone
//! holds it: a queue, a waker stored in some socket or channel, a
//! `JoinHandle`. A pending task that nobody will ever wake may be held by
//! no queue at all, or only by a cycle through its own future (the future
//! owns a channel whose slot holds the task's waker). So the runtime keeps
//! every unfinished task here, and shutdown drops each one's future from
//! this list: exactly once, whoever else still holds the task.
//!
//! The registry is split into shards by id so that workers spawning and
//! finishing tasks at once rarely contend for a lock. Closing it (shutdown)
//! happens shard by shard under each shard's lock, so a task spawned during
//! shutdown is either drained or refused, never forgotten.

use std::collections::HashMap;
use std::sync::Arc;

use crate::loom::Mutex;

use super::IdHash;
use crate::mutex::lock;
use crate::task::raw::TaskRef;

/// How many shards: a power of two, a few times the usual number of cores.
const SHARDS: usize = 16;

pub(super) struct OwnedTasks {
    shards: [Mutex<Shard>; SHARDS],
}

#[derive(Default)]
struct Shard {
    tasks: HashMap<u64, TaskRef, IdHash>,
    closed: bool,
}

impl Default for OwnedTasks {
    fn default() -> Self {
        OwnedTasks {
            shards: std::array::from_fn(|_| Mutex::default()),
        }
    }
}

impl OwnedTasks {
    fn shard(&self, id: u64) -> &Mutex<Shard> {
        // The low bits of consecutive ids take turns over the shards.
        &self.shards[(id as usize) % SHARDS]
    }

    /// Registers a new task; `false` once shutdown has closed the registry.
    pub(super) fn insert(&self, task: &TaskRef) -> bool {
        let id = task.header().id();
        let mut shard = lock(self.shard(id));
        if shard.closed {
            return false;
        }
        shard.tasks.insert(id, Arc::clone(task));
        true
    }

    /// Forgets a task that finished.
    pub(super) fn remove(&self, id: u64) {
        let removed = lock(self.shard(id)).tasks.remove(&id);
        drop(removed);
    }

    /// Closes the registry and returns every task in it.
    pub(super) fn close(&self) -> Vec<TaskRef> {
        let mut all = Vec::new();
        for shard in &self.shards {
            let mut shard = lock(shard);
            shard.closed = true;
            all.extend(shard.tasks.drain().map(|(_, task)| task));
        }
        all
    }
}
