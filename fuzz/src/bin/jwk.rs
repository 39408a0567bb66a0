//! The `jwk` fuzz target under afl (see `keycard_fuzz::targets::jwk`).

fn main() {
    afl::fuzz!(|data: &[u8]| keycard_fuzz::targets::jwk::run(data));
}
