//! The two shop languages and how they appear in URLs: Vietnamese at the root, English under `/en`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Locale {
    #[serde(rename = "vi")]
    Vi,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Vi, Locale::En];

    pub fn code(self) -> &'static str {
        match self {
            Locale::Vi => "vi",
            Locale::En => "en",
        }
    }

    /// BCP 47 tag for `hreflang` and `og:locale`-like uses.
    pub fn lang_tag(self) -> &'static str {
        match self {
            Locale::Vi => "vi-VN",
            Locale::En => "en",
        }
    }

    pub fn og_locale(self) -> &'static str {
        match self {
            Locale::Vi => "vi_VN",
            Locale::En => "en_US",
        }
    }

    pub fn parse(code: &str) -> Option<Locale> {
        match code {
            "vi" => Some(Locale::Vi),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// Splits a request path into its locale and the locale-free path (always starting with `/`).
    pub fn split_path(path: &str) -> (Locale, &str) {
        if path == "/en" {
            return (Locale::En, "/");
        }
        match path.strip_prefix("/en/") {
            Some(_) => (Locale::En, &path[3..]),
            None => (Locale::Vi, path),
        }
    }

    /// The public path of a locale-free path in this locale.
    pub fn path(self, path: &str) -> String {
        match self {
            Locale::Vi => path.to_string(),
            Locale::En if path == "/" => "/en/".to_string(),
            Locale::En => format!("/en{path}"),
        }
    }

    /// Picks one of two values by locale; keeps bilingual columns readable at call sites.
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Locale::Vi => vi,
            Locale::En => en,
        }
    }

    pub fn other(self) -> Locale {
        match self {
            Locale::Vi => Locale::En,
            Locale::En => Locale::Vi,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_lives_under_en_and_vietnamese_at_the_root() {
        assert_eq!(Locale::split_path("/"), (Locale::Vi, "/"));
        assert_eq!(Locale::split_path("/p/gile-den"), (Locale::Vi, "/p/gile-den"));
        assert_eq!(Locale::split_path("/en"), (Locale::En, "/"));
        assert_eq!(Locale::split_path("/en/"), (Locale::En, "/"));
        assert_eq!(Locale::split_path("/en/p/gile-den"), (Locale::En, "/p/gile-den"));
        assert_eq!(Locale::split_path("/english"), (Locale::Vi, "/english"));
    }

    #[test]
    fn paths_round_trip_through_a_locale() {
        for locale in Locale::ALL {
            for path in ["/", "/c/gile-phao", "/search"] {
                let public = locale.path(path);
                assert_eq!(Locale::split_path(&public), (locale, path));
            }
        }
    }
}
