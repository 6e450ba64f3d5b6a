//! `deflect agent add|list|disable`: accounts for the agent workspace, from
//! the command line (the first admin has to come from somewhere).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::config::Config;
use crate::store::{Role, Store};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AgentCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AgentCommand {
    /// Create an account (asks for the password, or reads it from stdin).
    Add {
        /// One-word name used to sign in.
        name: String,
        #[arg(long)]
        email: String,
        /// agent (write, review), lead (also assign and read reports), admin (also accounts).
        #[arg(long, default_value = "agent", value_parser = ["agent", "lead", "admin"])]
        role: String,
        /// Read the password from standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Disable an account and end its sessions.
    Disable { name: String },
}

pub fn run(config: Config, args: Args) -> Result<ExitCode> {
    let store = Store::open(&config.store)
        .with_context(|| format!("cannot open the store {}", config.store.display()))?;
    match args.command {
        AgentCommand::Add {
            name,
            email,
            role,
            password_stdin,
        } => {
            let password = if password_stdin || !std::io::stdin().is_terminal() {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("cannot read the password from stdin")?;
                line.trim_end_matches(['\r', '\n']).to_string()
            } else {
                ask_password()?
            };
            let role = Role::parse(&role).unwrap_or(Role::Agent);
            let account = store.create_account(&name, &email, role, &password)?;
            println!(
                "created {} <{}> as {}",
                account.name,
                account.email,
                account.role.as_str()
            );
        }
        AgentCommand::List => {
            for a in store.accounts()? {
                let state = if a.disabled { "disabled" } else { "active" };
                println!(
                    "{:<20} {:<32} {:<6} {state}",
                    a.name,
                    a.email,
                    a.role.as_str()
                );
            }
        }
        AgentCommand::Disable { name } => {
            store.disable_account(&name, None)?;
            println!("disabled {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks twice on the terminal, without echo where the terminal allows it.
fn ask_password() -> Result<String> {
    let read = |prompt: &str| -> Result<String> {
        eprint!("{prompt}");
        std::io::stderr().flush()?;
        // Turn echo off for the typed password (restored right after).
        let _ = std::process::Command::new("stty")
            .arg("-echo")
            .stdin(std::process::Stdio::inherit())
            .status();
        let mut line = String::new();
        let result = std::io::stdin().lock().read_line(&mut line);
        let _ = std::process::Command::new("stty")
            .arg("echo")
            .stdin(std::process::Stdio::inherit())
            .status();
        eprintln!();
        result?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    };
    let first = read("password: ")?;
    if read("again: ")? != first {
        bail!("the passwords differ");
    }
    Ok(first)
}
