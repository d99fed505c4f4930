//! The retry policy, in one place: which failures are worth another try, how long to wait before
//! it, and how `Retry-After` is read. The loop that applies it is [`super::http::HttpClient::send`].

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The first back-off; each later one doubles.
    pub initial: Duration,
    /// No back-off is longer than this.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The back-off before retry number `attempt` (0-based): `initial * 2^attempt`, capped, with
    /// "equal jitter" (half fixed, half random) so that many jobs retrying together spread out.
    pub fn backoff(&self, attempt: u32, random_unit: f64) -> Duration {
        let exponential = self
            .initial
            .checked_mul(2u32.saturating_pow(attempt.min(20)))
            .unwrap_or(self.max)
            .min(self.max);
        let half = exponential / 2;
        half + half.mul_f64(random_unit.clamp(0.0, 1.0))
    }

    /// The pause before the next try: the service's hint when it gave one, else the back-off.
    pub fn delay(&self, attempt: u32, hint: Option<Duration>) -> Duration {
        hint.unwrap_or_else(|| self.backoff(attempt, fastrand::f64()))
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
        assert_eq!(policy.backoff(0, 0.0), Duration::from_millis(500));
        assert_eq!(policy.backoff(0, 1.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(3, 1.0), Duration::from_secs(8));
        assert_eq!(policy.backoff(10, 1.0), Duration::from_secs(60));
        assert_eq!(policy.backoff(u32::MAX, 1.0), Duration::from_secs(60));
        assert_eq!(policy.backoff(10, 0.0), Duration::from_secs(30));
    }

    #[test]
    fn hint_wins_over_backoff() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(5, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        let delay = policy.delay(1, None);
        assert!(delay >= Duration::from_secs(1) && delay <= Duration::from_secs(2));
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
}
