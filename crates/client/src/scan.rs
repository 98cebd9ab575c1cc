//! Keyset scans, sequential or split into id ranges read concurrently.
//!
//! A scan starts as a plain keyset read (`id[gt]=<last>&order_by=id&dir=asc&limit=50`). A
//! resource that runs past a few full pages is large: one request (`order_by=id&dir=desc&limit=1`)
//! finds its highest id, and the ids left, `(last, max]`, are split into up to
//! [`ClientOptions::read_concurrency`](super::ClientOptions::read_concurrency) ranges, each
//! keyset-read on its own (`id[gt]=<last>&id[lt_or_eq]=<hi>`). With Coupa answering a page in
//! hundreds of milliseconds this turns a latency-bound read into a rate-limit-bound one.
//!
//! Every request goes through [`Client::get_json`] (the single send path and shared limiter).
//! Every page of every range is checked: ids strictly ascending above the range's start and
//! never above its end, so a server ignoring a filter is an error, never a skipped or
//! duplicated record. Any failing page fails the whole scan. Two ignored parameters are
//! recognised and read around instead: a probe that ignores `dir=desc`, and ranges whose pages
//! run past their `id[lt_or_eq]` bound; either way the rest is read as one plain keyset scan.
//!
//! The last range has no upper bound and, like a plain keyset read, ends at an empty page, so
//! records created during a scan are read when their ids are above the ones already read;
//! records deleted during it may or may not be, as with any paged read.

use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::read::{Keyed, PAGE_SIZE};
use super::spool::{concat, InMemory, Run, Spool};
use super::{Client, CoupaError};

/// Full pages read sequentially before a scan looks for its highest id: smaller resources (and
/// anything that shows a short page early) are read exactly as a plain keyset scan.
pub(crate) const PAGES_BEFORE_PROBE: usize = 3;

/// The fewest pages a range should hold: each range costs about one request more than a plain
/// scan (its last, empty page), so ranges much smaller than this cost more than they save.
const PAGES_PER_RANGE: u64 = 8;

/// A list endpoint and its filters (without the paging parameters).
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub path: String,
    pub params: Vec<(String, String)>,
}

impl Query {
    pub(crate) fn new(path: &str, params: &[(&str, String)]) -> Query {
        Query {
            path: path.to_string(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }

    /// The page after id `after`, up to id `upto` when given.
    pub(crate) fn page(&self, after: u64, upto: Option<u64>) -> String {
        let mut p = self.params.clone();
        p.push(("id[gt]".into(), after.to_string()));
        if let Some(hi) = upto {
            p.push(("id[lt_or_eq]".into(), hi.to_string()));
        }
        p.push(("order_by".into(), "id".into()));
        p.push(("dir".into(), "asc".into()));
        p.push(("limit".into(), PAGE_SIZE.to_string()));
        self.url(&p)
    }

    /// The one record with the highest id, trimmed to its id.
    pub(crate) fn highest(&self) -> String {
        let mut p: Vec<(String, String)> = self
            .params
            .iter()
            .filter(|(k, _)| k != "fields")
            .cloned()
            .collect();
        p.push(("fields".into(), r#"["id"]"#.into()));
        p.push(("order_by".into(), "id".into()));
        p.push(("dir".into(), "desc".into()));
        p.push(("limit".into(), "1".into()));
        self.url(&p)
    }

    fn url(&self, params: &[(String, String)]) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            q.append_pair(k, v);
        }
        format!("{}?{}", self.path, q.finish())
    }

    fn bad(&self, detail: String) -> CoupaError {
        CoupaError::Decode {
            method: "GET".into(),
            path: self.path.clone(),
            detail,
        }
    }
}

/// Records fetched so far for one resource, across every range and chunk reading it.
/// Reports go out under the lock, so the totals a progress callback sees only grow.
#[derive(Debug)]
pub(crate) struct Tally {
    resource: Option<&'static str>,
    fetched: Mutex<u64>,
}

impl Tally {
    pub(crate) fn new(resource: Option<&'static str>) -> Arc<Tally> {
        Arc::new(Tally {
            resource,
            fetched: Mutex::new(0),
        })
    }

    pub(crate) fn add(&self, client: &Client, n: usize) {
        let mut f = self.fetched.lock().unwrap_or_else(|p| p.into_inner());
        *f += n as u64;
        if let Some(r) = self.resource {
            client.report(r, *f);
        }
    }
}

/// What a keyset read of one range ended with.
struct Keyset<R> {
    /// The records read, each converted as its page arrived, in the run the spool gave.
    records: R,
    /// How many.
    count: u64,
    /// The lowest id read, if any.
    first: Option<u64>,
    /// The highest id read (the range's start when nothing was).
    last: u64,
    /// False when it stopped after `PAGES_BEFORE_PROBE` full pages with more to read.
    done: bool,
    /// A page held ids above the range's upper bound: the server ignored `id[lt_or_eq]`, so
    /// the range's records prove nothing.
    overran: bool,
    /// Requests it took.
    requests: u64,
}

/// Converts each record of a page as the page arrives, so a scan holds the model records
/// (small) instead of the wire records and their pages (large).
pub(crate) type Convert<T, U> = fn(T) -> Result<U, String>;

/// The start of a scan: its first full pages and, when there is more, the highest id (the
/// probe). What a caller learns a resource's size from before deciding how to read it; the
/// scan goes on from here with [`Client::finish_scan`], so nothing read is read twice.
pub(crate) struct Head<R> {
    q: Arc<Query>,
    tally: Arc<Tally>,
    read: Keyset<R>,
    /// The highest id of the resource, when probed (absent when the head read it all, or the
    /// server ignored `dir=desc`).
    max: Option<u64>,
}

impl<R> Head<R> {
    /// Records of the whole resource: exact when the head read it all, else the records read
    /// plus the ids left times the density of ids seen so far.
    pub(crate) fn estimated_records(&self) -> u64 {
        let read = self.read.count;
        match (self.read.done, self.max) {
            (true, _) => read,
            (false, Some(max)) if max > self.read.last => {
                let first = self.read.first.unwrap_or(1);
                let span = self
                    .read
                    .last
                    .saturating_sub(first)
                    .saturating_add(1)
                    .max(1) as f64;
                let density = (read as f64 / span).min(1.0);
                read + (max.saturating_sub(self.read.last) as f64 * density).round() as u64
            }
            // More to read but no usable probe: at least another page.
            (false, _) => read + PAGE_SIZE as u64,
        }
    }

    /// Records the head read.
    pub(crate) fn records_read(&self) -> u64 {
        self.read.count
    }

    /// Requests the rest of the scan is expected to take (none when the head read it all).
    pub(crate) fn rest_requests(&self, concurrency: usize) -> u64 {
        if self.read.done {
            return 0;
        }
        let left = self.estimated_records().saturating_sub(self.records_read());
        super::choose::rest_requests(left, concurrency)
    }
}

#[derive(Deserialize)]
struct IdOnly {
    id: Option<u64>,
}

impl Client {
    /// Every record `q` selects, in ascending id order, ranges read concurrently when the
    /// resource is large (see the module docs).
    pub(crate) async fn scan<T>(
        &self,
        q: Arc<Query>,
        tally: Arc<Tally>,
    ) -> Result<Vec<T>, CoupaError>
    where
        T: DeserializeOwned + Keyed + Send + 'static,
    {
        self.scan_into(q, tally, Ok).await
    }

    /// [`scan`](Client::scan), each record converted as its page arrives.
    pub(crate) async fn scan_into<T, U>(
        &self,
        q: Arc<Query>,
        tally: Arc<Tally>,
        convert: Convert<T, U>,
    ) -> Result<Vec<U>, CoupaError>
    where
        T: DeserializeOwned + Keyed + Send + 'static,
        U: Send + 'static,
    {
        let head = self.head(q, tally, PAGES_BEFORE_PROBE, convert).await?;
        self.finish_scan(head, convert).await
    }

    /// [`scan_into`](Client::scan_into), the records kept in runs `spool` opens: the runs in
    /// order hold every record, ascending.
    pub(crate) async fn scan_spooled<T, U, S>(
        &self,
        q: Arc<Query>,
        tally: Arc<Tally>,
        convert: Convert<T, U>,
        spool: Arc<S>,
    ) -> Result<Vec<S::Run>, CoupaError>
    where
        T: DeserializeOwned + Keyed + Send + 'static,
        U: Send + 'static,
        S: Spool<U>,
    {
        let head = self
            .head_in(q, tally, PAGES_BEFORE_PROBE, convert, &*spool)
            .await?;
        self.finish_scan_in(head, convert, spool).await
    }

    /// The first `pages` full pages of `q` and, when there is more, its highest id.
    pub(crate) async fn head<T, U>(
        &self,
        q: Arc<Query>,
        tally: Arc<Tally>,
        pages: usize,
        convert: Convert<T, U>,
    ) -> Result<Head<Vec<U>>, CoupaError>
    where
        T: DeserializeOwned + Keyed,
        U: Send + 'static,
    {
        self.head_in(q, tally, pages, convert, &InMemory).await
    }

    /// [`head`](Client::head), its records kept in a run `spool` opens.
    async fn head_in<T, U, S>(
        &self,
        q: Arc<Query>,
        tally: Arc<Tally>,
        pages: usize,
        convert: Convert<T, U>,
        spool: &S,
    ) -> Result<Head<S::Run>, CoupaError>
    where
        T: DeserializeOwned + Keyed,
        S: Spool<U>,
    {
        let read = self
            .keyset(&q, 0, None, Some(pages), &tally, convert, spool)
            .await?;
        let max = if read.done {
            None
        } else {
            let probe: Vec<IdOnly> = self.get_json(&q.highest()).await?;
            probe.iter().filter_map(|r| r.id).max()
        };
        Ok(Head {
            q,
            tally,
            read,
            max,
        })
    }

    /// The rest of a scan begun with [`head`](Client::head): every record, ascending. A scan
    /// that gets to its end is recorded as a complete listing (for snapshot manifests).
    pub(crate) async fn finish_scan<T, U>(
        &self,
        head: Head<Vec<U>>,
        convert: Convert<T, U>,
    ) -> Result<Vec<U>, CoupaError>
    where
        T: DeserializeOwned + Keyed + Send + 'static,
        U: Send + 'static,
    {
        Ok(concat(
            self.finish_scan_in(head, convert, Arc::new(InMemory))
                .await?,
        ))
    }

    /// [`finish_scan`](Client::finish_scan) into runs `spool` opens (the head's first).
    async fn finish_scan_in<T, U, S>(
        &self,
        head: Head<S::Run>,
        convert: Convert<T, U>,
        spool: Arc<S>,
    ) -> Result<Vec<S::Run>, CoupaError>
    where
        T: DeserializeOwned + Keyed + Send + 'static,
        U: Send + 'static,
        S: Spool<U>,
    {
        let path = head.q.path.clone();
        let (runs, count) = self.read_rest(head, convert, spool).await?;
        // Only a scan that ran to its end gets here (any other outcome is an error).
        self.inner.listings.completed(&path, count as usize);
        Ok(runs)
    }

    /// The runs of the whole scan, in order, and the records they hold.
    async fn read_rest<T, U, S>(
        &self,
        head: Head<S::Run>,
        convert: Convert<T, U>,
        spool: Arc<S>,
    ) -> Result<(Vec<S::Run>, u64), CoupaError>
    where
        T: DeserializeOwned + Keyed + Send + 'static,
        U: Send + 'static,
        S: Spool<U>,
    {
        let Head {
            q,
            tally,
            read,
            max,
        } = head;
        let mut count = read.count;
        let mut out = vec![read.records];
        if read.done {
            return Ok((out, count));
        }
        let max = match max {
            Some(m) if m > read.last => m,
            // Nothing above the last id (or a server that ignores `dir=desc`): finish the plain
            // scan, which is right whatever the probe said.
            _ => {
                let rest = self
                    .keyset(&q, read.last, None, None, &tally, convert, &*spool)
                    .await?;
                out.push(rest.records);
                return Ok((out, count + rest.count));
            }
        };
        let first = read.first.unwrap_or(1);
        let n = range_count(
            count,
            first,
            read.last,
            max,
            self.inner.opts.read_concurrency,
        );
        let step = page_step(count, first, read.last);
        let ranges = split_ranges(read.last, max, n, step);
        let ranges_n = ranges.len();
        let reads = ranges.into_iter().enumerate().map(|(i, (lo, hi))| {
            // The last range has no upper bound: like any keyset read it ends at an empty page,
            // so records created above the probed id during the read are read too.
            let upto = (i + 1 < ranges_n).then_some(hi);
            let (c, q, t, s) = (self.clone(), q.clone(), tally.clone(), spool.clone());
            async move {
                c.keyset::<T, U, S>(&q, lo, upto, None, &t, convert, &*s)
                    .await
            }
        });
        let parts = join_in_order(reads).await?;
        if parts.iter().any(|p| p.overran) {
            // A server that ignores `id[lt_or_eq]` answers each range with the ids after its
            // start, unbounded: the ranges cannot be trusted, the plain scan can.
            tracing::debug!(path = %q.path, "id[lt_or_eq] ignored; reading the rest as one keyset scan");
            drop(parts);
            let rest = self
                .keyset(&q, read.last, None, None, &tally, convert, &*spool)
                .await?;
            out.push(rest.records);
            return Ok((out, count + rest.count));
        }
        for part in parts {
            count += part.count;
            out.push(part.records);
        }
        Ok((out, count))
    }

    /// Keyset pages of ids in `(after, upto]` (`upto: None` is unbounded) until an empty page or
    /// the page holding `upto`; with `probe_after`, also after that many full pages. Each page
    /// is checked, then converted into a run `spool` opens, and dropped.
    #[allow(clippy::too_many_arguments)] // one private loop; a struct would only rename them
    async fn keyset<T: DeserializeOwned + Keyed, U, S: Spool<U>>(
        &self,
        q: &Query,
        after: u64,
        upto: Option<u64>,
        probe_after: Option<usize>,
        tally: &Tally,
        convert: Convert<T, U>,
        spool: &S,
    ) -> Result<Keyset<S::Run>, CoupaError> {
        let mut out = Keyset {
            records: spool.run().map_err(CoupaError::spool)?,
            count: 0,
            first: None,
            last: after,
            done: true,
            overran: false,
            requests: 0,
        };
        let mut all_full = true;
        loop {
            let page: Vec<T> = self.get_json(&q.page(out.last, upto)).await?;
            out.requests += 1;
            if page.is_empty() {
                return Ok(out);
            }
            if let Some(hi) = upto {
                if page.iter().any(|r| r.key().is_some_and(|id| id > hi)) {
                    out.overran = true;
                    return Ok(out);
                }
            }
            all_full &= page.len() >= PAGE_SIZE;
            let first = out.last;
            out.last = check_page(q, &page, out.last, upto)?;
            if out.first.is_none() {
                out.first = page.first().and_then(Keyed::key).or(Some(first));
            }
            tally.add(self, page.len());
            for r in page {
                let record = convert(r).map_err(|detail| q.bad(detail))?;
                out.records.push(record).map_err(CoupaError::spool)?;
                out.count += 1;
            }
            let done = upto == Some(out.last);
            // Only a run of full pages suggests a large resource; a short one means it is
            // nearly read, so the scan simply finishes.
            let probe = all_full && probe_after.is_some_and(|n| out.requests as usize >= n);
            if done || probe {
                out.done = done;
                return Ok(out);
            }
        }
    }
}

/// Checks that a page holds ids strictly ascending above `after` and never above `upto`, and
/// returns its last id. Keyset paging is only sound then: anything else could skip or
/// duplicate records, so it is an error, never a partial read.
pub(crate) fn check_page<T: Keyed>(
    q: &Query,
    page: &[T],
    after: u64,
    upto: Option<u64>,
) -> Result<u64, CoupaError> {
    let mut prev = after;
    for r in page {
        let id = r
            .key()
            .ok_or_else(|| q.bad("a record without an id".into()))?;
        if id <= prev {
            return Err(q.bad(format!(
                "the page after id {after} is not in ascending id order above it \
                 (id {id} after {prev}); are id[gt] and order_by=id supported?"
            )));
        }
        if let Some(hi) = upto.filter(|hi| id > *hi) {
            return Err(q.bad(format!(
                "the page of ids {after}..={hi} holds id {id} above its upper bound; \
                 is id[lt_or_eq] supported?"
            )));
        }
        prev = id;
    }
    Ok(prev)
}

/// How many ranges to split `(last, max]` into: the ids left times the density of ids seen so
/// far (`read` records in `first..=last`) estimates the pages left; at least
/// [`PAGES_PER_RANGE`] pages per range, at most `concurrency` ranges.
pub(crate) fn range_count(read: u64, first: u64, last: u64, max: u64, concurrency: usize) -> usize {
    let span = last.saturating_sub(first).saturating_add(1).max(1) as f64;
    let density = (read as f64 / span).min(1.0);
    let pages_left = (max.saturating_sub(last) as f64 * density) / PAGE_SIZE as f64;
    let n = (pages_left / PAGES_PER_RANGE as f64).floor() as usize;
    n.clamp(1, concurrency.max(1))
}

/// Splits `(after, upto]` into at most `n` contiguous, non-empty `(lo, hi]` ranges of near
/// equal width that together cover it exactly, in ascending order. Widths are multiples of
/// `step` ids (the ids a full page spans at the density seen so far) where they can be, so a
/// bounded range ends on a full page rather than a nearly empty one.
pub(crate) fn split_ranges(after: u64, upto: u64, n: usize, step: u64) -> Vec<(u64, u64)> {
    if upto <= after {
        return Vec::new();
    }
    let width = upto - after;
    let per = width
        .div_ceil(n.max(1) as u64)
        .div_ceil(step.max(1))
        .saturating_mul(step.max(1));
    let mut out = Vec::new();
    let mut lo = after;
    while lo < upto {
        let hi = lo.saturating_add(per).min(upto);
        out.push((lo, hi));
        lo = hi;
    }
    out
}

/// The ids one full page spans when `read` records were seen in `first..=last`.
fn page_step(read: u64, first: u64, last: u64) -> u64 {
    let span = last.saturating_sub(first).saturating_add(1).max(1);
    if read == 0 {
        return 1;
    }
    (span.saturating_mul(PAGE_SIZE as u64) / read).max(1)
}

/// Runs `reads` concurrently on the runtime and returns their results in the order given.
/// The first error ends the whole join: the reads still running are cancelled.
pub(crate) async fn join_in_order<T, F>(
    reads: impl IntoIterator<Item = F>,
) -> Result<Vec<T>, CoupaError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, CoupaError>> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    let mut count = 0;
    for (i, read) in reads.into_iter().enumerate() {
        set.spawn(async move { (i, read.await) });
        count += 1;
    }
    let mut out: Vec<Option<T>> = (0..count).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, Ok(v))) => out[i] = Some(v),
            Ok((_, Err(e))) => return Err(e),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => return Err(CoupaError::Setup("a read was cancelled".into())),
        }
    }
    Ok(out.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_ids_exactly_once() {
        for (after, upto, n) in [(150, 10_000, 8), (0, 7, 8), (5, 6, 3), (1, 1_000_003, 7)] {
            let r = split_ranges(after, upto, n, 1);
            assert!(!r.is_empty() && r.len() <= n);
            assert_eq!(r[0].0, after);
            assert_eq!(r[r.len() - 1].1, upto);
            for w in r.windows(2) {
                assert_eq!(w[0].1, w[1].0, "contiguous: {r:?}");
            }
            assert!(r.iter().all(|(lo, hi)| lo < hi), "non-empty: {r:?}");
        }
        assert!(split_ranges(10, 10, 4, 1).is_empty());
        assert_eq!(split_ranges(0, u64::MAX, 2, 1).len(), 2);
        // Dense ids after one page: bounded ranges hold whole pages.
        let r = split_ranges(50, 4_500, 11, page_step(50, 1, 50));
        assert!(r.len() <= 11);
        assert_eq!((r[0].0, r[r.len() - 1].1), (50, 4_500));
        for &(lo, hi) in &r[..r.len() - 1] {
            assert_eq!((hi - lo) % 50, 0, "{r:?}");
        }
        assert_eq!(page_step(50, 1, 50), 50);
        assert_eq!(page_step(50, 1, 500), 500);
        assert_eq!(page_step(0, 1, 500), 1);
    }

    #[test]
    fn small_remainders_stay_one_range_and_large_ones_use_the_concurrency() {
        // 150 dense records read, 150 ids left: three pages, not worth splitting.
        assert_eq!(range_count(150, 1001, 1150, 1300, 8), 1);
        // 10,000 dense users: ~200 pages left.
        assert_eq!(range_count(150, 1, 150, 10_000, 8), 8);
        assert_eq!(range_count(150, 1, 150, 10_000, 3), 3);
        // Ids ten apart: a wide id range holds few records.
        assert_eq!(range_count(150, 10, 1500, 20_000, 8), 4);
        assert_eq!(range_count(150, 1, 150, 10_000, 0), 1);
    }
}
