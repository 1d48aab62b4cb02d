//! Time helpers: the store keeps epoch milliseconds; the API shows ISO 8601 UTC with
//! milliseconds (`2026-11-26T03:51:59.123Z`) and accepts either form as input.

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Formats epoch milliseconds exactly as the contract wants: `2026-11-26T03:51:59.123Z`.
pub fn format_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an instant given as epoch milliseconds or as ISO 8601 / RFC 3339.
pub fn parse_instant(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        // Refuse values outside what chrono can show, so that every stored instant formats.
        return DateTime::<Utc>::from_timestamp_millis(ms).map(|_| ms);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    // ISO 8601 without an offset is taken as UTC.
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_millis_and_z() {
        assert_eq!(format_ms(1_795_665_119_123), "2026-11-26T03:51:59.123Z");
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn parses_both_forms() {
        assert_eq!(parse_instant("1795665119123"), Some(1_795_665_119_123));
        assert_eq!(
            parse_instant("2026-11-26T03:51:59.123Z"),
            Some(1_795_665_119_123)
        );
        assert_eq!(
            parse_instant("2026-11-26T04:51:59.123+01:00"),
            Some(1_795_665_119_123)
        );
        assert_eq!(
            parse_instant("2026-11-26T03:51:59.123"),
            Some(1_795_665_119_123)
        );
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_instant("99999999999999999"), None);
    }
}
