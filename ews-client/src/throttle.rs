//! Per-identity gates: a concurrency limit that shrinks when the server says the identity has
//! too many connections, and a shared pause after a throttling answer.
//!
//! Exchange budgets concurrency per user (EWSMaxConcurrency: 10 on Exchange 2010, 27 on 2013
//! and later), and since 2010 SP2 RU4 the service account and each impersonated mailbox have
//! separate budgets. So the client keeps one gate per identity: the credential, or the
//! credential plus the impersonated mailbox. A throttle pauses every request of that identity,
//! not the others.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

tokio::task_local! {
    /// The throttling answers of the requests of one [`counting_throttles`] future.
    static THROTTLED: Arc<AtomicUsize>;
}

/// Runs `f`, counting the throttling answers its requests get, whether they were then
/// retried or not. Counts are per future, so tasks polled together (a `FuturesUnordered`)
/// each get their own.
pub(crate) async fn counting_throttles<F: std::future::Future>(f: F) -> (F::Output, usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let out = THROTTLED.scope(count.clone(), f).await;
    (out, count.load(Ordering::SeqCst))
}

/// Notes one throttling answer for the [`counting_throttles`] future being polled, if any.
pub(crate) fn note_throttled() {
    let _ = THROTTLED.try_with(|c| c.fetch_add(1, Ordering::SeqCst));
}

/// The gates of all identities of one client (shared by its scoped clones).
#[derive(Debug)]
pub(crate) struct Gates {
    limit: usize,
    map: Mutex<HashMap<String, Arc<Gate>>>,
}

impl Gates {
    pub(crate) fn new(limit: usize) -> Self {
        Gates {
            limit: limit.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn get(&self, identity: &str) -> Arc<Gate> {
        let mut map = self.map.lock().expect("gates lock");
        map.entry(identity.to_owned())
            .or_insert_with(|| Arc::new(Gate::new(self.limit)))
            .clone()
    }
}

/// One identity's gate.
#[derive(Debug)]
pub(crate) struct Gate {
    sem: Arc<Semaphore>,
    limit: AtomicUsize,
    /// Permits to retire as they come back (the limit shrank while they were in use).
    debt: AtomicUsize,
    paused_until: Mutex<Option<Instant>>,
}

/// A slot in the identity's concurrency limit; released on drop (also when the caller's
/// future is dropped mid-request).
#[derive(Debug)]
pub(crate) struct Permit {
    permit: Option<OwnedSemaphorePermit>,
    gate: Arc<Gate>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(p) = self.permit.take() {
            let retire = self
                .gate
                .debt
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| d.checked_sub(1))
                .is_ok();
            if retire {
                p.forget();
            }
        }
    }
}

impl Gate {
    fn new(limit: usize) -> Self {
        Gate {
            sem: Arc::new(Semaphore::new(limit)),
            limit: AtomicUsize::new(limit),
            debt: AtomicUsize::new(0),
            paused_until: Mutex::new(None),
        }
    }

    /// The current concurrency limit.
    pub(crate) fn limit(&self) -> usize {
        self.limit.load(Ordering::Acquire)
    }

    /// Waits for a slot.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Permit {
        let p = self
            .sem
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        Permit {
            permit: Some(p),
            gate: self.clone(),
        }
    }

    /// Lowers the limit by one (never below one), as after `ErrorExceededConnectionCount`.
    pub(crate) fn shrink(&self) -> usize {
        let shrunk = self
            .limit
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |l| {
                (l > 1).then(|| l - 1)
            });
        match shrunk {
            Ok(_) => {
                if self.sem.forget_permits(1) == 0 {
                    self.debt.fetch_add(1, Ordering::AcqRel);
                }
                tracing::debug!(limit = self.limit(), "concurrency limit lowered");
                self.limit()
            }
            Err(l) => l,
        }
    }

    /// Pauses the identity until at least `now + wait`.
    pub(crate) fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut p = self.paused_until.lock().expect("pause lock");
        if p.is_none_or(|t| t < until) {
            *p = Some(until);
        }
    }

    /// When the current pause ends, if one is in force.
    pub(crate) fn paused_until(&self) -> Option<Instant> {
        let p = *self.paused_until.lock().expect("pause lock");
        p.filter(|t| *t > Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shrinking_retires_permits_in_use() {
        let gates = Gates::new(3);
        let g = gates.get("a");
        let p1 = g.acquire().await;
        let p2 = g.acquire().await;
        let p3 = g.acquire().await;
        assert_eq!(g.shrink(), 2);
        drop(p1); // retired, not returned
        assert_eq!(g.sem.available_permits(), 0);
        drop(p2);
        assert_eq!(g.sem.available_permits(), 1);
        drop(p3);
        assert_eq!(g.sem.available_permits(), 2);
        assert_eq!(g.shrink(), 1);
        assert_eq!(g.shrink(), 1, "never below one");
        assert_eq!(g.sem.available_permits(), 1);
    }

    #[tokio::test]
    async fn throttles_are_counted_per_future() {
        let noting = |n: usize| async move {
            for _ in 0..n {
                tokio::task::yield_now().await;
                note_throttled();
            }
            n
        };
        let (a, b) = tokio::join!(counting_throttles(noting(2)), counting_throttles(noting(5)));
        assert_eq!((a, b), ((2, 2), (5, 5)));
        note_throttled(); // outside any count: ignored
    }

    #[tokio::test(start_paused = true)]
    async fn pauses_extend_and_expire() {
        let g = Gates::new(1).get("a");
        assert!(g.paused_until().is_none());
        g.pause(Duration::from_secs(5));
        g.pause(Duration::from_secs(2)); // shorter: keeps the longer pause
        let until = g.paused_until().unwrap();
        assert_eq!(until - Instant::now(), Duration::from_secs(5));
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(g.paused_until().is_none());
    }
}
