//! An estimate of the memory a record holds, cheap to compute (lengths, no serialisation):
//! its own size and what its strings, vectors, maps and boxes own on the heap. The spill
//! budgets the records it holds by this estimate.
use std::collections::BTreeMap;
use std::mem::size_of;

use super::{Egress, Finding, GitInfo, Hop, Identity, Liveness, Owner, Pair, Secret, Suppression};
use crate::secret::Raw;

/// What the allocator spends on one allocation beyond the bytes asked for (its header and
/// rounding), counted once per string, vector or box that owns memory.
const ALLOCATION: usize = 16;

/// Bytes a value owns on the heap, estimated from lengths and capacities.
pub(crate) trait Weigh {
    fn heap(&self) -> usize;

    /// The value's inline size and what it owns: what holding it costs.
    fn weight(&self) -> usize
    where
        Self: Sized,
    {
        size_of::<Self>() + self.heap()
    }
}

/// One allocation of `bytes` (none when empty).
fn allocation(bytes: usize) -> usize {
    if bytes == 0 {
        0
    } else {
        bytes + ALLOCATION
    }
}

impl Weigh for String {
    fn heap(&self) -> usize {
        allocation(self.capacity())
    }
}

impl Weigh for Raw {
    fn heap(&self) -> usize {
        allocation(self.expose().len())
    }
}

impl<T: Weigh> Weigh for Option<T> {
    fn heap(&self) -> usize {
        self.as_ref().map_or(0, Weigh::heap)
    }
}

impl<T: Weigh> Weigh for Vec<T> {
    fn heap(&self) -> usize {
        allocation(self.capacity() * size_of::<T>()) + self.iter().map(Weigh::heap).sum::<usize>()
    }
}

impl<T: Weigh> Weigh for Box<T> {
    fn heap(&self) -> usize {
        allocation(size_of::<T>()) + (**self).heap()
    }
}

/// A B-tree node holds several entries: counted as the entries' inline size, plus what
/// each owns.
impl<K: Weigh, V: Weigh> Weigh for BTreeMap<K, V> {
    fn heap(&self) -> usize {
        let entries = self.len() * (size_of::<K>() + size_of::<V>());
        allocation(entries) + self.iter().map(|(k, v)| k.heap() + v.heap()).sum::<usize>()
    }
}

impl Weigh for Finding {
    fn heap(&self) -> usize {
        self.rule.heap()
            + self.provider.heap()
            + self.name.heap()
            + self.secret.heap()
            + self.location.path.heap()
            + self.key.heap()
            + self.encoding.heap()
            + self.paired_with.heap()
            + self.identity.heap()
            + self.suppressed.heap()
            + self.git.heap()
            + self.egress.heap()
    }
}

impl Weigh for Secret {
    fn heap(&self) -> usize {
        self.redacted.heap()
            + self.fingerprint.heap()
            + self.value.heap()
            + self.raw.heap()
            + self.liveness.heap()
    }
}

impl Weigh for Liveness {
    fn heap(&self) -> usize {
        self.reason.heap()
            + self.checked_at.heap()
            + self.host.heap()
            + self.last_live_at.heap()
            + self.revoked_at.heap()
    }
}

impl Weigh for Pair {
    fn heap(&self) -> usize {
        self.rule.heap() + self.redacted.heap() + self.raw.heap()
    }
}

impl Weigh for Identity {
    fn heap(&self) -> usize {
        self.id.heap()
            + self.kind.heap()
            + self.provider.heap()
            + self.fields.heap()
            + self.live.heap()
            + self.owners.heap()
    }
}

impl Weigh for Owner {
    fn heap(&self) -> usize {
        self.who.heap() + self.source.heap() + self.detail.heap()
    }
}

impl Weigh for Suppression {
    fn heap(&self) -> usize {
        self.reason.heap()
    }
}

impl Weigh for GitInfo {
    fn heap(&self) -> usize {
        self.blob.heap()
            + self.first_commit.heap()
            + self.author.heap()
            + self.email.heap()
            + self.date.heap()
            + self.last_commit.heap()
            + self.last_date.heap()
    }
}

impl Weigh for Egress {
    fn heap(&self) -> usize {
        self.file.heap() + self.job.heap() + self.step.heap() + self.chain.heap()
    }
}

impl Weigh for Hop {
    fn heap(&self) -> usize {
        self.what.heap() + self.file.heap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_fields_weigh_what_they_hold() {
        let short = Finding::config_change("a.txt");
        let long = Finding::config_change(&"d/".repeat(4_000));
        assert!(short.weight() > size_of::<Finding>());
        // The path is held twice: as the location and as the redacted form.
        assert!(long.weight() >= short.weight() + 2 * 8_000 - 2 * "a.txt".len(), "{}", long.weight());
        let boxed: Box<Finding> = Box::new(long.clone());
        assert_eq!(
            boxed.weight(),
            size_of::<Box<Finding>>() + size_of::<Finding>() + ALLOCATION + long.heap()
        );
        assert_eq!(Vec::<String>::new().heap(), 0);
    }
}
