//! The `sprawl` binary: parse the command line, run it, map the outcome to an exit code.
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = sprawl::cli::Cli::parse();
    match sprawl::app::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            // A closed pipe (`sprawl dir | head`) is not an error.
            let broken_pipe = err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("sprawl: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
