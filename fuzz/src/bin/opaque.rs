//! The `opaque` fuzz target under afl (see `keycard_fuzz::targets::opaque`).

fn main() {
    afl::fuzz!(|data: &[u8]| keycard_fuzz::targets::opaque::run(data));
}
