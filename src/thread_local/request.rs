use super::ThreadContext;
use crate::sync::note;

// ANCHOR: handle_request
/// Runs one request on a worker thread that serves many: the request's user (or, for an
/// anonymous request, nobody) is bound only while `handler` runs, so nothing leaks into the
/// next request on the same thread.
///
/// ```
/// use std::cell::RefCell;
/// use threadproof::sync::thread_local;
/// use threadproof::thread_local::{handle_request, ThreadContext};
///
/// thread_local! {
///     static USER_SLOT: RefCell<Option<String>> = RefCell::new(None);
/// }
/// static USER: ThreadContext<String> = ThreadContext::new(&USER_SLOT);
///
/// assert_eq!(handle_request(&USER, Some("ada"), || USER.get()), Some("ada".to_string()));
/// assert_eq!(handle_request(&USER, None, || USER.get()), None);
/// ```
pub fn handle_request<R>(
    context: &ThreadContext<String>,
    user: Option<&str>,
    handler: impl FnOnce() -> R,
) -> R {
    note(|| format!("request as {user:?}"));
    context.scope(user.map(str::to_owned), handler)
}
// ANCHOR_END: handle_request
