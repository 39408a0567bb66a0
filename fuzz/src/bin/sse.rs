//! The `sse` fuzz target under afl (see `keycard_fuzz::targets::sse`).

fn main() {
    afl::fuzz!(|data: &[u8]| keycard_fuzz::targets::sse::run(data));
}
