//! Hash maps keyed by names, labels and ids, hashed with foldhash: the model and the engine look
//! keys up millions of times on a large tree, and nothing they hash comes from an adversary that
//! could aim at collisions (the input is the user's own manifests), so SipHash's protection buys
//! nothing there.

pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
