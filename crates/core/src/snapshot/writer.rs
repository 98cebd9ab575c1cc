//! Writing a snapshot without building its text: a 100,000-user tenant's snapshot is hundreds
//! of megabytes of JSON, which `to_json_read` would hold whole beside the state it renders.

use super::{Written, SNAPSHOT_FORMAT_VERSION};
use crate::model::Live;

/// Writes the snapshot JSON for `live` to `out` as it is rendered: byte for byte what
/// [`to_json_read`](super::to_json_read) returns. Pass a buffered writer.
pub fn write_json_read<W: std::io::Write>(
    mut out: W,
    live: &Live,
    domain: &str,
    taken_at: &str,
    roles_read: bool,
    manifest: Option<&super::Manifest>,
) -> std::io::Result<()> {
    let written = Written {
        format_version: SNAPSHOT_FORMAT_VERSION,
        kind: "snapshot",
        domain,
        taken_at,
        tool_version: env!("CARGO_PKG_VERSION"),
        roles_read: (!roles_read).then_some(false),
        live,
        manifest,
    };
    serde_json::to_writer_pretty(&mut out, &written)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_bytes_are_the_text_to_json_read_returns() {
        let live = crate::snapshot::fixtures::live();
        for roles_read in [true, false] {
            let mut bytes = Vec::new();
            write_json_read(
                &mut bytes,
                &live,
                "https://acme.coupahost.com",
                "2026-01-01T00:00:00Z",
                roles_read,
                None,
            )
            .unwrap();
            let text = super::super::to_json_read(
                &live,
                "https://acme.coupahost.com",
                "2026-01-01T00:00:00Z",
                roles_read,
            );
            assert_eq!(String::from_utf8(bytes).unwrap(), text);
        }
    }
}
