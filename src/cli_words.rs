//! The commands and flags library messages point to ([`CliWords`]), spelled from this binary's
//! clap definitions: a renamed flag or command changes every hint with it, and an argument that
//! goes away fails the test below instead of leaving a stale hint.

use std::sync::LazyLock;

use clap::CommandFactory;
use coupa_access_core::CliWords;

/// The words, spelled once from the command line's definition.
pub fn cli_words() -> &'static CliWords {
    static WORDS: LazyLock<CliWords> = LazyLock::new(|| spell(&crate::cli::Cli::command()));
    &WORDS
}

fn spell(cli: &clap::Command) -> CliWords {
    let format = flag(cli, "plan", "format");
    CliWords {
        plan: command(cli, "plan"),
        drift: command(cli, "drift"),
        allow_removals: flag(cli, "apply", "allow_removals"),
        changed_since: flag(cli, "plan", "changed_since"),
        format_json: format!("{format} {}", value(cli, "plan", "format", "json")),
        out: flag(cli, "plan", "out"),
    }
}

/// `coupa-access plan`: the subcommand as typed.
fn command(cli: &clap::Command, name: &str) -> String {
    format!("{} {}", cli.get_name(), subcommand(cli, name).get_name())
}

fn subcommand<'a>(cli: &'a clap::Command, name: &str) -> &'a clap::Command {
    cli.find_subcommand(name)
        .unwrap_or_else(|| panic!("no `{name}` subcommand (a test in cli_words.rs checks this)"))
}

fn arg<'a>(cli: &'a clap::Command, command: &str, id: &str) -> &'a clap::Arg {
    subcommand(cli, command)
        .get_arguments()
        .find(|a| a.get_id() == id)
        .unwrap_or_else(|| panic!("`{command}` has no argument `{id}` (a test checks this)"))
}

/// `--allow-removals`: the long flag of the argument with field name `id`.
fn flag(cli: &clap::Command, command: &str, id: &str) -> String {
    let long = arg(cli, command, id)
        .get_long()
        .unwrap_or_else(|| panic!("`{command} {id}` has no long flag (a test checks this)"));
    format!("--{long}")
}

/// A value the argument accepts, as typed.
fn value(cli: &clap::Command, command: &str, id: &str, wanted: &str) -> String {
    arg(cli, command, id)
        .get_possible_values()
        .into_iter()
        .find(|v| v.matches(wanted, false))
        .map(|v| v.get_name().to_string())
        .unwrap_or_else(|| panic!("`{command} {id}` does not take `{wanted}` (a test checks this)"))
}

#[cfg(test)]
mod tests;
