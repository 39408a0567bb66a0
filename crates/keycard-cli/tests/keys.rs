//! `keycard keys list|rotate|retire` on a scratch data directory with the default SQLite
//! store, as an operator runs them: what each prints, what it changes, and its exit status.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

/// `keycard keys ACTION --data-dir DIR [more]`, with no `KEYCARD_*` variables.
fn keys(action: &str, data_dir: &Path, more: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keycard"));
    command
        .args(["keys", action])
        .args(more)
        .arg(format!("--data-dir={}", data_dir.display()));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("KEYCARD_")) {
        command.env_remove(name);
    }
    command.output().unwrap()
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// `keycard keys list` as (kid, role, retire after) rows.
fn listed(data_dir: &Path) -> Vec<(String, String, String)> {
    let text = ok(&keys("list", data_dir, &[]));
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("KID"), "{text}");
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // kid, alg, role, created (date, time, UTC), retire after (date, time, UTC or -)
            (
                fields[0].to_owned(),
                fields[2].to_owned(),
                fields[6..].join(" "),
            )
        })
        .collect()
}

fn kid_of<'a>(rows: &'a [(String, String, String)], role: &str) -> &'a str {
    &rows.iter().find(|(_, r, _)| r == role).unwrap().0
}

#[test]
fn keys_list_rotate_and_retire_on_a_sqlite_data_dir() {
    let scratch = tempfile::Builder::new()
        .prefix("keycard-keys-")
        .tempdir()
        .unwrap();
    let data_dir = scratch.path().join("data");

    // Nothing yet: the list says how keys come to be.
    let text = ok(&keys("list", &data_dir, &[]));
    assert!(text.contains("no signing keys yet"), "{text}");

    // A rotation with no keys makes the active and next keys, as a first start does.
    let text = ok(&keys("rotate", &data_dir, &[]));
    assert!(
        text.contains("(active)") && text.contains("(next)"),
        "{text}"
    );
    let rows = listed(&data_dir);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let (first, second) = (
        kid_of(&rows, "active").to_owned(),
        kid_of(&rows, "next").to_owned(),
    );
    assert!(rows.iter().all(|(_, _, retire)| retire == "-"));

    // Rotating before the next key has been published for max-age warns, and promotes.
    let output = keys("rotate", &data_dir, &[]);
    let text = ok(&output);
    let warning = String::from_utf8(output.stderr).unwrap();
    assert!(warning.contains("may not hold it yet"), "{warning}");
    assert!(
        text.contains(&format!("promoted {second} to active; retired {first}")),
        "{text}"
    );
    let rows = listed(&data_dir);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(kid_of(&rows, "active"), second);
    assert_eq!(kid_of(&rows, "retired"), first);
    let retired = rows.iter().find(|(kid, _, _)| *kid == first).unwrap();
    assert!(
        retired.2.ends_with("UTC"),
        "a retired key has a date: {rows:?}"
    );
    let third = kid_of(&rows, "next").to_owned();

    // Emergency retire of the active key: the next key takes over, the key is gone, and
    // the delay for running servers is stated.
    let text = ok(&keys("retire", &data_dir, &[&second]));
    assert!(
        text.contains(&format!("promoted {third} to active")),
        "{text}"
    );
    assert!(text.contains(&format!("removed {second}")), "{text}");
    assert!(text.contains("within 60 s"), "{text}");
    let rows = listed(&data_dir);
    assert_eq!(kid_of(&rows, "active"), third);
    assert!(rows.iter().all(|(kid, _, _)| *kid != second), "{rows:?}");
    assert_eq!(rows.iter().filter(|(_, role, _)| role == "next").count(), 1);
    // Without a master key the private halves live in 0600 files; the withdrawn one is gone.
    assert_eq!(
        std::fs::read_dir(data_dir.join("keys")).unwrap().count(),
        rows.len()
    );

    // An unknown kid is an input error (exit 2) and changes nothing.
    let output = keys("retire", &data_dir, &["no-such-kid"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no key with kid"));
    assert_eq!(listed(&data_dir), rows);
}
