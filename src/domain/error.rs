//! The one error type at the edge of the app: what went wrong, in terms a response can be made of.
//! Each area's use cases have typed errors of their own (`CartError`, `NoticeError`, …) that convert
//! into it; `routes::http` turns it into a response in one place (an HTML page in the visitor's
//! language, or the API's JSON envelope), and logs the cause of an internal one.

use std::fmt;

use super::listing::FieldError;

#[derive(Debug)]
pub enum AppError {
    /// No such page or resource (also: one the caller may not see).
    NotFound,
    /// The request is malformed; each field says what is wrong with it.
    Invalid(Vec<FieldError>),
    /// The request is well formed but names what does not exist or does not belong together (a
    /// ward of another province): 422, each field saying which.
    Unprocessable(Vec<FieldError>),
    /// A missing or wrong signature or credential (webhooks, tokens).
    Unauthorized,
    /// Understood and refused: the caller may not do this (a role, a foreign form, a state).
    Forbidden(Refusal),
    /// The method is not allowed on this path.
    MethodNotAllowed,
    /// The request body is larger than the route reads (`max` bytes).
    PayloadTooLarge { max: usize },
    /// The request is valid but the resource's state does not allow it now (stock, a used code).
    Conflict(Refusal),
    /// Too many attempts; the caller may try again after this many seconds.
    TooManyRequests { retry_after: i64 },
    /// Something failed on our side. The cause is for the log, never for the client.
    Internal(Cause),
}

/// Why a request was refused: a stable code for programs and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal { code, message: message.into() }
    }
}

/// What failed inside, outermost context first (`"checkout" → "database" → "UNIQUE constraint …"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    chain: Vec<String>,
}

impl Cause {
    pub fn new(context: impl Into<String>) -> Cause {
        Cause { chain: vec![context.into()] }
    }

    /// A context and the error it wraps, with that error's own sources.
    pub fn wrap(context: &str, error: &(dyn std::error::Error + 'static)) -> Cause {
        let mut chain = vec![context.to_string(), error.to_string()];
        let mut source = error.source();
        while let Some(e) = source {
            chain.push(e.to_string());
            source = e.source();
        }
        Cause { chain }
    }

    /// Adds an outer context.
    pub fn context(mut self, context: &str) -> Cause {
        self.chain.insert(0, context.to_string());
        self
    }

    pub fn chain(&self) -> &[String] {
        &self.chain
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.chain.join(": "))
    }
}

impl From<String> for Cause {
    fn from(message: String) -> Self {
        Cause { chain: vec![message] }
    }
}

impl From<&str> for Cause {
    fn from(message: &str) -> Self {
        Cause::new(message)
    }
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Invalid(_) => 400,
            AppError::Unprocessable(_) => 422,
            AppError::Unauthorized => 401,
            AppError::Forbidden(_) => 403,
            AppError::MethodNotAllowed => 405,
            AppError::PayloadTooLarge { .. } => 413,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests { .. } => 429,
            AppError::Internal(_) => 500,
        }
    }

    /// Stable machine-readable code for the JSON API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Invalid(_) => "invalid_parameters",
            AppError::Unprocessable(_) => "unprocessable",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(r) | AppError::Conflict(r) => r.code,
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// An internal failure: what we were doing and what failed.
    pub fn internal(context: &str, cause: impl fmt::Display) -> AppError {
        AppError::Internal(Cause { chain: vec![context.to_string(), cause.to_string()] })
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Forbidden(Refusal::new(code, message))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Conflict(Refusal::new(code, message))
    }

    /// The cause of an internal error, for the log.
    pub fn cause(&self) -> Option<&Cause> {
        match self {
            AppError::Internal(cause) => Some(cause),
            _ => None,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::NotFound => f.write_str("not found"),
            AppError::Invalid(errors) => write!(f, "invalid request ({} fields)", errors.len()),
            AppError::Unprocessable(errors) => write!(f, "unprocessable request ({} fields)", errors.len()),
            AppError::Unauthorized => f.write_str("unauthorized"),
            AppError::Forbidden(r) => write!(f, "forbidden ({})", r.code),
            AppError::MethodNotAllowed => f.write_str("method not allowed"),
            AppError::PayloadTooLarge { max } => write!(f, "payload too large (over {max} bytes)"),
            AppError::Conflict(r) => write!(f, "conflict ({})", r.code),
            AppError::TooManyRequests { retry_after } => write!(f, "too many requests (retry after {retry_after} s)"),
            AppError::Internal(cause) => write!(f, "internal error: {cause}"),
        }
    }
}

impl std::error::Error for AppError {}

impl From<Vec<FieldError>> for AppError {
    fn from(errors: Vec<FieldError>) -> Self {
        AppError::Invalid(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_its_own_status_and_code() {
        assert_eq!(AppError::forbidden("role", "managers only").status(), 403);
        assert_eq!(AppError::conflict("insufficient_stock", "x").code(), "insufficient_stock");
        assert_eq!(AppError::TooManyRequests { retry_after: 3 }.status(), 429);
        assert_eq!((AppError::PayloadTooLarge { max: 16 }.status(), AppError::PayloadTooLarge { max: 16 }.code()), (413, "payload_too_large"));
    }

    #[test]
    fn an_internal_error_keeps_its_whole_cause_chain() {
        let e = AppError::Internal(Cause::from("UNIQUE constraint failed: orders.id").context("database").context("checkout"));
        assert_eq!(e.cause().map(|c| c.chain().len()), Some(3));
        assert_eq!(e.to_string(), "internal error: checkout: database: UNIQUE constraint failed: orders.id");
        assert_eq!(e.code(), "internal_error");
    }
}
