//! Interned strings. The model keeps a field path for almost every value it reads, and the same
//! paths (`spec.ingress[0].from[1].namespaceSelector`), label keys and namespace names recur in
//! thousands of objects: each distinct string is stored once for the whole process and shared.
//! The table only grows, so only short strings are kept in it (paths, names, label keys and
//! values); a longer one (a JSON annotation) gets an allocation of its own.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};

/// A string stored once when short. Two short atoms are equal exactly when they are the same
/// allocation.
#[derive(Clone)]
pub struct Atom(Arc<str>);

/// Strings longer than this are not interned.
const INTERNED_MAX: usize = 128;

type Hashing = foldhash::fast::FixedState;

/// Shards keep rayon's threads from queueing on one lock while they read objects.
const SHARDS: usize = 64;

struct Table {
    hashing: Hashing,
    shards: Vec<Mutex<HashSet<Arc<str>, Hashing>>>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Table {
        hashing: Hashing::with_seed(0x9e37_79b9_7f4a_7c15),
        shards: (0..SHARDS)
            .map(|_| Mutex::new(HashSet::with_hasher(Hashing::default())))
            .collect(),
    })
}

impl Atom {
    pub fn new(s: &str) -> Atom {
        if s.len() > INTERNED_MAX {
            return Atom(Arc::from(s));
        }
        let table = table();
        let shard = table.hashing.hash_one(s) as usize % SHARDS;
        // A poisoned shard still holds valid strings: a panic elsewhere must not stop reading.
        let mut set = table.shards[shard]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(found) = set.get(s) {
            return Atom(found.clone());
        }
        let stored: Arc<str> = Arc::from(s);
        set.insert(stored.clone());
        Atom(stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Atom {
    fn default() -> Self {
        static EMPTY: OnceLock<Atom> = OnceLock::new();
        EMPTY.get_or_init(|| Atom::new("")).clone()
    }
}

impl Deref for Atom {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Atom {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Atom {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Atom {
    fn eq(&self, other: &Atom) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || (self.0.len() > INTERNED_MAX && self.0 == other.0)
    }
}

impl Eq for Atom {}

impl PartialEq<str> for Atom {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Atom {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

/// Hashed as the string, so that a map keyed by atoms can be looked up with a `&str`.
impl Hash for Atom {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (*self.0).hash(state)
    }
}

impl PartialOrd for Atom {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Atom {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.0.cmp(&other.0)
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Atom {
    fn from(s: &str) -> Self {
        Atom::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_allocation() {
        let a = Atom::new("spec.rules[0].from");
        let b = Atom::new(&format!("spec.rules[{}].from", 0));
        assert_eq!(a, b);
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_ne!(a, Atom::new("spec.rules[1].from"));
        assert_eq!(Atom::default().as_str(), "");
        let long = "x".repeat(INTERNED_MAX + 1);
        assert_eq!(Atom::new(&long), Atom::new(&long));
        assert_ne!(Atom::new(&long), Atom::new(&long[1..]));
        let mut sorted = [Atom::new("b"), Atom::new("a"), Atom::new("c")];
        sorted.sort();
        assert_eq!(
            sorted.iter().map(Atom::as_str).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn atoms_are_found_by_their_text() {
        let mut set = std::collections::HashSet::new();
        set.insert(Atom::new("istio.io/use-waypoint"));
        assert!(set.contains("istio.io/use-waypoint"));
        assert!(!set.contains("istio.io/dataplane-mode"));
    }
}
