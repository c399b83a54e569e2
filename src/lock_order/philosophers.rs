use crate::semaphore::Semaphore;
use crate::sync::{Condvar, Mutex};

use super::ordered::{OrderedMutex, lock_two};

// ANCHOR: ordered_forks
/// Forks for the ordered table: fork `i` has rank `i`.
pub fn ordered_forks(n: usize) -> Vec<OrderedMutex<u32>> {
    (0..n).map(|i| OrderedMutex::new(i, 0)).collect()
}

/// Philosopher `seat` eats once with the forks on either side, taking the lower-numbered fork
/// first. Philosophers 0..n-2 take their left fork first, the last one its right: the circle
/// of waiting can never close. Each fork counts its uses.
pub fn dine_ordered(forks: &[OrderedMutex<u32>], seat: usize) {
    let (left, right) = (&forks[seat], &forks[(seat + 1) % forks.len()]);
    let (mut left, mut right) = lock_two(left, right);
    *left += 1;
    *right += 1;
}
// ANCHOR_END: ordered_forks

// ANCHOR: seated
/// Philosopher `seat` eats once, left fork then right fork like the naive table, but only
/// after taking one of `seats`, a semaphore of n - 1 permits. With at most n - 1 philosophers
/// reaching for forks, one of them always finds both forks (pigeonhole), so the circle of
/// waiting never closes.
pub fn dine_seated(forks: &[Mutex<u32>], seats: &Semaphore, seat: usize) {
    let _seat = seats.acquire();
    let mut left = forks[seat].lock();
    let mut right = forks[(seat + 1) % forks.len()].lock();
    *left += 1;
    *right += 1;
}
// ANCHOR_END: seated

// ANCHOR: waiter
/// The waiter (arbitrator): philosophers ask the waiter for both forks at once and get both or
/// none. No philosopher ever holds one fork while waiting for another.
#[derive(Debug)]
pub struct Waiter {
    /// `taken[i]`: fork `i` is in someone's hands.
    taken: Mutex<Vec<bool>>,
    returned: Condvar,
}

impl Waiter {
    /// A waiter for a table of `n` forks.
    pub fn new(n: usize) -> Self {
        Self {
            taken: Mutex::new(vec![false; n]),
            returned: Condvar::new(),
        }
    }

    /// Philosopher `seat` waits until both forks are free, takes both, runs `eat`, and puts
    /// both back.
    pub fn dine<R>(&self, seat: usize, eat: impl FnOnce() -> R) -> R {
        let mut taken = self.taken.lock();
        let (left, right) = (seat, (seat + 1) % taken.len());
        while taken[left] || taken[right] {
            self.returned.wait(&mut taken);
        }
        taken[left] = true;
        taken[right] = true;
        drop(taken);
        let meal = eat();
        let mut taken = self.taken.lock();
        taken[left] = false;
        taken[right] = false;
        // Both neighbours may be waiting, for different forks: wake everyone.
        self.returned.notify_all();
        meal
    }
}
// ANCHOR_END: waiter
