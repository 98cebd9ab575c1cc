//! The integration tests: one test binary, one module per area, with shared helpers in
//! `common` (a small tenant, a sandbox on 127.0.0.1:0, the real binary pointed at it) and
//! `sandbox_support` (raw HTTP against the sandbox).
#![forbid(unsafe_code)]

mod cli_apply;
mod cli_apply_cancel;
mod cli_apply_saved;
mod cli_basics;
mod cli_changed_since;
mod cli_ci_report;
mod cli_clear_then_set;
mod cli_drift;
mod cli_export;
mod cli_journal;
mod cli_owners_guard;
mod cli_pipeline;
mod cli_plan_files;
mod cli_receipts;
mod cli_report;
mod cli_snapshot;
mod cli_snapshot_manifest;
mod cli_user_writes;
mod client_cli_secret;
mod client_domain;
mod client_fail_fast;
mod client_http;
mod client_perf_ranges;
mod client_perf_sandbox;
mod client_sandbox;
mod client_secret_echo;
mod client_secrets;
mod client_warmup;
mod common;
mod conventions;
mod coupa_facts;
mod examples;
mod golden;
mod markdown_rendered;
mod partial_reads;
mod policy_check;
mod policy_load;
mod sandbox_api;
mod sandbox_contract;
mod sandbox_faults;
mod sandbox_large;
mod sandbox_support;
mod sandbox_user_faults;
mod sandbox_writes;
mod schema;
mod scoped_users;
mod scoped_vs_full;
mod sod_scoped;
