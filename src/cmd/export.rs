//! `coupa-access export`: write policy YAML that reproduces today's live state.
//!
//! Nothing is half-written: every target file is checked before any is written (existing files
//! are refused without `--force`), and each is written through a temporary file and a rename.

use miette::{IntoDiagnostic, WrapErr};

use super::common;
use super::Output;
use crate::cli::{ExportArgs, ExportMode};
use coupa_access_client::{Access, ReadScope};
use coupa_access_core::export::{self, ExportOptions, Glob};
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
            // Memberships of every group: the default export covers them all.
            let live = common::read_live(&mut client, &ReadScope::Everything, out).await?;
            if !read_roles {
                eprintln!("Roles not read (no --roles given).");
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
        miette::miette!(
            help = "narrow the choice with --groups, --roles or --licenses",
            "{e}"
        )
    })?;

    let targets: Vec<_> = files.iter().map(|f| args.out_dir.join(f.name)).collect();
    if !args.force {
        let existing: Vec<String> = targets
            .iter()
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            miette::bail!(
                help = "pass --force to overwrite them, or choose another --out-dir",
                "nothing written: {} already exist(s)",
                existing.join(", ")
            );
        }
    }
    std::fs::create_dir_all(&args.out_dir)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot create {}", args.out_dir.display()))?;
    for (file, path) in files.iter().zip(&targets) {
        crate::out_file::write(path, &file.text)?;
        eprintln!(
            "Wrote {}: {} {}, {} member entries.",
            path.display(),
            file.targets,
            file.name.trim_end_matches(".yaml"),
            file.members
        );
    }
    // The exported files name this schema in their modeline; an existing one is left alone.
    let schema = args.out_dir.join("policy.schema.json");
    if !schema.exists() {
        crate::out_file::write(&schema, &coupa_access_core::policy::json_schema())?;
        eprintln!("Wrote {} (for editors).", schema.display());
    }
    Ok(0)
}
