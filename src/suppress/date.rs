//! Calendar dates for suppression expiry (`expires: 2026-06-30`), without a date crate: a
//! proleptic Gregorian date, checked strictly, and "today" in UTC (or from
//! `CLUSTERSEC_TODAY`, so tests and reproducible runs can fix it).

/// The environment variable that sets "today" (`YYYY-MM-DD`) for expiry checks.
pub const TODAY_ENV: &str = "CLUSTERSEC_TODAY";

/// A calendar date. Ordered chronologically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// Parses `YYYY-MM-DD` exactly (four, two and two digits; a real day of a real month).
    pub fn parse(s: &str) -> Result<Date, String> {
        let bad = || format!("`{s}` is not a date: expected YYYY-MM-DD, such as 2026-06-30");
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Option<u16> {
            let part = s.get(r)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
            return Err(bad());
        };
        let month = u8::try_from(month).map_err(|_| bad())?;
        let day = u8::try_from(day).map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(format!("`{s}` is not a date: month {month} does not exist"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(format!(
                "`{s}` is not a date: {year:04}-{month:02} has no day {day}"
            ));
        }
        Ok(Date { year, month, day })
    }

    /// The date of a number of days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub fn from_unix_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: u16::try_from(year.clamp(0, 9999)).unwrap_or(9999),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }
}

/// Today in UTC, or the date `CLUSTERSEC_TODAY` gives; a malformed `CLUSTERSEC_TODAY` is an
/// error (the run stops rather than judge expiry against a guess).
pub fn today() -> Result<Date, String> {
    match std::env::var(TODAY_ENV) {
        Ok(v) => Date::parse(v.trim()).map_err(|e| format!("{TODAY_ENV}: {e}")),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("{TODAY_ENV}: not a date: expected YYYY-MM-DD"))
        }
        Err(std::env::VarError::NotPresent) => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            Ok(Date::from_unix_days(
                i64::try_from(secs / 86_400).unwrap_or(0),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_dates_only() {
        assert_eq!(
            Date::parse("2026-02-28").unwrap(),
            Date {
                year: 2026,
                month: 2,
                day: 28
            }
        );
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(Date::parse("2100-02-29").is_err());
        assert!(Date::parse("2000-02-29").is_ok());
        for bad in [
            "2026-2-28",
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "26-01-01",
            "2026/01/01",
            "2026-01-01T00:00",
            "+026-01-01",
            "2026-0a-01",
            "",
            "２０２６-01-01",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unix_days_to_dates() {
        assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(19_782).to_string(), "2024-02-29");
        assert_eq!(Date::from_unix_days(20_819).to_string(), "2027-01-01");
        assert!(Date::parse("2026-12-31").unwrap() < Date::parse("2027-01-01").unwrap());
    }
}
