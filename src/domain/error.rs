//! The one error type at the edge of the app: what went wrong, in terms a response can be made of.

use std::fmt;

use super::listing::FieldError;

#[derive(Debug)]
pub enum AppError {
    /// No such page or resource (also: one the caller may not see).
    NotFound,
    /// The request is malformed; each field says what is wrong with it.
    Invalid(Vec<FieldError>),
    /// A missing or wrong signature or credential (webhooks).
    Unauthorized,
    /// The method is not allowed on this path.
    MethodNotAllowed,
    /// Something failed on our side. The message is for the log, never for the client.
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Invalid(_) => 400,
            AppError::Unauthorized => 401,
            AppError::MethodNotAllowed => 405,
            AppError::Internal(_) => 500,
        }
    }

    /// Stable machine-readable code for the JSON API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Invalid(_) => "invalid_parameters",
            AppError::Unauthorized => "unauthorized",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Internal(_) => "internal_error",
        }
    }

    pub fn internal(context: &str, cause: impl fmt::Display) -> AppError {
        AppError::Internal(format!("{context}: {cause}"))
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::NotFound => f.write_str("not found"),
            AppError::Invalid(errors) => write!(f, "invalid request ({} fields)", errors.len()),
            AppError::MethodNotAllowed => f.write_str("method not allowed"),
            AppError::Unauthorized => f.write_str("unauthorized"),
            AppError::Internal(message) => write!(f, "internal error: {message}"),
        }
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(errors: Vec<FieldError>) -> Self {
        AppError::Invalid(errors)
    }
}
