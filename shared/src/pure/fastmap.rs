//! The hash map the index keys by resource ids.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a: AWS resource ids are short, and the maps are built from the account's own state, so a
/// fast non-keyed hash beats SipHash here (hash flooding is not a threat model for this input).
#[derive(Default, Clone, Copy)]
pub struct FnvHasher(u64);

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A hash map keyed by resource ids.
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FnvHasher>>;
