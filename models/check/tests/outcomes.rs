//! Outcome tables (jcstress style): every outcome of each small test over every loom schedule.
//! A reference must never show a forbidden outcome, a flawed variant must show one, and no test
//! may end in an outcome it does not list. Each table is an insta snapshot the book includes.

use threadproof_check::on_loom;

#[test]
fn outcome_tables_show_forbidden_outcomes_exactly_for_flawed_variants() {
    let mut wrong = Vec::new();
    for test in on_loom::bodies::outcome_tests() {
        let table = test.run();
        let name = format!("{}__{}", test.pattern, test.variant)
            .replace(' ', "-")
            .replace(['(', ')'], "");
        insta::assert_snapshot!(name, table.render());
        if !table.as_expected() {
            wrong.push(table.render());
        }
    }
    assert!(wrong.is_empty(), "unexpected tables:\n{}", wrong.join("\n"));
}
