//! Where a scan keeps the records it reads. A read that returns `Live` keeps them in memory
//! ([`InMemory`]); a caller that writes them out as they arrive (`snapshot` on a large tenant)
//! passes its own [`Spool`], so the records never have to be held all at once.

/// The records of one keyset read (the head of a scan, one id range, or a fallback scan), in
/// ascending id order as their pages arrived. A scan's result is its runs in order: their
/// records one after the other are the resource in ascending id order.
pub trait Run<U>: Send + 'static {
    /// Keeps the next record; an error (the disk is full, say) fails the whole read.
    fn push(&mut self, record: U) -> Result<(), String>;
}

impl<U: Send + 'static> Run<U> for Vec<U> {
    fn push(&mut self, record: U) -> Result<(), String> {
        Vec::push(self, record);
        Ok(())
    }
}

/// Opens a [`Run`] for each keyset read of a scan. A run the scan discards (the ranges of a
/// server that ignores `id[lt_or_eq]`, read again as one plain scan) is simply dropped.
pub trait Spool<U>: Send + Sync + 'static {
    type Run: Run<U>;
    /// A new, empty run.
    fn run(&self) -> Result<Self::Run, String>;
}

/// Runs held in memory, as `Vec`s.
pub(crate) struct InMemory;

impl<U: Send + 'static> Spool<U> for InMemory {
    type Run = Vec<U>;
    fn run(&self) -> Result<Vec<U>, String> {
        Ok(Vec::new())
    }
}

/// Concatenates in-memory runs (the first one's allocation reused).
pub(crate) fn concat<U>(runs: Vec<Vec<U>>) -> Vec<U> {
    let mut runs = runs.into_iter();
    let mut out = runs.next().unwrap_or_default();
    for r in runs {
        out.extend(r);
    }
    out
}
