//! The database file and its companions are the owner's alone: they hold password hashes,
//! sealed signing keys and live sessions.
//!
//! SQLite would create the database file with mode 0644 less the umask. So the file is
//! created here first, empty, with mode 0600 set explicitly (a umask can only take bits
//! away, and a `chmod` is not subject to it); SQLite takes an empty file for a new database.
//! SQLite gives the `-wal` and `-shm` files it creates the database file's mode, whatever
//! the umask, including when it deletes and re-creates them as connections come and go.
//! After every open, [`make_private`] takes group and other permissions off all three all
//! the same, which also closes up a database created by something else.
//!
//! On platforms without Unix permissions both steps do nothing.

use std::path::Path;

#[cfg(unix)]
use keycard_core::store::StoreError;
use keycard_core::store::StoreResult;

/// Owner read and write, nothing for anyone else.
#[cfg(unix)]
const PRIVATE: u32 = 0o600;

/// The companions SQLite keeps beside a database in WAL mode.
#[cfg(unix)]
const COMPANIONS: [&str; 2] = ["-wal", "-shm"];

#[cfg(unix)]
fn io_error(what: &str, path: &Path, error: &std::io::Error) -> StoreError {
    StoreError::Backend(format!("SQLite: {what} {}: {error}", path.display()))
}

/// Creates `path` empty with mode 0600 if nothing is there yet; leaves an existing file
/// alone (and `:memory:`, which names no file).
#[cfg(unix)]
pub(super) fn create_private(path: &Path) -> StoreResult<()> {
    use std::fs::{OpenOptions, Permissions};
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};

    if path.as_os_str() == ":memory:" {
        return Ok(());
    }
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE)
        .open(path);
    match created {
        Ok(file) => file
            .set_permissions(Permissions::from_mode(PRIVATE))
            .map_err(|e| io_error("making private", path, &e)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_error("creating", path, &e)),
    }
}

/// Takes group and other permissions off `path` and its `-wal` and `-shm` files, those
/// that exist.
#[cfg(unix)]
pub(super) fn make_private(path: &Path) -> StoreResult<()> {
    use std::fs::Permissions;
    use std::os::unix::fs::PermissionsExt as _;

    let companions = COMPANIONS.map(|suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    });
    for file in std::iter::once(path).chain(companions.iter().map(|p| p.as_path())) {
        let mode = match std::fs::metadata(file) {
            Ok(metadata) => metadata.permissions().mode() & 0o7777,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_error("reading the mode of", file, &e)),
        };
        if mode & 0o077 != 0 {
            std::fs::set_permissions(file, Permissions::from_mode(mode & !0o077))
                .map_err(|e| io_error("making private", file, &e))?;
        }
    }
    Ok(())
}

/// No Unix permissions here: nothing to do.
#[cfg(not(unix))]
pub(super) fn create_private(_path: &Path) -> StoreResult<()> {
    Ok(())
}

/// No Unix permissions here: nothing to do.
#[cfg(not(unix))]
pub(super) fn make_private(_path: &Path) -> StoreResult<()> {
    Ok(())
}

// Test code: a failed step is a failed test.
#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_new_file_is_owner_only_and_an_existing_one_is_left_to_make_private() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.sqlite3");
        create_private(&new).unwrap();
        assert_eq!(mode(&new), 0o600);
        assert_eq!(
            std::fs::metadata(&new).unwrap().len(),
            0,
            "empty: a new database"
        );

        let old = dir.path().join("old.sqlite3");
        std::fs::write(&old, b"data").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_private(&old).unwrap();
        assert_eq!(std::fs::read(&old).unwrap(), b"data", "never truncated");
        assert_eq!(mode(&old), 0o644);

        let wal = dir.path().join("old.sqlite3-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o664)).unwrap();
        make_private(&old).unwrap();
        assert_eq!((mode(&old), mode(&wal)), (0o600, 0o600));
        assert!(!dir.path().join("old.sqlite3-shm").exists(), "none made up");
    }
}
