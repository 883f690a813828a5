//! Round-trip latencies and their percentiles: a sorted `Vec` of samples,
//! exact and small enough for a few million round trips.

use std::time::Duration;

/// Latency samples in nanoseconds; [`Latencies::summary`] sorts them.
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    samples: Vec<u64>,
}

/// The percentiles of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    /// The median.
    pub p50: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The largest sample.
    pub max: Duration,
}

impl Latencies {
    /// No samples yet.
    pub fn new() -> Self {
        Latencies::default()
    }

    /// Adds one round trip.
    pub fn record(&mut self, rtt: Duration) {
        self.samples
            .push(u64::try_from(rtt.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Moves the samples of `other` into these.
    pub fn merge(&mut self, mut other: Latencies) {
        self.samples.append(&mut other.samples);
    }

    /// How many samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True without samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The percentiles (nearest rank), or `None` without samples.
    pub fn summary(&mut self) -> Option<Summary> {
        self.samples.sort_unstable();
        let last = *self.samples.last()?;
        Some(Summary {
            count: self.samples.len(),
            p50: Duration::from_nanos(self.percentile(50)),
            p99: Duration::from_nanos(self.percentile(99)),
            max: Duration::from_nanos(last),
        })
    }

    /// The nearest-rank percentile of the sorted, non-empty samples: the
    /// smallest sample with at least `pct` percent of them at or below it.
    fn percentile(&self, pct: usize) -> u64 {
        let rank = (self.samples.len() * pct).div_ceil(100).max(1);
        self.samples[rank - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: impl IntoIterator<Item = u64>) -> Latencies {
        let mut latencies = Latencies::new();
        for value in values {
            latencies.record(Duration::from_nanos(value));
        }
        latencies
    }

    #[test]
    fn no_samples_no_summary() {
        assert_eq!(Latencies::new().summary(), None);
    }

    #[test]
    fn one_sample_is_every_percentile() {
        let summary = of([7]).summary().unwrap();
        let seven = Duration::from_nanos(7);
        assert_eq!(
            (summary.count, summary.p50, summary.p99, summary.max),
            (1, seven, seven, seven)
        );
    }

    #[test]
    fn nearest_rank_of_unsorted_samples() {
        // 1..=100 in reverse: the 50th and 99th smallest are 50 and 99.
        let summary = of((1..=100).rev()).summary().unwrap();
        assert_eq!(summary.p50, Duration::from_nanos(50));
        assert_eq!(summary.p99, Duration::from_nanos(99));
        assert_eq!(summary.max, Duration::from_nanos(100));
    }

    #[test]
    fn merged_samples_count_once_each() {
        let mut all = of([1, 2]);
        all.merge(of([3]));
        assert_eq!(all.len(), 3);
        assert_eq!(all.summary().unwrap().p50, Duration::from_nanos(2));
    }
}
