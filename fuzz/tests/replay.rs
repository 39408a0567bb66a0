//! Every committed input of every target, replayed: the seeds and what afl found
//! (`fuzz/corpus/<target>/`, and `fuzz/crashes/<target>/` for inputs that once crashed or
//! disagreed and were fixed). A finding fixed once stays fixed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn every_corpus_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    for (name, run) in keycard_fuzz::targets::ALL {
        let mut inputs = 0;
        for folder in ["corpus", "crashes"] {
            let dir = root.join(folder).join(name);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| run(&data));
                assert!(outcome.is_ok(), "{name}: {} fails", path.display());
                inputs += 1;
            }
        }
        assert!(inputs > 0, "{name}: no corpus under fuzz/corpus/{name}");
        replayed += inputs;
    }
    eprintln!("replayed {replayed} inputs");
}
