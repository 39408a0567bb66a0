//! A Server-Sent Events parser (the `text/event-stream` format of the WHATWG HTML
//! standard, section 9.2.6), for Keycard's revocation stream. Pure: bytes in, events out,
//! in any chunking; no I/O, no clock.
//!
//! What it follows of the standard: lines end with CRLF, LF or CR (a CR at the end of one
//! chunk and an LF at the start of the next are one line end); a UTF-8 byte order mark at
//! the very start is dropped; invalid UTF-8 becomes U+FFFD; `:` starts a comment; a field
//! is `name: value` with one leading space dropped from the value, or a bare `name` with an
//! empty value; `data` lines are joined with LF; `id` sets the last event id unless it
//! holds a NUL, and is kept across events; `retry` with only digits sets the reconnection
//! time; an empty line dispatches the event (named `message` when no `event` field came),
//! unless no `data` came, which dispatches nothing (the id still counts); an event not
//! ended by an empty line before the stream ends is never dispatched.
//!
//! What it adds: a cap on the bytes of one event (its lines and data together), so a
//! stream that never ends a line cannot take the memory; past the cap it errs, and the
//! caller drops the connection.

use std::time::Duration;

/// The default cap on one event: room for a snapshot of some 100,000 revocations.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event` field, or `message`.
    pub event: String,
    /// The `data` lines, joined with LF.
    pub data: String,
    /// The last event id when the event was dispatched (`""`: none).
    pub id: String,
}

/// The stream broke a limit; the parser should not be fed any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an event is over {limit} bytes")]
pub struct SseTooLarge {
    /// The cap.
    pub limit: usize,
}

/// The parser's state between chunks.
#[derive(Debug)]
pub struct SseParser {
    max_event_bytes: usize,
    line: Vec<u8>,
    /// The last chunk ended with CR: an LF first in the next one ends no line.
    after_cr: bool,
    first_line: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: String,
    retry: Option<Duration>,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_EVENT_BYTES)
    }
}

impl SseParser {
    /// A parser at the start of a stream, with a cap on the bytes of one event.
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            max_event_bytes,
            line: Vec::new(),
            after_cr: false,
            first_line: true,
            event: String::new(),
            data: String::new(),
            has_data: false,
            last_id: String::new(),
            retry: None,
        }
    }

    /// The last event id seen (to send as `Last-Event-ID` on reconnecting).
    pub fn last_event_id(&self) -> &str {
        &self.last_id
    }

    /// The reconnection time the stream asked for, if any.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// Feeds the next bytes of the stream; the events they complete are appended to
    /// `events`.
    pub fn push(
        &mut self,
        mut bytes: &[u8],
        events: &mut Vec<SseEvent>,
    ) -> Result<(), SseTooLarge> {
        if self.after_cr && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        while let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.grow(&bytes[..end])?;
            let crlf = bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n');
            if bytes[end] == b'\r' && end + 1 == bytes.len() {
                self.after_cr = true;
            }
            let line = std::mem::take(&mut self.line);
            self.line_ended(&line, events);
            self.line = line;
            self.line.clear();
            bytes = &bytes[end + if crlf { 2 } else { 1 }..];
        }
        self.grow(bytes)
    }

    fn grow(&mut self, bytes: &[u8]) -> Result<(), SseTooLarge> {
        if self.line.len() + bytes.len() + self.data.len() + self.event.len() > self.max_event_bytes
        {
            return Err(SseTooLarge {
                limit: self.max_event_bytes,
            });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn line_ended(&mut self, mut line: &[u8], events: &mut Vec<SseEvent>) {
        if std::mem::take(&mut self.first_line) {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if line.is_empty() {
            self.dispatch(events);
            return;
        }
        if line.first() == Some(&b':') {
            return;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        let value = String::from_utf8_lossy(value);
        match name {
            b"event" => self.event = value.into_owned(),
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            b"id" if !value.contains('\0') => self.last_id = value.into_owned(),
            b"retry" => {
                if let Some(millis) = digits(&value) {
                    self.retry = Some(Duration::from_millis(millis));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, events: &mut Vec<SseEvent>) {
        let event = std::mem::take(&mut self.event);
        let data = std::mem::take(&mut self.data);
        if !std::mem::take(&mut self.has_data) {
            return;
        }
        events.push(SseEvent {
            event: if event.is_empty() {
                "message".to_owned()
            } else {
                event
            },
            data,
            id: self.last_id.clone(),
        });
    }
}

/// A value of ASCII digits only, as a number.
fn digits(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
#[path = "sse_tests.rs"]
mod tests;
