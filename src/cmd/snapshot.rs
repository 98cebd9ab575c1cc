//! `coupa-access snapshot`: save live state as JSON (the format the sandbox serves), with the
//! instance, the time and the tool version. `--out -` writes to standard output.

use super::common;
use super::Output;
use crate::cli::SnapshotArgs;
use coupa_access_client::Access;

pub async fn run(args: SnapshotArgs, out: Output) -> miette::Result<i32> {
    let read_roles = !args.no_roles;
    let mut client = common::connect_reading_roles(&args.connection, Access::Read, read_roles)?;
    let stamp = || common::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let started = stamp();
    let live = common::read_live(
        &mut client,
        &coupa_access_client::ReadScope::Everything,
        out,
    )
    .await?;
    let taken_at = stamp();
    let content = crate::snapshot_manifest::content(&live);
    let manifest = crate::snapshot_manifest::make(&client, &started, &taken_at, content);
    // Written from the model as it is rendered, never held as text (see `out_file`).
    let domain = client.domain().to_string();
    let render = |w: &mut dyn std::io::Write| {
        coupa_access_core::snapshot::write_json_read(
            w,
            &live,
            &domain,
            &taken_at,
            read_roles,
            Some(&manifest),
        )
    };
    let to_stdout = args.out.as_os_str() == "-";
    if to_stdout {
        super::emit_with(&render)?;
    } else {
        crate::out_file::write_with(&args.out, &render)?;
    }
    say!(
        "Snapshot of {} written to {}: {} users, {} groups, {} projects, {} roles, {} memberships.",
        client.domain(),
        if to_stdout {
            "standard output".into()
        } else {
            args.out.display().to_string()
        },
        live.users.len(),
        live.groups.len(),
        live.projects.len(),
        live.roles.len(),
        live.memberships.len()
    );
    say!(
        "Completeness: {} listing(s) each paged to its end in {} request(s); content {}.",
        manifest.listings.len(),
        manifest.listings.iter().map(|l| l.requests).sum::<u64>(),
        manifest.content.sha256
    );
    if !read_roles {
        say!("Roles not read (--no-roles): the snapshot says so, and plans of roles refuse it.");
    }
    Ok(0)
}
