//! `coupa-access validate`: offline policy checks, and with credentials (or a snapshot) every
//! name resolved against Coupa.

use super::common::{self, check_against_live, load_policies};
use super::Output;
use crate::cli::ValidateArgs;
use coupa_access_client::Access;

pub async fn run(args: ValidateArgs, out: Output) -> miette::Result<i32> {
    let desired = load_policies(&args.policies)?;
    let counts = [
        (desired.groups.len(), "group"),
        (desired.roles.len(), "role"),
        (desired.licenses.len(), "license"),
    ]
    .map(|(n, what)| format!("{n} {what}{}", if n == 1 { "" } else { "s" }))
    .join(", ");
    let against = if let Some(path) = &args.snapshot {
        let (live, meta) = common::read_snapshot(path)?;
        common::snapshot_has_roles(path, &meta, common::needs_roles(&desired))?;
        Some((live, format!("snapshot {}", path.display())))
    } else if args.connection.any_given() {
        let read_roles = common::needs_roles(&desired);
        let mut client = common::connect_reading_roles(&args.connection, Access::Read, read_roles)?;
        // Names only: no memberships needed.
        let live = common::read_live(
            &mut client,
            &coupa_access_client::ReadScope::no_memberships(),
            out,
        )
        .await?;
        Some((live, client.domain().to_string()))
    } else {
        None
    };
    match against {
        Some((live, source)) => {
            check_against_live(&desired, &live)?;
            say!("Policies in {} are valid ({counts}); every name resolves in {source}.", args.policies.display());
        }
        None => say!(
            "Policies in {} are valid offline ({counts}). Set COUPA_DOMAIN and credentials to also check names against Coupa.",
            args.policies.display()
        ),
    }
    Ok(0)
}
