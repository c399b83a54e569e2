//! Every check: each model under each checker.

use crate::harness::{Checker, Model};
use crate::{on_loom, on_shuttle};

/// One model under one checker.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// The model, built on the checker's world.
    pub model: Model,
    /// The checker.
    pub checker: Checker,
}

impl Check {
    /// A stable id: `counter/racy-flawed/2-threads-x-2-increments/loom`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.model.id(), self.checker)
    }
}

/// Every check, grouped by model: loom first, then shuttle PCT, then shuttle random.
pub fn all() -> Vec<Check> {
    let on_loom = on_loom::bodies::models();
    let on_shuttle = on_shuttle::bodies::models();
    // Both lists come from the same source file compiled twice, so they pair up one to one.
    assert_eq!(
        on_loom.len(),
        on_shuttle.len(),
        "the two worlds list different models"
    );
    let mut checks = Vec::new();
    for (l, s) in on_loom.into_iter().zip(on_shuttle) {
        assert_eq!(
            (l.pattern, l.variant, l.scenario),
            (s.pattern, s.variant, s.scenario),
            "the two worlds list models in different orders"
        );
        checks.push(Check {
            model: l,
            checker: Checker::Loom,
        });
        checks.push(Check {
            model: s,
            checker: Checker::ShuttlePct,
        });
        checks.push(Check {
            model: s,
            checker: Checker::ShuttleRandom,
        });
    }
    checks
}

/// The patterns, in report order.
pub fn patterns() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for check in all() {
        if !names.contains(&check.model.pattern) {
            names.push(check.model.pattern);
        }
    }
    names
}
