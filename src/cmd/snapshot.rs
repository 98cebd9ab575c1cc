//! `coupa-access snapshot`: save live state as JSON (the format the sandbox serves).

use miette::IntoDiagnostic;

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
    let mut json = serde_json::to_string_pretty(&live).into_diagnostic()?;
    json.push('\n');
    crate::out_file::write(&args.out, &json)?;
    eprintln!(
        "Snapshot of {} written to {}: {} users, {} groups, {} projects, {} roles, {} memberships.",
        client.domain(),
        args.out.display(),
        live.users.len(),
        live.groups.len(),
        live.projects.len(),
        live.roles.len(),
        live.memberships.len()
    );
    Ok(0)
}
