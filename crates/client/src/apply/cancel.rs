//! Stopping an apply part-way: the caller (the binary, on Ctrl-C; a test, after N writes)
//! cancels; apply issues no new writes, lets the ones in flight finish for a bounded time, and
//! still reads back and reports every change.

use tokio::sync::watch;

/// Cancels an apply; cloneable, so a signal handler and a progress callback can both hold one.
#[derive(Debug, Clone)]
pub struct CancelHandle(std::sync::Arc<watch::Sender<bool>>);

/// What apply watches to know it was cancelled.
#[derive(Debug, Clone)]
pub struct Cancel(watch::Receiver<bool>);

/// A new, not yet cancelled, pair.
pub fn cancel_pair() -> (CancelHandle, Cancel) {
    let (tx, rx) = watch::channel(false);
    (CancelHandle(std::sync::Arc::new(tx)), Cancel(rx))
}

impl CancelHandle {
    /// Asks apply to stop issuing writes. Idempotent.
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }
}

impl Cancel {
    /// A token that is never cancelled.
    pub fn never() -> Cancel {
        cancel_pair().1
    }

    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once cancelled (never, if every handle was dropped uncancelled).
    pub async fn cancelled(&self) {
        let mut rx = self.0.clone();
        if rx.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
