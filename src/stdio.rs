//! Standard streams that never panic. `eprintln!` and `println!` panic (exit 101) when the
//! stream is a pipe whose reader went away (`coupa-access plan 2>&1 | head -1`, a CI log
//! collector that died); the binary writes through `say!` and `say_raw!`
//! (in scope in every module: `main.rs` declares this one first) instead, which drop what cannot be written. Clippy's
//! `print_stdout` and `print_stderr` lints (denied in `main.rs`) keep the panicking macros out.
//! A stream closed outright (`2>&-`) needs nothing here: std points it at `/dev/null` before
//! `main` on Unix, so no file the program opens can take its number.

/// `eprintln!` that drops the line when stderr is closed or broken.
macro_rules! say {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` that drops the text when stderr is closed or broken.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::write!(::std::io::stderr(), $($arg)*);
    }};
}
