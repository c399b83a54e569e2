//! Flawed shutdown protocols for the [`Pipeline`](super::Pipeline). **Do not copy.** They
//! exist so the checkers can prove they catch the bug. Use one with
//! [`Builder::with_protocol`](super::Builder::with_protocol).

use crate::queue::BoundedQueue;
use crate::sync::note;

use super::{Lane, Protocol};

// ANCHOR: close_all
/// **Do not copy.** `close` closes every queue at once: "shutting down" tells the downstream
/// stages to stop before the items upstream have reached them. A stage worker that took the
/// last item before the close finds its output queue closed when it puts the result, and the
/// item never reaches the caller (**lost item**; the pipeline books it as abandoned with no
/// failure to blame). [`Graceful`](super::Graceful) closes only the input queue and lets
/// each stage's last worker close the next.
#[derive(Debug, Clone, Copy, Default)]
pub struct CloseAll;

impl Protocol for CloseAll {
    fn take<T>(inbox: &BoundedQueue<T>) -> Option<T> {
        inbox.get().ok()
    }

    fn closes_next(still_working: usize) -> bool {
        still_working == 0
    }

    fn close(lanes: &[Box<dyn Lane>]) {
        note(|| "close: closing every queue at once".to_string());
        for lane in lanes {
            lane.close();
        }
    }
}
// ANCHOR_END: close_all

// ANCHOR: exit_on_empty
/// **Do not copy.** A worker leaves when its input queue is *empty*, not when it is
/// *closed*: `try_get` instead of `get` (in Python, `get_nowait()` and `except Empty:
/// break`). Empty is a moment, not the end: a producer that has not put its item yet, or a
/// stage upstream still working on it, makes the queue empty for a while. The worker leaves,
/// the last one closes the next queue, and items put later are never processed (**lost
/// items**; the pipeline finds them in the queue at the end and books them as abandoned).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExitOnEmpty;

impl Protocol for ExitOnEmpty {
    fn take<T>(inbox: &BoundedQueue<T>) -> Option<T> {
        let item = inbox.try_get().ok();
        if item.is_none() {
            note(|| "worker: queue empty, leaving".to_string());
        }
        item
    }

    fn closes_next(still_working: usize) -> bool {
        still_working == 0
    }

    fn close(lanes: &[Box<dyn Lane>]) {
        lanes[0].close();
    }
}
// ANCHOR_END: exit_on_empty

// ANCHOR: first_out_closes
/// **Do not copy.** The first worker of a stage to leave closes the next queue, as if the
/// stage were one thread (in Python: each worker, on seeing the sentinel, puts one sentinel
/// downstream, and the next stage stops at the first). Its fellow workers may still be
/// working on items; their results find the queue closed (**lost item**).
/// [`Graceful`](super::Graceful) counts the workers still working and lets the last one
/// close it.
#[derive(Debug, Clone, Copy, Default)]
pub struct FirstOutCloses;

impl Protocol for FirstOutCloses {
    fn take<T>(inbox: &BoundedQueue<T>) -> Option<T> {
        inbox.get().ok()
    }

    fn closes_next(still_working: usize) -> bool {
        if still_working > 0 {
            note(|| {
                format!("leaving first, closing the next queue ({still_working} still working)")
            });
        }
        true
    }

    fn close(lanes: &[Box<dyn Lane>]) {
        lanes[0].close();
    }
}
// ANCHOR_END: first_out_closes
