//! One HTTP attempt on the wire: send, read the body with a size cap, and classify a failure
//! (DNS, refused, TLS, timeout, broken) from reqwest's error and its sources.

use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;

use super::decide::Transport;

/// The most a success body may hold (a page of 50 users is a few hundred KiB).
pub(crate) const PAGE_CAP: usize = 16 * 1024 * 1024;
/// The most of an error body kept: enough to quote, never a flood.
pub(crate) const ERROR_CAP: usize = 64 * 1024;

/// An answer, body read up to its cap.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
    /// A success body over [`PAGE_CAP`] (then `body` is empty); error bodies are cut instead.
    pub too_large: bool,
}

/// A failed attempt: its class and a description for messages (no secrets: reqwest's errors
/// name the URL, which holds none).
#[derive(Debug)]
pub(crate) struct Failed {
    pub kind: Transport,
    pub detail: String,
}

/// Sends `req` and reads the answer.
pub(crate) async fn attempt(
    req: reqwest::RequestBuilder,
    success_cap: usize,
    timeout: Duration,
) -> Result<Reply, Failed> {
    let resp = req.send().await.map_err(|e| failed(&e, timeout))?;
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let cap = if status.is_success() {
        success_cap
    } else {
        ERROR_CAP
    };
    let (body, over) = read_capped(resp, cap)
        .await
        .map_err(|e| failed(&e, timeout))?;
    Ok(Reply {
        status,
        retry_after,
        too_large: over && status.is_success(),
        body: if over && status.is_success() {
            Vec::new()
        } else {
            body
        },
    })
}

/// The body, at most `cap` bytes; true when there was more.
async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    if resp.status().is_success() && resp.content_length().is_some_and(|n| n > cap as u64) {
        return Ok((Vec::new(), true));
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = cap - out.len();
        if chunk.len() > room {
            out.extend_from_slice(&chunk[..room]);
            return Ok((out, true));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out, false))
}

fn failed(e: &reqwest::Error, timeout: Duration) -> Failed {
    let chain = source_chain(e);
    let kind = classify(e.is_timeout(), e.is_connect(), &chain);
    let detail = match kind {
        Transport::Dns => "could not connect: the host name does not resolve (DNS)".to_string(),
        Transport::Refused => {
            "could not connect: the connection was refused (nothing listens at that address)"
                .to_string()
        }
        Transport::Tls => format!("could not connect: the TLS handshake failed ({chain})"),
        Transport::Connect if e.is_timeout() => {
            "could not connect: no connection within the timeout".to_string()
        }
        Transport::Connect => format!("could not connect: {chain}"),
        Transport::Timeout => format!("no answer within {}s (timed out)", timeout.as_secs_f64()),
        Transport::Broken => format!("the connection failed: {chain}"),
    };
    Failed { kind, detail }
}

/// The error's sources, innermost last, joined by `: `.
fn source_chain(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(inner) = src {
        let s = inner.to_string();
        if !parts.contains(&s) {
            parts.push(s);
        }
        src = inner.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// The class of a failure from reqwest's flags and the text of its sources (hyper-util says
/// `dns error`, the OS says `Connection refused`, rustls names certificates and messages).
pub(crate) fn classify(is_timeout: bool, is_connect: bool, chain: &str) -> Transport {
    let c = chain.to_ascii_lowercase();
    if c.contains("dns error") || c.contains("failed to lookup address") {
        return Transport::Dns;
    }
    if c.contains("connection refused") {
        return Transport::Refused;
    }
    let tls_words = [
        "tls",
        "certificate",
        "handshake",
        "corrupt message",
        "invalidcontenttype",
        "peer is incompatible",
        "alert",
    ];
    if is_connect && tls_words.iter().any(|w| c.contains(w)) {
        return Transport::Tls;
    }
    if is_connect {
        return Transport::Connect;
    }
    if is_timeout {
        return Transport::Timeout;
    }
    Transport::Broken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_apart() {
        let cases = [
            (false, true, "client error (Connect): dns error: failed to lookup address information: Name or service not known", Transport::Dns),
            (false, true, "client error (Connect): tcp connect error: Connection refused (os error 111)", Transport::Refused),
            (false, true, "client error (Connect): received corrupt message of type InvalidContentType", Transport::Tls),
            (false, true, "client error (Connect): invalid peer certificate: UnknownIssuer", Transport::Tls),
            (true, true, "client error (Connect): operation timed out", Transport::Connect),
            (false, true, "client error (Connect): Network is unreachable (os error 101)", Transport::Connect),
            (true, false, "operation timed out", Transport::Timeout),
            (false, false, "connection closed before message completed", Transport::Broken),
        ];
        for (timeout, connect, chain, want) in cases {
            assert_eq!(classify(timeout, connect, chain), want, "{chain}");
        }
    }
}
