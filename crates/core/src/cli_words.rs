//! The command-line words the library's messages point to. A library message says what to do
//! ("run a full plan", "all of them in the JSON output"); the binary spells the commands and
//! flags from its own argument definitions, so a renamed flag cannot leave a stale hint behind.
//! No library crate names a flag or a command itself (a test in the binary scans their sources).

/// How the binary spells the commands and flags that library messages name. The binary builds
/// it from its command-line definitions; the library only copies these words into messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliWords {
    /// The command that makes a plan, as typed (`coupa-access plan`); also the plan's title.
    pub plan: String,
    /// The command that reports drift, as typed (`coupa-access drift`); also the report's title.
    pub drift: String,
    /// The option that lets apply go past the removal guards for an exact count
    /// (`--allow-removals`; the count follows it).
    pub allow_removals: String,
    /// The option that plans only what a pull request changes (`--changed-since`).
    pub changed_since: String,
    /// The option and value that make plan and drift write JSON (`--format json`).
    pub format_json: String,
    /// The option that writes plan's output to a file (`--out`).
    pub out: String,
}

#[cfg(test)]
impl CliWords {
    /// The words as the binary spells them today, for the core's own tests.
    pub(crate) fn for_tests() -> Self {
        CliWords {
            plan: "coupa-access plan".into(),
            drift: "coupa-access drift".into(),
            allow_removals: "--allow-removals".into(),
            changed_since: "--changed-since".into(),
            format_json: "--format json".into(),
            out: "--out".into(),
        }
    }
}
