use std::cell::RefCell;

use crate::sync::thread::LocalKey;

// ANCHOR: context
/// A context a thread binds and the functions it calls read: Python's `threading.local()`
/// attribute, in Rust terms.
///
/// Declare the slot with the facade's `thread_local!` and wrap it:
///
/// ```
/// use std::cell::RefCell;
/// use threadproof::sync::thread_local;
/// use threadproof::thread_local::ThreadContext;
///
/// thread_local! {
///     static USER_SLOT: RefCell<Option<String>> = RefCell::new(None);
/// }
/// static USER: ThreadContext<String> = ThreadContext::new(&USER_SLOT);
///
/// fn greet() -> String {
///     USER.get().map_or("hello, stranger".into(), |u| format!("hello, {u}"))
/// }
///
/// USER.scope("ada".to_string(), || assert_eq!(greet(), "hello, ada"));
/// assert_eq!(greet(), "hello, stranger");
/// std::thread::spawn(|| assert_eq!(USER.get(), None)).join().unwrap();
/// ```
///
/// Each thread sees its own value; it is dropped when the thread ends. Calling `set`, `take` or
/// `scope` from inside the closure given to [`with`](Self::with) on the same context panics
/// (the value is borrowed); read what you need and return it instead.
#[derive(Debug)]
pub struct ThreadContext<T: 'static> {
    slot: &'static LocalKey<RefCell<Option<T>>>,
}

// A handle to a static slot: copying it copies the reference, never the value.
impl<T: 'static> Clone for ThreadContext<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for ThreadContext<T> {}

impl<T: 'static> ThreadContext<T> {
    /// Wraps a thread-local slot declared with the facade's `thread_local!`.
    pub const fn new(slot: &'static LocalKey<RefCell<Option<T>>>) -> Self {
        Self { slot }
    }

    /// Binds `value` for this thread, returning what was bound before.
    pub fn set(&self, value: T) -> Option<T> {
        self.slot.with(|slot| slot.replace(Some(value)))
    }

    /// Unbinds this thread's value and returns it.
    pub fn take(&self) -> Option<T> {
        self.slot.with(|slot| slot.take())
    }

    /// Calls `f` with this thread's value, if one is bound.
    pub fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        self.slot.with(|slot| f(slot.borrow().as_ref()))
    }

    /// A copy of this thread's value, if one is bound.
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.with(|value| value.cloned())
    }

    /// Binds `value` (or, given `None`, nothing) while `f` runs, then restores whatever was
    /// bound before — also when `f` panics. Use it for per-task context on a reused (pool)
    /// thread.
    pub fn scope<R>(&self, value: impl Into<Option<T>>, f: impl FnOnce() -> R) -> R {
        struct Restore<'a, T: 'static> {
            context: &'a ThreadContext<T>,
            previous: Option<Option<T>>,
        }
        impl<T: 'static> Drop for Restore<'_, T> {
            fn drop(&mut self) {
                let previous = self.previous.take().flatten();
                self.context.slot.with(|slot| *slot.borrow_mut() = previous);
            }
        }
        let value = value.into();
        let previous = self.slot.with(|slot| slot.replace(value));
        let _restore = Restore {
            previous: Some(previous),
            context: self,
        };
        f()
    }
}
// ANCHOR_END: context

/// What the reference context and the flawed shared slot have in common, so one model body
/// checks both.
pub trait Context<T>: Sync {
    /// Binds `value` for the calling thread, returning what was bound before.
    fn set(&self, value: T) -> Option<T>;
    /// A copy of the calling thread's value.
    fn get(&self) -> Option<T>;
    /// Unbinds the calling thread's value.
    fn take(&self) -> Option<T>;
}

impl<T: Clone + 'static> Context<T> for ThreadContext<T> {
    fn set(&self, value: T) -> Option<T> {
        ThreadContext::set(self, value)
    }
    fn get(&self) -> Option<T> {
        ThreadContext::get(self)
    }
    fn take(&self) -> Option<T> {
        ThreadContext::take(self)
    }
}
