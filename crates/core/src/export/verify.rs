//! The last word before an export is handed out: the files are read back through the policy
//! loader and planned against the very state they were made from. Anything but "the targets
//! exported, no settings, no changes" is refused, so no name from Coupa — however it slipped
//! past the quoting — can become a setting, a grant or a removal in a freshly exported policy.

use std::collections::BTreeMap;

use super::{ExportError, ExportFile};
use crate::index::{Listings, LiveIndex};
use crate::model::{Action, Desired, Live, Mode, PolicyFile, Settings, Target};

/// Message text with names in it, safe for a terminal (see `text`).
fn printable(s: &str) -> String {
    super::text::comment(s).into_owned()
}

/// What the export meant to declare, per section: target name -> number of members.
#[derive(Debug, Default)]
pub(super) struct Expected {
    pub groups: BTreeMap<String, usize>,
    pub roles: BTreeMap<String, usize>,
    pub licenses: BTreeMap<String, usize>,
    pub mode: Mode,
}

/// Loads `files`, then checks that they declare exactly `expected`, hold no settings and plan
/// no change against `live`.
pub(super) fn verify(
    files: &[ExportFile],
    live: &Live,
    expected: &Expected,
) -> Result<(), ExportError> {
    let policy = files
        .iter()
        .map(|f| PolicyFile {
            path: f.name.to_string(),
            text: f.text.clone(),
        })
        .collect();
    let desired = crate::policy::load_files(policy).map_err(|e| {
        let first = e.diagnostics.first().map(|d| d.to_string());
        ExportError::Unreadable(printable(&first.unwrap_or_default()))
    })?;
    if desired.settings.at.is_some() || desired.settings != Settings::default() {
        return Err(ExportError::HoldsSettings);
    }
    declares_exactly(&desired, expected)?;

    let ix = LiveIndex::new(live);
    let listings = Listings::new(&desired, &ix);
    let report = crate::policy::check_with(&listings);
    if let Some(first) = report.errors.first() {
        return Err(ExportError::NotClean(printable(&format!(
            "{} problem(s) when checked, first: {first}",
            report.errors.len()
        ))));
    }
    let diff = crate::plan::diff_with(&listings)
        .map_err(|e| ExportError::NotClean(printable(&e.to_string())))?;
    if let Some(first) = diff.changes.first() {
        let action = match first.action {
            Action::Add => "add",
            Action::Remove => "remove",
        };
        return Err(ExportError::NotClean(printable(&format!(
            "{} change(s), first: {action} {} ({} `{}`)",
            diff.changes.len(),
            first.user,
            first.target.kind().word(),
            first.target.name(),
        ))));
    }
    Ok(())
}

/// The loaded targets are the exported ones, in the exported mode, with as many members.
fn declares_exactly(desired: &Desired, expected: &Expected) -> Result<(), ExportError> {
    let seen = |targets: &mut dyn Iterator<Item = &Target>| -> BTreeMap<String, usize> {
        targets.map(|t| (t.name.clone(), t.members.len())).collect()
    };
    let sections = [
        (
            "group",
            seen(&mut desired.groups.values()),
            &expected.groups,
        ),
        ("role", seen(&mut desired.roles.values()), &expected.roles),
        (
            "license",
            seen(&mut desired.licenses.values()),
            &expected.licenses,
        ),
    ];
    for (kind, got, want) in &sections {
        if got != *want {
            let odd = got
                .iter()
                .find(|(name, n)| want.get(*name) != Some(n))
                .or_else(|| want.iter().find(|(name, n)| got.get(*name) != Some(n)))
                .map(|(name, _)| name.clone())
                .unwrap_or_default();
            return Err(ExportError::NotAsExported(format!(
                "{kind} `{}` reads back other than it was exported",
                printable(&odd)
            )));
        }
    }
    let all = || {
        desired
            .groups
            .values()
            .chain(desired.roles.values())
            .chain(desired.licenses.values())
    };
    if let Some(t) = all().find(|t| t.implicit || t.mode != expected.mode) {
        return Err(ExportError::NotAsExported(format!(
            "`{}` reads back in another mode",
            printable(&t.name)
        )));
    }
    Ok(())
}
