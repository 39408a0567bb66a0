//! The `base64url` fuzz target under afl (see `keycard_fuzz::targets::base64url`).

fn main() {
    afl::fuzz!(|data: &[u8]| keycard_fuzz::targets::base64url::run(data));
}
