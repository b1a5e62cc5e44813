//! What the tool accepts as a Cognito endpoint before it sends anything:
//! `https://`, or plain `http://` only to this machine (a local emulator),
//! because a SignUp carries the user's password. The same loopback test
//! keeps local endpoints away from any HTTP proxy the environment names.

use std::net::IpAddr;

use reqwest::Url;

/// Whether `url`'s host is this machine: `localhost`, 127.0.0.0/8 or ::1.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    // IPv6 hosts come bracketed; domain names come lower-cased.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host == "localhost" || host.ends_with(".localhost"),
    }
}

/// Why `url` may not carry passwords, if it may not: plain HTTP to a host
/// that is not this machine, unless `allow_insecure_http`.
pub(crate) fn insecure_reason(url: &Url, allow_insecure_http: bool) -> Option<String> {
    if url.scheme() != "http" || is_loopback(url) || allow_insecure_http {
        return None;
    }
    Some(format!(
        "endpoint {url} is plain http:// to another host: every SignUp carries a password, so it would cross the network unencrypted. Use https://, or an http:// endpoint on this machine (localhost, 127.0.0.1, ::1); --allow-insecure-http overrides this"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("url")
    }

    #[test]
    fn only_this_machine_is_loopback() {
        for local in [
            "http://localhost:9229/",
            "http://LOCALHOST/",
            "http://127.0.0.1:1/",
            "http://127.8.9.10/",
            "http://[::1]:80/",
            "http://cognito.localhost/",
        ] {
            assert!(is_loopback(&url(local)), "{local}");
        }
        for remote in [
            "http://cognito.invalid/",
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://localhost.example.com/",
            "http://128.0.0.1/",
        ] {
            assert!(!is_loopback(&url(remote)), "{remote}");
        }
    }

    #[test]
    fn plain_http_to_another_host_needs_the_override() {
        let remote = url("http://cognito.invalid/");
        let reason = insecure_reason(&remote, false).expect("refused");
        assert!(reason.contains("--allow-insecure-http"), "{reason}");
        assert_eq!(insecure_reason(&remote, true), None);
        assert_eq!(
            insecure_reason(&url("https://cognito.invalid/"), false),
            None
        );
        assert_eq!(insecure_reason(&url("http://127.0.0.1:9/"), false), None);
    }
}
