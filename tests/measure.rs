//! The seed-001 arithmetic: known synthetic timings give back the serial fraction they were
//! made from; bad input is an error, not a panic.

use proptest::prelude::*;
use threadproof::measure::{
    MeasureError, Sample, amdahl_limit, amdahl_speedup, efficiency, fit_serial_fraction,
    gustafson_speedup, karp_flatt, scaling, speedup,
};

fn amdahl_times(t1: f64, f: f64, ps: &[usize]) -> Vec<Sample> {
    ps.iter()
        .map(|&p| Sample {
            workers: p,
            seconds: t1 * (f + (1.0 - f) / p as f64),
        })
        .collect()
}

#[test]
fn speedup_and_efficiency_of_a_measured_table() {
    // 100 ms on 1 worker, 52 ms on 2, 40 ms on 4.
    let rows = scaling(&[
        Sample {
            workers: 1,
            seconds: 0.100,
        },
        Sample {
            workers: 2,
            seconds: 0.052,
        },
        Sample {
            workers: 4,
            seconds: 0.040,
        },
    ])
    .unwrap();
    assert_eq!(rows[0].speedup, 1.0);
    assert_eq!(rows[0].efficiency, 1.0);
    assert_eq!(rows[0].karp_flatt, None);
    assert!((rows[1].speedup - 100.0 / 52.0).abs() < 1e-12);
    assert!((rows[1].efficiency - 100.0 / 104.0).abs() < 1e-12);
    // e = (0.52 - 0.5) / 0.5 = 0.04
    assert!((rows[1].karp_flatt.unwrap() - 0.04).abs() < 1e-12);
    assert!((rows[2].speedup - 2.5).abs() < 1e-12);
    assert!((rows[2].efficiency - 0.625).abs() < 1e-12);
    // e = (0.4 - 0.25) / 0.75 = 0.2: the loss grows with p (here: 2 cores, 4 workers).
    assert!((rows[2].karp_flatt.unwrap() - 0.2).abs() < 1e-12);
}

#[test]
fn the_fit_recovers_the_serial_fraction_of_synthetic_timings() {
    for f in [0.0, 0.05, 0.1, 0.5, 1.0] {
        let samples = amdahl_times(0.25, f, &[1, 2, 3, 4]);
        let fitted = fit_serial_fraction(&samples).unwrap();
        assert!((fitted - f).abs() < 1e-12, "f = {f}, fitted {fitted}");
    }
}

#[test]
fn the_fit_averages_noise_and_one_point_is_karp_flatt() {
    // f = 0.1 with +-2% noise on Tp: the fit lands near 0.1, not on either noisy point.
    let mut samples = amdahl_times(1.0, 0.1, &[1, 2, 4]);
    samples[1].seconds *= 1.02;
    samples[2].seconds *= 0.98;
    let fitted = fit_serial_fraction(&samples).unwrap();
    assert!((fitted - 0.1).abs() < 0.02, "fitted {fitted}");
    let only_two = &samples[..2];
    let s = speedup(samples[0].seconds, samples[1].seconds).unwrap();
    assert_eq!(
        fit_serial_fraction(only_two).unwrap(),
        karp_flatt(s, 2).unwrap()
    );
}

#[test]
fn a_global_lock_fits_as_all_serial() {
    // Every worker waits for the one lock: Tp = T1 for every p.
    let samples: Vec<Sample> = (1..=4)
        .map(|p| Sample {
            workers: p,
            seconds: 0.1,
        })
        .collect();
    assert!((fit_serial_fraction(&samples).unwrap() - 1.0).abs() < 1e-12);
}

#[test]
fn the_laws() {
    assert!((amdahl_speedup(0.1, 2).unwrap() - 1.0 / 0.55).abs() < 1e-12);
    assert_eq!(amdahl_speedup(0.0, 4).unwrap(), 4.0);
    assert_eq!(amdahl_speedup(1.0, 4).unwrap(), 1.0);
    assert!((amdahl_limit(0.25).unwrap() - 4.0).abs() < 1e-12);
    assert!((gustafson_speedup(0.25, 4).unwrap() - 3.25).abs() < 1e-12);
    assert_eq!(gustafson_speedup(0.5, 1).unwrap(), 1.0);
    // Gustafson is never below Amdahl for the same fraction and p > 1.
    assert!(gustafson_speedup(0.25, 4).unwrap() > amdahl_speedup(0.25, 4).unwrap());
    assert_eq!(efficiency(3.0, 4).unwrap(), 0.75);
}

#[test]
fn bad_input_is_an_error() {
    assert_eq!(speedup(1.0, 0.0), Err(MeasureError::BadTime(0.0)));
    assert_eq!(speedup(-1.0, 1.0), Err(MeasureError::BadTime(-1.0)));
    assert!(matches!(
        speedup(f64::NAN, 1.0),
        Err(MeasureError::BadTime(_))
    ));
    assert_eq!(efficiency(2.0, 0), Err(MeasureError::ZeroWorkers));
    assert_eq!(
        efficiency(f64::INFINITY, 2),
        Err(MeasureError::BadSpeedup(f64::INFINITY))
    );
    assert_eq!(karp_flatt(1.0, 1), Err(MeasureError::NoParallelPoint));
    assert_eq!(karp_flatt(1.0, 0), Err(MeasureError::ZeroWorkers));
    assert_eq!(
        amdahl_speedup(-0.1, 2),
        Err(MeasureError::BadFraction(-0.1))
    );
    assert!(matches!(
        amdahl_limit(f64::NAN),
        Err(MeasureError::BadFraction(_))
    ));
    assert_eq!(gustafson_speedup(0.5, 0), Err(MeasureError::ZeroWorkers));
    assert_eq!(fit_serial_fraction(&[]), Err(MeasureError::NoData));
    assert_eq!(scaling(&[]), Err(MeasureError::NoData));
    let no_baseline = [Sample {
        workers: 2,
        seconds: 0.1,
    }];
    assert_eq!(
        fit_serial_fraction(&no_baseline),
        Err(MeasureError::NoBaseline)
    );
    let only_baseline = [Sample {
        workers: 1,
        seconds: 0.1,
    }];
    assert_eq!(
        fit_serial_fraction(&only_baseline),
        Err(MeasureError::NoParallelPoint)
    );
    let zero = [Sample {
        workers: 0,
        seconds: 0.1,
    }];
    assert_eq!(scaling(&zero), Err(MeasureError::ZeroWorkers));
    let twice = [
        Sample {
            workers: 1,
            seconds: 0.1,
        },
        Sample {
            workers: 1,
            seconds: 0.2,
        },
    ];
    assert_eq!(scaling(&twice), Err(MeasureError::DuplicateWorkers(1)));
    // The errors say what is wrong.
    assert!(MeasureError::NoBaseline.to_string().contains("1 worker"));
}

proptest! {
    #[test]
    fn fit_and_karp_flatt_invert_amdahl(
        f in 0.0f64..=1.0,
        t1 in 1e-4f64..10.0,
        mut ps in proptest::collection::vec(2usize..64, 1..6),
    ) {
        ps.sort_unstable();
        ps.dedup();
        ps.insert(0, 1);
        let samples = amdahl_times(t1, f, &ps);
        let fitted = fit_serial_fraction(&samples).unwrap();
        prop_assert!((fitted - f).abs() < 1e-9, "f {} fitted {}", f, fitted);
        for p in ps.iter().copied().filter(|&p| p >= 2) {
            let e = karp_flatt(amdahl_speedup(f, p).unwrap(), p).unwrap();
            prop_assert!((e - f).abs() < 1e-9);
        }
        for row in scaling(&samples).unwrap() {
            prop_assert!(row.efficiency <= 1.0 + 1e-12);
            prop_assert!((row.speedup - amdahl_speedup(f, row.workers).unwrap()).abs() < 1e-9);
        }
    }
}
