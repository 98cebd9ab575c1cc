//! `coupa-access export`: write policy YAML that reproduces today's live state.
//!
//! Nothing is half-written: the policy is read back and planned before anything is written
//! (see `coupa_access_core::export`), then every target path — each policy file and the schema —
//! is checked before any is written (existing files are refused without `--force`; links and
//! anything but regular files always), and all are staged as temporary files and renamed into
//! place (`staged`).

use super::common;
use super::Output;
use crate::cli::{ExportArgs, ExportMode};
use crate::staged::{self, Existing, Target};
use coupa_access_client::Access;
use coupa_access_core::export::{self, ExportError, ExportOptions, Glob};
use coupa_access_core::model::Mode;

pub async fn run(args: ExportArgs, out: Output) -> miette::Result<i32> {
    let globs = |v: &[String]| v.iter().map(|p| Glob::new(p)).collect::<Vec<_>>();
    let groups = if args.groups.is_empty() {
        vec![Glob::new("*")]
    } else {
        globs(&args.groups)
    };
    let (live, source, taken_at) = match &args.snapshot {
        Some(path) => {
            let (live, meta) = common::read_snapshot(path)?;
            common::snapshot_has_roles(path, &meta, !args.roles.is_empty())?;
            let source = meta
                .domain
                .map(|d| format!("{d} (snapshot {})", path.display()))
                .unwrap_or_else(|| format!("snapshot {}", path.display()));
            let taken_at = meta.taken_at.unwrap_or_else(|| "an unknown time".into());
            (live, source, taken_at)
        }
        None => {
            // Roles only with --roles: groups and licenses need neither /api/roles nor its
            // scope (core.common.read).
            let read_roles = !args.roles.is_empty();
            let mut client =
                common::connect_reading_roles(&args.connection, Access::Read, read_roles)?;
            // Memberships of every group: the default export covers them all. Export shows
            // no membership ids or dates, so GraphQL's placeholder rows need no completing.
            let live = super::full_read::read(&mut client, out).await?.live;
            if !read_roles {
                say!("Roles not read (no --roles given).");
            }
            let taken_at = common::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            (live, client.domain().to_string(), taken_at)
        }
    };
    let opts = ExportOptions {
        groups,
        roles: globs(&args.roles),
        licenses: globs(&args.licenses),
        mode: match args.mode {
            ExportMode::Authoritative => Mode::Authoritative,
            ExportMode::Additive => Mode::Additive,
        },
        source,
        taken_at,
    };
    let files = export::export(&live, &opts).map_err(|e| {
        // A refusal of the read-back check is about the data (or a bug), not the selection.
        let help = if e.0.iter().any(|p| {
            matches!(
                p,
                ExportError::Unreadable(_)
                    | ExportError::HoldsSettings
                    | ExportError::NotAsExported(_)
                    | ExportError::NotClean(_)
            )
        }) {
            "nothing was written; this policy would not reproduce Coupa as it is, so it is not \
             handed out (narrow the choice with --groups or --roles to export the rest)"
        } else {
            "narrow the choice with --groups, --roles or --licenses"
        };
        miette::miette!(help = help, "{e}")
    })?;
    for w in files.iter().flat_map(|f| &f.warnings) {
        say!("warning: {w}");
    }

    let existing = if args.force {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    let mut targets: Vec<Target<'_>> = files
        .iter()
        .map(|f| Target {
            path: args.out_dir.join(f.name),
            contents: &f.text,
            existing,
        })
        .collect();
    // The exported files name this schema in their modeline; an existing one is left alone.
    let schema_text = coupa_access_core::policy::json_schema();
    let schema = args.out_dir.join("policy.schema.json");
    targets.push(Target {
        path: schema.clone(),
        contents: &schema_text,
        existing: Existing::Keep,
    });
    let written = staged::write_all(&args.out_dir, &targets)?;
    for (file, path) in files.iter().zip(&targets).map(|(f, t)| (f, &t.path)) {
        say!(
            "Wrote {}: {} {}, {} member entries.",
            path.display(),
            file.targets,
            file.name.trim_end_matches(".yaml"),
            file.members
        );
    }
    if written.contains(&schema) {
        say!("Wrote {} (for editors).", schema.display());
    }
    Ok(0)
}
