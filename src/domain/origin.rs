//! The shop's origin: where its absolute URLs point (canonical and OpenGraph links, the API's `url`
//! and `image_url`, links in emails, payment return and webhook URLs, social sign-in redirect URIs),
//! and which hosts it answers.
//!
//! Both come from configuration only (`PUBLIC_ORIGIN`), never from the request's `Host`: a request
//! naming a host the shop does not serve is refused (421), so no page, cached response or email can
//! carry a host an attacker chose. A local shop is configured with the address it listens on
//! (`http://127.0.0.1:{port}`, set by `scripts/serve`); the other names of the loopback address on
//! that port (`localhost`, `[::1]`) are served too, each as its own origin, so a browser that
//! opened `http://localhost:8787` keeps its cookies, forms and links on the name it used.

/// The configured origin: `http` or `https`, a host, and a port unless it is the scheme's default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicOrigin {
    scheme: &'static str,
    host: String,
    port: Option<u16>,
}

/// The names of the loopback address a local shop answers to.
const LOOPBACK: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

impl PublicOrigin {
    /// Reads `PUBLIC_ORIGIN`: `https://vestify.vn` or `http://127.0.0.1:8787` (a trailing `/` is
    /// allowed). Anything else — no scheme, a path, a query, credentials, an empty host, a port that
    /// is not a number — is `None`, and the shop serves nothing until it is fixed.
    pub fn parse(configured: &str) -> Option<PublicOrigin> {
        let configured = configured.trim();
        let (scheme, rest) = if let Some(rest) = configured.strip_prefix("https://") {
            ("https", rest)
        } else if let Some(rest) = configured.strip_prefix("http://") {
            ("http", rest)
        } else {
            return None;
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = split_port(authority)?;
        let valid_host = if host.starts_with('[') {
            host.len() > 2 && host.ends_with(']') && host[1..host.len() - 1].bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        } else {
            !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        };
        if !valid_host {
            return None;
        }
        let default_port = if scheme == "https" { 443 } else { 80 };
        Some(PublicOrigin { scheme, host: host.to_ascii_lowercase(), port: port.filter(|p| *p != default_port) })
    }

    /// The origin as links start with it: `https://vestify.vn`, `http://127.0.0.1:8787`.
    pub fn as_string(&self) -> String {
        origin_string(self.scheme, &self.host, self.port)
    }

    /// The origin a request for `host` (and `port`, `None` for the scheme's default; as the request
    /// URL has them) is served under, or `None` when the shop does not serve that host: the configured
    /// origin for its own host and port, and for a loopback origin, each other loopback name on the
    /// same port as itself.
    pub fn serves(&self, host: &str, port: Option<u16>) -> Option<String> {
        let host = host.to_ascii_lowercase();
        if port != self.port {
            return None;
        }
        if host == self.host {
            return Some(self.as_string());
        }
        (LOOPBACK.contains(&self.host.as_str()) && LOOPBACK.contains(&host.as_str())).then(|| origin_string(self.scheme, &host, self.port))
    }
}

fn origin_string(scheme: &str, host: &str, port: Option<u16>) -> String {
    match port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    }
}

/// `host[:port]` → (host, port); an IPv6 host keeps its brackets.
fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    match port {
        None => Some((host, None)),
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => Some((host, Some(p.parse().ok()?))),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> PublicOrigin {
        PublicOrigin::parse(s).unwrap_or_else(|| panic!("{s} parses"))
    }

    #[test]
    fn the_configured_origin_is_read_strictly() {
        assert_eq!(origin("https://vestify.vn").as_string(), "https://vestify.vn");
        assert_eq!(origin("https://Vestify.VN/").as_string(), "https://vestify.vn");
        assert_eq!(origin("https://vestify.vn:443").as_string(), "https://vestify.vn", "the default port is left out");
        assert_eq!(origin("http://127.0.0.1:8787").as_string(), "http://127.0.0.1:8787");
        assert_eq!(origin("http://[::1]:8787").as_string(), "http://[::1]:8787");
        for bad in ["", "vestify.vn", "ftp://vestify.vn", "https://", "https://vestify.vn/shop", "https://vestify.vn?x=1", "https://user@vestify.vn", "https://vestify.vn:", "https://vestify.vn:99999", "https://vestify.vn:80a", "https://[zz]"] {
            assert_eq!(PublicOrigin::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_request_for_another_host_is_not_served() {
        let shop = origin("https://vestify.vn");
        assert_eq!(shop.serves("vestify.vn", None), Some("https://vestify.vn".into()));
        assert_eq!(shop.serves("VESTIFY.vn", None), Some("https://vestify.vn".into()));
        for (host, port) in [("evil.example", None), ("vestify.vn.evil.example", None), ("vestify.vn", Some(8443)), ("localhost", None), ("127.0.0.1", None), ("www.vestify.vn", None)] {
            assert_eq!(shop.serves(host, port), None, "{host}:{port:?}");
        }
    }

    #[test]
    fn a_local_shop_answers_to_every_loopback_name_on_its_port_under_that_name() {
        let shop = origin("http://127.0.0.1:8787");
        assert_eq!(shop.serves("127.0.0.1", Some(8787)), Some("http://127.0.0.1:8787".into()));
        assert_eq!(shop.serves("localhost", Some(8787)), Some("http://localhost:8787".into()));
        assert_eq!(shop.serves("[::1]", Some(8787)), Some("http://[::1]:8787".into()));
        assert_eq!(shop.serves("localhost", Some(8788)), None, "another port is another shop");
        assert_eq!(shop.serves("localhost", None), None);
        assert_eq!(shop.serves("evil.example", Some(8787)), None, "the port alone is not enough");
        let named = origin("http://localhost:8787");
        assert_eq!(named.serves("127.0.0.1", Some(8787)), Some("http://127.0.0.1:8787".into()));
    }
}
