//! Durations as users write them in workflow files: `90s`, `45m`, `1h30m`, `2d`, `500ms`.
//!
//! Written by hand rather than with `humantime`, which reads `1M` as a month and accepts forms
//! that are easy to misread in a CI file. Units are lower case, go from largest to smallest and
//! appear at most once; a bare number is refused because `30` could mean seconds or minutes.

use std::fmt;
use std::time::Duration;

/// The longest wait anyone can ask for. Past this a runner is better replaced by the `wait`
/// pattern (start, then check from scheduled jobs).
pub const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

// The units, largest first, shared with the formatting in `crate::text` so that what is
// printed can always be read back.
use crate::text::DURATION_UNITS as UNITS;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// A number with no unit, other than `0`.
    NoUnit(String),
    /// A unit that is not one of ours (`M`, `sec`, `w`...).
    UnknownUnit(String),
    /// Units out of order or repeated (`30m1h`, `1h1h`).
    UnitOrder,
    /// Anything that is not digits followed by units.
    Malformed,
    TooLong,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::NoUnit(number) => write!(
                f,
                "'{number}' has no unit: is it {number}s (seconds) or {number}m (minutes)? \
                 Units: ms, s, m, h, d"
            ),
            DurationError::UnknownUnit(unit) => write!(
                f,
                "unknown unit '{unit}': use ms, s, m, h or d (lower case), like 90s, 45m, 1h30m or 2d"
            ),
            DurationError::UnitOrder => {
                f.write_str("units must go from largest to smallest, each at most once, like 1h30m")
            }
            DurationError::Malformed => {
                f.write_str("expected a number with a unit, like 500ms, 90s, 45m, 1h30m or 2d")
            }
            DurationError::TooLong => f.write_str("at most 7d"),
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses a duration. `0` alone means zero; everything else needs units.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    if input == "0" {
        return Ok(Duration::ZERO);
    }
    if input.is_empty() {
        return Err(DurationError::Malformed);
    }
    if input.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(DurationError::NoUnit(input.to_owned()));
    }

    let mut total_ms: u64 = 0;
    // Index into UNITS of the next unit allowed: each unit must come after the previous one.
    let mut next_unit = 0;
    let mut rest = input;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(DurationError::Malformed);
        }
        let (number, after_number) = rest.split_at(digits);
        let unit_len = after_number
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after_number.len());
        let (unit, after_unit) = after_number.split_at(unit_len);
        if unit.is_empty() {
            return Err(DurationError::Malformed);
        }
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(if unit.chars().all(|c| c.is_ascii_alphabetic()) {
                DurationError::UnknownUnit(unit.to_owned())
            } else {
                DurationError::Malformed
            });
        };
        if index < next_unit {
            return Err(DurationError::UnitOrder);
        }
        next_unit = index + 1;

        // Any number with more digits than fit is far past the limit anyway.
        let value: u64 = number.parse().map_err(|_| DurationError::TooLong)?;
        let part = value
            .checked_mul(UNITS[index].1)
            .ok_or(DurationError::TooLong)?;
        total_ms = total_ms.checked_add(part).ok_or(DurationError::TooLong)?;
        rest = after_unit;
    }

    let duration = Duration::from_millis(total_ms);
    if duration > MAX_DURATION {
        return Err(DurationError::TooLong);
    }
    Ok(duration)
}

pub use crate::text::{format_duration, format_elapsed};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(input: &str) -> Duration {
        parse_duration(input).unwrap_or_else(|e| panic!("{input}: {e}"))
    }

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("90s"), Duration::from_secs(90));
        assert_eq!(ok("45m"), Duration::from_secs(45 * 60));
        assert_eq!(ok("2h"), Duration::from_secs(7200));
        assert_eq!(ok("1h30m"), Duration::from_secs(5400));
        assert_eq!(ok("2d"), Duration::from_secs(2 * 86400));
        assert_eq!(ok("500ms"), Duration::from_millis(500));
        assert_eq!(ok("1m30s500ms"), Duration::from_millis(90_500));
        assert_eq!(ok("7d"), MAX_DURATION);
        assert_eq!(ok("0s"), Duration::ZERO);
    }

    #[test]
    fn refuses_what_is_ambiguous_or_wrong() {
        assert_eq!(
            parse_duration("30"),
            Err(DurationError::NoUnit("30".into()))
        );
        assert_eq!(
            parse_duration("1M"),
            Err(DurationError::UnknownUnit("M".into()))
        );
        assert_eq!(
            parse_duration("2w"),
            Err(DurationError::UnknownUnit("w".into()))
        );
        assert_eq!(parse_duration("30m1h"), Err(DurationError::UnitOrder));
        assert_eq!(parse_duration("1h1h"), Err(DurationError::UnitOrder));
        assert_eq!(parse_duration("8d"), Err(DurationError::TooLong));
        assert_eq!(parse_duration("7d1ms"), Err(DurationError::TooLong));
        assert_eq!(
            parse_duration("99999999999999999999999s"),
            Err(DurationError::TooLong)
        );
        for malformed in ["", "s", "-5s", "1.5h", "1h 30m", " 5s", "5s ", "h1", "1h-"] {
            assert!(parse_duration(malformed).is_err(), "{malformed:?} accepted");
        }
    }

    #[test]
    fn no_unit_message_suggests_units() {
        let message = DurationError::NoUnit("30".into()).to_string();
        assert!(
            message.contains("30s") && message.contains("30m"),
            "{message}"
        );
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(format_elapsed(Duration::from_millis(192_345)), "3m12s");
        assert_eq!(format_elapsed(Duration::from_millis(450)), "450ms");
    }

    proptest! {
        #[test]
        fn never_panics(input in "\\PC{0,40}") {
            let _ = parse_duration(&input);
        }

        #[test]
        fn never_panics_on_near_misses(input in "[0-9]{0,25}(ms|s|m|h|d|M|x)?[0-9]{0,5}(ms|s|m|h|d)?") {
            let _ = parse_duration(&input);
        }

        #[test]
        fn format_then_parse_round_trips(ms in 0u64..=7 * 24 * 3600 * 1000) {
            let duration = Duration::from_millis(ms);
            prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }

        #[test]
        fn result_never_exceeds_the_limit(input in "([0-9]{1,4}(d|h|m|s|ms)){1,5}") {
            if let Ok(duration) = parse_duration(&input) {
                prop_assert!(duration <= MAX_DURATION);
            }
        }
    }
}
