//! One stable sort for the whole core.
//!
//! `slice::sort_by` is generic over the element and the comparison, so every call site
//! compiles its own copy of the standard library's stable sort (about 5 KB of wasm each,
//! 14 copies in the extension's module). The helpers here sort a list of indices instead,
//! through one copy of that sort behind a `dyn` comparison, then move the elements into
//! that order: the same order `sort_by` gives (stable: equal elements keep their order).

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`, as `v.sort_by(cmp)` would.
pub(crate) fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut order = sorted_indices(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    permute(v, &mut order);
}

/// Sorts `v` stably by the key `key` gives, as `v.sort_by_key(key)` would.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// `0..n` sorted stably by `cmp` over indices: the one instance of the standard sort.
#[inline(never)]
fn sorted_indices(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

/// Reorders `v` so that its element `i` is the one that was at `order[i]`, by following
/// each cycle of the permutation (`order` is used up: its entries become `usize::MAX`).
fn permute<T>(v: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at];
            if from == usize::MAX {
                break;
            }
            order[at] = usize::MAX;
            if from == start {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, for lists with many equal keys.
    fn numbers(seed: u64, n: usize, modulo: u64) -> Vec<(u64, usize)> {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 33) % modulo, i)
            })
            .collect()
    }

    #[test]
    fn sorts_as_the_standard_stable_sort() {
        for (seed, n, modulo) in [
            (1, 0, 1),
            (2, 1, 3),
            (3, 2, 2),
            (4, 17, 3),
            (5, 100, 10),
            (6, 1000, 7),
            (7, 5000, 100_000),
        ] {
            let mut ours = numbers(seed, n, modulo);
            let mut std = ours.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            std.sort_by_key(|x| x.0);
            assert_eq!(ours, std, "seed {seed}, {n} elements");

            let mut ours = numbers(seed, n, modulo);
            let mut std = ours.clone();
            sort_by_key(&mut ours, |x| std::cmp::Reverse(x.0));
            std.sort_by_key(|x| std::cmp::Reverse(x.0));
            assert_eq!(ours, std, "seed {seed}, {n} elements, by key");
        }
    }

    #[test]
    fn sorts_part_of_a_list_and_elements_that_cannot_be_copied() {
        let mut v: Vec<String> = ["d", "b", "a", "c", "b"].map(String::from).to_vec();
        sort_by_key(&mut v[1..4], |s| s.clone());
        assert_eq!(v, ["d", "a", "b", "c", "b"]);
    }
}
