//! Signing keys at rest.
//!
//! With a master key configured, the private JWK is sealed (AES-256-GCM, bound to its kid)
//! and kept in the store with the public metadata. Without one, the private JWK goes to a
//! file in `<data dir>/keys/` that only the owner can read (0600, in a 0700 directory), the
//! store keeps only the public half, and a key file readable by anyone else is refused at
//! load, as ssh refuses a private key with loose permissions.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use keycard_core::jose::{KeyRole, base64url};
use keycard_core::key_record::{KeyRecord, MasterKey};
use keycard_core::store::{KeyStore, StoreError};
use keycard_core::{Key, KeyError, KeySet, UnixTime};
use zeroize::Zeroizing;

/// Why keys could not be saved or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A key could not be used or rebuilt.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A key file could not be written or read.
    #[error("key file {path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A key file can be read by other users.
    #[error("key file {0} is readable by others; chmod 600 it")]
    InsecurePermissions(PathBuf),
    /// A sealed key was found but no master key is configured.
    #[error("key {0:?} is sealed under a master key, and none is configured")]
    MasterKeyRequired(String),
    /// An HMAC secret or public-only key cannot be a signing key at rest.
    #[error("key {0:?} has no private JWK to keep")]
    NotASigningKey(String),
}

/// Saves and loads signing keys through a [`KeyStore`], sealing or filing their private half.
pub struct KeyVault {
    store: Arc<dyn KeyStore>,
    master: Option<MasterKey>,
    dir: PathBuf,
}

impl std::fmt::Debug for KeyVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyVault")
            .field("sealed", &self.master.is_some())
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl KeyVault {
    /// A vault over `store`. Private keys are sealed with `master` when given, else filed
    /// under `data_dir/keys/`.
    pub fn new(store: Arc<dyn KeyStore>, master: Option<MasterKey>, data_dir: &Path) -> Self {
        Self {
            store,
            master,
            dir: data_dir.join("keys"),
        }
    }

    /// The master key, when one is configured: every instance sharing the store holds the
    /// same one.
    pub fn master(&self) -> Option<&MasterKey> {
        self.master.as_ref()
    }

    /// Saves a new signing key in `role`.
    pub async fn save(&self, key: &Key, role: KeyRole, now: UnixTime) -> Result<(), VaultError> {
        let private = key
            .private_jwk()
            .ok_or_else(|| VaultError::NotASigningKey(key.kid().to_owned()))?;
        let public = key
            .public_jwk()
            .ok_or_else(|| VaultError::NotASigningKey(key.kid().to_owned()))?;
        let sealed_private = match &self.master {
            Some(master) => Some(master.seal(key.kid(), &private)?),
            None => {
                self.write_file(key.kid(), &private)?;
                None
            }
        };
        let record = KeyRecord {
            kid: key.kid().to_owned(),
            alg: key.alg(),
            role,
            created_at: now,
            retire_after: None,
            public_jwk: public.to_string(),
            sealed_private,
        };
        Ok(self.store.save_key(&record).await?)
    }

    /// Loads every key into a key set with its role.
    pub async fn load(&self) -> Result<KeySet, VaultError> {
        let mut set = KeySet::new();
        for record in self.records().await? {
            set = set.with(record.role, self.key(&record)?)?;
        }
        Ok(set)
    }

    /// Every key's record (public metadata and roles), oldest first.
    pub async fn records(&self) -> Result<Vec<KeyRecord>, VaultError> {
        Ok(self.store.load_keys().await?)
    }

    /// The signing key a record describes, its private half opened or read from its file.
    pub fn key(&self, record: &KeyRecord) -> Result<Key, VaultError> {
        let private = match (&record.sealed_private, &self.master) {
            (Some(sealed), Some(master)) => master.open(&record.kid, sealed)?,
            (Some(_), None) => return Err(VaultError::MasterKeyRequired(record.kid.clone())),
            (None, _) => self.read_file(&record.kid)?,
        };
        Ok(Key::from_jwk_json(&private, Some(record.alg))?.with_kid(record.kid.clone()))
    }

    /// Changes a key's role (rotation) and when it may be deleted.
    pub async fn set_role(
        &self,
        kid: &str,
        role: KeyRole,
        retire_after: Option<UnixTime>,
    ) -> Result<bool, VaultError> {
        Ok(self.store.set_key_role(kid, role, retire_after).await?)
    }

    /// Changes a key's role only if it is still `from` (see
    /// [`KeyStore::swap_key_role`]): `false` when another writer changed it first.
    pub async fn swap_role(
        &self,
        kid: &str,
        from: KeyRole,
        to: KeyRole,
        retire_after: Option<UnixTime>,
    ) -> Result<bool, VaultError> {
        Ok(self
            .store
            .swap_key_role(kid, from, to, retire_after)
            .await?)
    }

    /// Deletes a key: its record and, if any, its file.
    pub async fn delete(&self, kid: &str) -> Result<bool, VaultError> {
        let existed = self.store.delete_key(kid).await?;
        let path = self.path(kid);
        match std::fs::remove_file(&path) {
            // Sealed keys have no file, and another instance may have removed it first.
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(io(&path, &error));
            }
            _ => {}
        }
        Ok(existed)
    }

    /// The file for a kid: its base64url, so no kid can name a path outside the directory.
    fn path(&self, kid: &str) -> PathBuf {
        self.dir.join(format!("{}.jwk", base64url::encode(kid)))
    }

    fn write_file(&self, kid: &str, private: &str) -> Result<(), VaultError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| io(&self.dir, &e))?;
        let path = self.path(kid);
        let temporary = path.with_extension("jwk.tmp");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(|e| io(&temporary, &e))?;
        file.write_all(private.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io(&temporary, &e))?;
        std::fs::rename(&temporary, &path).map_err(|e| io(&path, &e))
    }

    fn read_file(&self, kid: &str) -> Result<Zeroizing<String>, VaultError> {
        let path = self.path(kid);
        let metadata = std::fs::metadata(&path).map_err(|e| io(&path, &e))?;
        if metadata.permissions().mode() & 0o077 != 0 {
            return Err(VaultError::InsecurePermissions(path));
        }
        std::fs::read_to_string(&path)
            .map(Zeroizing::new)
            .map_err(|e| io(&path, &e))
    }
}

fn io(path: &Path, error: &std::io::Error) -> VaultError {
    VaultError::Io {
        path: path.to_owned(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;
    use keycard_core::Algorithm;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("keycard-vault-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn now() -> UnixTime {
        UnixTime::from_secs(1_800_000_000)
    }

    #[tokio::test]
    async fn without_a_master_key_private_keys_go_to_0600_files() {
        let dir = TempDir::new("file");
        let store = Arc::new(MemoryStore::new());
        let vault = KeyVault::new(store.clone(), None, &dir.0);
        let key = Key::generate(Algorithm::EdDSA).unwrap();
        vault.save(&key, KeyRole::Active, now()).await.unwrap();

        let record = &store.load_keys().await.unwrap()[0];
        assert!(
            record.sealed_private.is_none(),
            "the store holds no private material"
        );
        assert!(!record.public_jwk.contains("\"d\""));
        let path = vault.path(key.kid());
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(&vault.dir).unwrap().permissions().mode() & 0o777,
            0o700
        );

        let loaded = vault.load().await.unwrap();
        let active = loaded.active().unwrap();
        assert_eq!(active.kid(), key.kid());
        assert!(key.verify(b"m", &active.sign(b"m").unwrap()));

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            vault.load().await,
            Err(VaultError::InsecurePermissions(_))
        ));
        assert!(vault.delete(key.kid()).await.unwrap());
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn with_a_master_key_private_keys_are_sealed_in_the_store() {
        let dir = TempDir::new("sealed");
        let store = Arc::new(MemoryStore::new());
        let master = || Some(MasterKey::new(&[7u8; 32]).unwrap());
        let vault = KeyVault::new(store.clone(), master(), &dir.0);
        let key = Key::generate(Algorithm::ES256).unwrap();
        vault.save(&key, KeyRole::Active, now()).await.unwrap();
        let next = Key::generate(Algorithm::ES256).unwrap();
        vault.save(&next, KeyRole::Next, now()).await.unwrap();

        assert!(!dir.0.join("keys").exists(), "no key files when sealing");
        let private = private_d(&key);
        for record in store.load_keys().await.unwrap() {
            let sealed = record.sealed_private.unwrap();
            assert!(!String::from_utf8_lossy(&sealed).contains(&private));
        }
        let loaded = vault.load().await.unwrap();
        assert_eq!(loaded.active().unwrap().kid(), key.kid());
        assert_eq!(loaded.next().unwrap().kid(), next.kid());

        let wrong = KeyVault::new(
            store.clone(),
            Some(MasterKey::new(&[8u8; 32]).unwrap()),
            &dir.0,
        );
        assert!(matches!(wrong.load().await, Err(VaultError::Key(_))));
        let none = KeyVault::new(store, None, &dir.0);
        assert!(matches!(
            none.load().await,
            Err(VaultError::MasterKeyRequired(_))
        ));
    }

    #[test]
    fn kids_cannot_escape_the_key_directory() {
        let vault = KeyVault::new(Arc::new(MemoryStore::new()), None, Path::new("/data"));
        for kid in ["../../etc/passwd", "/abs", "a/b", ".."] {
            let path = vault.path(kid);
            assert_eq!(path.parent(), Some(Path::new("/data/keys")), "{kid}");
        }
    }

    /// The `d` member of a key's private JWK.
    fn private_d(key: &Key) -> String {
        let jwk = keycard_core::jose::parse_object(key.private_jwk().unwrap().as_bytes()).unwrap();
        jwk["d"].as_str().unwrap().to_owned()
    }
}
