//! The `jws` fuzz target under afl (see `keycard_fuzz::targets::jws`).

fn main() {
    afl::fuzz!(|data: &[u8]| keycard_fuzz::targets::jws::run(data));
}
