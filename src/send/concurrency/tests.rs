//! The in-flight limit's arithmetic: Little's law with its margin, the
//! ceiling, rows in backoff, and the one warning when the ceiling caps.

use std::sync::Arc;
use std::time::Duration;

use super::*;

fn with_latency(ms: u64) -> Arc<CallLatency> {
    let latency = Arc::new(CallLatency::default());
    latency.record(Duration::from_millis(ms));
    latency
}

#[test]
fn the_limit_is_rate_times_latency_with_margin_and_headroom() {
    let c = Concurrency::new(256, 1, with_latency(100));
    // 1000/s × 0.1 s = 100 in calls; × 1.5 = 150; + 4 waiting for a slot.
    assert_eq!(c.limit(1000.0), 154);
    // 50/s × 0.1 s × 1.5 = 7.5 → 8, + 4.
    assert_eq!(c.limit(50.0), 12);
}

#[test]
fn a_row_with_steps_counts_each_call() {
    let c = Concurrency::new(256, 3, with_latency(100));
    // 50/s × 0.1 s × 3 calls × 1.5 = 22.5 → 23, + 4.
    assert_eq!(c.limit(50.0), 27);
}

#[test]
fn before_any_answer_only_the_headroom_is_in_flight() {
    let c = Concurrency::new(256, 1, Arc::default());
    assert_eq!(c.limit(1000.0), HEADROOM);
}

#[test]
fn unpaced_runs_start_at_the_floor_and_the_ceiling_bounds_the_rest() {
    let c = Concurrency::new(64, 1, with_latency(100));
    assert_eq!(c.limit(0.0), saturation::FLOOR);
    assert_eq!(c.limit(1000.0), 64);
    assert_eq!(Concurrency::new(0, 1, with_latency(1)).limit(10.0), 1);
    assert_eq!(Concurrency::new(4, 1, with_latency(1)).limit(0.0), 4);
}

#[test]
fn unpaced_runs_grow_while_the_latency_holds_and_count_rows_in_backoff() {
    let c = Concurrency::new(64, 1, with_latency(100));
    let limits: Vec<usize> = (0..40).map(|_| c.check(0.0).0).collect();
    assert_eq!(limits[0], saturation::FLOOR + 2);
    assert_eq!(*limits.last().unwrap(), 64, "{limits:?}");
    assert!(limits.windows(2).all(|w| w[0] <= w[1]), "{limits:?}");
    let c = Concurrency::new(64, 1, with_latency(100));
    let _sleeping = c.backing_off();
    assert_eq!(c.limit(0.0), saturation::FLOOR + 1);
}

#[test]
fn rows_in_backoff_are_added_while_they_sleep() {
    let c = Concurrency::new(256, 1, with_latency(100));
    let before = c.limit(50.0);
    let first = c.backing_off();
    let second = c.backing_off();
    assert_eq!(c.limit(50.0), before + 2);
    drop(first);
    drop(second);
    assert_eq!(c.limit(50.0), before);
}

#[test]
fn latency_is_averaged_not_replaced() {
    let latency = with_latency(100);
    latency.record(Duration::from_millis(1100));
    // One slow call moves the average by 1/16 of the difference.
    assert!(
        (latency.seconds() - 0.1625).abs() < 1e-9,
        "{}",
        latency.seconds()
    );
}

#[test]
fn a_capping_ceiling_is_said_once_after_a_while_with_the_figure_to_use() {
    let c = Concurrency::new(16, 1, with_latency(100));
    let warnings: Vec<CapWarning> = (0..300).filter_map(|_| c.check(1000.0).1).collect();
    assert_eq!(warnings.len(), 1);
    let warning = &warnings[0];
    // 1000/s × 0.1 s × 1.5 + 4 = 154, rounded up to a multiple of 16.
    assert_eq!(warning.suggested, 160);
    assert_eq!(warning.needed, 100);
    let text = warning.to_string();
    assert!(text.contains("--concurrency 16 caps the rate"), "{text}");
    assert!(text.contains("--concurrency 160"), "{text}");
    assert!(
        text.contains("at 100 ms per request need about 100 in flight"),
        "{text}"
    );
}

#[test]
fn a_ceiling_that_does_not_cap_is_never_mentioned() {
    let c = Concurrency::new(256, 1, with_latency(100));
    assert!((0..300).all(|_| c.check(1000.0).1.is_none()));
    let unpaced = Concurrency::new(4, 1, with_latency(100));
    assert!((0..300).all(|_| unpaced.check(0.0).1.is_none()));
}

#[test]
fn a_passing_spike_resets_the_count_before_the_warning() {
    let c = Concurrency::new(16, 1, with_latency(100));
    for _ in 0..(CAPPED_CHECKS_BEFORE_WARNING - 1) {
        assert!(c.check(1000.0).1.is_none());
    }
    // A check at a rate the ceiling allows starts the count again.
    assert!(c.check(10.0).1.is_none());
    for _ in 0..(CAPPED_CHECKS_BEFORE_WARNING - 1) {
        assert!(c.check(1000.0).1.is_none());
    }
    assert!(c.check(1000.0).1.is_some());
}
