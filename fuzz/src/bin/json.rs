//! The `json` fuzz target under afl (see `keycard_fuzz::targets::json`).

fn main() {
    afl::fuzz!(|data: &[u8]| keycard_fuzz::targets::json::run(data));
}
