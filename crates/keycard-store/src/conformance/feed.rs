//! The revocation feed contracts: what one instance publishes reaches every instance that
//! shares the store, in order and intact; heartbeats get through; and a subscription begins
//! where the snapshot ends (what was published before it is not replayed).
//!
//! Each test gets a [`FeedPair`]: the same backend opened twice, as two instances would
//! open it. A revocation is recorded before it is published, as the auth service does (for
//! the SQLite feed, the record is the publication).

use std::sync::Arc;
use std::time::Duration;

use keycard_core::SessionId;
use keycard_core::revocation::{Revocation, Revoked};
use keycard_core::store::{FeedEvent, FeedSubscription, RevocationFeed, RevocationStore};

use super::fixtures::{at, user_id};

/// How long an event may take to arrive before the test fails.
pub const DELIVERY: Duration = Duration::from_secs(5);

/// One instance's view of the backend.
pub struct Instance {
    /// Where it records revocations.
    pub revocations: Arc<dyn RevocationStore>,
    /// Its feed.
    pub feed: Arc<dyn RevocationFeed>,
}

/// What a delivered revocation's `published_at_ms` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublishTime {
    /// The value given to `publish` (a feed that carries messages).
    AsPublished,
    /// When the revocation was recorded, by the backend's clock (a feed that reads the
    /// store): the test checks only that it is set.
    AsRecorded,
}

impl Instance {
    /// The instance of `store`, with `feed`.
    pub fn new<S: RevocationStore + 'static>(
        store: Arc<S>,
        feed: impl RevocationFeed + 'static,
    ) -> Self {
        Self {
            revocations: store,
            feed: Arc::new(feed),
        }
    }
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Instance { .. }")
    }
}

/// Two handles on one backend, opened separately.
#[derive(Debug)]
pub struct FeedPair {
    /// The first instance.
    pub one: Instance,
    /// The second instance.
    pub two: Instance,
    /// What `published_at_ms` holds on this backend.
    pub publish_time: PublishTime,
}

fn session_revoked(secs: i64) -> Revocation {
    Revocation {
        what: Revoked::Session(SessionId::generate().expect("random source")),
        at: at(secs),
        forget_after: at(secs + 900),
    }
}

async fn record_and_publish(instance: &Instance, revocation: &Revocation, published_at_ms: i64) {
    instance
        .revocations
        .record_revocation(revocation)
        .await
        .unwrap();
    instance
        .feed
        .publish(revocation, published_at_ms)
        .await
        .unwrap();
}

/// The next event that is not a heartbeat, within [`DELIVERY`].
async fn next_revoked(subscription: &mut Box<dyn FeedSubscription>) -> (Revocation, i64) {
    let wait = async {
        loop {
            match subscription.next().await {
                Some(FeedEvent::Heartbeat) => {}
                Some(FeedEvent::Revoked {
                    revocation,
                    published_at_ms,
                }) => return (revocation, published_at_ms),
                None => panic!("the subscription ended"),
            }
        }
    };
    tokio::time::timeout(DELIVERY, wait)
        .await
        .expect("a revocation within the delivery bound")
}

pub async fn every_subscriber_gets_every_revocation_in_order(pair: FeedPair) {
    let mut subscriptions = [
        pair.one.feed.subscribe().await.unwrap(),
        pair.two.feed.subscribe().await.unwrap(),
    ];
    let user = Revocation {
        what: Revoked::UserBefore {
            user: user_id(),
            not_before: at(20),
        },
        at: at(20),
        forget_after: at(1800),
    };
    let published = [
        (session_revoked(10), 1_800_000_010_001),
        (user, 1_800_000_020_002),
        (session_revoked(30), 1_800_000_030_003),
    ];
    for (revocation, ms) in &published {
        record_and_publish(&pair.one, revocation, *ms).await;
    }
    for subscription in &mut subscriptions {
        for (revocation, ms) in &published {
            let (got, got_ms) = next_revoked(subscription).await;
            assert_eq!(&got, revocation, "delivered intact and in order");
            match pair.publish_time {
                PublishTime::AsPublished => assert_eq!(got_ms, *ms),
                PublishTime::AsRecorded => assert!(got_ms > 0, "{got_ms}"),
            }
        }
    }
}

/// A revocation recorded again under the same key (a later "log out everywhere") is
/// delivered again. (Recorded twice before a polling feed looks, only the later record is
/// left to deliver, which is all a follower needs: it supersedes the first.)
pub async fn a_revocation_recorded_again_is_delivered_again(pair: FeedPair) {
    let mut subscription = pair.two.feed.subscribe().await.unwrap();
    let user = user_id();
    let revoke_before = |secs: i64| Revocation {
        what: Revoked::UserBefore {
            user: user.clone(),
            not_before: at(secs),
        },
        at: at(secs),
        forget_after: at(secs + 1800),
    };
    for secs in [20, 30] {
        let revocation = revoke_before(secs);
        record_and_publish(&pair.one, &revocation, 1).await;
        assert_eq!(next_revoked(&mut subscription).await.0, revocation);
    }
}

pub async fn heartbeats_reach_every_subscriber(pair: FeedPair) {
    let mut subscriptions = [
        pair.one.feed.subscribe().await.unwrap(),
        pair.two.feed.subscribe().await.unwrap(),
    ];
    pair.two.feed.heartbeat().await.unwrap();
    for subscription in &mut subscriptions {
        let event = tokio::time::timeout(DELIVERY, subscription.next())
            .await
            .expect("a heartbeat within the delivery bound");
        assert_eq!(event, Some(FeedEvent::Heartbeat));
    }
}

/// How long before a subscription an event counts as history rather than in flight.
const WELL_BEFORE: Duration = Duration::from_secs(1);

/// A subscription delivers what is published after it began, and replays no history: at
/// most an event published just before it began may come too (in a Redis Cluster the bus
/// carries a publish to the other nodes after the publisher has its answer), which the
/// follower applies again without effect.
pub async fn a_subscription_delivers_what_follows_and_no_history(pair: FeedPair) {
    let history = session_revoked(5);
    record_and_publish(&pair.one, &history, 1).await;
    // Long past any delivery in flight: `history` is what a snapshot, not the feed, carries.
    tokio::time::sleep(WELL_BEFORE).await;
    let just_before = session_revoked(10);
    record_and_publish(&pair.one, &just_before, 2).await;
    let mut late = pair.two.feed.subscribe().await.unwrap();
    let after = session_revoked(20);
    record_and_publish(&pair.one, &after, 3).await;
    let mut delivered = Vec::new();
    loop {
        let (revocation, _) = next_revoked(&mut late).await;
        if revocation == after {
            break;
        }
        delivered.push(revocation);
    }
    assert!(
        delivered.iter().all(|early| *early == just_before) && delivered.len() <= 1,
        "what came well before is the snapshot's, not the feed's: {delivered:?}"
    );
}
