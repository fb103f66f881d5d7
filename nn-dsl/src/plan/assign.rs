//! Offset assignment: greedy first-fit placement in several orders, the smallest arena wins.

use std::fmt;

use super::lifetime::Buffer;

/// The order in which buffers are placed. Each buffer goes to the lowest offset where it overlaps
/// no already placed buffer whose lifetime intersects its own (first fit); only the order differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Heuristic {
    /// Largest first (TFLM's `GreedyMemoryPlanner`).
    BySize,
    /// Largest `size * lifetime` first.
    ByArea,
    /// Longest-lived first, then largest.
    ByLifetime,
    /// Earliest first, then largest (a linear scan over the schedule).
    ByStart,
    /// A local search from the best of the orders above: swaps of two buffers in the order,
    /// kept when the arena does not grow (deterministic pseudo-random choices, bounded work).
    /// Used only when it beats them.
    Search,
}

impl Heuristic {
    /// Every fixed ordering, in the order they are tried (the first wins ties); [`Heuristic::Search`]
    /// starts from the winner when it is above the lower bound.
    pub const ALL: [Heuristic; 4] = [
        Heuristic::BySize,
        Heuristic::ByArea,
        Heuristic::ByLifetime,
        Heuristic::ByStart,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Heuristic::BySize => "greedy by size",
            Heuristic::ByArea => "greedy by size x lifetime",
            Heuristic::ByLifetime => "greedy by lifetime",
            Heuristic::ByStart => "greedy by first use",
            Heuristic::Search => "greedy, order searched",
        }
    }
}

impl fmt::Display for Heuristic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn order(heuristic: Heuristic, buffers: &[Buffer]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..buffers.len()).collect();
    let len = |b: &Buffer| b.last - b.first + 1;
    // Every key ends with the index, so the order is total and the result deterministic.
    match heuristic {
        Heuristic::BySize => {
            idx.sort_by_key(|&i| (std::cmp::Reverse(buffers[i].size), buffers[i].first, i));
        }
        Heuristic::ByArea => idx.sort_by_key(|&i| {
            let b = &buffers[i];
            (
                std::cmp::Reverse(b.size.saturating_mul(len(b))),
                std::cmp::Reverse(b.size),
                i,
            )
        }),
        Heuristic::ByLifetime => idx.sort_by_key(|&i| {
            let b = &buffers[i];
            (std::cmp::Reverse(len(b)), std::cmp::Reverse(b.size), i)
        }),
        Heuristic::ByStart | Heuristic::Search => {
            idx.sort_by_key(|&i| (buffers[i].first, std::cmp::Reverse(buffers[i].size), i));
        }
    }
    idx
}

/// Places `buffers` in `order` by first fit. Returns each buffer's offset and the arena size, or
/// `None` if an offset overflows.
///
/// Only the placed buffers whose lifetimes intersect the new one's can block it; they are found
/// through a per-step list, so a long chain costs linear time (first fit over every placed buffer
/// was quadratic: 10 s for 64k layers).
fn place(buffers: &[Buffer], order: &[usize]) -> Option<(Vec<usize>, usize)> {
    let mut offsets = vec![0usize; buffers.len()];
    let steps = buffers.iter().map(|b| b.last + 1).max().unwrap_or(0);
    // Placed buffers live at each step.
    let mut live: Vec<Vec<usize>> = vec![Vec::new(); steps];
    // seen[j] == stamp: buffer j is already in `near` for the buffer being placed.
    let mut seen = vec![usize::MAX; buffers.len()];
    let mut near: Vec<(usize, usize)> = Vec::new();
    let mut arena = 0usize;
    for (stamp, &i) in order.iter().enumerate() {
        let b = buffers.get(i)?;
        near.clear();
        for at in live.get(b.first..=b.last)? {
            for &j in at {
                let mark = seen.get_mut(j)?;
                if *mark != stamp {
                    *mark = stamp;
                    let o = *offsets.get(j)?;
                    near.push((o, o.checked_add(buffers.get(j)?.size)?));
                }
            }
        }
        near.sort_unstable();
        let mut candidate = 0usize;
        for &(offset, end) in &near {
            if candidate.checked_add(b.size)? <= offset {
                break;
            }
            candidate = candidate.max(end);
        }
        let end = candidate.checked_add(b.size)?;
        *offsets.get_mut(i)? = candidate;
        arena = arena.max(end);
        for at in live.get_mut(b.first..=b.last)? {
            at.push(i);
        }
    }
    Some((offsets, arena))
}

/// Placements tried by the search at most, and the bound on `iterations * buffers^2`.
const SEARCH_ITERATIONS: usize = 4000;
const SEARCH_WORK: usize = 50_000_000;

/// Tries every fixed [`Heuristic`] and keeps the smallest arena; if that is above `lower`, the
/// lower bound, searches orders near the winner. `None` on overflow.
pub(super) fn best(buffers: &[Buffer], lower: usize) -> Option<(Heuristic, Vec<usize>, usize)> {
    let mut best: Option<(Heuristic, Vec<usize>, Vec<usize>, usize)> = None;
    for h in Heuristic::ALL {
        let ord = order(h, buffers);
        let (offsets, arena) = place(buffers, &ord)?;
        if best.as_ref().is_none_or(|(_, _, _, a)| arena < *a) {
            best = Some((h, ord, offsets, arena));
        }
    }
    let (mut heuristic, ord, mut offsets, mut arena) = best?;
    let n = ord.len();
    if arena > lower && n >= 2 {
        let iterations = SEARCH_ITERATIONS.min(SEARCH_WORK / n.saturating_mul(n).max(1));
        let mut current = ord;
        let mut current_arena = arena;
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..iterations {
            // xorshift64: deterministic, good enough to pick positions.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let a = (rng % n as u64) as usize;
            let b = ((rng >> 32) % n as u64) as usize;
            if a == b {
                continue;
            }
            current.swap(a, b);
            let (o, size) = place(buffers, &current)?;
            if size <= current_arena {
                current_arena = size;
                if size < arena {
                    (heuristic, offsets, arena) = (Heuristic::Search, o, size);
                    if arena <= lower {
                        break;
                    }
                }
            } else {
                current.swap(a, b);
            }
        }
    }
    Some((heuristic, offsets, arena))
}
