//! Fan-out / fan-in — seed 003 §3.3 (扇出与扇入: spread work units over concurrent lines of
//! execution, then wait for all of them before the next stage; avoid a new thread per work
//! item).
//!
//! Reference implementation (copy this):
//! - [`scatter_gather`]: a bounded number of scoped worker threads take items by index from
//!   a shared counter (never a thread per item); results come back **in input order**, one per
//!   item: the value, the item's own error, or the panic that replaced it. `f` may borrow from
//!   the caller (scoped threads), so no `Arc` or `'static` is needed.
//!
//! This module uses `std::thread::scope`, which the model checkers' facade does not have, so
//! it is checked on real threads only (`tests/fan.rs`); a model-checked fan-out is
//! [`Pool::map`](crate::pool::Pool::map).

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::sync::Mutex;
use crate::sync::atomic::{AtomicUsize, Ordering};

/// One item's outcome.
pub type ItemResult<R, E> = Result<R, ItemError<E>>;

/// Why an item produced no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemError<E> {
    /// `f` returned this error for the item.
    Failed(E),
    /// `f` panicked on the item (the message); the worker went on with the next item.
    Panicked(String),
}

impl<E: fmt::Display> fmt::Display for ItemError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemError::Failed(e) => write!(f, "the item failed: {e}"),
            ItemError::Panicked(m) => write!(f, "the item's function panicked: {m}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ItemError<E> {}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

// ANCHOR: scatter_gather
/// Runs `f` on every item with at most `workers` threads (at least 1, at most one per item)
/// and returns one result per item, in input order.
///
/// ```
/// use threadproof::fan::{scatter_gather, ItemError};
///
/// let words = ["1", "two", "3"];
/// let parsed = scatter_gather(&words, 2, |w| w.parse::<u32>());
/// assert_eq!(parsed[0], Ok(1));
/// assert!(matches!(parsed[1], Err(ItemError::Failed(_))));
/// assert_eq!(parsed[2], Ok(3));
/// ```
pub fn scatter_gather<T, R, E, F>(items: &[T], workers: usize, f: F) -> Vec<Result<R, ItemError<E>>>
where
    T: Sync,
    R: Send,
    E: Send,
    F: Fn(&T) -> Result<R, E> + Sync,
{
    let next = AtomicUsize::new(0);
    // One slot per item, each written once by the worker that took its index.
    let slots: Vec<Mutex<Option<ItemResult<R, E>>>> =
        items.iter().map(|_| Mutex::new(None)).collect();
    let workers = workers.clamp(1, items.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = match panic::catch_unwind(AssertUnwindSafe(|| f(item))) {
                        Ok(Ok(value)) => Ok(value),
                        Ok(Err(e)) => Err(ItemError::Failed(e)),
                        Err(p) => Err(ItemError::Panicked(panic_message(p.as_ref()))),
                    };
                    *slots[i].lock() = Some(result);
                }
            });
        }
    }); // fan-in: the scope joins every worker
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .expect("every index below the length was taken by a worker")
        })
        .collect()
}
// ANCHOR_END: scatter_gather
