//! The pacer and the adaptive rate under paused tokio time: spacing, and a
//! simulated Cognito quota (a token bucket with burst Q/5, as the emulator
//! and real Cognito behave) that the rate must settle on or climb to.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::*;

#[tokio::test(start_paused = true)]
async fn starts_are_spaced_by_the_rate() {
    let pacer = Pacer::fixed(10.0);
    let start = Instant::now();
    for _ in 0..11 {
        pacer.acquire().await;
    }
    // 11 starts at 10/s: the first at once, the last 1 s later.
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn zero_rate_is_unpaced() {
    let pacer = Pacer::fixed(0.0);
    let start = Instant::now();
    for _ in 0..100 {
        pacer.acquire().await;
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[test]
fn a_throttle_cuts_once_per_cooldown_to_the_measured_quota() {
    let t0 = Instant::now();
    let mut rate = AdaptiveRate::new(
        RateSettings {
            initial: 50.0,
            max: 100.0,
            adaptive: true,
        },
        t0,
    );
    // 2 s at 50/s of which 30/s were accepted.
    for i in 0..100u64 {
        let at = t0 + Duration::from_millis(20 * i);
        rate.on_send(at);
        if i % 5 < 3 {
            rate.on_accepted(at);
        }
    }
    let now = t0 + Duration::from_secs(2);
    rate.on_throttled(now);
    let ceiling = rate.ceiling().expect("a ceiling");
    assert!((25.0..=32.0).contains(&ceiling), "ceiling {ceiling}");
    assert!((rate.rate() - CUT * ceiling).abs() < 1e-9);
    let after_first = rate.rate();
    rate.on_throttled(now + Duration::from_millis(500));
    assert_eq!(
        rate.rate(),
        after_first,
        "an echo within the cooldown is ignored"
    );
}

#[test]
fn fixed_rate_ignores_throttling() {
    let t0 = Instant::now();
    let mut rate = AdaptiveRate::new(
        RateSettings {
            initial: 50.0,
            max: 50.0,
            adaptive: false,
        },
        t0,
    );
    rate.on_throttled(t0 + Duration::from_secs(5));
    assert_eq!(rate.current(t0 + Duration::from_secs(60)), 50.0);
}

/// A simulated quota: token bucket in paused time.
struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn take(&mut self, now: Instant) -> bool {
        let dt = now.duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct Outcome {
    goodput: f64,
    throttled_share: f64,
}

/// `workers` requests in flight, each answered after `latency`; throttled
/// requests are retried after a jittered 0–250 ms (the first backoff step).
async fn simulate(
    quota: f64,
    settings: RateSettings,
    workers: usize,
    latency: Duration,
    seconds: u64,
) -> Outcome {
    let pacer = Arc::new(Pacer::new(settings));
    let bucket = Arc::new(Mutex::new(Bucket {
        rate: quota,
        capacity: quota / 5.0,
        tokens: quota / 5.0,
        last: Instant::now(),
    }));
    let accepted = Arc::new(AtomicU64::new(0));
    let throttled = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let (pacer, bucket, accepted, throttled) = (
            Arc::clone(&pacer),
            Arc::clone(&bucket),
            Arc::clone(&accepted),
            Arc::clone(&throttled),
        );
        tasks.push(tokio::spawn(async move {
            // A fixed pseudo-random sequence keeps the simulation repeatable.
            let mut seed = 0x9e37_79b9_u64.wrapping_mul(worker as u64 + 1);
            while Instant::now() < end {
                pacer.acquire().await;
                let ok = bucket.lock().expect("bucket").take(Instant::now());
                tokio::time::sleep(latency).await;
                if ok {
                    accepted.fetch_add(1, Ordering::Relaxed);
                    pacer.on_accepted();
                } else {
                    throttled.fetch_add(1, Ordering::Relaxed);
                    pacer.on_throttled();
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    tokio::time::sleep(Duration::from_millis((seed >> 33) % 250)).await;
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("worker");
    }
    let accepted = accepted.load(Ordering::Relaxed) as f64;
    let throttled = throttled.load(Ordering::Relaxed) as f64;
    Outcome {
        goodput: accepted / seconds as f64,
        throttled_share: throttled / (accepted + throttled),
    }
}

fn adaptive(initial: f64, max: f64) -> RateSettings {
    RateSettings {
        initial,
        max,
        adaptive: true,
    }
}

#[tokio::test(start_paused = true)]
async fn settles_near_a_quota_below_the_rate() {
    for quota in [30.0, 50.0] {
        let o = simulate(
            quota,
            adaptive(50.0, 100.0),
            16,
            Duration::from_millis(30),
            120,
        )
        .await;
        println!(
            "quota {quota}: goodput {:.1}/s, throttled {:.2}%",
            o.goodput,
            100.0 * o.throttled_share
        );
        assert!(
            o.goodput >= 0.95 * quota,
            "quota {quota}: goodput {}",
            o.goodput
        );
        assert!(
            o.throttled_share <= 0.03,
            "quota {quota}: throttled {}",
            o.throttled_share
        );
    }
}

#[tokio::test(start_paused = true)]
async fn keeps_a_high_quota_busy() {
    let o = simulate(
        500.0,
        adaptive(500.0, 1000.0),
        64,
        Duration::from_millis(30),
        60,
    )
    .await;
    println!(
        "quota 500: goodput {:.1}/s, throttled {:.2}%",
        o.goodput,
        100.0 * o.throttled_share
    );
    assert!(o.goodput >= 0.95 * 500.0, "goodput {}", o.goodput);
    assert!(o.throttled_share <= 0.03, "throttled {}", o.throttled_share);
}

#[tokio::test(start_paused = true)]
async fn climbs_to_a_quota_above_the_rate() {
    // 50/s start, quota 100/s: probing finds it (measured over the last minute).
    let settings = adaptive(50.0, 200.0);
    let pacer = Pacer::new(settings);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        pacer.acquire().await;
        pacer.on_accepted();
    }
    assert!(
        pacer.rate() >= 100.0,
        "rate after a minute without throttling: {}",
        pacer.rate()
    );
    let o = simulate(100.0, settings, 16, Duration::from_millis(30), 180).await;
    println!(
        "quota 100 from 50: goodput {:.1}/s, throttled {:.2}%",
        o.goodput,
        100.0 * o.throttled_share
    );
    assert!(o.goodput >= 0.85 * 100.0, "goodput {}", o.goodput);
}

#[tokio::test(start_paused = true)]
async fn fixed_rate_overshoots_where_adaptive_does_not() {
    let fixed = simulate(
        30.0,
        RateSettings {
            initial: 50.0,
            max: 50.0,
            adaptive: false,
        },
        16,
        Duration::from_millis(30),
        60,
    )
    .await;
    assert!(
        fixed.throttled_share > 0.2,
        "fixed 50/s against 30/s is throttled a lot: {}",
        fixed.throttled_share
    );
}
