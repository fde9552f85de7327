//! Dates: the `Date` header (RFC 9110 §5.6.7, IMF-fixdate) and the access
//! log's timestamps (RFC 3339, UTC), from the system clock, without a date
//! crate.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time split into civil UTC fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
    /// 0 = Sunday.
    weekday: u64,
}

/// Splits a time since the Unix epoch into civil UTC fields.
///
/// The date part is the days-to-civil algorithm of H. Hinnant's
/// "chrono-Compatible Low-Level Date Algorithms": count in 400-year eras
/// of 146,097 days, with years starting in March so that the leap day is
/// the last day of the year.
fn civil(since_epoch: Duration) -> Civil {
    let secs = since_epoch.as_secs();
    let days = (secs / 86_400) as i64;
    let of_day = secs % 86_400;
    // Shift the epoch to 0000-03-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Month counted from March = 0.
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: of_day / 3_600,
        minute: of_day % 3_600 / 60,
        second: of_day % 60,
        // 1970-01-01 was a Thursday.
        weekday: (days as u64 + 4) % 7,
    }
}

/// Time since the epoch; a clock set before 1970 counts as the epoch.
fn since_epoch(time: SystemTime) -> Duration {
    time.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn imf_fixdate(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = civil(since_epoch(time));
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[c.weekday as usize],
        c.day,
        MONTHS[c.month as usize - 1],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// The value of the `Date` header now. Formatted at most once a second
/// per thread: every response carries one.
pub(crate) fn http_date() -> String {
    thread_local! {
        /// The last second formatted, and its text.
        static LAST: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let now = SystemTime::now();
    let second = since_epoch(now).as_secs();
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != second {
            *last = (second, imf_fixdate(now));
        }
        last.1.clone()
    })
}

/// `2024-05-01T12:34:56.789Z`, for log lines. The part up to the second
/// is formatted at most once a second per thread.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    thread_local! {
        /// The last second formatted, and its text up to the seconds.
        static LAST: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let since = since_epoch(time);
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != since.as_secs() {
            let c = civil(since);
            let text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                c.year, c.month, c.day, c.hour, c.minute, c.second
            );
            *last = (since.as_secs(), text);
        }
        format!("{}.{:03}Z", last.1, since.subsec_millis())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn known_dates() {
        // RFC 9110's own example.
        assert_eq!(
            imf_fixdate(at(784_111_777)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(imf_fixdate(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        // A leap day, and the day after.
        assert_eq!(
            imf_fixdate(at(951_782_400)),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(
            imf_fixdate(at(951_868_800)),
            "Wed, 01 Mar 2000 00:00:00 GMT"
        );
        assert_eq!(
            imf_fixdate(at(1_735_689_599)),
            "Tue, 31 Dec 2024 23:59:59 GMT"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_millis(1_709_251_200_042)),
            "2024-03-01T00:00:00.042Z"
        );
    }

    #[test]
    fn every_day_for_ten_thousand_days_follows_the_previous() {
        // The oracle: step one day at a time with the plain calendar rules.
        let (mut year, mut month, mut day, mut weekday) = (1970, 1, 1, 4);
        for days in 0..10_000u64 {
            let c = civil(Duration::from_secs(days * 86_400));
            assert_eq!(
                (c.year, c.month, c.day, c.weekday),
                (year, month, day, weekday)
            );
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            let length = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            weekday = (weekday + 1) % 7;
            day += 1;
            if day > length {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
    }

    #[test]
    fn the_header_value_is_now() {
        let value = http_date();
        assert!(value.ends_with(" GMT") && value.len() == 29, "{value}");
    }
}
