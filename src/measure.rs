//! Measuring parallel programs — seed 001 "如何评估并行程序的性能" (evaluating parallel
//! programs: speedup, efficiency, scalability, Amdahl's law, Gustafson's law).
//!
//! Plain arithmetic, no threads: the bench `benches/parallel.rs` times real runs and this
//! module turns the times into the seed's quantities.
//!
//! - speedup `S = T1 / Tp` ([`speedup`]): relative speedup, `T1` being the same program on
//!   one worker (the seed calls it absolute when `T1` is the best serial program);
//! - efficiency `E = S / p` ([`efficiency`]);
//! - the serial fraction `f` of Amdahl's law, from one measurement (the Karp–Flatt metric,
//!   [`karp_flatt`]) or fitted over several by least squares ([`fit_serial_fraction`]);
//! - the predictions: Amdahl `S(p) = 1 / (f + (1 - f) / p)` with the seed's limit
//!   `S = 1 / (1 - P)` = `1 / f` ([`amdahl_speedup`], [`amdahl_limit`]) and Gustafson
//!   `S(P) = P - α(P - 1)` ([`gustafson_speedup`]).
//!
//! Bad input (zero workers, no data, a time that is not a positive finite number, a fraction
//! outside 0..=1) is an [`MeasureError`], never a panic.

use std::fmt;

/// Why a quantity could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum MeasureError {
    /// A worker count of 0.
    ZeroWorkers,
    /// No samples at all.
    NoData,
    /// A time that is not a positive finite number of seconds.
    BadTime(f64),
    /// A speedup that is not a positive finite number.
    BadSpeedup(f64),
    /// A serial fraction outside `0..=1` (or not a number).
    BadFraction(f64),
    /// The Karp–Flatt metric and the fit need at least one measurement with `p >= 2`.
    NoParallelPoint,
    /// [`scaling`] needs the one-worker time: no sample has `workers == 1`.
    NoBaseline,
    /// Two samples for the same worker count (take their median first).
    DuplicateWorkers(usize),
}

impl fmt::Display for MeasureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeasureError::ZeroWorkers => write!(f, "the worker count must be at least 1"),
            MeasureError::NoData => write!(f, "no samples"),
            MeasureError::BadTime(t) => write!(f, "a time must be positive and finite, got {t}"),
            MeasureError::BadSpeedup(s) => {
                write!(f, "a speedup must be positive and finite, got {s}")
            }
            MeasureError::BadFraction(x) => {
                write!(f, "a serial fraction must lie in 0..=1, got {x}")
            }
            MeasureError::NoParallelPoint => {
                write!(f, "need at least one measurement with 2 or more workers")
            }
            MeasureError::NoBaseline => write!(f, "no measurement with 1 worker"),
            MeasureError::DuplicateWorkers(p) => {
                write!(
                    f,
                    "two measurements for {p} workers; take their median first"
                )
            }
        }
    }
}

impl std::error::Error for MeasureError {}

fn check_time(t: f64) -> Result<f64, MeasureError> {
    if t.is_finite() && t > 0.0 {
        Ok(t)
    } else {
        Err(MeasureError::BadTime(t))
    }
}

fn check_workers(p: usize) -> Result<f64, MeasureError> {
    if p == 0 {
        Err(MeasureError::ZeroWorkers)
    } else {
        Ok(p as f64)
    }
}

fn check_fraction(x: f64) -> Result<f64, MeasureError> {
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(MeasureError::BadFraction(x))
    }
}

fn check_speedup(s: f64) -> Result<f64, MeasureError> {
    if s.is_finite() && s > 0.0 {
        Ok(s)
    } else {
        Err(MeasureError::BadSpeedup(s))
    }
}

// ANCHOR: speedup
/// Speedup `S = T1 / Tp`: the one-worker time over the `p`-worker time.
///
/// ```
/// use threadproof::measure::speedup;
/// assert_eq!(speedup(0.100, 0.050).unwrap(), 2.0);
/// assert!(speedup(0.100, 0.0).is_err());
/// ```
pub fn speedup(t1: f64, tp: f64) -> Result<f64, MeasureError> {
    Ok(check_time(t1)? / check_time(tp)?)
}

/// Efficiency `E = S / p`: 1 for linear speedup, below 1 for time lost to waiting and
/// coordination.
///
/// ```
/// use threadproof::measure::efficiency;
/// assert_eq!(efficiency(1.8, 2).unwrap(), 0.9);
/// assert!(efficiency(1.8, 0).is_err());
/// ```
pub fn efficiency(speedup: f64, p: usize) -> Result<f64, MeasureError> {
    Ok(check_speedup(speedup)? / check_workers(p)?)
}
// ANCHOR_END: speedup

// ANCHOR: karp_flatt
/// The Karp–Flatt metric: the serial fraction `e = (1/S - 1/p) / (1 - 1/p)` that Amdahl's law
/// needs to explain a speedup `S` on `p >= 2` workers. It is negative for a superlinear
/// speedup and grows with `p` when the loss is overhead rather than serial code (or when
/// there are more workers than cores).
///
/// ```
/// use threadproof::measure::karp_flatt;
/// // Amdahl with f = 0.1 on 2 workers gives S = 1 / (0.1 + 0.9 / 2) = 1/0.55.
/// let e = karp_flatt(1.0 / 0.55, 2).unwrap();
/// assert!((e - 0.1).abs() < 1e-12);
/// assert!(karp_flatt(1.5, 1).is_err());
/// ```
pub fn karp_flatt(speedup: f64, p: usize) -> Result<f64, MeasureError> {
    let s = check_speedup(speedup)?;
    let p = check_workers(p)?;
    if p < 2.0 {
        return Err(MeasureError::NoParallelPoint);
    }
    Ok((1.0 / s - 1.0 / p) / (1.0 - 1.0 / p))
}
// ANCHOR_END: karp_flatt

/// One measurement: the wall time of a run with `workers` workers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The number of workers, `p`.
    pub workers: usize,
    /// Wall time in seconds, `Tp` (best a median of several runs).
    pub seconds: f64,
}

/// One row of a scaling table, from [`scaling`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The number of workers, `p`.
    pub workers: usize,
    /// The wall time `Tp` in seconds.
    pub seconds: f64,
    /// `S = T1 / Tp`.
    pub speedup: f64,
    /// `E = S / p`.
    pub efficiency: f64,
    /// The Karp–Flatt serial fraction; `None` for `p = 1`.
    pub karp_flatt: Option<f64>,
}

fn validate(samples: &[Sample]) -> Result<(), MeasureError> {
    if samples.is_empty() {
        return Err(MeasureError::NoData);
    }
    for (i, s) in samples.iter().enumerate() {
        check_workers(s.workers)?;
        check_time(s.seconds)?;
        if samples[..i].iter().any(|t| t.workers == s.workers) {
            return Err(MeasureError::DuplicateWorkers(s.workers));
        }
    }
    Ok(())
}

fn baseline(samples: &[Sample]) -> Result<f64, MeasureError> {
    samples
        .iter()
        .find(|s| s.workers == 1)
        .map(|s| s.seconds)
        .ok_or(MeasureError::NoBaseline)
}

/// Speedup, efficiency and Karp–Flatt metric for each sample, relative to the one-worker
/// sample, in the samples' order.
///
/// ```
/// use threadproof::measure::{scaling, Sample};
/// let rows = scaling(&[
///     Sample { workers: 1, seconds: 0.100 },
///     Sample { workers: 2, seconds: 0.055 },
/// ])
/// .unwrap();
/// assert!((rows[1].speedup - 1.818).abs() < 1e-3);
/// assert!((rows[1].efficiency - 0.909).abs() < 1e-3);
/// assert!((rows[1].karp_flatt.unwrap() - 0.1).abs() < 1e-9);
/// ```
pub fn scaling(samples: &[Sample]) -> Result<Vec<Point>, MeasureError> {
    validate(samples)?;
    let t1 = baseline(samples)?;
    samples
        .iter()
        .map(|s| {
            let speedup = speedup(t1, s.seconds)?;
            Ok(Point {
                workers: s.workers,
                seconds: s.seconds,
                speedup,
                efficiency: efficiency(speedup, s.workers)?,
                karp_flatt: if s.workers >= 2 {
                    Some(karp_flatt(speedup, s.workers)?)
                } else {
                    None
                },
            })
        })
        .collect()
}

// ANCHOR: fit
/// Fits Amdahl's serial fraction `f` to measured times by least squares.
///
/// Amdahl's law says `Tp = T1 (f + (1 - f) / p)`, that is `1/S - 1/p = f (1 - 1/p)`: a line
/// through the origin in `x = 1 - 1/p`, `y = 1/S - 1/p`. Its least-squares slope
/// `f = Σxy / Σx²` weighs every `p >= 2` sample; with one such sample it is the Karp–Flatt
/// metric. `T1` is the one-worker sample. The result is not clamped: a negative `f` means
/// superlinear speedup, an `f` near 1 no speedup at all. Fit only the worker counts the
/// machine has cores for, or oversubscription is read as serial code.
///
/// ```
/// use threadproof::measure::{fit_serial_fraction, Sample};
/// // Synthetic times from Amdahl with f = 0.2: T1 = 1 s.
/// let samples: Vec<Sample> = (1..=8)
///     .map(|p| Sample { workers: p, seconds: 0.2 + 0.8 / p as f64 })
///     .collect();
/// assert!((fit_serial_fraction(&samples).unwrap() - 0.2).abs() < 1e-12);
/// ```
pub fn fit_serial_fraction(samples: &[Sample]) -> Result<f64, MeasureError> {
    validate(samples)?;
    let t1 = baseline(samples)?;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for s in samples.iter().filter(|s| s.workers >= 2) {
        let p = s.workers as f64;
        let x = 1.0 - 1.0 / p;
        let y = s.seconds / t1 - 1.0 / p; // 1/S - 1/p
        sxy += x * y;
        sxx += x * x;
    }
    if sxx == 0.0 {
        return Err(MeasureError::NoParallelPoint);
    }
    Ok(sxy / sxx)
}
// ANCHOR_END: fit

// ANCHOR: laws
/// Amdahl's law for a fixed problem: `S(p) = 1 / (f + (1 - f) / p)` with serial fraction `f`.
///
/// ```
/// use threadproof::measure::amdahl_speedup;
/// assert!((amdahl_speedup(0.1, 2).unwrap() - 1.0 / 0.55).abs() < 1e-12);
/// assert!(amdahl_speedup(1.5, 2).is_err());
/// ```
pub fn amdahl_speedup(serial_fraction: f64, p: usize) -> Result<f64, MeasureError> {
    let f = check_fraction(serial_fraction)?;
    let p = check_workers(p)?;
    Ok(1.0 / (f + (1.0 - f) / p))
}

/// The seed's bound `S = 1 / (1 - P)` with `1 - P = f` the serial part: the speedup no number
/// of workers exceeds. Infinite for `f = 0`.
///
/// ```
/// use threadproof::measure::amdahl_limit;
/// // The seed's example: 10% serial code caps the speedup at 1 / 0.1 = 10 (its text says 9).
/// assert!((amdahl_limit(0.1).unwrap() - 10.0).abs() < 1e-12);
/// assert_eq!(amdahl_limit(0.0).unwrap(), f64::INFINITY);
/// ```
pub fn amdahl_limit(serial_fraction: f64) -> Result<f64, MeasureError> {
    Ok(1.0 / check_fraction(serial_fraction)?)
}

/// Gustafson's law for a problem that grows with the machine: `S(P) = P - α(P - 1)`, `α` the
/// serial part of the run on `P` workers.
///
/// ```
/// use threadproof::measure::gustafson_speedup;
/// assert!((gustafson_speedup(0.1, 2).unwrap() - 1.9).abs() < 1e-12);
/// assert!(gustafson_speedup(0.1, 0).is_err());
/// ```
pub fn gustafson_speedup(alpha: f64, p: usize) -> Result<f64, MeasureError> {
    let a = check_fraction(alpha)?;
    let p = check_workers(p)?;
    Ok(p - a * (p - 1.0))
}
// ANCHOR_END: laws
