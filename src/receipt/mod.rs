//! The apply receipt as `apply` records it: facts gathered as the run goes (git and CI at the
//! start, the plan, the approvals verdict, each change's outcome), written once at the end,
//! whatever the end was — success, failure, refusal, interrupt — atomically (a temporary file
//! renamed over the target), so a reader never sees half a receipt.

mod outcomes;
mod source;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use coupa_access_client::apply::ApplyReport;
use coupa_access_core::evidence::{self, approvals, Approvals, Receipt, Status};
use coupa_access_core::model::{Desired, Live, Plan};

use crate::cli::ReceiptArgs;

/// The receipt of one apply run, filled in as it goes. Cheap to clone (shared), so the signal
/// handler can write it on a second interrupt.
#[derive(Clone)]
pub struct Recorder {
    path: Option<PathBuf>,
    receipt: Arc<Mutex<Receipt>>,
    /// The approvals file, read at the start (`None` without `--approvals` or when invalid).
    approvals: Option<Approvals>,
    /// Why the approvals file was refused, until [`Recorder::approvals_valid`] reports it.
    approvals_error: Arc<Mutex<Option<miette::Report>>>,
}

impl Recorder {
    /// Starts the record: the time, the instance as given, git and CI facts, the approvals file.
    /// `plan_file`: the saved plan being applied, if any (its bytes are digested).
    pub fn start(
        args: &ReceiptArgs,
        policies: &Path,
        domain: Option<&str>,
        plan_file: Option<&Path>,
    ) -> Recorder {
        let mut receipt = Receipt::started(
            env!("CARGO_PKG_VERSION"),
            domain.unwrap_or_default(),
            crate::cmd::now(),
        );
        // Git is asked only when the facts are written somewhere.
        if args.receipt.is_some() {
            receipt.source = source::gather(policies);
            // A plan file that cannot be read is reported by apply itself.
            receipt.plan_file_sha256 = plan_file
                .and_then(|p| std::fs::read(p).ok())
                .map(|bytes| evidence::canonical::sha256_bytes(&bytes));
        }
        let (approvals, error) = match args
            .approvals
            .as_deref()
            .map(|p| read_approvals(p, &mut receipt))
        {
            None => (None, None),
            Some(Ok(a)) => (Some(a), None),
            Some(Err(e)) => (None, Some(e)),
        };
        Recorder {
            path: args.receipt.clone(),
            receipt: Arc::new(Mutex::new(receipt)),
            approvals,
            approvals_error: Arc::new(Mutex::new(error)),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Receipt) -> T) -> T {
        let mut r = self.receipt.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut r)
    }

    /// Refuses an approvals file that is not valid (every problem, with its line).
    pub fn approvals_valid(&self) -> miette::Result<()> {
        let error = self
            .approvals_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        error.map_or(Ok(()), Err)
    }

    /// The instance as the client resolved it.
    pub fn instance(&self, domain: &str) {
        self.with(|r| r.instance = domain.to_string());
    }

    /// The plan about to be applied (and whether it came from a plan file).
    pub fn planned(&self, plan: &Plan, from_plan_file: bool) {
        self.with(|r| {
            r.planned(plan);
            r.from_plan_file = from_plan_file;
        });
    }

    /// Checks self-approval when both `--approvals` and `settings.reviewers` are given;
    /// otherwise records why not. Refuses a grant approved only by its receiver.
    pub fn check_approvals(
        &self,
        plan: &Plan,
        desired: &Desired,
        live: &Live,
    ) -> miette::Result<()> {
        let reviewers = &desired.settings.reviewers;
        let found = match (&self.approvals, reviewers.is_empty()) {
            (None, _) => {
                self.not_checked("no approvals were given (apply --approvals FILE)");
                return Ok(());
            }
            (Some(_), true) => {
                self.not_checked(
                    "the policy has no settings.reviewers mapping review accounts to people",
                );
                return Ok(());
            }
            (Some(a), false) => approvals::self_approvals(plan, a, reviewers, live),
        };
        self.with(|r| {
            r.approvals.checked = true;
            r.approvals.not_checked_because = None;
            r.approvals.self_approvals = found.clone();
        });
        if found.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = found.iter().map(|s| format!("  {s}")).collect();
        miette::bail!(
            help = "ask someone other than the person receiving the access to approve the pull request, then apply again",
            "refusing to apply: {} grant(s) approved only by the person who receives them; nothing was written\n{}",
            found.len(),
            lines.join("\n")
        )
    }

    fn not_checked(&self, why: &str) {
        self.with(|r| {
            r.approvals.checked = false;
            r.approvals.not_checked_because = Some(why.to_string());
        });
    }

    /// A status decided before any write (nothing to apply, cancelled at the prompt).
    pub fn status(&self, status: Status) {
        self.with(|r| r.status = status);
    }

    /// What apply did.
    pub fn applied(&self, report: &ApplyReport) {
        self.with(|r| outcomes::record(r, report));
    }

    /// Writes the receipt for a run that ended with `result` (if `--receipt` was given).
    pub fn finish(&self, result: &miette::Result<i32>) -> miette::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let text = self.with(|r| {
            if let Err(e) = result {
                // An error after the writes (the report was recorded) keeps their status.
                if !matches!(
                    r.status,
                    Status::Interrupted | Status::Failed | Status::Applied
                ) {
                    r.status = Status::Refused;
                }
                r.error = Some(error_text(e));
            }
            r.finished_at = crate::cmd::now();
            evidence::seal(r)
        });
        crate::out_file::write(path, &text)?;
        say!("Receipt written to {}.", path.display());
        Ok(())
    }

    /// On a second interrupt: the outcomes of changes not yet reported are unknown.
    pub fn abandon(&self) {
        self.with(|r| r.status = Status::Abandoned);
        let _ = self.finish(&Ok(0));
    }
}

/// Reads and validates the approvals file; records its digest and reviews in the receipt.
fn read_approvals(path: &Path, receipt: &mut Receipt) -> miette::Result<Approvals> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        miette::miette!("cannot read the approvals file {shown}: {e}; nothing was written")
    })?;
    let parsed = approvals::parse(&shown, &text).map_err(miette::Report::new)?;
    let a = &mut receipt.approvals;
    a.file_digest = Some(evidence::canonical::sha256_text(&text));
    a.repository = parsed.repository.clone();
    a.pull_request = parsed.pull_request;
    a.reviews = parsed.reviews.clone();
    Ok(parsed)
}

/// The error and its causes on one line, as the receipt records them.
fn error_text(e: &miette::Report) -> String {
    e.chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// The receipts given to `drift --receipts`, each checked (`evidence verify`'s integrity
/// check): one that does not verify stops the run rather than being half-trusted.
pub fn read_verified(receipts: &[PathBuf]) -> miette::Result<Vec<evidence::Receipt>> {
    receipts
        .iter()
        .map(|path| {
            let shown = path.display();
            let text = std::fs::read_to_string(path)
                .map_err(|e| miette::miette!("cannot read the receipt {shown}: {e}"))?;
            evidence::verify(&text).map_err(|e| {
                miette::miette!(
                    help = "check it with `coupa-access evidence verify`",
                    "the receipt {shown} cannot be used: {e}"
                )
            })
        })
        .collect()
}
