//! One module per command; [`main`] parses arguments, sets up output and dispatches.
//! Only this layer prints: plans go to stdout; logs, progress and prompts to stderr.

mod apply;
mod common;
mod completions;
mod demo;
mod drift;
mod evidence;
mod export;
mod plan;
mod report;
mod sandbox;
mod show;
mod snapshot;
mod validate;

pub use common::{now, LiveCheckFailed};

use std::io::IsTerminal;

use clap::Parser;

use crate::cli::{Cli, ColorChoice, Command};

/// Exit code for success with changes (`--detailed-exitcode`).
pub const EXIT_CHANGES: i32 = 2;

/// What the terminal can show, decided once from `--color`, `NO_COLOR` and whether stdout and
/// stderr are terminals.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub stdout_color: bool,
    pub stderr_color: bool,
    pub stderr_is_terminal: bool,
}

impl Output {
    fn detect(choice: ColorChoice) -> Output {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let stderr_is_terminal = std::io::stderr().is_terminal();
        let decide = |is_terminal: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        };
        Output {
            stdout_color: decide(std::io::stdout().is_terminal()),
            stderr_color: decide(stderr_is_terminal),
            stderr_is_terminal,
        }
    }
}

/// Writes command output to stdout. A reader that went away (`plan | head`) is not an error
/// worth a panic; other write errors are reported.
pub fn emit(text: &str) -> miette::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(miette::miette!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}

/// Writes command output to stdout as `render` produces it, through a buffer, so output of
/// any size is never held whole in memory. Errors are treated as in [`emit`]: a reader that
/// went away ends the output quietly.
pub fn emit_streamed(
    render: impl FnOnce(&mut dyn std::fmt::Write) -> std::fmt::Result,
) -> miette::Result<()> {
    use std::io::Write;
    /// `fmt::Write` over an `io::Write`, keeping the first I/O error (`fmt::Error` has none).
    struct Sink<W: Write> {
        inner: W,
        error: Option<std::io::Error>,
    }
    impl<W: Write> std::fmt::Write for Sink<W> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.inner.write_all(s.as_bytes()).map_err(|e| {
                self.error = Some(e);
                std::fmt::Error
            })
        }
    }
    let mut sink = Sink {
        inner: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()),
        error: None,
    };
    let rendered = render(&mut sink);
    let result = match (rendered, sink.error.take()) {
        (_, Some(e)) => Err(e),
        (Err(std::fmt::Error), None) => {
            Err(std::io::Error::other("the output could not be rendered"))
        }
        (Ok(()), None) => sink.inner.flush(),
    };
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(miette::miette!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    // Usage errors exit 1, not clap's 2: 2 means "succeeded with changes" (--detailed-exitcode).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    let out = Output::detect(cli.color);
    init_logging(cli.verbose, out.stderr_color);
    let color = out.stderr_color;
    // `COLUMNS` fixes the diagnostic width where there is no terminal to ask (CI logs, tests).
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|w| (20..=1000).contains(w));
    let _ = miette::set_hook(Box::new(move |_| {
        let mut opts = miette::MietteHandlerOpts::new()
            .color(color)
            .unicode(color)
            .terminal_links(false);
        if let Some(width) = width {
            opts = opts.width(width);
        }
        Box::new(opts.build())
    }));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            say!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Plan(args) => plan::run(args, out).await,
            Command::Apply(args) => apply::run(args, out).await,
            Command::Validate(args) => validate::run(args, out).await,
            Command::Drift(args) => drift::run(args, out).await,
            Command::Export(args) => export::run(args, out).await,
            Command::Show(args) => show::run(args, out),
            Command::Evidence(cmd) => evidence::run(cmd, out).await,
            Command::Snapshot(args) => snapshot::run(args, out).await,
            Command::Report(args) => report::run(args, out).await,
            Command::Sandbox(args) => sandbox::run(args).await,
            Command::Demo(args) => demo::run(args, out).await,
            Command::Completions(args) => completions::run(args),
            Command::Schema => {
                emit(&coupa_access_core::policy::json_schema())?;
                Ok(0)
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(report) => {
            say!("{report:?}");
            1
        }
    }
}

/// Logs go to stderr; `COUPA_ACCESS_LOG` (an env-filter) overrides `-v`.
fn init_logging(verbose: u8, color: bool) {
    let default = match verbose {
        0 => "warn",
        1 => "coupa_access=debug,coupa_access_client=debug,coupa_access_sandbox=debug",
        _ => "coupa_access=trace,coupa_access_client=trace,coupa_access_sandbox=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("COUPA_ACCESS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .try_init();
}
