//! The `deflect` binary: parses the command line, sets up logging, runs the
//! command from the library, and turns an error into exit code 2.

use std::process::ExitCode;

use clap::Parser;
use deflect::cli::{run, Cli};

/// jemalloc rather than glibc's allocator: an uncached search allocates
/// and frees thousands of small objects (query clauses, tokens, snippet
/// strings), and under load malloc and free were a sixth of the CPU. With
/// jemalloc the server used 5–10% less CPU per search at the same resident
/// memory; mimalloc gave the same CPU for 40–60% more memory
/// (`benches/load.sh`, figures in the README).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DEFLECT_LOG")
                .unwrap_or_else(|_| "deflect=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Errors quote input (headers, file names): print it inert.
            eprintln!(
                "error: {}",
                deflect::text::escape_controls(&format!("{e:#}"))
            );
            ExitCode::from(2)
        }
    }
}
