//! The guard against server-side request forgery for URLs that others give the shop and the Worker
//! then calls (Web Push endpoints, webhook endpoints): https only, to a public host name or a
//! public address — never loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 with the
//! cloud metadata address, fe80::/10), carrier-grade NAT, multicast or unspecified addresses, nor
//! `localhost`, `*.local`, `*.internal`, one-label intranet names or numeric host forms
//! (`2130706433`, `0x7f.1`) that resolvers read as addresses; credentials in the URL are refused.
//! Configured test origins (the local fakes) are the one exception.
//!
//! A name can still resolve to a private address (DNS rebinding); Cloudflare's `fetch` does not
//! reach private networks from a Worker, which covers that case in production.

/// The longest URL accepted (push endpoints are a few hundred characters).
pub const MAX_URL: usize = 1_000;

/// `Some(origin)` (scheme + host + port, lowercased) when `endpoint` may be called from the Worker:
/// https to a public host name or address, or one of `test_origins` (origins such as
/// `http://127.0.0.1:9100` that the configuration allows: the local fakes in tests).
pub fn public_origin(endpoint: &str, test_origins: &[String]) -> Option<String> {
    if endpoint.len() > MAX_URL || endpoint.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let origin = origin_of(endpoint)?;
    if test_origins.iter().any(|t| t.trim_end_matches('/').eq_ignore_ascii_case(&origin)) {
        return Some(origin);
    }
    let rest = endpoint.strip_prefix("https://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.contains('@') {
        return None;
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, _) = v6.split_once(']')?;
        return public_v6(addr).then_some(origin);
    } else {
        match authority.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() => h,
            Some(_) => return None,
            None => authority,
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
        return None;
    }
    if let Some(octets) = ipv4(&host) {
        return public_v4(octets).then_some(origin);
    }
    // A name: not localhost, not a one-label intranet name, not an internal suffix; and not an
    // all-numeric dotted form (`0x7f.1`, `2130706433`) that some resolvers read as an address.
    let internal = host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local") || host.ends_with(".internal") || !host.contains('.');
    let numeric = host.split('.').next_back().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()) || tld.starts_with("0x"));
    (!internal && !numeric).then_some(origin)
}

/// `scheme://authority` of an http(s) URL, lowercased.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

fn ipv4(host: &str) -> Option<[u8; 4]> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut out = [0u8; 4];
    for (o, p) in out.iter_mut().zip(parts) {
        if p.is_empty() || p.len() > 3 || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    Some(out)
}

fn public_v4([a, b, _, _]: [u8; 4]) -> bool {
    !(a == 0 || a == 10 || a == 127 || a >= 224 || (a == 169 && b == 254) || (a == 172 && (16..32).contains(&b)) || (a == 192 && b == 168) || (a == 100 && (64..128).contains(&b)))
}

fn public_v6(addr: &str) -> bool {
    let Ok(ip) = addr.parse::<std::net::Ipv6Addr>() else { return false };
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4.octets());
    }
    let first = ip.segments()[0];
    !(ip.is_loopback() || ip.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 || (first & 0xff00) == 0xff00)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_endpoints_or_configured_test_origins_are_accepted() {
        let test = vec!["http://127.0.0.1:9100".to_string()];
        for ok in ["https://fcm.googleapis.com/fcm/send/abc", "https://updates.push.services.mozilla.com/wpush/v2/x", "https://web.push.apple.com:443/Q", "https://8.8.8.8/p", "http://127.0.0.1:9100/push/1"] {
            assert!(public_origin(ok, &test).is_some(), "{ok}");
        }
        for bad in [
            "http://fcm.googleapis.com/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://192.168.0.1/x",
            "https://172.20.0.1/x",
            "https://169.254.169.254/latest",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://localhost/x",
            "https://push.localhost/x",
            "https://intranet/x",
            "https://2130706433/x",
            "https://0x7f.1/x",
            "https://user@fcm.googleapis.com/x",
            "https://fcm.googleapis.com:x/",
            "http://127.0.0.1:9101/push/1",
            "ftp://fcm.googleapis.com/x",
            "fcm.googleapis.com/x",
            "https:// evil/",
            "https://metadata.google.internal/computeMetadata/v1/",
            "https://[fe80::1]/x",
            "https://[::ffff:169.254.169.254]/latest",
            "https://0177.0.0.1/x",
        ] {
            assert!(public_origin(bad, &test).is_none(), "{bad}");
        }
        assert_eq!(public_origin("https://FCM.googleapis.com/fcm/x", &[]).as_deref(), Some("https://fcm.googleapis.com"));
    }
}
