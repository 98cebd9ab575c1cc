//! `coupa-access drift`: live access that differs from policy (extra / missing, with when it
//! appeared), coverage and unmanaged groups. Reads memberships of every group: coverage and
//! `--since` look beyond the managed ones.

use super::common::{self, load_policies};
use super::full_read;
use super::{Output, EXIT_CHANGES};
use crate::cli::{DriftArgs, Format, ReadPathArg};
use coupa_access_client::{Access, ReadScope};
use coupa_access_core::drift;
use coupa_access_core::model::{Live, ReadPathTaken, ReadVia};

pub async fn run(args: DriftArgs, out: Output) -> miette::Result<i32> {
    let now = common::now();
    // The date first: a typo should not cost a full read of the tenant.
    let since = match &args.since {
        Some(text) => Some(drift::parse_since(text, now).map_err(|e| {
            miette::miette!(help = "for example --since 2026-01-31", "--since: {e}")
        })?),
        None => None,
    };
    let receipts = crate::receipt::read_verified(&args.receipts)?;
    let desired = load_policies(&args.policies)?;
    // Roles only when the policy manages one: a groups-only drift needs neither /api/roles
    // nor its scope (core.common.read).
    let needs_roles = common::needs_roles(&desired);
    let mut read_path = None;
    let mut full = None;
    let (live, domain, instance, roles_read, completeness) = match &args.snapshot {
        Some(path) => {
            let (live, meta, completeness) = common::read_snapshot_checked(path)?;
            common::snapshot_has_roles(path, &meta, needs_roles)?;
            let roles_read = meta.roles_read != Some(false);
            let instance = meta.domain.clone();
            let domain = match meta.domain {
                Some(d) => format!(
                    "{d} (snapshot {}{})",
                    path.display(),
                    meta.taken_at
                        .map(|t| format!(" taken {t}"))
                        .unwrap_or_default()
                ),
                None => format!("snapshot:{}", path.display()),
            };
            (live, domain, instance, roles_read, completeness)
        }
        None => {
            let mut client =
                common::connect_reading_roles(&args.connection, Access::Read, needs_roles)?;
            // `--since` lists every membership created since a date, in any group: that needs
            // every membership's date, which only REST gives.
            if since.is_some() && args.connection.read_path == ReadPathArg::Graphql {
                miette::bail!(
                    help = "drop --read-path graphql (or use --read-path rest) with --since",
                    "--since needs every membership's creation date, which Coupa's GraphQL \
                     read does not give"
                );
            }
            let live = if since.is_some() {
                let live = common::read_live(&mut client, &ReadScope::Everything, out).await?;
                read_path = Some(ReadPathTaken {
                    via: ReadVia::Rest,
                    reason: Some("--since needs every membership's date".into()),
                });
                live
            } else {
                let mut read = full_read::read(&mut client, out).await?;
                // The rows the report shows get Coupa's ids and dates (placeholders until
                // then); a report that cannot be made is reported below, with its diagnostics.
                // Only the ids are kept from the first report: on a large tenant it is large,
                // and the second one is made below.
                let shown = drift::drift_on(&desired, &read.live, since, now.date_naive())
                    .ok()
                    .map(|first| full_read::drift_ids(&first));
                if let Some(shown) = shown {
                    full_read::complete(&client, &mut read, shown).await?;
                }
                read_path = Some(read.taken.clone());
                full = Some(read);
                Live::default()
            };
            // What the REST listings read to their end (GraphQL pages are proven, not listed).
            let completeness = coupa_access_core::snapshot::Completeness::LiveRead {
                listings: crate::snapshot_manifest::listings(&client),
            };
            let domain = client.domain().to_string();
            (
                live,
                domain.clone(),
                Some(domain),
                needs_roles,
                completeness,
            )
        }
    };
    let live = match &full {
        Some(read) => &read.live,
        None => &live,
    };
    let mut report = common::make_drift(&desired, live, since, now)?;
    if let Some(read) = &full {
        full_read::none_left(read, full_read::drift_ids(&report))?;
    }
    if let Some(since) = &mut report.since {
        since.leave_out_recreated(&receipts, instance.as_deref());
    }
    if let Some(taken) = read_path {
        report.read_path = Some(taken.via);
        report.read_path_reason = taken.reason;
    }
    report.domain = domain;
    report.roles_read = roles_read;
    report.completeness = Some(completeness);
    crate::report::append_summary(args.summary, || {
        drift::markdown(&report, crate::cli_words::cli_words())
    })?;
    super::emit(&match args.format {
        Format::Text => drift::text(&report, crate::cli_words::cli_words()),
        Format::Json => drift::json(&report),
        Format::Markdown => drift::markdown(&report, crate::cli_words::cli_words()),
    })?;
    // Exit 2 follows apply: drift apply leaves alone never goes green otherwise.
    let counted = if args.count_unapplied {
        report.summary.has_drift()
    } else {
        report.summary.applies() > 0
    };
    // A separation-of-duties conflict without a valid exception counts as drift too.
    let counted = counted || report.summary.unexcepted_conflicts > 0;
    Ok(if args.detailed_exitcode && counted {
        EXIT_CHANGES
    } else {
        0
    })
}
