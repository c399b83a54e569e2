//! Models of lock ordering and the deadlocks it prevents (seed 002 §2.5.1).

use super::leak;
use super::world::lock_order::flawed::{
    PlainAccount, dine_naive, transfer_naive, transfer_unordered,
};
use super::world::lock_order::{
    Account, Waiter, dine_ordered, dine_seated, ordered_forks, transfer,
};
use super::world::semaphore::Semaphore;
use super::world::sync::{Mutex, thread};
use crate::harness::{Expect, Kind, LoomPlan, Model, ShuttlePlan};
use crate::require;

// ANCHOR: inversion_model
/// `transfer(a, b)` and `transfer(b, a)` at once; afterwards no money is created or lost.
fn opposite_transfers<A: Send + Sync + 'static>(
    open: fn(usize, i64) -> A,
    transfer: fn(&A, &A, i64),
    balance: fn(&A) -> i64,
) {
    let (a, b) = (leak(open(1, 100)), leak(open(2, 100)));
    let other = thread::spawn(move || transfer(b, a, 30));
    transfer(a, b, 10);
    other.join().expect("transfer panicked");
    let (after_a, after_b) = (balance(a), balance(b));
    require!(
        (after_a, after_b) == (120, 80),
        Kind::LostUpdate,
        "balances {after_a} and {after_b}, expected 120 and 80"
    );
}
// ANCHOR_END: inversion_model

fn transfers_ordered() {
    opposite_transfers(Account::new, transfer, Account::balance);
}

fn transfers_naive() {
    opposite_transfers(
        |_, b| PlainAccount::new(b),
        transfer_naive,
        PlainAccount::balance,
    );
}

fn transfers_unordered() {
    opposite_transfers(Account::new, transfer_unordered, Account::balance);
}

// ANCHOR: philosophers_model
/// `n` philosophers around `n` forks each eat once; every fork is used twice. A table on which
/// the circle of waiting closes never finishes, and the checker reports the deadlock.
fn table<F: Send + Sync + 'static>(
    n: usize,
    forks: F,
    dine: fn(&F, usize),
    uses: fn(&F) -> Vec<u32>,
) {
    let forks = leak(forks);
    let philosophers: Vec<_> = (0..n)
        .map(|seat| thread::spawn(move || dine(forks, seat)))
        .collect();
    for philosopher in philosophers {
        philosopher.join().expect("philosopher panicked");
    }
    let uses = uses(forks);
    require!(
        uses.iter().all(|&u| u == 2),
        Kind::LostUpdate,
        "fork uses {uses:?}, every fork should be used twice"
    );
}
// ANCHOR_END: philosophers_model

fn plain_forks(n: usize) -> Vec<Mutex<u32>> {
    (0..n).map(|_| Mutex::new(0)).collect()
}

fn plain_uses(forks: &[Mutex<u32>]) -> Vec<u32> {
    forks.iter().map(|f| *f.lock()).collect()
}

fn naive_table(n: usize) {
    table(
        n,
        plain_forks(n),
        |f, s| dine_naive(f, s),
        |f| plain_uses(f),
    );
}

fn ordered_table(n: usize) {
    table(
        n,
        ordered_forks(n),
        |f, s| dine_ordered(f, s),
        |f| f.iter().map(|m| *m.lock()).collect(),
    );
}

fn seated_table(n: usize) {
    table(
        n,
        (plain_forks(n), Semaphore::new(n - 1)),
        |(f, seats), s| dine_seated(f, seats, s),
        |(f, _)| plain_uses(f),
    );
}

fn waiter_table(n: usize) {
    table(
        n,
        (plain_forks(n), Waiter::new(n)),
        |(f, waiter), s| {
            waiter.dine(s, || {
                // The waiter handed over both forks: neither lock can be contended.
                let mut left = f[s].try_lock().expect("left fork in use");
                let mut right = f[(s + 1) % f.len()].try_lock().expect("right fork in use");
                *left += 1;
                *right += 1;
            })
        },
        |(f, _)| plain_uses(f),
    );
}

/// The lock-order models.
pub fn models() -> Vec<Model> {
    let model =
        |variant, scenario, expect, body| Model::new("lock_order", variant, scenario, expect, body);
    let five = |m: Model| Model {
        loom: LoomPlan::Skip(
            "loom models at most 4 threads besides main; 3 philosophers run there",
        ),
        // The naive 5-table deadlocks only when all five hold their left fork at once: with the
        // default seed PCT needs 492 executions, random 50. 3,000 leave a margin for other
        // seeds; each execution takes microseconds.
        shuttle: ShuttlePlan {
            iterations: 3_000,
            pct_depth: 3,
        },
        ..m
    };
    vec![
        model(
            "transfer (lock_two)",
            "transfer(a, b) and transfer(b, a) at once",
            Expect::Holds,
            transfers_ordered,
        ),
        model(
            "naive transfer (flawed)",
            "transfer(a, b) and transfer(b, a) at once",
            Expect::Caught(Kind::Deadlock),
            transfers_naive,
        ),
        model(
            "unordered transfer (flawed)",
            "transfer(a, b) and transfer(b, a) at once",
            Expect::Caught(Kind::LockOrder),
            transfers_unordered,
        ),
        model("ordered forks", "3 philosophers", Expect::Holds, || {
            ordered_table(3)
        }),
        Model {
            loom: LoomPlan::Bounded {
                preemptions: 3,
                why: "a semaphore and 3 forks for 3 threads do not finish exhaustively in \
                      minutes; the naive table deadlocks within 2 preemptions",
            },
            ..model("n-1 seats", "3 philosophers", Expect::Holds, || {
                seated_table(3)
            })
        },
        model("waiter", "3 philosophers", Expect::Holds, || {
            waiter_table(3)
        }),
        model(
            "naive philosophers (flawed)",
            "3 philosophers",
            Expect::Caught(Kind::Deadlock),
            || naive_table(3),
        ),
        five(model(
            "ordered forks",
            "5 philosophers",
            Expect::Holds,
            || ordered_table(5),
        )),
        five(model("n-1 seats", "5 philosophers", Expect::Holds, || {
            seated_table(5)
        })),
        five(model("waiter", "5 philosophers", Expect::Holds, || {
            waiter_table(5)
        })),
        five(model(
            "naive philosophers (flawed)",
            "5 philosophers",
            Expect::Caught(Kind::Deadlock),
            || naive_table(5),
        )),
    ]
}
