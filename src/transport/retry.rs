//! The retry policy, in one place: which failures are worth another try, how long to wait before
//! it, and how `Retry-After` is read. The loop that applies it is [`super::http::HttpClient::send`].

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The first back-off, and the floor of every pause, whatever the service asks: a
    /// `Retry-After: 0` (or a date in the past) must not turn into a flood of requests.
    pub initial: Duration,
    /// No back-off is longer than this.
    pub max: Duration,
    /// How many times one call is sent at most, first try included, however much time is left:
    /// a service that keeps answering 429 ends the call in bounded requests, not at the limit.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            max_attempts: 5,
        }
    }
}

impl RetryPolicy {
    /// The back-off before retry number `attempt` (0-based): `initial * 2^attempt`, capped at
    /// `max`, with "equal jitter" (half fixed, half random) so that many jobs retrying together
    /// spread out; never less than `initial` (then with up to a quarter of it at random).
    pub fn backoff(&self, attempt: u32, random_unit: f64) -> Duration {
        let random_unit = random_unit.clamp(0.0, 1.0);
        let exponential = self
            .initial
            .checked_mul(2u32.saturating_pow(attempt.min(20)))
            .unwrap_or(self.max)
            .min(self.max);
        let half = exponential / 2;
        let jittered = half + half.mul_f64(random_unit);
        if jittered <= self.initial {
            self.initial + (self.initial / 4).mul_f64(random_unit)
        } else {
            jittered
        }
    }

    /// The pause before the next try: the service's hint when it asks for longer than the
    /// back-off, else the back-off. A hint can lengthen a pause, never shorten it.
    pub fn delay(&self, attempt: u32, hint: Option<Duration>) -> Duration {
        let backoff = self.backoff(attempt, fastrand::f64());
        hint.map_or(backoff, |hint| hint.max(backoff))
    }

    /// Whether a call that has been sent `sent` times may be sent again.
    pub fn may_retry(&self, sent: u32) -> bool {
        sent < self.max_attempts
    }
}

/// Statuses that say "try again later": the request was not acted on, or the gateway failed.
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Statuses after which the request certainly was not carried out, so even a non-idempotent
/// request may be sent again: throttled (429). Not 408: some gateways answer it after passing
/// the request on.
pub fn is_not_processed_status(status: u16) -> bool {
    status == 429
}

/// How long the service asks us to wait: `retry-after-ms` / `x-ms-retry-after-ms` (milliseconds),
/// else `Retry-After` as seconds or an HTTP date (a date in the past means now).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    retry_after_unbounded(headers, now).map(|hint| hint.min(MAX_HINT))
}

/// No pause the service asks for is taken as longer than a week (the longest time limit a run
/// can have): the wait is bounded by the time limit anyway, and a hostile value must not
/// overflow the clock.
const MAX_HINT: Duration = Duration::from_secs(7 * 24 * 3600);

fn retry_after_unbounded(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    };
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = header(name).and_then(|value| value.parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let value = header("retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("valid header"));
        }
        map
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(0, 0.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(0, 1.0), Duration::from_millis(1250));
        assert_eq!(policy.backoff(1, 0.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(1, 1.0), Duration::from_secs(2));
        assert_eq!(policy.backoff(3, 0.0), Duration::from_secs(4));
        assert_eq!(policy.backoff(3, 1.0), Duration::from_secs(8));
        assert_eq!(policy.backoff(10, 0.0), Duration::from_secs(30));
        assert_eq!(policy.backoff(u32::MAX, 1.0), Duration::from_secs(60));
    }

    #[test]
    fn a_hint_lengthens_a_pause_but_never_shortens_it_below_the_floor() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(20))),
            Duration::from_secs(20)
        );
        // Retry-After: 0, a date in the past, retry-after-ms: 0: the back-off still applies,
        // and grows with the attempts.
        for attempt in 0..12 {
            let lowest = policy.backoff(attempt, 0.0);
            let highest = policy.backoff(attempt, 1.0);
            let delay = policy.delay(attempt, Some(Duration::ZERO));
            assert!(
                delay >= lowest && delay >= Duration::from_secs(1),
                "{delay:?}"
            );
            assert!(delay <= highest, "{delay:?}");
        }
        assert!(policy.backoff(3, 0.0) > policy.backoff(1, 1.0));
        let delay = policy.delay(2, None);
        assert!(delay >= Duration::from_secs(2) && delay <= Duration::from_secs(4));
    }

    #[test]
    fn attempts_are_capped() {
        let policy = RetryPolicy::default();
        assert!(policy.may_retry(1));
        assert!(policy.may_retry(policy.max_attempts - 1));
        assert!(!policy.may_retry(policy.max_attempts));
        assert!(!policy.may_retry(u32::MAX));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "3"), ("retry-after-ms", "250")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("x-ms-retry-after-ms", "40")]), now),
            Some(Duration::from_millis(40))
        );
        let in_ten = httpdate::fmt_http_date(now + Duration::from_secs(10));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &in_ten)]), now),
            Some(Duration::from_secs(10))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(10));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "99999999999999999999")]), now),
            None,
            "not a u64"
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "18446744073709551615")]), now),
            Some(MAX_HINT)
        );
    }

    #[test]
    fn transient_statuses() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(is_transient_status(status));
        }
        for status in [200, 400, 401, 403, 404, 409, 422, 501] {
            assert!(!is_transient_status(status));
        }
    }

    #[test]
    fn jitter_is_between_half_and_whole() {
        let policy = RetryPolicy {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(60),
            max_attempts: 5,
        };
        // (attempt, random unit) -> back-off: half fixed plus the random share of the other half,
        // or the floor (`initial` plus up to a quarter) when that is less; a random unit outside
        // 0..=1 is clamped.
        for (attempt, random, expected) in [
            (0, 0.5, Duration::from_millis(2250)),
            (1, 0.25, Duration::from_millis(2500)),
            (2, 2.0, Duration::from_secs(8)),
            (2, -1.0, Duration::from_secs(4)),
            (5, 0.0, Duration::from_secs(30)),
        ] {
            assert_eq!(
                policy.backoff(attempt, random),
                expected,
                "attempt {attempt}, random {random}"
            );
        }
        let capped = RetryPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
            max_attempts: 5,
        };
        assert_eq!(capped.backoff(3, 1.0), Duration::from_secs(8));
        assert_eq!(capped.backoff(4, 1.0), Duration::from_secs(10), "capped");
    }

    #[test]
    fn only_throttling_certainly_was_not_processed() {
        assert!(is_not_processed_status(429));
        for status in [408, 500, 502, 503, 504, 200, 400] {
            assert!(!is_not_processed_status(status), "{status}");
        }
    }

    #[test]
    fn milliseconds_headers_win_and_bad_ones_fall_through() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(
                &headers(&[("x-ms-retry-after-ms", "40"), ("retry-after", "3")]),
                now
            ),
            Some(Duration::from_millis(40))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "soon"), ("retry-after", " 3 ")]),
                now
            ),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "18446744073709551615")]), now),
            Some(MAX_HINT)
        );
    }

    #[test]
    fn a_hint_is_taken_as_at_most_a_week() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let six_days = 6 * 24 * 3600;
        assert_eq!(
            retry_after(&headers(&[("retry-after", &six_days.to_string())]), now),
            Some(Duration::from_secs(six_days)),
            "a hint shorter than a week is kept as it is"
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "99999999999")]), now),
            Some(Duration::from_secs(7 * 24 * 3600))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "18446744073709551615")]), now),
            Some(Duration::from_secs(7 * 24 * 3600))
        );
    }
}
