//! Every word the library's hints use is a command line this binary accepts, and no library
//! crate spells a flag or a command itself.

use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};

use super::cli_words;
use crate::cli::Cli;

/// Parses `words` as a command line (a hint's words with the values a user would add).
fn accepts(words: &[&str]) -> Result<(), clap::Error> {
    let mut argv: Vec<String> = Vec::new();
    for w in words {
        argv.extend(w.split_whitespace().map(str::to_string));
    }
    Cli::try_parse_from(argv).map(|_| ())
}

#[test]
fn every_flag_and_command_the_hints_name_is_accepted_by_the_command_line() {
    let w = cli_words();
    // `coupa-access plan`, `coupa-access drift`: the binary's name and a subcommand.
    for command in [&w.plan, &w.drift] {
        let (bin, sub) = command.split_once(' ').expect("binary and subcommand");
        assert_eq!(bin, Cli::command().get_name());
        assert!(Cli::command().find_subcommand(sub).is_some(), "{command}");
    }
    let lines: [&[&str]; 6] = [
        &[&w.plan, &w.changed_since, "main"],
        &[&w.plan, &w.format_json],
        &[&w.plan, &w.out, "plan.json"],
        &[&w.drift, &w.format_json],
        &["coupa-access apply", &w.allow_removals, "6"],
        &[&w.plan, &w.format_json, &w.out, "plan.json"],
    ];
    for line in lines {
        if let Err(e) = accepts(line) {
            panic!("{line:?} is not a valid command line: {e}");
        }
    }
}

/// Library text that names a flag or the binary without being a hint, and why.
const NOT_HINTS: &[(&str, &str)] = &[
    ("git fetch --unshallow", "git's flag, for the git command a person runs"),
    ("git blame --porcelain", "git's flag"),
    (
        "Checked only by `coupa-access validate`",
        "reference documentation the `schema` command prints, like the doc comments it is built from",
    ),
    (
        "\"coupa-access apply receipt\"",
        "the receipt file's kind, a format identifier",
    ),
];

#[test]
fn library_crates_name_no_flag_or_command_in_their_messages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let subcommands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let bin = Cli::command().get_name().to_string();
    let mut found = Vec::new();
    for krate in ["core", "client", "sandbox"] {
        for file in library_files(&root.join("crates").join(krate).join("src")) {
            let text = std::fs::read_to_string(&file).expect("reads");
            for (n, line) in non_test_code(&text) {
                let code = line.trim_start();
                if code.starts_with("//") || code.starts_with("#[") {
                    continue;
                }
                if NOT_HINTS.iter().any(|(text, _)| line.contains(text)) {
                    continue;
                }
                let names_flag = line.match_indices("--").any(|(i, _)| {
                    line[i + 2..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_lowercase())
                });
                let names_command = subcommands
                    .iter()
                    .any(|s| line.contains(&format!("{bin} {s}")));
                if names_flag || names_command {
                    let path = file.strip_prefix(root).unwrap_or(&file).display();
                    found.push(format!("{path}:{n}: {}", line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "library messages name flags or commands; take the words from `CliWords` instead:\n{}",
        found.join("\n")
    );
}

/// The `.rs` files under `dir`, without the modules declared `#[cfg(test)] mod name;`.
fn library_files(dir: &Path) -> Vec<PathBuf> {
    let files = rs_files(dir);
    let tests: Vec<PathBuf> = files.iter().flat_map(|f| test_modules(f)).collect();
    files
        .into_iter()
        .filter(|f| !tests.iter().any(|t| f.starts_with(t)))
        .collect()
}

fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("reads the folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rs_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The files and folders of the test-only modules `file` declares.
fn test_modules(file: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(file).expect("reads");
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let parent = file.parent().expect("in a folder");
    let stem = file.file_stem().expect("named").to_string_lossy();
    // `foo.rs` keeps its children in `foo/`; `mod.rs` and `lib.rs` beside themselves.
    let children = if matches!(&*stem, "mod" | "lib" | "main") {
        parent.to_path_buf()
    } else {
        parent.join(&*stem)
    };
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if *line != "#[cfg(test)]" {
            continue;
        }
        let mut path_attr = None;
        for next in &lines[i + 1..] {
            if let Some(p) = next.strip_prefix("#[path = \"") {
                path_attr = p.strip_suffix("\"]").map(str::to_string);
            } else if next.starts_with("#[") {
                continue;
            } else {
                if let Some(name) = next.strip_prefix("mod ").and_then(|n| n.strip_suffix(';')) {
                    match &path_attr {
                        Some(p) => out.push(parent.join(p)),
                        None => {
                            out.push(children.join(format!("{name}.rs")));
                            out.push(children.join(name));
                        }
                    }
                }
                break;
            }
        }
    }
    out
}

/// Numbered lines of `text` outside `#[cfg(test)]` items.
fn non_test_code(text: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "#[cfg(test)]" {
            out.push((i + 1, lines[i]));
            i += 1;
            continue;
        }
        // The item the attribute is on: to its `;`, or to the `}` at its own indentation.
        let Some(start) = (i + 1..lines.len()).find(|&j| !lines[j].trim().starts_with("#[")) else {
            break;
        };
        let item = lines[start];
        let indent = item.len() - item.trim_start().len();
        i = if item.trim_end().ends_with('{') {
            (start + 1..lines.len())
                .find(|&j| lines[j].trim_end() == format!("{}}}", &item[..indent]))
                .map_or(lines.len(), |j| j + 1)
        } else {
            start + 1
        };
    }
    out
}
