//! A byte budget shared by many connections: the server-wide bound on
//! buffered input and queued output.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;

/// Bytes of buffered input and queued output that all the connections
/// sharing it may hold together.
///
/// Give a clone to every [`Connection`](crate::Connection) with
/// [`with_memory_budget`](crate::Connection::with_memory_budget): each
/// charges what it holds (its machine's input buffer capacity, the units
/// it reassembles, and its unsent transmits) and stops reading while the budget
/// [`is_spent`](MemoryBudget::is_spent); it reads again once other
/// connections gave bytes back. A server also refuses new connections
/// while it is spent.
///
/// A connection never charges more than it holds, so the memory of all
/// connections is bounded by the limit plus what each one holds beyond it
/// when it stopped reading (at most one read).
///
/// ```
/// use wirestate_tokio::MemoryBudget;
///
/// let budget = MemoryBudget::new(64 << 20);
/// let shared = budget.clone();
/// assert_eq!(shared.limit(), 64 << 20);
/// assert!(!budget.is_spent());
/// ```
#[derive(Debug, Clone)]
pub struct MemoryBudget {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    limit: usize,
    used: AtomicUsize,
    /// Woken whenever bytes are given back while the budget was spent.
    returned: Arc<Notify>,
}

impl MemoryBudget {
    /// A budget of `limit` bytes, none used.
    pub fn new(limit: usize) -> Self {
        MemoryBudget {
            shared: Arc::new(Shared {
                limit,
                used: AtomicUsize::new(0),
                returned: Arc::new(Notify::new()),
            }),
        }
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.shared.limit
    }

    /// The bytes charged now, by all connections together.
    pub fn used(&self) -> usize {
        self.shared.used.load(Ordering::Relaxed)
    }

    /// Whether the charged bytes reached the limit: connections stop
    /// reading and servers refuse new connections until bytes are given
    /// back.
    pub fn is_spent(&self) -> bool {
        self.used() >= self.shared.limit
    }

    /// Moves one holder's charge from `before` to `after` bytes, waking the
    /// connections that wait for room when bytes come back. Connections
    /// charge themselves; call it for other memory a server wants counted
    /// (a cache shared by connections), and give every byte back (`after`
    /// 0) when the holder goes.
    ///
    /// ```
    /// use wirestate_tokio::MemoryBudget;
    ///
    /// let budget = MemoryBudget::new(100);
    /// budget.recharge(0, 100);
    /// assert!(budget.is_spent());
    /// budget.recharge(100, 0);
    /// assert_eq!(budget.used(), 0);
    /// ```
    pub fn recharge(&self, before: usize, after: usize) {
        if after > before {
            self.shared
                .used
                .fetch_add(after - before, Ordering::Relaxed);
        } else if before > after {
            let was = self
                .shared
                .used
                .fetch_sub(before - after, Ordering::Relaxed);
            if was >= self.shared.limit {
                self.shared.returned.notify_waiters();
            }
        }
    }

    /// A future that completes when bytes are given back. Create it before
    /// checking [`is_spent`](MemoryBudget::is_spent) again, so a return in
    /// between is not missed.
    pub(crate) fn returned(&self) -> OwnedNotified {
        self.shared.returned.clone().notified_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_add_up_and_come_back() {
        let budget = MemoryBudget::new(100);
        let other = budget.clone();
        budget.recharge(0, 60);
        other.recharge(0, 40);
        assert_eq!(budget.used(), 100);
        assert!(other.is_spent());
        other.recharge(40, 10);
        assert_eq!(budget.used(), 70);
        assert!(!budget.is_spent());
        budget.recharge(60, 0);
        other.recharge(10, 0);
        assert_eq!(budget.used(), 0);
    }

    #[tokio::test]
    async fn a_return_wakes_the_waiters_of_a_spent_budget() {
        let budget = MemoryBudget::new(10);
        budget.recharge(0, 10);
        let mut waiting = Box::pin(budget.returned());
        waiting.as_mut().enable();
        budget.recharge(10, 4);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("woken by the return");
    }
}
