//! Differential: the verify path's hand-written JSON scanner against the serde-based strict
//! parser (`parse_object`, which is serde_json plus duplicate-name detection). For any
//! input both must give the same verdict (both refuse duplicate names, nesting past 64 and
//! numbers no double holds).

use keycard_core::fuzzing::scan_object;
use keycard_core::jose::parse_object;

pub fn run(data: &[u8]) {
    let scanned = std::str::from_utf8(data).is_ok_and(|text| scan_object(text).is_ok());
    let parsed = parse_object(data).is_ok();
    assert!(
        scanned == parsed,
        "scanner {} but serde-based parser {} for {:?}",
        verdict(scanned),
        verdict(parsed),
        String::from_utf8_lossy(data)
    );
}

fn verdict(accepted: bool) -> &'static str {
    if accepted { "accepts" } else { "refuses" }
}
