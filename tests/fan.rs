//! `scatter_gather` on real threads: input order, per-item errors and panics collected, a
//! bounded number of threads, borrowing from the caller, and a proptest against a plain map.

use std::collections::HashSet;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use proptest::prelude::*;
use threadproof::fan::{ItemError, scatter_gather};

#[test]
fn results_come_back_in_input_order() {
    let items: Vec<u64> = (0..20).collect();
    let out = scatter_gather(&items, 4, |&x| {
        thread::sleep(Duration::from_micros((20 - x) * 200)); // later items finish first
        Ok::<_, ()>(x * x)
    });
    assert_eq!(out, items.iter().map(|x| Ok(x * x)).collect::<Vec<_>>());
}

// ANCHOR: per_item
#[test]
fn errors_and_panics_are_collected_per_item() {
    let items = [1, 2, 3, 4];
    let out = scatter_gather(&items, 2, |&x| match x {
        2 => Err("two"),
        3 => panic!("three"),
        _ => Ok(x),
    });
    assert_eq!(
        out,
        [
            Ok(1),
            Err(ItemError::Failed("two")),
            Err(ItemError::Panicked("three".into())),
            Ok(4)
        ]
    );
}
// ANCHOR_END: per_item

#[test]
fn never_more_threads_than_workers() {
    let ids = Mutex::new(HashSet::new());
    let items: Vec<u32> = (0..100).collect();
    let out = scatter_gather(&items, 3, |&x| {
        ids.lock().unwrap().insert(thread::current().id());
        thread::sleep(Duration::from_micros(50));
        Ok::<_, ()>(x)
    });
    assert_eq!(out.len(), 100);
    let n = ids.lock().unwrap().len();
    assert!((1..=3).contains(&n), "{n} threads for 3 workers");
    assert!(!ids.lock().unwrap().contains(&thread::current().id()));
}

#[test]
fn empty_input_and_zero_workers() {
    let none: [u8; 0] = [];
    assert!(scatter_gather(&none, 4, |&x| Ok::<_, ()>(x)).is_empty());
    assert_eq!(scatter_gather(&[5u8], 0, |&x| Ok::<_, ()>(x)), [Ok(5)]);
}

#[test]
fn f_borrows_from_the_caller() {
    let table = String::from("abc").into_bytes(); // owned by the caller, borrowed by f
    let out = scatter_gather(&[2usize, 0], 2, |&i| table.get(i).copied().ok_or(i));
    assert_eq!(out, [Ok(b'c'), Ok(b'a')]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn matches_a_sequential_map(items in proptest::collection::vec(0i32..100, 0..50), workers in 0usize..6) {
        let f = |&x: &i32| if x % 5 == 0 { Err(x) } else { Ok(x * 2) };
        let want: Vec<_> = items.iter().map(|x| f(x).map_err(ItemError::Failed)).collect();
        prop_assert_eq!(scatter_gather(&items, workers, f), want);
    }
}
