//! Query-string parameters, parsed by hand so that every bad value gets a 400
//! that names the parameter and the accepted range, in the page's or the API's
//! error shape.

use std::collections::HashMap;

use super::error::AppError;

/// Longest query accepted: longer input is a mistake or an attack.
pub const MAX_QUERY_CHARS: usize = 500;

/// Decoded query-string parameters (the last value of a repeated key wins).
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Params {
        let pairs: Vec<(String, String)> = raw
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        Params(pairs.into_iter().collect())
    }

    /// A trimmed, non-empty text value.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// The search query `q`, checked for length ("" when absent).
    pub fn query(&self) -> Result<String, AppError> {
        let q = self.text("q").unwrap_or_default();
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::BadRequest(format!(
                "The search query is too long: keep it under {MAX_QUERY_CHARS} characters."
            )));
        }
        Ok(q.to_string())
    }

    /// A whole number in `min..=max`, `default` when absent.
    pub fn number(
        &self,
        key: &str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, AppError> {
        match self.text(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "`{key}` must be a whole number from {min} to {max} (got `{v}`)."
                    ))
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let p = Params::parse(Some("q=reset+password&page=2&limit=abc&empty="));
        assert_eq!(p.query().unwrap(), "reset password");
        assert_eq!(p.number("page", 1, 1, 100).unwrap(), 2);
        assert!(p
            .number("limit", 10, 1, 100)
            .unwrap_err()
            .public_message()
            .contains("`limit`"));
        assert_eq!(p.number("offset", 0, 0, 10).unwrap(), 0);
        assert_eq!(p.text("empty"), None);
        let long = format!("q={}", "a".repeat(501));
        assert!(Params::parse(Some(&long)).query().is_err());
    }
}
