use super::*;

fn parse(chunks: &[&[u8]]) -> (Vec<SseEvent>, SseParser) {
    let mut parser = SseParser::default();
    let mut events = Vec::new();
    for chunk in chunks {
        parser.push(chunk, &mut events).unwrap();
    }
    (events, parser)
}

fn event(name: &str, data: &str, id: &str) -> SseEvent {
    SseEvent {
        event: name.into(),
        data: data.into(),
        id: id.into(),
    }
}

/// What Keycard's server sends (axum's `Sse`): `event`, `id`, `data` lines, an empty line.
const KEYCARD: &str = "event: snapshot\nid: run-start\ndata: {\"revocations\":[]}\n\n\
                       event: heartbeat\nid: run-start\ndata: {\"now\":1}\n\n";

#[test]
fn keycard_events_in_one_chunk() {
    let (events, parser) = parse(&[KEYCARD.as_bytes()]);
    assert_eq!(
        events,
        [
            event("snapshot", r#"{"revocations":[]}"#, "run-start"),
            event("heartbeat", r#"{"now":1}"#, "run-start"),
        ]
    );
    assert_eq!(parser.last_event_id(), "run-start");
}

#[test]
fn any_chunking_gives_the_same_events() {
    let whole = format!("\u{feff}{}", KEYCARD.replace('\n', "\r\n"));
    let (expected, _) = parse(&[whole.as_bytes()]);
    assert_eq!(expected.len(), 2);
    let bytes = whole.as_bytes();
    for size in 1..=7 {
        let chunks: Vec<&[u8]> = bytes.chunks(size).collect();
        assert_eq!(parse(&chunks).0, expected, "chunks of {size}");
    }
    // Every split point in two.
    for at in 0..bytes.len() {
        assert_eq!(
            parse(&[&bytes[..at], &bytes[at..]]).0,
            expected,
            "split at {at}"
        );
    }
}

#[test]
fn cr_lf_and_crlf_all_end_lines() {
    for newline in ["\n", "\r", "\r\n"] {
        let text = "data: a\n\ndata: b\n\n".replace('\n', newline);
        let (events, _) = parse(&[text.as_bytes()]);
        assert_eq!(
            events,
            [event("message", "a", ""), event("message", "b", "")],
            "{newline:?}"
        );
    }
    // CR then LF in the next chunk is one line end, not an empty line.
    let (events, _) = parse(&[b"data: a\r", b"\ndata: b\r", b"\n\r\n"]);
    assert_eq!(events, [event("message", "a\nb", "")]);
}

#[test]
fn fields_comments_and_spaces() {
    let text = ": a comment\n\
                data:no space\n\
                data:  two spaces\n\
                data\n\
                unknown: ignored\n\
                event:custom\n\
                \n";
    let (events, _) = parse(&[text.as_bytes()]);
    assert_eq!(events, [event("custom", "no space\n two spaces\n", "")]);
}

#[test]
fn no_data_dispatches_nothing_but_the_id_counts() {
    let (events, parser) = parse(&[b"event: heartbeat\nid: 7\n\ndata: x\n\n"]);
    assert_eq!(events, [event("message", "x", "7")]);
    assert_eq!(parser.last_event_id(), "7");
    // An empty data line is data.
    let (events, _) = parse(&[b"data\n\n"]);
    assert_eq!(events, [event("message", "", "")]);
}

#[test]
fn ids_persist_and_ids_with_nul_are_ignored() {
    let (events, parser) =
        parse(&[b"id: 1\ndata: a\n\ndata: b\n\nid: 2\0\ndata: c\n\nid\ndata: d\n\n"]);
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["1", "1", "1", ""]);
    assert_eq!(parser.last_event_id(), "");
}

#[test]
fn retry_takes_digits_only() {
    let (_, parser) = parse(&[b"retry: 1500\n\nretry: 2x\n\nretry: -1\n\n"]);
    assert_eq!(parser.retry(), Some(Duration::from_millis(1500)));
}

#[test]
fn an_unfinished_event_is_never_dispatched() {
    let (events, _) = parse(&[b"event: revocation\ndata: {\"kind\":\"session\""]);
    assert!(events.is_empty());
    let (events, _) = parse(&[b"data: x\n"]);
    assert!(events.is_empty(), "one line end is not the end of an event");
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    let (events, _) = parse(&[b"data: a\xFFb\n\n"]);
    assert_eq!(events[0].data, "a\u{fffd}b");
}

#[test]
fn a_bom_is_dropped_only_at_the_start() {
    let (events, _) = parse(&[b"\xEF\xBB", b"\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n"]);
    assert_eq!(
        events,
        [event("message", "a", "")],
        "the second BOM makes an unknown field"
    );
}

#[test]
fn an_event_over_the_cap_is_an_error() {
    let mut parser = SseParser::new(16);
    let mut events = Vec::new();
    assert!(parser.push(b"data: 0123456789\n\n", &mut events).is_ok());
    assert_eq!(events.len(), 1);
    assert_eq!(
        parser.push(b"data: 0123456789", &mut events),
        Ok(()),
        "16 bytes fit"
    );
    assert_eq!(
        parser.push(b"0", &mut events),
        Err(SseTooLarge { limit: 16 })
    );
    // A line that never ends, in many small chunks.
    let mut parser = SseParser::new(1024);
    let endless = (0..2000).try_for_each(|_| parser.push(b"x", &mut events));
    assert_eq!(endless, Err(SseTooLarge { limit: 1024 }));
}
