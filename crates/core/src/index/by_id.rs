//! Places of records by id. Coupa numbers records from one counter and never deletes users, so
//! a tenant's user ids are nearly dense: a table indexed by `id - min` finds a place with one
//! read (no hashing, nothing to collide). Sparse ids fall back to a hash map (SipHash: ids come
//! from the tenant, so they must not be able to slow it down).

use std::collections::HashMap;

/// Slots per record a dense table may use before ids count as sparse.
const SLOTS_PER_RECORD: u64 = 4;

/// `id -> place` for records given in order; a repeated id maps to its last place.
#[derive(Debug)]
pub(super) enum ById {
    /// `places[id - min]` is the place, or `EMPTY`.
    Dense {
        min: u64,
        places: Vec<u32>,
    },
    Hashed(HashMap<u64, usize>),
}

const EMPTY: u32 = u32::MAX;

impl ById {
    pub(super) fn new(ids: impl Iterator<Item = u64> + Clone) -> Self {
        let (mut n, mut min, mut max) = (0u64, u64::MAX, 0u64);
        for id in ids.clone() {
            n += 1;
            min = min.min(id);
            max = max.max(id);
        }
        let span = max.checked_sub(min).and_then(|s| s.checked_add(1));
        let dense = match span {
            Some(span) => span <= n.saturating_mul(SLOTS_PER_RECORD) + 1024 && n < u64::from(EMPTY),
            None => false,
        };
        match (dense, span.and_then(|s| usize::try_from(s).ok())) {
            (true, Some(span)) => {
                let mut places = vec![EMPTY; span];
                for (place, id) in ids.enumerate() {
                    // `n < EMPTY`: every place fits.
                    places[(id - min) as usize] = place as u32;
                }
                ById::Dense { min, places }
            }
            _ => ById::Hashed(ids.enumerate().map(|(place, id)| (id, place)).collect()),
        }
    }

    /// The place of the record with this id.
    pub(super) fn get(&self, id: u64) -> Option<usize> {
        match self {
            ById::Dense { min, places } => {
                let slot = usize::try_from(id.checked_sub(*min)?).ok()?;
                places
                    .get(slot)
                    .filter(|&&p| p != EMPTY)
                    .map(|&p| p as usize)
            }
            ById::Hashed(map) => map.get(&id).copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_hashed_tables_agree_with_a_map_on_every_id() {
        let mut state = 3u64;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let mut cases: Vec<Vec<u64>> = vec![
            vec![],
            vec![0],
            vec![u64::MAX],
            vec![0, u64::MAX],
            vec![5, 5, 5],
            (1000..3000).collect(),
            (0..500).map(|i| i * 1_000_003).collect(),
        ];
        for _ in 0..200 {
            let base = next(1 << 40);
            let spread = 1 + next(10_000);
            cases.push((0..next(300)).map(|_| base + next(spread)).collect());
        }
        for ids in cases {
            let table = ById::new(ids.iter().copied());
            let map: HashMap<u64, usize> = ids.iter().enumerate().map(|(p, &id)| (id, p)).collect();
            let probes = ids
                .iter()
                .flat_map(|&id| [id, id.wrapping_add(1), id.wrapping_sub(1)])
                .chain([0, 1, u64::MAX, u64::MAX - 1]);
            for id in probes {
                assert_eq!(table.get(id), map.get(&id).copied(), "{id} in {ids:?}");
            }
        }
    }
}
