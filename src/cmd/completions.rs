//! `coupa-access completions SHELL`: a completion script for bash, zsh, fish, PowerShell or
//! elvish, generated from the same clap definitions the binary parses with.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub fn run(args: CompletionsArgs) -> miette::Result<i32> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "coupa-access", &mut script);
    super::emit(&String::from_utf8_lossy(&script))?;
    Ok(0)
}
