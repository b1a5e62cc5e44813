//! Shared set-up of the property tests (the `*_props` modules): how many
//! cases each runs, so that the whole set stays within a few seconds of
//! `cargo test` while `PROPTEST_CASES` can ask for a longer search.

use proptest::test_runner::Config;

/// proptest's configuration with `cases` cases, unless the standard
/// `PROPTEST_CASES` environment variable asks for another count (e.g.
/// `PROPTEST_CASES=100000 cargo test --release props` to fuzz for longer).
pub(crate) fn config(cases: u32) -> Config {
    // `Config::default()` reads the PROPTEST_* variables.
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config
}
