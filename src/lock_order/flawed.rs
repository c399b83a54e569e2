//! Flawed lock ordering. **Do not copy.** They exist so the checkers can prove they catch the
//! bug.

use crate::sync::Mutex;

use super::Account;

// ANCHOR: plain_account
/// **Do not copy.** An account behind a plain mutex, transferred by locking `from` then `to`.
#[derive(Debug)]
pub struct PlainAccount {
    balance: Mutex<i64>,
}

impl PlainAccount {
    /// An account with an opening `balance`.
    pub fn new(balance: i64) -> Self {
        Self {
            balance: Mutex::new(balance),
        }
    }

    /// The balance now.
    pub fn balance(&self) -> i64 {
        *self.balance.lock()
    }
}

/// **Do not copy.** Locks `from`, then `to`: the order the caller named them in. When
/// `transfer_naive(a, b)` and `transfer_naive(b, a)` run at once, each can take its first lock
/// and wait forever for the other's (**deadlock**: the lock-order inversion).
pub fn transfer_naive(from: &PlainAccount, to: &PlainAccount, amount: i64) {
    let mut from = from.balance.lock();
    // The window: the other transfer can lock `to` here, and then wait for `from`.
    let mut to = to.balance.lock();
    *from -= amount;
    *to += amount;
}
// ANCHOR_END: plain_account

// ANCHOR: unordered
/// **Do not copy.** Uses the ordered accounts but locks them one by one in argument order
/// instead of through `lock_two`. In debug builds the order check reports it (**lock order**)
/// on any run that calls `transfer_unordered(b, a)`, deadlocked or not.
pub fn transfer_unordered(from: &Account, to: &Account, amount: i64) {
    let mut from = from.lock_balance();
    let mut to = to.lock_balance();
    *from -= amount;
    *to += amount;
}
// ANCHOR_END: unordered

// ANCHOR: naive_philosopher
/// **Do not copy.** Philosopher `seat` takes the left fork, then the right. If every
/// philosopher takes the left fork at once, each waits for a right fork a neighbour holds
/// (**deadlock**: the circle of waiting closes).
pub fn dine_naive(forks: &[Mutex<u32>], seat: usize) {
    let mut left = forks[seat].lock();
    let mut right = forks[(seat + 1) % forks.len()].lock();
    *left += 1;
    *right += 1;
}
// ANCHOR_END: naive_philosopher
