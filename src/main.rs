//! The `coupa-access` binary: argument parsing (`cli`) and one module per command (`cmd`).
//! The only code in the workspace that prints, reads the environment or knows flag names.
#![forbid(unsafe_code)]
// Printing goes through `say!` (stdio.rs): the std macros panic on a closed pipe.
#![deny(clippy::print_stdout, clippy::print_stderr)]

#[macro_use]
mod stdio;

mod changed_since;
mod cli;
mod cli_report;
mod cli_words;
mod cmd;
mod codes;
mod errors;
mod git;
mod heartbeat;
mod journal;
mod out_file;
mod plan_file;
mod policy_dir;
mod receipt;
mod report;
mod secret;
mod snapshot_manifest;
mod spool;
mod staged;

fn main() {
    std::process::exit(cmd::main());
}
