//! Raw HTTP/1.1 over a TCP stream: for requests no well-behaved client library would send
//! (duplicate or conflicting framing headers, bytes that are not UTF-8, an unknown method,
//! a request that never finishes its headers).

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// How long a hostile request may take to be answered before it counts as a hang.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// A response read off the wire.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    /// Everything the server sent, head and body.
    pub raw: Vec<u8>,
}

impl Answer {
    /// The first value of header `name`, as text (lossy), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }
}

/// What became of a raw request.
#[derive(Debug)]
pub enum Outcome {
    /// The server answered.
    Answered(Answer),
    /// The server closed the connection without a byte of answer.
    Closed,
    /// Nothing within [`ANSWER_WITHIN`].
    Hung,
}

/// Sends `request` as is on a new connection to `addr` (`127.0.0.1:PORT`) and reads the
/// answer until the server closes the connection or the first response is complete.
pub async fn send(addr: &str, request: &[u8]) -> Outcome {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // The server may answer and close before all of a hostile request is written.
    let _ = stream.write_all(request).await;
    match tokio::time::timeout(ANSWER_WITHIN, read_response(&mut stream)).await {
        Ok(raw) if raw.is_empty() => Outcome::Closed,
        Ok(raw) => Outcome::Answered(parse(raw)),
        Err(_) => Outcome::Hung,
    }
}

/// Reads until EOF, a read error, or a complete response (headers and `Content-Length`
/// bytes of body).
async fn read_response(stream: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return raw,
            Ok(n) => raw.extend_from_slice(&buffer[..n]),
        }
        if complete(&raw) {
            return raw;
        }
    }
}

fn complete(raw: &[u8]) -> bool {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(raw) {
        Ok(httparse::Status::Complete(head)) => {
            let length = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| {
                    std::str::from_utf8(h.value)
                        .ok()?
                        .trim()
                        .parse::<usize>()
                        .ok()
                });
            length.is_some_and(|length| raw.len() >= head + length)
        }
        _ => false,
    }
}

fn parse(raw: Vec<u8>) -> Answer {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(&raw) {
        Ok(httparse::Status::Complete(head)) => head,
        other => panic!(
            "not an HTTP response ({other:?}): {}",
            String::from_utf8_lossy(&raw)
        ),
    };
    let status = response.code.expect("a status code");
    let headers = response
        .headers
        .iter()
        .map(|h| (h.name.to_owned(), h.value.to_vec()))
        .collect();
    let body = raw[head..].to_vec();
    Answer {
        status,
        headers,
        body,
        raw,
    }
}
