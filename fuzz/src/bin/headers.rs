//! The `headers` fuzz target under afl (see `keycard_fuzz::targets::headers`).

fn main() {
    afl::fuzz!(|data: &[u8]| keycard_fuzz::targets::headers::run(data));
}
