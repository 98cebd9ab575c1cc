//! The layering conventions are held by the compiler: these tests keep the settings that make
//! it so from being dropped (`cargo clippy --all-targets -- -D warnings` does the checking).

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

#[test]
fn library_crates_inherit_the_no_print_lints() {
    let workspace = read("Cargo.toml");
    for lint in ["print_stdout", "print_stderr", "dbg_macro"] {
        assert!(
            workspace.contains(&format!("{lint} = \"deny\"")),
            "{lint} is denied in [workspace.lints.clippy]"
        );
    }
    for krate in ["core", "client", "sandbox"] {
        let manifest = read(&format!("crates/{krate}/Cargo.toml"));
        assert!(
            manifest.contains("[lints]\nworkspace = true"),
            "crates/{krate} inherits the workspace lints"
        );
    }
}

#[test]
fn the_core_may_not_touch_files_the_environment_or_the_clock() {
    let config = read("crates/core/clippy.toml");
    for path in [
        "std::fs::read_to_string",
        "std::fs::write",
        "std::fs::read_dir",
        "std::fs::File::open",
        "std::env::var",
        "std::env::var_os",
        "std::env::current_dir",
        "chrono::Utc::now",
        "std::time::SystemTime::now",
    ] {
        assert!(
            config.contains(&format!("path = \"{path}\"")),
            "{path} is disallowed in crates/core/clippy.toml"
        );
    }
}
