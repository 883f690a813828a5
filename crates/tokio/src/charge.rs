//! One connection's share of a [`MemoryBudget`].

use std::future::Future;
use std::pin::Pin;
use std::task::Context;

use tokio::sync::futures::OwnedNotified;

use crate::MemoryBudget;

/// What one connection charges to a shared budget; given back on drop.
#[derive(Debug)]
pub(crate) struct Charge {
    budget: MemoryBudget,
    charged: usize,
    /// Registered while the budget is spent: completes when bytes come back.
    returned: Option<Pin<Box<OwnedNotified>>>,
}

impl Charge {
    pub(crate) fn new(budget: MemoryBudget) -> Self {
        Charge {
            budget,
            charged: 0,
            returned: None,
        }
    }

    /// Sets this connection's charge to `bytes`.
    #[inline]
    pub(crate) fn set(&mut self, bytes: usize) {
        if bytes != self.charged {
            self.budget.recharge(self.charged, bytes);
            self.charged = bytes;
        }
    }

    /// Whether the connection may read now. `false` registers `cx` to be
    /// woken when another connection gives bytes back.
    pub(crate) fn poll_room(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.budget.is_spent() {
            self.returned = None;
            return true;
        }
        let returned = self
            .returned
            .get_or_insert_with(|| Box::pin(self.budget.returned()));
        // Registered before the second look, so a return in between wakes us.
        returned.as_mut().enable();
        if !self.budget.is_spent() || returned.as_mut().poll(cx).is_ready() {
            self.returned = None;
            return true;
        }
        false
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.budget.recharge(self.charged, 0);
    }
}
