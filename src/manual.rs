//! Documentation generated from the command-line definition in `cli.rs`, so that it cannot
//! drift from it: shell completions (clap_complete) and man pages (clap_mangen).
use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::Cli;

/// `sprawl completions SHELL`: the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> anyhow::Result<()> {
    clap_complete::generate(shell, &mut Cli::command(), "sprawl", out);
    Ok(out.flush()?)
}

/// `sprawl man [COMMAND...]`: the man page of sprawl or of one of its commands, in roff.
pub fn man(path: &[String], out: &mut dyn Write) -> anyhow::Result<()> {
    page(Cli::command(), path)?.render(out)?;
    Ok(out.flush()?)
}

/// The page of sprawl, or of the command at `path` (`baseline create` is sprawl-baseline-create(1)).
fn page(mut cmd: clap::Command, path: &[String]) -> anyhow::Result<clap_mangen::Man> {
    // Building names each command after its parents (`sprawl-git`), as man pages are named.
    cmd.build();
    for word in path {
        let valid: Vec<&str> = cmd.get_subcommands().map(clap::Command::get_name).collect();
        let found = cmd.find_subcommand(word).cloned().with_context(|| {
            let parent = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
            format!("{parent} has no command {word:?}; valid: {}", valid.join(", "))
        })?;
        cmd = found;
    }
    Ok(clap_mangen::Man::new(cmd.version(env!("CARGO_PKG_VERSION"))))
}
