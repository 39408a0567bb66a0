//! Entry points for the fuzz targets (`fuzz/`), present only with the `fuzzing` feature:
//! the verify path's JSON scanner is crate-private, and the differential target holds it
//! against the serde-based parser from outside the crate. Not part of the API.

use crate::jose::json_scan::Scanner;

/// Walks `text` with the JSON scanner of the verify path, applying every rule without
/// building a value: `Ok` if and only if `text` is one strict JSON object.
pub fn scan_object(text: &str) -> Result<(), &'static str> {
    let mut scanner = Scanner::new(text);
    scanner.object(|s, _| s.skip_value())?;
    scanner.finish()
}
