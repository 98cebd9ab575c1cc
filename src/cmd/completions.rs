//! `coupa-access completions SHELL`: a completion script for bash, zsh, fish, PowerShell or
//! elvish, generated from the same clap definitions the binary parses with.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionsArgs};

const BIN: &str = "coupa-access";

pub fn run(args: CompletionsArgs) -> miette::Result<i32> {
    super::emit(&script(args.shell))?;
    Ok(0)
}

/// The completion script for `shell`.
fn script(shell: Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    match shell {
        Shell::Bash => repair_bash(&script),
        _ => script,
    }
}

/// clap_complete's bash generator names each subcommand's state from the binary name with `-`
/// made `__` (`coupa__access__subcmd__plan`) where it sets the state, but with every `-`
/// already made `__subcmd__` where it matches it (`coupa__subcmd__access__subcmd__plan`), so
/// no subcommand's branch is ever taken and `coupa-access plan --<TAB>` offers nothing. Every
/// state name is made the spelling the script sets.
fn repair_bash(script: &str) -> String {
    let set = BIN.replace('-', "__");
    let matched = BIN.replace('-', "__subcmd__");
    script.replace(&format!("{matched}__subcmd__"), &format!("{set}__subcmd__"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state the bash script sets (`cmd="…"`) has a branch that completes it.
    #[test]
    fn every_bash_state_the_script_sets_has_a_branch() {
        let script = script(Shell::Bash);
        let mut states = 0;
        for line in script.lines() {
            let Some(rest) = line.trim().strip_prefix("cmd=\"") else {
                continue;
            };
            let state = rest.trim_end_matches('"');
            if state.is_empty() {
                continue;
            }
            states += 1;
            assert!(
                script.contains(&format!("\n        {state})\n")),
                "no branch for {state}"
            );
        }
        assert!(states > 10, "{script}");
    }
}
