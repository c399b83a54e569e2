//! Flawed per-thread contexts. **Do not copy.** They exist so the checkers can prove they catch
//! the bug.

use crate::sync::{Mutex, note};

use super::{Context, ThreadContext};

// ANCHOR: shared_slot
/// **Do not copy.** One slot shared by every thread, standing in for thread-local storage.
/// The mutex makes each access safe, but all threads bind the same slot: thread A binds Alice,
/// thread B binds Bob, A reads Bob (**cross-talk**).
#[derive(Debug, Default)]
pub struct SharedSlot<T> {
    slot: Mutex<Option<T>>,
}

impl<T: Clone + Send> Context<T> for SharedSlot<T> {
    fn set(&self, value: T) -> Option<T> {
        self.slot.lock().replace(value)
    }
    fn get(&self) -> Option<T> {
        self.slot.lock().clone()
    }
    fn take(&self) -> Option<T> {
        self.slot.lock().take()
    }
}
// ANCHOR_END: shared_slot

// ANCHOR: leaky_worker
/// **Do not copy.** Runs one request on a worker thread that serves many: binds the request's
/// user (if any) with `set` and never unbinds it. An anonymous request that follows on the same
/// thread runs as the previous user (**stale context**). The reference is
/// [`handle_request`](super::handle_request), built on [`ThreadContext::scope`].
pub fn handle_request_leaky<R>(
    context: &ThreadContext<String>,
    user: Option<&str>,
    handler: impl FnOnce() -> R,
) -> R {
    note(|| format!("request as {user:?}"));
    if let Some(user) = user {
        context.set(user.to_owned());
    }
    handler()
}
// ANCHOR_END: leaky_worker
