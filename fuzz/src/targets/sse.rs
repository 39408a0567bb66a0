//! The revocation stream as `keycard-verify` reads it: the Server-Sent Events parser, and
//! the decoding of each event. The oracle is the stream's chunking: however the bytes
//! arrive (whole, in chunks of a size the first byte picks, one byte at a time), the parser
//! must give the same events, the same last event id and retry, or refuse (an event over
//! the cap) in every case alike. Each event then decodes or is refused, never a panic.

use keycard_verify::revocations::events::decode;
use keycard_verify::sse::{SseEvent, SseParser};

/// Small enough that the fuzzer meets the cap on one event.
const MAX_EVENT_BYTES: usize = 4096;

type Parsed = (
    Result<Vec<SseEvent>, ()>,
    String,
    Option<std::time::Duration>,
);

fn parse<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Parsed {
    let mut parser = SseParser::new(MAX_EVENT_BYTES);
    let mut events = Vec::new();
    for chunk in chunks {
        if parser.push(chunk, &mut events).is_err() {
            return (Err(()), String::new(), None);
        }
    }
    (
        Ok(events),
        parser.last_event_id().to_owned(),
        parser.retry(),
    )
}

pub fn run(data: &[u8]) {
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };
    let whole = parse(std::iter::once(stream));
    let chunked = parse(stream.chunks(usize::from(seed % 16) + 1));
    let bytewise = parse(stream.chunks(1));
    assert_eq!(
        whole,
        chunked,
        "chunks of {} change the events",
        seed % 16 + 1
    );
    assert_eq!(whole, bytewise, "single bytes change the events");
    if let (Ok(events), _, _) = &whole {
        for event in events {
            let _ = decode(&event.event, &event.data);
        }
    }
}
