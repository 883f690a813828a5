//! The poison rule, once: a fatal error is reported once, then the machine
//! yields no more events.

/// Whether a machine has failed, and whether its fatal error has been handed
/// out yet.
///
/// The rule every machine follows: a fatal error comes out of `poll_event`
/// exactly once, and every later `poll_event` returns `None` (goodbye bytes
/// the machine queued while failing still come out of `poll_transmit`).
/// Errors found while polling are passed through [`check`](Poison::check);
/// errors found elsewhere (a timer expired, EOF in the middle of a unit) are
/// recorded with [`fail`](Poison::fail) and reported by the next poll.
///
/// ```
/// use wirestate_core::Poison;
///
/// struct Decoder { poison: Poison<String>, input: Vec<u8> }
///
/// impl Decoder {
///     fn poll_event(&mut self) -> Option<Result<u8, String>> {
///         if !self.poison.is_healthy() {
///             return self.poison.take_error().map(Err);
///         }
///         let next = self.input.pop().map(|b| if b == 0 { Err("zero".to_string()) } else { Ok(b) });
///         self.poison.check(next)
///     }
/// }
///
/// let mut d = Decoder { poison: Poison::default(), input: vec![7, 0, 5] };
/// assert_eq!(d.poll_event(), Some(Ok(5)));
/// assert_eq!(d.poll_event(), Some(Err("zero".into())));
/// assert_eq!(d.poll_event(), None); // poisoned: the 7 never comes out
///
/// // An error found outside polling is reported by the next poll.
/// let mut d = Decoder { poison: Poison::default(), input: vec![] };
/// d.poison.fail("idle".to_string());
/// assert_eq!(d.poll_event(), Some(Err("idle".into())));
/// assert_eq!(d.poll_event(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poison<E> {
    state: State<E>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State<E> {
    Healthy,
    /// Failed; the error is still to be reported.
    Pending(E),
    /// Failed and reported.
    Reported,
}

impl<E> Default for Poison<E> {
    fn default() -> Self {
        Poison {
            state: State::Healthy,
        }
    }
}

impl<E> Poison<E> {
    /// Whether no fatal error happened yet.
    #[must_use]
    pub fn is_healthy(&self) -> bool {
        matches!(self.state, State::Healthy)
    }

    /// Whether the machine failed and the error is still to be reported.
    #[must_use]
    pub fn has_pending_error(&self) -> bool {
        matches!(self.state, State::Pending(_))
    }

    /// Records a fatal error for the next poll to report. Only the first
    /// error counts: later ones are dropped, since the machine already
    /// stopped at the first.
    pub fn fail(&mut self, error: E) {
        if self.is_healthy() {
            self.state = State::Pending(error);
        }
    }

    /// Hands out the pending error, once; `None` when healthy or already
    /// reported.
    pub fn take_error(&mut self) -> Option<E> {
        match std::mem::replace(&mut self.state, State::Reported) {
            State::Pending(error) => Some(error),
            State::Healthy => {
                self.state = State::Healthy;
                None
            }
            State::Reported => None,
        }
    }

    /// Passes a poll's result through, poisoning on an error so that it is
    /// the last thing the poll yields.
    ///
    /// # Errors
    ///
    /// `next`'s error, unchanged (it only marks the poison as reported).
    pub fn check<T>(&mut self, next: Option<Result<T, E>>) -> Option<Result<T, E>> {
        if matches!(next, Some(Err(_))) {
            self.state = State::Reported;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_error_wins_and_is_reported_once() {
        let mut poison = Poison::default();
        assert!(poison.is_healthy());
        assert_eq!(poison.take_error(), None::<&str>);
        assert!(
            poison.is_healthy(),
            "take_error on a healthy machine changes nothing"
        );
        poison.fail("first");
        poison.fail("second");
        assert!(poison.has_pending_error());
        assert_eq!(poison.take_error(), Some("first"));
        assert_eq!(poison.take_error(), None);
        assert!(!poison.is_healthy());
        poison.fail("third");
        assert_eq!(
            poison.take_error(),
            None,
            "a reported machine stays poisoned"
        );
    }

    #[test]
    fn check_poisons_on_errors_only() {
        let mut poison = Poison::<&str>::default();
        assert_eq!(poison.check(Some(Ok(1))), Some(Ok(1)));
        assert_eq!(poison.check::<u8>(None), None);
        assert!(poison.is_healthy());
        assert_eq!(poison.check::<u8>(Some(Err("bad"))), Some(Err("bad")));
        assert!(!poison.is_healthy());
        assert!(!poison.has_pending_error());
    }
}
