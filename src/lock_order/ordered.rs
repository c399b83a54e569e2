use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

use crate::sync::{Mutex, MutexGuard, thread_local};

// ANCHOR: ordered_mutex
/// A mutex with a place in one global lock order: its rank, then its address.
///
/// Take several at once with [`lock_two`] or [`lock_all`], which lock in that order whatever
/// order you name them in. Then no two threads can each hold a lock the other wants: every
/// thread climbs the same ladder, and a cycle of waiting threads would need someone to climb
/// down. In debug builds every [`lock`](Self::lock) checks that the thread holds nothing at
/// or above the lock it asks for, and panics with `lock order violation: ...` if it does:
/// the inversion is reported on the first run that takes the locks out of order, whether or
/// not that run happens to deadlock.
///
/// ```
/// use threadproof::lock_order::{OrderedMutex, lock_two};
///
/// let a = OrderedMutex::new(1, 100);
/// let b = OrderedMutex::new(2, 0);
/// // Named b first, locked a first.
/// let (mut to, mut from) = lock_two(&b, &a);
/// *from -= 30;
/// *to += 30;
/// assert_eq!((*from, *to), (70, 30));
/// ```
#[derive(Debug, Default)]
pub struct OrderedMutex<T> {
    rank: usize,
    inner: Mutex<T>,
}

/// The guard of an [`OrderedMutex`]; the lock is released when it drops.
#[derive(Debug)]
pub struct OrderedGuard<'a, T> {
    key: Key,
    inner: MutexGuard<'a, T>,
}

/// A lock's place in the order: rank first, address to break ties.
type Key = (usize, usize);

thread_local! {
    /// The keys of the ordered locks this thread holds (debug builds only).
    static HELD: RefCell<Vec<Key>> = RefCell::new(Vec::new());
}

impl<T> OrderedMutex<T> {
    /// A new unlocked mutex with `rank`. Locks with a lower rank must be taken first; locks
    /// of equal rank are ordered by address.
    pub fn new(rank: usize, value: T) -> Self {
        Self {
            rank,
            inner: Mutex::new(value),
        }
    }

    /// The rank given at construction.
    pub fn rank(&self) -> usize {
        self.rank
    }

    fn key(&self) -> Key {
        (self.rank, self as *const Self as usize)
    }

    /// Blocks until the lock is held. In debug builds, panics with `lock order violation` if
    /// this thread holds an ordered lock at or above this one's place in the order.
    #[track_caller]
    pub fn lock(&self) -> OrderedGuard<'_, T> {
        let key = self.key();
        if cfg!(debug_assertions) {
            check_order(key);
        }
        let inner = self.inner.lock();
        if cfg!(debug_assertions) {
            HELD.with(|held| held.borrow_mut().push(key));
        }
        OrderedGuard { key, inner }
    }

    /// Consumes the mutex and returns the value.
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

#[track_caller]
fn check_order(key: Key) {
    HELD.with(|held| {
        if let Some(&top) = held.borrow().iter().max()
            && top >= key
        {
            let why = if top == key {
                "this same lock"
            } else if top.0 == key.0 {
                "a lock of equal rank and higher address"
            } else {
                "a lock of higher rank"
            };
            panic!(
                "lock order violation: locking rank {} while holding rank {} ({why}); \
                 take locks in rank order, e.g. with lock_two",
                key.0, top.0
            );
        }
    });
}

impl<T> Drop for OrderedGuard<'_, T> {
    fn drop(&mut self) {
        if cfg!(debug_assertions) {
            HELD.with(|held| {
                let mut held = held.borrow_mut();
                if let Some(at) = held.iter().rposition(|&k| k == self.key) {
                    held.remove(at);
                }
            });
        }
    }
}

impl<T> Deref for OrderedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> DerefMut for OrderedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}
// ANCHOR_END: ordered_mutex

// ANCHOR: lock_two
/// Locks two ordered mutexes in the global order and returns the guards in argument order.
///
/// # Panics
///
/// If `a` and `b` are the same mutex (locking it twice would deadlock), and in debug builds if
/// this thread already holds an ordered lock at or above the lower of the two.
#[track_caller]
pub fn lock_two<'a, A, B>(
    a: &'a OrderedMutex<A>,
    b: &'a OrderedMutex<B>,
) -> (OrderedGuard<'a, A>, OrderedGuard<'a, B>) {
    let (ka, kb) = (a.key(), b.key());
    assert!(ka.1 != kb.1, "lock_two: both arguments are the same mutex");
    if ka < kb {
        let ga = a.lock();
        (ga, b.lock())
    } else {
        let gb = b.lock();
        (a.lock(), gb)
    }
}
// ANCHOR_END: lock_two

// ANCHOR: lock_all
/// Locks every mutex in `locks` in the global order and returns the guards in argument order.
///
/// # Panics
///
/// If a mutex appears twice, and in debug builds as [`OrderedMutex::lock`] does.
#[track_caller]
pub fn lock_all<'a, T>(locks: &[&'a OrderedMutex<T>]) -> Vec<OrderedGuard<'a, T>> {
    let mut order: Vec<usize> = (0..locks.len()).collect();
    order.sort_by_key(|&i| locks[i].key());
    assert!(
        order
            .windows(2)
            .all(|w| locks[w[0]].key() != locks[w[1]].key()),
        "lock_all: a mutex appears twice"
    );
    let mut guards: Vec<Option<OrderedGuard<'a, T>>> = locks.iter().map(|_| None).collect();
    for i in order {
        guards[i] = Some(locks[i].lock());
    }
    guards.into_iter().flatten().collect()
}
// ANCHOR_END: lock_all
