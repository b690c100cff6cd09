//! Stable sorting through one compiled sort.
//!
//! `slice::sort_by` is generic over the element type and the comparison closure, so every call site
//! compiles its own copy of the standard library's stable sort (driftsort: about 8 KB of wasm each
//! at `opt-level = 3`, tens of them in the Worker). `sort_by` here sorts the positions `0..n` with
//! one non-generic sort and a comparison behind `dyn`, then moves the elements into that order: the
//! same stable result (equal elements keep their order) for a few bytes per call site. The lists the
//! Worker sorts are short (a page of rows, a cart's lines), so the indirection costs nothing that
//! shows (docs/BENCHMARKS.md, "Worker size").

use std::cmp::Ordering;

/// Sorts `items` stably by `compare`, as `slice::sort_by` does.
pub fn sort_by<T>(items: &mut Vec<T>, mut compare: impl FnMut(&T, &T) -> Ordering) {
    let order = {
        let items: &[T] = items;
        stable_order(items.len(), &mut |a, b| compare(&items[a], &items[b]))
    };
    let mut taken: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    // `order` is a permutation of `0..n`: every element is taken exactly once.
    *items = order.into_iter().filter_map(|i| taken.get_mut(i).and_then(Option::take)).collect();
}

/// Sorts `items` stably by the key `key` gives, as `slice::sort_by_key` does.
pub fn sort_by_key<T, K: Ord>(items: &mut Vec<T>, mut key: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// The positions `0..n` in the order `compare` (of two positions) puts them, ties in position order.
/// Not generic and never inlined, so the Worker carries one copy of the stable sort for all callers.
#[inline(never)]
fn stable_order(n: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        // Pairs sorted by their first field only: equal keys must keep their order.
        let mut seed = 7u64;
        for n in [0usize, 1, 2, 3, 10, 25, 100, 257] {
            let items: Vec<(u8, usize)> = (0..n)
                .map(|i| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((seed >> 59) as u8, i)
                })
                .collect();
            let mut ours = items.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut standard = items.clone();
            standard.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(ours, standard, "n = {n}");
            let mut by_key = items.clone();
            sort_by_key(&mut by_key, |p| std::cmp::Reverse(p.0));
            let mut standard = items;
            standard.sort_by_key(|p| std::cmp::Reverse(p.0));
            assert_eq!(by_key, standard, "n = {n}");
        }
    }
}
