use super::ordered::{OrderedGuard, OrderedMutex, lock_two};

// ANCHOR: account
/// A bank account whose balance sits in an [`OrderedMutex`]; the rank is the account number.
#[derive(Debug)]
pub struct Account {
    balance: OrderedMutex<i64>,
}

impl Account {
    /// Account number `number` (its rank in the lock order) with an opening `balance`.
    pub fn new(number: usize, balance: i64) -> Self {
        Self {
            balance: OrderedMutex::new(number, balance),
        }
    }

    /// The balance now.
    pub fn balance(&self) -> i64 {
        *self.balance.lock()
    }

    /// The balance's lock, for code that takes more than one (use [`lock_two`] for two).
    pub fn lock_balance(&self) -> OrderedGuard<'_, i64> {
        self.balance.lock()
    }
}

/// Moves `amount` from `from` to `to`, holding both balances so no one sees the money in
/// flight. `transfer(a, b)` and `transfer(b, a)` may run at once: both lock the lower account
/// number first, so neither can hold the lock the other is waiting for.
pub fn transfer(from: &Account, to: &Account, amount: i64) {
    if std::ptr::eq(from, to) {
        return;
    }
    let (mut from, mut to) = lock_two(&from.balance, &to.balance);
    *from -= amount;
    *to += amount;
}
// ANCHOR_END: account
