//! Where a request came from: its `User-Agent`, its IP (which the HTTP edge decides: the
//! connection's peer, or a forwarded address only from a configured trusted proxy) and a
//! readable label for session lists.

use keycard_core::session::ClientMeta;

/// The longest `User-Agent` kept; the rest is cut (on a character boundary).
pub const MAX_USER_AGENT: usize = 512;

/// The client metadata of a request.
pub fn client_meta(user_agent: Option<&str>, ip: Option<std::net::IpAddr>) -> ClientMeta {
    let user_agent = user_agent.map(|ua| truncate(ua, MAX_USER_AGENT).to_owned());
    ClientMeta {
        label: user_agent.as_deref().map(label),
        user_agent,
        ip: ip.map(|ip| ip.to_string()),
    }
}

/// "Firefox on Linux", "Chrome on Android", "curl", or "Unknown client": a label for a
/// person to recognise their device by, not a parser. Order matters: Edge and Opera say
/// "Chrome", Chrome says "Safari", Android says "Linux".
pub fn label(user_agent: &str) -> String {
    const BROWSERS: [(&str, &str); 8] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("python-requests/", "Python requests"),
        ("okhttp/", "OkHttp"),
    ];
    const SYSTEMS: [(&str, &str); 7] = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(needle, _)| user_agent.contains(needle))
            .map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("Browser on {system}"),
        (None, None) => "Unknown client".to_owned(),
    }
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_common_agents() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(label(firefox), "Firefox on Linux");
        let chrome_android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(label(chrome_android), "Chrome on Android");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0";
        assert_eq!(label(edge), "Edge on Windows");
        let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
        assert_eq!(label(safari), "Safari on macOS");
        assert_eq!(label("curl/8.5.0"), "curl");
        assert_eq!(label("something"), "Unknown client");
    }

    #[test]
    fn long_agents_are_cut_on_a_char_boundary() {
        let long = "é".repeat(400);
        let meta = client_meta(Some(&long), None);
        let kept = meta.user_agent.unwrap();
        assert!(kept.len() <= MAX_USER_AGENT && kept.chars().all(|c| c == 'é'));
    }
}
