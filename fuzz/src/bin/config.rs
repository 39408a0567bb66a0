//! The `config` fuzz target under afl (see `keycard_fuzz::targets::config`).

fn main() {
    afl::fuzz!(|data: &[u8]| keycard_fuzz::targets::config::run(data));
}
