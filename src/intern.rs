//! Interned strings. The model keeps a field path for almost every value it reads, and the same
//! paths (`spec.ingress[0].from[1].namespaceSelector`), label keys and values recur in thousands
//! of objects: each distinct string is stored once for the whole process, and an atom is a
//! copyable pointer to it. The table only grows (what it holds is bounded by the distinct paths
//! and labels ever read), so long free text such as annotation values is not interned.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Deref;
use std::sync::{Mutex, OnceLock};

/// A string stored once: two atoms are equal exactly when they point at the same text. A thin
/// pointer (8 bytes) to the stored `&str`: the model holds millions of them (every field path,
/// label key and value), and a `&str` would take 16.
#[derive(Clone, Copy)]
pub struct Atom(&'static &'static str);

/// A stored string as the tables hold it: looked up by its text.
#[derive(Clone, Copy)]
struct Entry(&'static &'static str);

impl Borrow<str> for Entry {
    fn borrow(&self) -> &str {
        self.0
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        *self.0 == *other.0
    }
}

impl Eq for Entry {}

impl Hash for Entry {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (*self.0).hash(state)
    }
}

type Hashing = foldhash::fast::FixedState;

const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// Shards keep rayon's threads from queueing on one lock while they read objects.
const SHARDS: usize = 64;

fn shards() -> &'static [Mutex<HashSet<Entry, Hashing>>] {
    static TABLE: OnceLock<Vec<Mutex<HashSet<Entry, Hashing>>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..SHARDS)
            .map(|_| Mutex::new(HashSet::with_hasher(Hashing::with_seed(SEED))))
            .collect()
    })
}

thread_local! {
    /// What this thread has interned already: the hot strings (`metadata.labels`) are found
    /// without touching a lock that the other threads hammer too.
    static SEEN: RefCell<HashSet<Entry, Hashing>> =
        const { RefCell::new(HashSet::with_hasher(Hashing::with_seed(SEED))) };
}

fn intern_shared(s: &str) -> Entry {
    let shard = Hashing::with_seed(SEED).hash_one(s) as usize % SHARDS;
    // A poisoned shard still holds valid strings: a panic elsewhere must not stop reading.
    let mut set = shards()[shard]
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(&found) = set.get(s) {
        return found;
    }
    let text: &'static str = Box::leak(s.to_owned().into_boxed_str());
    let stored = Entry(Box::leak(Box::new(text)));
    set.insert(stored);
    stored
}

impl Atom {
    pub fn new(s: &str) -> Atom {
        SEEN.with(|seen| {
            if let Some(&found) = seen.borrow().get(s) {
                return Atom(found.0);
            }
            let stored = intern_shared(s);
            seen.borrow_mut().insert(stored);
            Atom(stored.0)
        })
    }

    /// The atom of `s` if one was made, without making one: a map keyed by atoms holds no key
    /// that no atom spells, so a lookup with a string never seen needs no new atom.
    pub fn existing(s: &str) -> Option<Atom> {
        if let Some(found) = SEEN.with(|seen| seen.borrow().get(s).copied()) {
            return Some(Atom(found.0));
        }
        let shard = Hashing::with_seed(SEED).hash_one(s) as usize % SHARDS;
        let found = shards()[shard]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(s)
            .copied()?;
        // Found elsewhere: this thread finds it without the lock next time.
        SEEN.with(|seen| seen.borrow_mut().insert(found));
        Some(Atom(found.0))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl Default for Atom {
    fn default() -> Self {
        Atom::new("")
    }
}

impl Deref for Atom {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Atom {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Atom {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Atom {
    fn eq(&self, other: &Atom) -> bool {
        // One stored string per text: the same address is the same string.
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Atom {}

impl PartialEq<str> for Atom {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Atom {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Atom {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Atom> for String {
    fn eq(&self, other: &Atom) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Atom> for str {
    fn eq(&self, other: &Atom) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Atom> for &str {
    fn eq(&self, other: &Atom) -> bool {
        *self == other.as_str()
    }
}

/// Hashed as the string, so that a map keyed by atoms can be looked up with a `&str`.
impl Hash for Atom {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialOrd for Atom {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Atom {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if std::ptr::eq(self.0, other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
        // Found from another thread, whose own cache has not seen it.
        let elsewhere = std::thread::spawn(|| Atom::new("spec.rules[0].from"))
            .join()
            .unwrap();
        assert_eq!(a, elsewhere);
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
