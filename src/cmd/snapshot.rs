//! `coupa-access snapshot`: save live state as JSON (the format the sandbox serves), with the
//! instance, the time and the tool version. `--out -` writes to standard output.

use super::common::{self, connect};
use super::Output;
use crate::cli::SnapshotArgs;
use coupa_access_client::Access;

pub async fn run(args: SnapshotArgs, out: Output) -> miette::Result<i32> {
    let mut client = connect(&args.connection, Access::Read)?;
    let live = common::read_live(
        &mut client,
        &coupa_access_client::ReadScope::Everything,
        out,
    )
    .await?;
    let taken_at = common::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let json = coupa_access_core::snapshot::to_json(&live, client.domain(), &taken_at);
    let to_stdout = args.out.as_os_str() == "-";
    if to_stdout {
        super::emit(&json)?;
    } else {
        crate::out_file::write(&args.out, &json)?;
    }
    eprintln!(
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
    Ok(0)
}
