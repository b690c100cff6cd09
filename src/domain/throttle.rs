//! Slowing down abuse: the per-account sign-in delay after repeated failures, and the rate limits per
//! client and action that the rate-limit Durable Object enforces (a sliding pair of fixed windows).

use serde::{Deserialize, Serialize};

/// Failures allowed before sign-in to that account slows down.
pub const FREE_FAILURES: i64 = 5;
/// The wait after the first failure past the free ones; it doubles with each further failure.
pub const FIRST_DELAY: i64 = 30;
/// Doublings counted at most (the wait is capped by [`MAX_DELAY`] well before).
pub const MAX_DOUBLINGS: i64 = 10;
/// The longest wait between two attempts on one account.
pub const MAX_DELAY: i64 = 15 * 60;

/// Seconds the account must wait after `failures` failures: none for the first few, then 30 s,
/// doubling with each further failure, at most 15 minutes. (`app::sign_in` states the same rule in
/// SQL, tested against this.)
pub fn login_delay(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(MAX_DOUBLINGS) as u32;
    (FIRST_DELAY << doublings).min(MAX_DELAY)
}

/// How long until the account may try again, if it must wait.
pub fn login_retry_after(failures: i64, last_at: i64, now: i64) -> Option<i64> {
    let wait = login_delay(failures) - (now - last_at);
    (wait > 0).then_some(wait)
}

/// An action's limit: at most `limit` requests per `window` seconds per client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub limit: i64,
    pub window: i64,
}

/// What the shop limits, per client (IP) and action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Login,
    SignUp,
    PasswordReset,
    Checkout,
    /// Issuing API tokens for an email and password (`POST /api/v1/auth/token`).
    Token,
    /// Rotating (and revoking) API refresh tokens.
    TokenRefresh,
    /// Writing reviews (and asking questions).
    Reviews,
    /// "Helpful" votes and abuse reports on reviews: 30 an hour per client.
    ReviewVotes,
    /// Finding an order by its number and phone or email (`/orders/lookup`): few tries, so the
    /// form cannot be used to guess pairs.
    OrderLookup,
    /// Requests made with one API key (counted per key, not per client address).
    ApiKey,
    /// Signing an address up for alerts or the newsletter: each can mail a stranger, so few.
    Subscribe,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::SignUp => "signup",
            Action::PasswordReset => "password_reset",
            Action::Checkout => "checkout",
            Action::Token => "token",
            Action::TokenRefresh => "token_refresh",
            Action::Reviews => "reviews",
            Action::ReviewVotes => "review_votes",
            Action::OrderLookup => "order_lookup",
            Action::ApiKey => "api_key",
            Action::Subscribe => "subscribe",
        }
    }

    pub fn limit(self) -> Limit {
        match self {
            Action::Login => Limit { limit: 10, window: 60 },
            Action::SignUp => Limit { limit: 5, window: 600 },
            Action::PasswordReset => Limit { limit: 5, window: 600 },
            Action::Checkout => Limit { limit: 20, window: 60 },
            Action::Token => Limit { limit: 10, window: 60 },
            Action::TokenRefresh => Limit { limit: 30, window: 60 },
            Action::Reviews => Limit { limit: 5, window: 600 },
            Action::ReviewVotes => Limit { limit: 30, window: 3600 },
            Action::OrderLookup => Limit { limit: 10, window: 600 },
            Action::ApiKey => Limit { limit: 120, window: 60 },
            Action::Subscribe => Limit { limit: 10, window: 600 },
        }
    }
}

/// A client's counts in the current and the previous window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    pub window_start: i64,
    pub current: i64,
    pub previous: i64,
}

impl Counter {
    /// Counts one request at `now` if the limit allows it; otherwise the seconds to wait. The
    /// previous window counts in proportion to how much of it still overlaps the last `window`
    /// seconds, so a burst at a window's edge cannot double the limit.
    pub fn hit(&mut self, now: i64, limit: Limit) -> Result<(), i64> {
        let window = limit.window.max(1);
        let start = now - now.rem_euclid(window);
        if start != self.window_start {
            self.previous = if start - self.window_start == window { self.current } else { 0 };
            self.current = 0;
            self.window_start = start;
        }
        let elapsed = now - start;
        let weighted = self.current + self.previous * (window - elapsed) / window;
        if weighted >= limit.limit {
            let retry = if self.current >= limit.limit { window - elapsed } else { 1 + (window - elapsed) / limit.limit.max(1) };
            return Err(retry.max(1));
        }
        self.current += 1;
        Ok(())
    }

    /// What is left of `limit` at `now` after the requests counted so far: the `RateLimit-*`
    /// headers of a limited API route.
    pub fn status(&self, now: i64, limit: Limit) -> RateStatus {
        let window = limit.window.max(1);
        let start = now - now.rem_euclid(window);
        let elapsed = now - start;
        let (current, previous) = if start == self.window_start {
            (self.current, self.previous)
        } else if start - self.window_start == window {
            (0, self.current)
        } else {
            (0, 0)
        };
        let weighted = current + previous * (window - elapsed) / window;
        RateStatus { limit: limit.limit, remaining: (limit.limit - weighted).max(0), reset: (window - elapsed).max(1), retry_after: None }
    }
}

/// A limited request's standing: allowed (`retry_after` none) or to wait, and what is left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateStatus {
    pub limit: i64,
    pub remaining: i64,
    /// Seconds until the current window ends.
    pub reset: i64,
    pub retry_after: Option<i64>,
}

impl RateStatus {
    /// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (IETF httpapi draft), on every
    /// answer of a limited API route, a 429 included.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        vec![("ratelimit-limit", self.limit.to_string()), ("ratelimit-remaining", self.remaining.to_string()), ("ratelimit-reset", self.reset.to_string())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_slows_down_after_five_failures_and_caps_at_fifteen_minutes() {
        assert_eq!((0..5).map(login_delay).collect::<Vec<_>>(), vec![0; 5]);
        assert_eq!(login_delay(5), 30);
        assert_eq!(login_delay(6), 60);
        assert_eq!(login_delay(9), 480);
        assert_eq!(login_delay(10), MAX_DELAY);
        assert_eq!(login_delay(1_000), MAX_DELAY);
        assert_eq!(login_retry_after(5, 100, 110), Some(20));
        assert_eq!(login_retry_after(5, 100, 130), None);
        assert_eq!(login_retry_after(4, 100, 100), None);
    }

    #[test]
    fn the_rate_limit_headers_count_down_what_is_left() {
        let limit = Limit { limit: 3, window: 60 };
        let mut c = Counter::default();
        assert_eq!(c.status(120, limit).remaining, 3);
        assert_eq!(c.hit(120, limit), Ok(()));
        assert_eq!(c.status(120, limit), RateStatus { limit: 3, remaining: 2, reset: 60, retry_after: None });
        assert_eq!(c.hit(150, limit), Ok(()));
        assert_eq!(c.hit(150, limit), Ok(()));
        assert_eq!(c.status(150, limit).remaining, 0);
        assert_eq!(c.status(150, limit).reset, 30);
        // Half the next window still counts half the previous one's three.
        assert_eq!(c.status(210, limit).remaining, 2);
        let headers = c.status(150, limit).headers();
        assert_eq!(headers, vec![("ratelimit-limit", "3".to_string()), ("ratelimit-remaining", "0".to_string()), ("ratelimit-reset", "30".to_string())]);
    }

    #[test]
    fn a_client_gets_its_limit_then_waits() {
        let limit = Limit { limit: 3, window: 60 };
        let mut c = Counter::default();
        for _ in 0..3 {
            assert_eq!(c.hit(120, limit), Ok(()));
        }
        assert_eq!(c.hit(130, limit), Err(50));
        // The next window still remembers the previous one's burst, in proportion.
        assert_eq!(c.hit(181, limit), Ok(()));
        assert!(c.hit(182, limit).is_err());
        assert_eq!(c.hit(239, limit), Ok(()));
        // A long silence forgets everything.
        assert_eq!(c.status(10_000, limit), RateStatus { limit: 3, remaining: 3, reset: 20, retry_after: None });
        let mut later = c;
        for _ in 0..3 {
            assert_eq!(later.hit(10_000, limit), Ok(()));
        }
    }
}
