//! A strict JSON object scanner for token headers and claims: the hot path of every verify.
//!
//! Written by hand because it is the product: it decides exactly which bytes are a header
//! or claims, and it must be fast. It reads RFC 8259 JSON from text already checked to be
//! UTF-8, allocates nothing unless a string holds escapes (or an object has more members
//! than fit on the stack), and refuses what a lenient parser lets through:
//!
//! - a member name repeated in any object at any depth, compared after unescaping, so
//!   `"exp"` and `"\u0065xp"` are the same name;
//! - lone UTF-16 surrogates in `\u` escapes, raw control characters in strings;
//! - anything after the closing brace but white space, nesting deeper than 64.
//!
//! Callers pull values member by member ([`Scanner::object`]); a member they do not read is
//! walked with [`Scanner::skip_value`], which applies every rule without building anything.
//! The serde-based `strict_json` module builds whole values for the non-hot paths; a
//! property test holds the two to the same verdicts.

use std::borrow::Cow;

/// Why the scanner refused its input.
pub(crate) type ScanError = &'static str;

pub(crate) const INVALID: ScanError = "invalid JSON";
pub(crate) const DUPLICATE: ScanError = super::strict_json::DUPLICATE;
pub(crate) const TOO_DEEP: ScanError = "JSON nested too deep";
const OUT_OF_RANGE: ScanError = "JSON number out of range";
/// Without an exponent, a number this long or shorter is finite as a double (its largest
/// is about 1.8e308, 309 digits); a longer one is checked.
const MAX_EXACT_DIGITS: usize = 300;
/// Objects and arrays nested deeper than this are refused (the top-level object counts).
pub(crate) const MAX_DEPTH: usize = 64;

/// Bytes that end the plain run of a string: the quote, the backslash, control characters.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// A JSON string as it stands in the text, between its quotes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JsonStr<'a> {
    raw: &'a str,
    start: usize,
    escaped: bool,
}

impl<'a> JsonStr<'a> {
    /// Where the value stands in `text` (the text it was scanned from), if it can be
    /// borrowed as it stands: that is, if it holds no escapes.
    pub(crate) fn span_in(&self, text: &str) -> Option<(usize, usize)> {
        let end = self.start + self.raw.len();
        (!self.escaped && text.get(self.start..end) == Some(self.raw)).then_some((self.start, end))
    }

    /// The string's value: borrowed from the text unless it holds escapes.
    #[inline]
    pub(crate) fn value(&self) -> Cow<'a, str> {
        if self.escaped {
            Cow::Owned(unescape(self.raw))
        } else {
            Cow::Borrowed(self.raw)
        }
    }
}

/// The names of one object's members, for the duplicate check. A name of up to seven bytes
/// is held exactly as one integer (its length and bytes) on the stack, so the common check
/// is a few integer compares; longer or escaped names, and any beyond the first sixteen,
/// are kept in a list.
pub(crate) struct Seen<'a> {
    short: [u64; SHORT],
    short_len: usize,
    other: Vec<Cow<'a, str>>,
}

const SHORT: usize = 16;

/// The exact packing of a name of at most seven bytes: length in the low byte.
#[inline]
fn pack(name: &[u8]) -> Option<u64> {
    if name.len() > 7 {
        return None;
    }
    let mut packed = name.len() as u64;
    for (i, byte) in name.iter().enumerate() {
        packed |= u64::from(*byte) << (8 * (i + 1));
    }
    Some(packed)
}

impl<'a> Seen<'a> {
    pub(crate) fn new() -> Self {
        Self {
            short: [0; SHORT],
            short_len: 0,
            other: Vec::new(),
        }
    }

    /// Whether a member of this (unescaped) name was seen.
    #[inline]
    pub(crate) fn contains(&self, name: &str) -> bool {
        let in_short = pack(name.as_bytes())
            .is_some_and(|packed| self.short[..self.short_len].contains(&packed));
        in_short || self.other.iter().any(|seen| seen == name)
    }

    // A `Cow`, not a `&str`: a borrowed name is kept as the borrow, with no copy.
    #[allow(clippy::ptr_arg)]
    #[inline]
    fn insert(&mut self, name: &Cow<'a, str>) -> Result<(), ScanError> {
        if self.contains(name) {
            return Err(DUPLICATE);
        }
        match pack(name.as_bytes()) {
            Some(packed) if self.short_len < SHORT => {
                self.short[self.short_len] = packed;
                self.short_len += 1;
            }
            _ => self.other.push(name.clone()),
        }
        Ok(())
    }
}

/// A cursor over one JSON text.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            text,
            pos: 0,
            depth: 0,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes().get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next non-white-space byte, not consumed.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes().get(self.pos).copied()
    }

    #[inline]
    fn expect(&mut self, byte: u8) -> Result<(), ScanError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(INVALID)
        }
    }

    /// Reads an object, calling `member` with each name; `member` must read exactly one
    /// value.
    pub(crate) fn object(
        &mut self,
        member: impl FnMut(&mut Self, &str) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        self.object_noting(&mut Seen::new(), member)
    }

    /// [`Scanner::object`], recording the member names in `seen` for the caller.
    pub(crate) fn object_noting(
        &mut self,
        seen: &mut Seen<'a>,
        mut member: impl FnMut(&mut Self, &str) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        self.enter()?;
        self.expect(b'{')?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(INVALID);
            }
            let name = self.string()?.value();
            seen.insert(&name)?;
            self.expect(b':')?;
            member(self, &name)?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(INVALID),
            }
        }
    }

    /// Reads an array, calling `item` for each element; `item` must read exactly one value.
    pub(crate) fn array(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), ScanError>,
    ) -> Result<(), ScanError> {
        self.enter()?;
        self.expect(b'[')?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            item(self)?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(INVALID),
            }
        }
    }

    fn enter(&mut self) -> Result<(), ScanError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(TOO_DEEP)
        } else {
            Ok(())
        }
    }

    /// Reads a string value.
    pub(crate) fn string(&mut self) -> Result<JsonStr<'a>, ScanError> {
        self.expect(b'"')?;
        let start = self.pos;
        let bytes = self.bytes();
        let mut escaped = false;
        loop {
            // Most of a string is plain text: skip it in a tight loop.
            let rest = bytes.get(self.pos..).unwrap_or_default();
            self.pos += rest
                .iter()
                .position(|&b| SPECIAL[usize::from(b)])
                .unwrap_or(rest.len());
            let byte = *bytes.get(self.pos).ok_or(INVALID)?;
            match byte {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.pos += 1;
                    match bytes.get(self.pos).ok_or(INVALID)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 1,
                        b'u' => self.unicode_escape()?,
                        _ => return Err(INVALID),
                    }
                }
                0x00..=0x1f => return Err(INVALID),
                _ => self.pos += 1,
            }
        }
        let raw = &self.text[start..self.pos];
        self.pos += 1;
        Ok(JsonStr {
            raw,
            start,
            escaped,
        })
    }

    /// Checks `uXXXX` (after the backslash), and its pair when it is a high surrogate.
    fn unicode_escape(&mut self) -> Result<(), ScanError> {
        let unit = self.hex4()?;
        match unit {
            0xD800..=0xDBFF => {
                if self.bytes().get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(INVALID);
                }
                self.pos += 1;
                match self.hex4()? {
                    0xDC00..=0xDFFF => Ok(()),
                    _ => Err(INVALID),
                }
            }
            0xDC00..=0xDFFF => Err(INVALID),
            _ => Ok(()),
        }
    }

    /// Reads `uXXXX` at the cursor (the `u` included) and returns the code unit.
    fn hex4(&mut self) -> Result<u32, ScanError> {
        let digits = self.text.get(self.pos + 1..self.pos + 5).ok_or(INVALID)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(INVALID);
        }
        self.pos += 5;
        u32::from_str_radix(digits, 16).map_err(|_| INVALID)
    }

    /// Reads a number value and returns its text.
    pub(crate) fn number(&mut self) -> Result<&'a str, ScanError> {
        self.skip_ws();
        let bytes = self.bytes();
        let start = self.pos;
        let digits = |scanner: &mut Self| {
            let from = scanner.pos;
            while bytes.get(scanner.pos).is_some_and(u8::is_ascii_digit) {
                scanner.pos += 1;
            }
            scanner.pos > from
        };
        if bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(INVALID),
        }
        if bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(INVALID);
            }
        }
        let exponent = matches!(bytes.get(self.pos), Some(b'e' | b'E'));
        if exponent {
            self.pos += 1;
            if let Some(b'+' | b'-') = bytes.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(INVALID);
            }
        }
        let text = &self.text[start..self.pos];
        // A number no double can hold (`1e999`, 400 digits) is refused, as serde_json
        // refuses it: otherwise a token would verify whose claims the application's own
        // parser cannot read. Only numbers that could overflow are parsed; `exp` is not.
        let could_overflow = exponent || text.len() > MAX_EXACT_DIGITS;
        if could_overflow && !text.parse::<f64>().is_ok_and(f64::is_finite) {
            return Err(OUT_OF_RANGE);
        }
        Ok(text)
    }

    /// Reads `true` or `false`.
    pub(crate) fn boolean(&mut self) -> Result<bool, ScanError> {
        if self.literal("true") {
            Ok(true)
        } else if self.literal("false") {
            Ok(false)
        } else {
            Err(INVALID)
        }
    }

    fn literal(&mut self, word: &str) -> bool {
        self.skip_ws();
        let matched = self.bytes().get(self.pos..self.pos + word.len()) == Some(word.as_bytes());
        if matched {
            self.pos += word.len();
        }
        matched
    }

    /// Walks any value, applying every rule, building nothing.
    pub(crate) fn skip_value(&mut self) -> Result<(), ScanError> {
        match self.peek().ok_or(INVALID)? {
            b'{' => self.object(|scanner, _| scanner.skip_value()),
            b'[' => self.array(Self::skip_value),
            b'"' => self.string().map(drop),
            b't' | b'f' => self.boolean().map(drop),
            b'n' if self.literal("null") => Ok(()),
            _ => self.number().map(drop),
        }
    }

    /// Succeeds if only white space remains.
    pub(crate) fn finish(mut self) -> Result<(), ScanError> {
        if self.peek().is_none() {
            Ok(())
        } else {
            Err(INVALID)
        }
    }
}

/// Decodes the escapes of a string already validated by [`Scanner::string`].
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.next() {
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => {
                let unit = hex(&mut chars);
                if (0xD800..0xDC00).contains(&unit) {
                    chars.next(); // '\'
                    chars.next(); // 'u'
                    let low = hex(&mut chars);
                    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                        .unwrap_or('\u{fffd}')
                } else {
                    char::from_u32(unit).unwrap_or('\u{fffd}')
                }
            }
            Some(other) => other, // '"', '\\', '/'
            None => break,
        };
        out.push(decoded);
    }
    out
}

fn hex(chars: &mut std::str::Chars<'_>) -> u32 {
    chars
        .take(4)
        .fold(0, |acc, c| (acc << 4) | c.to_digit(16).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(text: &str) -> Result<(), ScanError> {
        let mut scanner = Scanner::new(text);
        scanner.object(|s, _| s.skip_value())?;
        scanner.finish()
    }

    #[test]
    fn packing_is_exact_for_short_names() {
        assert_eq!(pack(b""), Some(0));
        assert_ne!(pack(b"a"), pack(b"a\0"));
        assert_ne!(pack(b"ab"), pack(b"ba"));
        assert_eq!(pack(b"abcdefgh"), None);
        let mut seen = Seen::new();
        for name in ["exp", "ex", "expx", "\0", "", "abcdefgh", "abcdefgi"] {
            seen.insert(&Cow::Borrowed(name)).unwrap();
        }
        for name in ["exp", "ex", "expx", "\0", "", "abcdefgh", "abcdefgi"] {
            assert!(seen.contains(name), "{name:?}");
            assert_eq!(seen.insert(&Cow::Borrowed(name)), Err(DUPLICATE));
        }
        assert!(!seen.contains("e") && !seen.contains("abcdefg") && !seen.contains("abcdefghi"));
    }

    #[test]
    fn accepts_json_objects() {
        for text in [
            "{}",
            " { } ",
            r#"{"a":1,"b":-0.5e+10,"c":"x\"y\\u00e9\ud83d\ude00","d":[true,false,null,[],{}],"e":{"f":{"g":1E3}}}"#,
            "{\n\t\"a\" : [ 1 , 2 ]\r\n}",
        ] {
            assert_eq!(walk(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_strict_json() {
        for text in [
            "",
            "[]",
            "\"a\"",
            "1",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{,}",
            "{a:1}",
            "{\"a\":1} x",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":1e}",
            "{\"a\":+1}",
            "{\"a\":-}",
            "{\"a\":tru}",
            "{\"a\":nul}",
            "{\"a\":NaN}",
            "{\"a\":'x'}",
            "{\"a\":\"\u{1}\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":\"\\ud800\\u0041\"}",
            "{\"a\":[1,]}",
            "{\"a\":[1 2]}",
            "\u{feff}{}",
            "{\"a\":1}\u{0}",
        ] {
            assert!(walk(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn duplicates_at_any_depth_and_through_escapes() {
        for text in [
            r#"{"a":1,"a":2}"#,
            r#"{"exp":1,"\u0065xp":2}"#,
            r#"{"\u0065xp":1,"exp":2}"#,
            r#"{"x":{"y":1,"y":2}}"#,
            r#"{"x":[{"y":1,"y":2}]}"#,
        ] {
            assert_eq!(walk(text), Err(DUPLICATE), "{text}");
        }
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        assert_eq!(walk(&format!("{{{}}}", many.join(","))), Ok(()));
        assert_eq!(
            walk(&format!("{{{},\"k3\":0}}", many.join(","))),
            Err(DUPLICATE)
        );
    }

    #[test]
    fn numbers_no_double_holds_are_refused() {
        for text in [r#"{"a":1e999}"#, r#"{"a":-17999E9990}"#] {
            assert_eq!(walk(text), Err(OUT_OF_RANGE), "{text}");
        }
        let huge = format!(r#"{{"a":{}}}"#, "9".repeat(400));
        assert_eq!(walk(&huge), Err(OUT_OF_RANGE));
        for text in [
            r#"{"a":1e308}"#,
            r#"{"a":1e-999}"#,
            r#"{"a":12345678901234567890123}"#,
        ] {
            assert_eq!(walk(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(70), "]".repeat(70));
        assert_eq!(walk(&deep), Err(TOO_DEEP));
        let fine = format!("{{\"a\":{}1{}}}", "[".repeat(60), "]".repeat(60));
        assert_eq!(walk(&fine), Ok(()));
    }

    #[test]
    fn unescapes() {
        let mut scanner = Scanner::new(r#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00""#);
        let s = scanner.string().unwrap();
        assert_eq!(s.value(), "a\"b\\c/d\u{8}\u{c}\n\r\té😀");
        let mut scanner = Scanner::new(r#""plain""#);
        assert!(matches!(
            scanner.string().unwrap().value(),
            Cow::Borrowed("plain")
        ));
    }

    mod against_serde {
        //! The scanner and the serde-based strict parser must give the same verdict.
        use super::walk;
        use crate::jose::strict_json::parse_object;
        use proptest::prelude::*;
        use serde_json::Value;

        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                (-1e300f64..1e300).prop_map(Value::from),
                any::<String>().prop_map(Value::String),
            ];
            leaf.prop_recursive(4, 32, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::btree_map(any::<String>(), inner, 0..6)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        fn object() -> impl Strategy<Value = String> {
            prop::collection::btree_map("[a-z]{1,4}", json(), 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect()).to_string())
        }

        /// Where serde_json refuses what is valid JSON text, by its own limits.
        fn serde_only_limit(bytes: &[u8]) -> bool {
            parse_object(bytes).is_err()
                && serde_json::from_slice::<Value>(bytes)
                    .err()
                    .is_some_and(|e| e.to_string().contains("out of range"))
        }

        proptest! {
            #[test]
            fn accepts_every_valid_object(text in object()) {
                prop_assert_eq!(walk(&text), Ok(()));
                prop_assert!(parse_object(text.as_bytes()).is_ok());
            }

            #[test]
            fn same_verdict_after_any_byte_change(text in object(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
                let mut bytes = text.into_bytes();
                if bytes.is_empty() {
                    return Ok(());
                }
                let at = at.index(bytes.len());
                bytes[at] = byte;
                let scanned = std::str::from_utf8(&bytes).map_err(|_| "not UTF-8").and_then(walk).is_ok();
                let parsed = parse_object(&bytes).is_ok();
                if scanned != parsed && !(scanned && serde_only_limit(&bytes)) {
                    prop_assert_eq!(scanned, parsed, "{:?}", String::from_utf8_lossy(&bytes));
                }
            }

            #[test]
            fn same_verdict_with_a_repeated_name(text in object(), name in "[a-z]{1,4}") {
                // Splice a second member of the same name into the object's front.
                let doubled = format!("{{\"{name}\":1,\"{name}\":2,{}", &text[1..]);
                let doubled = doubled.replace(",}", "}");
                prop_assert_eq!(walk(&doubled), Err(super::DUPLICATE));
                prop_assert!(parse_object(doubled.as_bytes()).is_err());
            }
        }
    }
}
