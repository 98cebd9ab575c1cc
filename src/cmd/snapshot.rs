//! `coupa-access snapshot`: save live state as JSON (the format the sandbox serves), with the
//! instance, the time and the tool version. `--out -` writes to standard output.
//!
//! Users and memberships are never held: each page goes to spool files as it arrives (see
//! `spool`), and the snapshot is written from them in the final order, hashed as it goes, so
//! memory does not grow with the tenant. Nothing is written unless the whole read succeeded.

use std::cell::RefCell;
use std::sync::Arc;

use super::common;
use super::Output;
use crate::cli::SnapshotArgs;
use crate::spool::{FileRun, FileSpool, Spooled};
use coupa_access_client::{Access, Client, Streamed};
use coupa_access_core::model::{Membership, User};
use coupa_access_core::snapshot::{Resource, Stream};
use miette::{IntoDiagnostic, WrapErr};

pub async fn run(args: SnapshotArgs, out: Output) -> miette::Result<i32> {
    let read_roles = !args.no_roles;
    let mut client = common::connect_reading_roles(&args.connection, Access::Read, read_roles)?;
    let stamp = || common::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to_stdout = args.out.as_os_str() == "-";
    let spool = Arc::new(FileSpool::beside(
        (!to_stdout).then_some(args.out.as_path()),
    ));
    let started = stamp();
    let mut read = read_streamed(&mut client, spool, out).await?;
    let taken_at = stamp();
    let users = finished(std::mem::take(&mut read.users))?;
    let memberships = finished(std::mem::take(&mut read.memberships))?;
    let made = RefCell::new(None);
    let domain = client.domain().to_string();
    // Written from the spool files as it is rendered, never held as text (see `out_file`).
    let render = |w: &mut dyn std::io::Write| {
        let records = Stream {
            users: crate::spool::records(&users),
            groups: &read.groups,
            projects: &read.projects,
            roles: &read.roles,
            memberships: Box::new(
                crate::spool::records(&memberships)
                    .filter(|m| m.as_ref().map_or(true, |m| read.keeps(m))),
            ),
        };
        let manifest = coupa_access_core::snapshot::write_json_stream(
            w,
            records,
            &domain,
            &taken_at,
            read_roles,
            |content| crate::snapshot_manifest::make(&client, &started, &taken_at, content),
        )?;
        *made.borrow_mut() = Some(manifest);
        Ok(())
    };
    if to_stdout {
        super::emit_with(&render)?;
    } else {
        crate::out_file::write_with(&args.out, &render)?;
    }
    let Some(manifest) = made.into_inner() else {
        // Standard output closed by its reader before the end: nothing more to say.
        return Ok(0);
    };
    let count = |r: Resource| manifest.content.resources[r as usize].records;
    say!(
        "Snapshot of {} written to {}: {} users, {} groups, {} projects, {} roles, {} memberships.",
        client.domain(),
        if to_stdout {
            "standard output".into()
        } else {
            args.out.display().to_string()
        },
        count(Resource::Users),
        count(Resource::Groups),
        count(Resource::Projects),
        count(Resource::Roles),
        count(Resource::Memberships),
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

type Read = Streamed<FileRun<User>, FileRun<Membership>>;

/// Reads everything into `spool`, with progress as `common::read_live` shows it.
async fn read_streamed(
    client: &mut Client,
    spool: Arc<FileSpool>,
    out: Output,
) -> miette::Result<Read> {
    let bar = common::start_progress(client, out);
    let read = client.read_everything_into(spool.clone(), spool).await;
    let read = common::read_done(bar, client.domain(), read)?;
    tracing::debug!(
        groups = read.groups.len(),
        projects = read.projects.len(),
        "read live state into spool files"
    );
    Ok(read)
}

fn finished<U>(runs: Vec<FileRun<U>>) -> miette::Result<Vec<Spooled<U>>> {
    runs.into_iter()
        .map(FileRun::finish)
        .collect::<std::io::Result<_>>()
        .into_diagnostic()
        .wrap_err("cannot write a temporary file of the records read")
}
