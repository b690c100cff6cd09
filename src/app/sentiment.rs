//! Scoring a text on demand (`POST /internal/sentiment`): the request body read into a text within
//! the limit, then `domain::sentiment::analyze`. Sentiment only informs the shop; it never blocks or
//! hides anything.

use serde_json::Value;

use crate::domain::error::AppError;
use crate::domain::listing::{FieldError, Problem};
use crate::domain::sentiment::{analyze, Sentiment, MAX_TEXT_CHARS};

/// `{"text": "…"}` → its sentiment. A body that is not a JSON object is a 400; a missing, empty or
/// non-text `text`, or one over `MAX_TEXT_CHARS` characters, a 422 naming the field.
pub fn score_request(body: &str) -> Result<Sentiment, AppError> {
    let value: Value = serde_json::from_str(body).ok().filter(Value::is_object).ok_or_else(|| AppError::Invalid(vec![FieldError { field: "body", problem: Problem::BadValue }]))?;
    let text = match value.get("text") {
        Some(Value::String(text)) if !text.trim().is_empty() => text,
        Some(Value::String(_)) | None | Some(Value::Null) => return Err(unprocessable(Problem::Required)),
        Some(_) => return Err(unprocessable(Problem::BadValue)),
    };
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(unprocessable(Problem::TooLong { max: MAX_TEXT_CHARS }));
    }
    Ok(analyze(text))
}

fn unprocessable(problem: Problem) -> AppError {
    AppError::Unprocessable(vec![FieldError { field: "text", problem }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sentiment::{Aspect, Label};

    fn status(body: &str) -> u16 {
        score_request(body).err().map_or(200, |e| e.status())
    }

    #[test]
    fn a_text_is_scored_with_its_aspects() {
        let scored = score_request(r#"{"text": "Vải mỏng, giao hàng chậm, thất vọng."}"#).unwrap();
        assert_eq!(scored.label, Label::Negative);
        assert!(scored.score < 0.0 && scored.score >= -1.0);
        assert!(scored.aspects.iter().any(|a| a.aspect == Aspect::Delivery && a.label == Label::Negative), "{scored:?}");
        let wire = serde_json::to_value(&scored).unwrap();
        assert_eq!(wire["label"], "negative");
        assert_eq!(wire["aspects"][0]["aspect"], "material");
        assert_eq!(wire["aspects"][0]["label"], "negative");
        assert_eq!(wire["score"].as_f64(), Some(scored.score));
        assert_eq!(wire["score"].to_string().len(), scored.score.to_string().len(), "three decimals on the wire: {wire}");
    }

    #[test]
    fn a_missing_empty_or_overlong_text_is_unprocessable() {
        for body in [r#"{}"#, r#"{"text": null}"#, r#"{"text": ""}"#, r#"{"text": "   \n "}"#, r#"{"text": 5}"#, r#"{"body": "đẹp"}"#] {
            assert_eq!(status(body), 422, "{body}");
        }
        let longest = serde_json::json!({ "text": "đ".repeat(MAX_TEXT_CHARS) }).to_string();
        assert_eq!(status(&longest), 200);
        let over = serde_json::json!({ "text": "đ".repeat(MAX_TEXT_CHARS + 1) }).to_string();
        let Err(AppError::Unprocessable(fields)) = score_request(&over) else { panic!("over the limit must be refused") };
        assert_eq!(fields[0], FieldError { field: "text", problem: Problem::TooLong { max: MAX_TEXT_CHARS } });
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_a_bad_request() {
        for body in ["", "text=đẹp", "[\"đẹp\"]", "\"đẹp\"", "{\"text\": "] {
            assert_eq!(status(body), 400, "{body}");
        }
    }
}
