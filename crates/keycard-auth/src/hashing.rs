//! The password-hashing pool. argon2id is deliberately expensive (tens of milliseconds and
//! 19 MiB each), so it runs on tokio's blocking pool, at most one computation per core:
//! a login storm waits its turn and never occupies the async workers that serve
//! `GET /v1/me`. The wait itself is bounded twice, so a flood of registrations or logins
//! cannot make every other login wait for seconds: at most `queue` requests wait, each
//! for at most `deadline`; past either bound the answer is [`AuthError::Busy`] (503 with
//! `Retry-After`), before any hashing is done.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use keycard_core::user::PasswordHasher;
use tokio::sync::Semaphore;

use crate::error::AuthError;
use crate::settings::HashSettings;

/// Runs password hashing off the async runtime, bounded in concurrency and in waiting.
#[derive(Debug)]
pub struct HashPool {
    hasher: Arc<PasswordHasher>,
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    settings: HashSettings,
}

/// Takes one place in the queue; gives it back when dropped.
struct QueuePlace<'a>(&'a AtomicUsize);

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashPool {
    /// A pool of `slots` concurrent computations (one per core is right) over `hasher`.
    pub fn new(hasher: PasswordHasher, slots: usize, settings: HashSettings) -> Self {
        Self {
            hasher: Arc::new(hasher),
            permits: Arc::new(Semaphore::new(slots.max(1))),
            waiting: AtomicUsize::new(0),
            settings,
        }
    }

    /// Runs `work` with the hasher on the blocking pool, once a slot is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&PasswordHasher) -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let busy = AuthError::Busy {
            retry_after_secs: self.settings.deadline.get().max(1),
        };
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.settings.queue {
                    self.waiting.fetch_sub(1, Ordering::AcqRel);
                    tracing::warn!(queue = self.settings.queue, "password hashing queue full");
                    return Err(busy);
                }
                let _place = QueuePlace(&self.waiting);
                let acquire = self.permits.clone().acquire_owned();
                match tokio::time::timeout(self.settings.deadline.as_duration(), acquire).await {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(closed)) => return Err(AuthError::internal(closed)),
                    Err(_elapsed) => {
                        tracing::warn!(deadline = ?self.settings.deadline.as_duration(), "password hashing wait past its deadline");
                        return Err(busy);
                    }
                }
            }
        };
        let hasher = self.hasher.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&hasher)
        })
        .await
        .map_err(AuthError::internal)
    }

    /// Requests waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Seconds;

    fn pool(queue: usize, deadline: u64) -> Arc<HashPool> {
        Arc::new(HashPool::new(
            PasswordHasher::owasp().unwrap(),
            1,
            HashSettings {
                queue,
                deadline: Seconds::new(deadline),
            },
        ))
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        let pool = pool(1, 30);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let holder = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(move |_| released.recv().ok()).await })
        };
        while pool.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(|_| ()).await })
        };
        while pool.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        let third = pool.run(|_| ()).await;
        assert!(
            matches!(
                third,
                Err(AuthError::Busy {
                    retry_after_secs: 30
                })
            ),
            "{third:?}"
        );
        release.send(()).unwrap();
        assert!(holder.await.unwrap().is_ok());
        assert!(waiter.await.unwrap().is_ok());
        assert_eq!(pool.waiting(), 0);
    }

    #[tokio::test]
    async fn a_wait_past_the_deadline_answers_busy() {
        let pool = pool(8, 1);
        let (release, released) = std::sync::mpsc::channel::<()>();
        let holder = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(move |_| released.recv().ok()).await })
        };
        while pool.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let late = pool.run(|_| ()).await;
        assert!(matches!(late, Err(AuthError::Busy { .. })), "{late:?}");
        assert_eq!(pool.waiting(), 0, "the place in the queue is given back");
        release.send(()).unwrap();
        assert!(holder.await.unwrap().is_ok());
    }
}
