//! One exported file's text: header comments, the section key, and each target with its
//! sorted members. Every name goes through `scalar`, every comment quoting Coupa through
//! `text::comment`.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use super::text::comment;
use super::{scalar, Cx, Entry, ExportError, ExportFile, ExportWarning, Name, LONG_KEY};
use crate::model::{Mode, NameKey, User};

/// Renders one file, with `header` (lines that may quote Coupa) as comments after the usual
/// ones; also returns what it declares (target name -> members listed), for `verify`.
pub(super) fn render(
    file: &'static str,
    section: &str,
    header: Vec<String>,
    entries: Vec<Entry<'_>>,
    warnings: Vec<ExportWarning>,
    cx: &mut Cx<'_>,
) -> (ExportFile, BTreeMap<String, usize>) {
    let Cx {
        ix,
        names,
        opts,
        problems,
    } = cx;
    // The editors' modeline first: the schema sits beside the policies (`coupa-access schema`).
    let mut text = String::from("# yaml-language-server: $schema=policy.schema.json\n");
    let from = format!(
        "Exported by coupa-access {} from {} at {}.",
        env!("CARGO_PKG_VERSION"),
        opts.source,
        opts.taken_at
    );
    let lines: Vec<String> = std::iter::once(from).chain(header).collect();
    let quoted: Vec<Cow<'_, str>> = lines.iter().map(|l| comment(l)).collect();
    let _ = writeln!(text, "# {}", quoted[0]);
    text.push_str(
        "# Members are Coupa logins (or emails where a login would not name exactly them), sorted.\n\
         # Users inactive in Coupa are listed and marked, so a plan against this file changes\n\
         # nothing; delete their lines to take their access away.\n",
    );
    if quoted.iter().any(|l| matches!(l, Cow::Owned(_))) {
        text.push_str(
            "# Line breaks, control and bidirectional characters from Coupa are written as \\u{…}\n\
             # in these comments.\n",
        );
    }
    for line in &quoted[1..] {
        let _ = writeln!(text, "# {line}");
    }
    for w in &warnings {
        let _ = writeln!(text, "# {w}.");
    }
    if entries.is_empty() {
        let _ = writeln!(text, "{section}: {{}}");
    } else {
        let _ = writeln!(text, "{section}:");
    }
    let mut members_total = 0;
    let targets = entries.len();
    let mut declared = BTreeMap::new();
    for e in entries {
        let key = scalar(&e.name);
        if key.len() > LONG_KEY {
            // An explicit key has no length limit; its value follows on the `:` line.
            let _ = write!(text, "  ? {key}\n  :");
        } else {
            let _ = write!(text, "  {key}:");
        }
        if let Some(note) = e.note {
            let _ = write!(text, "  # {note}");
        }
        text.push('\n');
        if let Some(id) = e.id {
            let _ = writeln!(text, "    id: {id}");
        }
        if !e.twins.is_empty() {
            let ids: Vec<String> = e.twins.iter().map(|t| format!("id {t}")).collect();
            let _ = writeln!(
                text,
                "    # not exported: {}, with the same name in Coupa (a policy declares each name once; rename one in Coupa to manage both)",
                ids.join(", ")
            );
        }
        if let Some(d) = e.description.filter(|d| !d.is_empty()) {
            let _ = writeln!(text, "    description: {}", scalar(d));
        }
        if opts.mode == Mode::Additive {
            text.push_str("    mode: additive\n");
        }
        for (mid, uid) in &e.unknown_users {
            let _ = writeln!(
                text,
                "    # membership {mid} names user id {uid}, which Coupa did not return"
            );
        }
        let mut members: Vec<(&User, &Name)> = Vec::with_capacity(e.holders.len());
        for u in e.holders.iter().filter_map(|id| ix.user_by_id(*id)) {
            match names.get(&u.id) {
                Some(n) => members.push((u, &n.first)),
                None => {
                    let problem = ExportError::Unnameable {
                        login: u.login.clone(),
                        id: u.id,
                    };
                    if !problems.contains(&problem) {
                        problems.push(problem);
                    }
                }
            }
        }
        untwin(&mut members, names);
        members.sort_by(|(_, a), (_, b)| (&a.folded, &a.raw).cmp(&(&b.folded, &b.raw)));
        for pair in members.windows(2) {
            if pair[0].1.folded == pair[1].1.folded {
                problems.push(ExportError::CaseClash {
                    kind: "login",
                    first: pair[0].1.raw.clone(),
                    second: pair[1].1.raw.clone(),
                });
            }
        }
        declared.insert(e.name, members.len());
        if members.is_empty() {
            text.push_str("    members: []\n");
            continue;
        }
        text.push_str("    members:\n");
        for (u, name) in members {
            members_total += 1;
            let _ = write!(text, "      - {}", name.yaml);
            if !u.active {
                text.push_str("  # inactive in Coupa");
            }
            text.push('\n');
        }
    }
    let file = ExportFile {
        name: file,
        text,
        targets,
        members: members_total,
        warnings,
    };
    (file, declared)
}

/// Members whose names are equal but for case (logins `Bob` and `bob`) are one name to a
/// target's member list: all but one of them are named by their other name (their email)
/// when that is free. Any clash left is reported by the caller.
fn untwin<'n>(members: &mut [(&User, &'n Name)], names: &'n BTreeMap<u64, super::Naming>) {
    let mut count: HashMap<&NameKey, usize> = HashMap::new();
    for (_, n) in members.iter() {
        *count.entry(&n.folded).or_default() += 1;
    }
    if count.len() == members.len() {
        return;
    }
    for (u, name) in members.iter_mut() {
        if count[&name.folded] < 2 {
            continue;
        }
        let Some(other) = names.get(&u.id).and_then(|n| n.other.as_ref()) else {
            continue;
        };
        if count.contains_key(&other.folded) {
            continue;
        }
        if let Some(n) = count.get_mut(&name.folded) {
            *n -= 1;
        }
        count.insert(&other.folded, 1);
        *name = other;
    }
}
