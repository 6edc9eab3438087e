//! Retry policy: which failures are retried, and how long to wait.

use std::sync::Mutex;
use std::time::Duration;

use ews_types::m::ResponseCode;

use crate::error::{Error, ErrorKind};

/// Retry policy: which failures are retried, and how long to wait.
///
/// Retries are bounded by a total deadline per call, not only by a count. Waits honour the
/// server's hint (`BackOffMilliseconds` in a fault or response message, `Retry-After` on 503
/// and 429), clamped to `[floor, cap]` with added jitter; without a hint the wait doubles from
/// `base`. Only reads, and requests the server provably never received, are retried: a write
/// that failed after it was sent is reported with [`crate::Error::outcome_unknown`].
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub(crate) enabled: bool,
    pub(crate) deadline: Duration,
    pub(crate) floor: Duration,
    pub(crate) cap: Duration,
    pub(crate) base: Duration,
    pub(crate) jitter: f64,
    pub(crate) max_attempts: u32,
}

impl Default for RetryPolicy {
    /// Retries within 5 minutes per call; waits between 1 s and 5 min; 2 s doubling without a
    /// hint; up to 20 % jitter; at most 10 attempts.
    fn default() -> Self {
        RetryPolicy {
            enabled: true,
            deadline: Duration::from_secs(300),
            floor: Duration::from_secs(1),
            cap: Duration::from_secs(300),
            base: Duration::from_secs(2),
            jitter: 0.2,
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// Never retry: every failure is returned at once (hints stay on the error).
    pub fn none() -> Self {
        RetryPolicy {
            enabled: false,
            ..RetryPolicy::default()
        }
    }

    /// Total time a call may spend, waits included. A server hint that would end past the
    /// deadline fails the call at once with [`ErrorKind::Throttled`].
    pub fn deadline(mut self, d: Duration) -> Self {
        self.deadline = d;
        self
    }

    /// Shortest wait (servers may suggest 0 ms; default 1 s).
    pub fn floor(mut self, d: Duration) -> Self {
        self.floor = d;
        self
    }

    /// Longest single wait (default 5 min).
    pub fn cap(mut self, d: Duration) -> Self {
        self.cap = d;
        self
    }

    /// First wait when the server gives no hint; doubles each attempt (default 2 s).
    pub fn base(mut self, d: Duration) -> Self {
        self.base = d;
        self
    }

    /// Jitter as a fraction of the wait, added on top (default 0.2; 0 disables).
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction.clamp(0.0, 1.0);
        self
    }

    /// Most attempts per call, the first included (default 10).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The wait before attempt `attempt + 1`, from the error's hint or the doubling schedule,
    /// clamped to `[floor, cap]`, before jitter.
    pub(crate) fn wait(&self, err: &Error, attempt: u32) -> Duration {
        let w = err.retry_after().unwrap_or_else(|| {
            let factor = 1u32
                .checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX);
            self.base.saturating_mul(factor)
        });
        w.clamp(self.floor, self.cap.max(self.floor))
    }

    pub(crate) fn with_jitter(&self, w: Duration, rng: &Mutex<fastrand::Rng>) -> Duration {
        if self.jitter <= 0.0 {
            return w;
        }
        let f = rng.lock().expect("rng lock").f64() * self.jitter;
        w + w.mul_f64(f)
    }
}

/// Whether the client may resend after `err`: the error is transient and the server cannot
/// have acted on the request (a read, or nothing was sent, or the server said so).
pub(crate) fn retryable(err: &Error, read: bool, not_processed: bool) -> bool {
    if !err.is_transient() {
        return false;
    }
    if matches!(
        err.response_code(),
        Some(ResponseCode::ErrorMailboxMoveInProgress)
    ) {
        return false; // minutes to hours: the caller reschedules
    }
    match err.kind() {
        ErrorKind::Connect => true,
        ErrorKind::Timeout | ErrorKind::Transport => read,
        // The server answered with a refusal for the whole request: nothing was processed.
        ErrorKind::Fault | ErrorKind::Http | ErrorKind::Redirect => true,
        ErrorKind::Response => not_processed,
        _ => false,
    }
}

/// Parses a `BackOffMilliseconds` value, tolerating junk: negative, non-numeric or huge values
/// give `None` or a saturated duration, never a panic.
pub(crate) fn parse_back_off(text: &str) -> Option<Duration> {
    let t = text.trim();
    let digits: String = t
        .chars()
        .skip_while(|c| !c.is_ascii_digit() && *c != '-')
        .collect();
    if digits.starts_with('-') {
        return Some(Duration::ZERO);
    }
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    Some(match digits.parse::<u64>() {
        Ok(ms) => Duration::from_millis(ms),
        Err(_) => Duration::MAX,
    })
}

/// Parses `Retry-After`: delta seconds, or an HTTP date.
pub(crate) fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate(v)?;
    let now = std::time::SystemTime::now();
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form servers send.
fn httpdate(v: &str) -> Option<std::time::SystemTime> {
    let parts: Vec<&str> = v.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, mi, s] = hms[..] else { return None };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + s;
    let secs = u64::try_from(secs).ok()?;
    Some(std::time::UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_values_never_panic() {
        assert_eq!(
            parse_back_off("297749"),
            Some(Duration::from_millis(297_749))
        );
        assert_eq!(parse_back_off(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_back_off("-5"), Some(Duration::ZERO));
        assert_eq!(parse_back_off("soon"), None);
        assert_eq!(parse_back_off(""), None);
        // davmail's parsing bug glued the name to the value.
        assert_eq!(
            parse_back_off("BackOffMilliseconds178510"),
            Some(Duration::from_millis(178_510))
        );
        assert_eq!(
            parse_back_off("9223372036854775808000"),
            Some(Duration::MAX)
        );
    }

    #[test]
    fn waits_are_clamped() {
        let p = RetryPolicy::default();
        let mut e = Error::new(ErrorKind::Fault, "");
        e.inner_mut().retry_after = Some(Duration::ZERO);
        assert_eq!(p.wait(&e, 1), Duration::from_secs(1), "floor");
        e.inner_mut().retry_after = Some(Duration::MAX);
        assert_eq!(p.wait(&e, 1), Duration::from_secs(300), "cap");
        e.inner_mut().retry_after = None;
        assert_eq!(p.wait(&e, 1), Duration::from_secs(2));
        assert_eq!(p.wait(&e, 3), Duration::from_secs(8), "doubles");
        assert_eq!(p.wait(&e, 200), Duration::from_secs(300), "no overflow");
    }

    #[test]
    fn retry_after_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        let t = httpdate("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
            784_111_777
        );
        assert_eq!(parse_retry_after("whenever"), None);
    }
}
