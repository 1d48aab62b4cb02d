//! When a failed delivery is tried again, and when it is given up.

use std::time::Duration;

use rand::Rng;

/// Spreads the retries of events that failed together (an endpoint down for a minute) so that
/// they do not all come back at the same instant when it returns.
const JITTER_FRACTION: f64 = 0.1;

/// The delays between attempts, the n-th one waited after the n-th failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl Default for RetrySchedule {
    /// The schedule the Standard Webhooks spec suggests: ten attempts over about three days, which
    /// rides out a weekend outage of a receiver without retrying it every minute.
    fn default() -> RetrySchedule {
        const MINUTE: u64 = 60;
        const HOUR: u64 = 60 * MINUTE;
        RetrySchedule(
            [
                5,
                5 * MINUTE,
                30 * MINUTE,
                2 * HOUR,
                5 * HOUR,
                10 * HOUR,
                14 * HOUR,
                20 * HOUR,
                24 * HOUR,
            ]
            .into_iter()
            .map(Duration::from_secs)
            .collect(),
        )
    }
}

/// Why a retry schedule given in the configuration was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error("the retry schedule is empty; give delays such as \"5s,5m,30m,2h\"")]
    Empty,
    #[error(
        "retry delay {0:?} must be a whole number followed by ms, s, m or h, such as 500ms or 5m"
    )]
    Invalid(String),
    #[error("retry delay {0:?} is too long")]
    TooLong(String),
}

impl RetrySchedule {
    /// Reads a schedule such as `5s,5m,30m,2h` from the configuration.
    pub fn parse(raw: &str) -> Result<RetrySchedule, ScheduleError> {
        if raw.trim().is_empty() {
            return Err(ScheduleError::Empty);
        }
        raw.split(',')
            .map(|item| parse_delay(item.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(RetrySchedule)
    }

    /// The number of attempts an event gets before it is given up, the first one included.
    pub fn attempts_max(&self) -> u32 {
        u32::try_from(self.0.len()).map_or(u32::MAX, |retries| retries.saturating_add(1))
    }

    /// How long to wait before the next attempt, or `None` when the event is to be given up.
    ///
    /// With no failed attempt the first attempt is due at once.
    pub fn delay_after<R: Rng + ?Sized>(
        &self,
        failed_attempts: u32,
        rng: &mut R,
    ) -> Option<Duration> {
        let Some(index) = failed_attempts.checked_sub(1) else {
            return Some(Duration::ZERO);
        };
        let delay = *self.0.get(usize::try_from(index).ok()?)?;
        let factor = rng.gen_range((1.0 - JITTER_FRACTION)..=(1.0 + JITTER_FRACTION));
        Some(delay.mul_f64(factor))
    }
}

fn parse_delay(item: &str) -> Result<Duration, ScheduleError> {
    let invalid = || ScheduleError::Invalid(item.to_owned());
    let digits_end = item
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (digits, unit) = item.split_at(digits_end);
    if digits.is_empty() {
        return Err(invalid());
    }
    let too_long = || ScheduleError::TooLong(item.to_owned());
    let value: u64 = digits.parse().map_err(|_| too_long())?;
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(invalid()),
    };
    value
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(too_long)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn default_is_the_standard_webhooks_schedule() {
        let schedule = RetrySchedule::default();
        assert_eq!(
            schedule,
            RetrySchedule::parse("5s,5m,30m,2h,5h,10h,14h,20h,24h").unwrap()
        );
        assert_eq!(schedule.attempts_max(), 10);
        let total: Duration = schedule.0.iter().sum();
        assert_eq!(total, Duration::from_secs(75 * 3600 + 35 * 60 + 5));
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let schedule = RetrySchedule::default();
        let mut rng = StdRng::seed_from_u64(7);
        for (n, base) in (1u32..).zip(schedule.0.clone()) {
            let (mut lowest, mut highest) = (Duration::MAX, Duration::ZERO);
            for _ in 0..1000 {
                let delay = schedule.delay_after(n, &mut rng).unwrap();
                lowest = lowest.min(delay);
                highest = highest.max(delay);
            }
            assert!(lowest >= base.mul_f64(0.9), "attempt {n}: {lowest:?}");
            assert!(highest <= base.mul_f64(1.1), "attempt {n}: {highest:?}");
            // The jitter does spread: not every draw is the same.
            assert!(highest - lowest > base.mul_f64(0.1), "attempt {n}");
        }
    }

    #[test]
    fn gives_up_once_the_schedule_is_exhausted() {
        let schedule = RetrySchedule::parse("1s,2s").unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(schedule.attempts_max(), 3);
        assert_eq!(schedule.delay_after(0, &mut rng), Some(Duration::ZERO));
        assert!(schedule.delay_after(1, &mut rng).is_some());
        assert!(schedule.delay_after(2, &mut rng).is_some());
        assert_eq!(schedule.delay_after(3, &mut rng), None);
        assert_eq!(schedule.delay_after(u32::MAX, &mut rng), None);
    }

    #[test]
    fn parse_units_and_spaces() {
        assert_eq!(
            RetrySchedule::parse(" 250ms, 5s ,5m,2h").unwrap(),
            RetrySchedule(vec![
                Duration::from_millis(250),
                Duration::from_secs(5),
                Duration::from_secs(300),
                Duration::from_secs(7200),
            ])
        );
    }

    #[test]
    fn parse_errors() {
        let cases: &[(&str, ScheduleError)] = &[
            ("", ScheduleError::Empty),
            ("  ", ScheduleError::Empty),
            ("5", ScheduleError::Invalid("5".into())),
            ("5s,", ScheduleError::Invalid("".into())),
            ("5s,,5m", ScheduleError::Invalid("".into())),
            ("s", ScheduleError::Invalid("s".into())),
            ("5d", ScheduleError::Invalid("5d".into())),
            ("-5s", ScheduleError::Invalid("-5s".into())),
            ("1.5h", ScheduleError::Invalid("1.5h".into())),
            ("5 s", ScheduleError::Invalid("5 s".into())),
            (
                "99999999999999999999h",
                ScheduleError::TooLong("99999999999999999999h".into()),
            ),
            (
                "9999999999999999h",
                ScheduleError::TooLong("9999999999999999h".into()),
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(RetrySchedule::parse(raw).unwrap_err(), *expected, "{raw:?}");
        }
        assert_eq!(
            RetrySchedule::parse("5d").unwrap_err().to_string(),
            "retry delay \"5d\" must be a whole number followed by ms, s, m or h, such as 500ms or 5m"
        );
    }
}
