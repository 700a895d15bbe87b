//! The command line: `serve` (default), `migrate`, `users …`, `index`, `import …`, `config`, `healthcheck`, `backup`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::accounts::{self, AccountChange, Actor, Identity, NewAccount, Role};
use crate::app::{self, App};
use crate::config::{Config, ConfigSource};
use crate::db;

#[derive(Parser)]
#[command(name = "shoebox", version, about = "A self-hosted photo gallery with single sign-on")]
pub struct Cli {
    /// TOML configuration file (default: config/shoebox.toml when present).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Print every effective setting and where it came from (secrets redacted).
    Config,
    /// Index the originals: new and changed files are analysed, thumbnails made, gone files marked missing.
    Index {
        /// Re-read every file, even those whose size and modification time are unchanged.
        #[arg(long)]
        rescan: bool,
        /// Print the summary as JSON (and no progress bar).
        #[arg(long)]
        json: bool,
    },
    /// Bring in what another photo app knows about the photos.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write the deterministic benchmark corpus (camera-like JPEGs and PNGs) into a folder.
    #[command(hide = true)]
    BenchCorpus {
        folder: PathBuf,
        /// 12 MP JPEGs.
        #[arg(long, default_value_t = 26)]
        jpeg12: u32,
        /// 24 MP JPEGs.
        #[arg(long, default_value_t = 12)]
        jpeg24: u32,
        #[arg(long, default_value_t = 3)]
        png: u32,
        /// Tiny JPEGs (for scaling and rescan runs), spread over folders of 1000.
        #[arg(long, default_value_t = 0)]
        tiny: u32,
    },
    /// Exit 0 when the configured server answers /health, 1 otherwise.
    Healthcheck {
        /// Base URL to check instead of the configured host and port.
        #[arg(long)]
        url: Option<String>,
        /// Seconds to wait for an answer.
        #[arg(long, default_value_t = 5)]
        timeout: u64,
    },
    /// Copy the database to a new file while the server keeps running (never overwrites).
    Backup {
        /// File to create, e.g. /data/storage/backups/shoebox-2025-01-31.db.
        path: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Create an account. Without --password or --oidc-subject, the password is read from stdin.
    Add {
        username: String,
        #[command(flatten)]
        fields: UserFields,
        /// Password (visible in the process list; prefer stdin).
        #[arg(long)]
        password: Option<String>,
    },
    /// List accounts.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Change an account.
    Mod {
        username: String,
        #[command(flatten)]
        fields: UserFields,
        /// Stop the account from signing in.
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        /// Allow the account to sign in again.
        #[arg(long)]
        enable: bool,
        /// Remove the linked single sign-on identity.
        #[arg(long, conflicts_with = "oidc_subject")]
        unlink_oidc: bool,
    },
    /// Delete an account.
    Rm { username: String },
    /// Set a password; read from stdin unless --password is given.
    Passwd {
        username: String,
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Carry PhotoPrism's curation over from its YAML files (sidecars and album backups): titles,
    /// captions, favourites, private and archived photos, dates and places set by hand, albums.
    /// ORIGINALS_PATH must be the originals folder PhotoPrism used; the originals are indexed first.
    Photoprism {
        /// PhotoPrism's storage folder (PHOTOPRISM_STORAGE_PATH), holding sidecar/ and backup/.
        storage: PathBuf,
        /// PhotoPrism's originals are this user's folder, ORIGINALS_PATH/NAME; only their photos are matched.
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        /// Print what would change and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Store a Google Photos Takeout for a user, as uploads are stored (duplicates recognised),
    /// with the dates, places, captions, favourites and archived state of its JSON files, and its
    /// album folders as albums. Run it again to resume an interrupted import.
    Takeout {
        /// Takeout parts: .zip or .tgz files, or unpacked folders (give every part at once).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The account the photos are stored for.
        #[arg(long, value_name = "NAME")]
        user: String,
    },
}

#[derive(Args, Default)]
pub struct UserFields {
    /// admin, user or viewer.
    #[arg(long)]
    role: Option<Role>,
    /// Display name.
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    email: Option<String>,
    /// Single sign-on subject (`sub`) this account belongs to; it claims the account at first sign-in.
    #[arg(long)]
    oidc_subject: Option<String>,
    /// Issuer of that subject; empty matches any issuer and is filled at first sign-in.
    #[arg(long, requires = "oidc_subject")]
    oidc_issuer: Option<String>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&ConfigSource::from_process(cli.config.clone())) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(config.log_level, config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => {
            let app = App::build(config).await?;
            app.run_until_stopped(app::shutdown_signal()).await?;
            tracing::info!("stopped");
        }
        Command::Migrate => {
            let pool = db::connect(&config.database_path()).await?;
            db::migrate(&pool).await?;
            println!("database {} is up to date", config.database_path().display());
        }
        Command::Users(cmd) => users(cmd, &config).await?,
        Command::Config => {
            let rows = config.describe();
            let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
            let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).min(48);
            for (name, value, source) in rows {
                println!("{name:w0$}  {value:w1$}  {source}");
            }
        }
        Command::Healthcheck { url, timeout } => return Ok(healthcheck(&config, url, timeout).await),
        Command::Backup { path } => {
            let done = db::backup::write(&config.database_path(), &path).await?;
            println!("backup written to {} ({} bytes)", done.path.display(), done.bytes);
        }
        Command::Index { rescan, json } => index(&config, rescan, json).await?,
        Command::Import(cmd) => import(cmd, &config).await?,
        Command::BenchCorpus { folder, jpeg12, jpeg24, png, tiny } => {
            tokio::task::spawn_blocking(move || bench_corpus(&folder, jpeg12, jpeg24, png, tiny)).await??
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn healthcheck(config: &Config, url: Option<String>, timeout: u64) -> ExitCode {
    let base = url.unwrap_or_else(|| {
        let host = if config.http_host.is_unspecified() {
            if config.http_host.is_ipv4() { "127.0.0.1".to_string() } else { "[::1]".to_string() }
        } else if config.http_host.is_ipv6() {
            format!("[{}]", config.http_host)
        } else {
            config.http_host.to_string()
        };
        format!("http://{host}:{}", config.http_port)
    });
    let target = format!("{}/health", base.trim_end_matches('/'));
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(timeout))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("healthcheck: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client.get(&target).send().await {
        Ok(r) if r.status().is_success() => {
            println!("{target}: {}", r.status());
            ExitCode::SUCCESS
        }
        Ok(r) => {
            eprintln!("{target}: {}", r.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{target}: no answer ({e})");
            ExitCode::FAILURE
        }
    }
}

fn read_password_from_stdin() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("Password (input is shown; pipe it in to hide it): ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

async fn users(cmd: UsersCommand, config: &Config) -> anyhow::Result<()> {
    let pool = db::connect(&config.database_path()).await?;
    db::migrate(&pool).await?;
    let find = |name: String| {
        let pool = pool.clone();
        async move { db::users::by_username(&pool, &name).await?.with_context(|| format!("no user named {name:?}")) }
    };
    match cmd {
        UsersCommand::Add { username, fields, password: pw } => {
            let pw = match (pw, &fields.oidc_subject) {
                (Some(p), _) => Some(p),
                (None, Some(_)) => None,
                (None, None) => Some(read_password_from_stdin()?),
            };
            let identity =
                fields.oidc_subject.map(|subject| Identity { issuer: fields.oidc_issuer.unwrap_or_default(), subject });
            let new = NewAccount {
                username: username.clone(),
                role: fields.role,
                display_name: fields.name.unwrap_or_default(),
                email: fields.email,
                password: pw,
                identity,
                ..Default::default()
            };
            let row = accounts::create(&pool, new).await?;
            println!("created user {username} (id {}, role {})", row.id, row.role);
        }
        UsersCommand::List { json } => {
            let rows = db::users::list(&pool).await?;
            if json {
                let users = rows.iter().map(|r| r.to_user()).collect::<Result<Vec<_>, _>>()?;
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                println!("USERNAME                 ROLE    AUTH   STATUS    EMAIL");
                for r in rows {
                    let status = if r.disabled { "disabled" } else { "active" };
                    let auth = if r.auth_subject.is_some() { "oidc" } else { "local" };
                    println!(
                        "{:<24} {:<7} {:<6} {:<9} {}",
                        r.username,
                        r.role,
                        auth,
                        status,
                        r.email.unwrap_or_default()
                    );
                }
            }
        }
        UsersCommand::Mod { username, fields, disable, enable, unlink_oidc } => {
            let row = find(username.clone()).await?;
            let identity = match (fields.oidc_subject, unlink_oidc) {
                (Some(subject), _) => Some(Some(Identity { issuer: fields.oidc_issuer.unwrap_or_default(), subject })),
                (None, true) => Some(None),
                (None, false) => None,
            };
            let change = AccountChange {
                role: fields.role,
                disabled: (disable || enable).then_some(disable),
                display_name: fields.name,
                email: fields.email.map(|e| (!e.is_empty()).then_some(e)),
                identity,
            };
            accounts::change(&pool, Actor::CommandLine, row.id, change).await?;
            if disable {
                // A disabled account's sessions stop working at their next request (the
                // extractor re-reads the account), so nothing else needs ending here.
                println!("disabled {username}");
            }
            println!("updated user {username}");
        }
        UsersCommand::Rm { username } => {
            let row = find(username.clone()).await?;
            accounts::delete(&pool, Actor::CommandLine, row.id).await?;
            println!("deleted user {username}");
        }
        UsersCommand::Passwd { username, password: pw } => {
            let row = find(username.clone()).await?;
            let pw = match pw {
                Some(p) => p,
                None => read_password_from_stdin()?,
            };
            accounts::set_password(&pool, row.id, pw).await?;
            println!("password of {username} changed");
        }
    }
    Ok(())
}

async fn index(config: &Config, rescan: bool, json: bool) -> anyhow::Result<()> {
    let pool = db::connect(&config.database_path()).await?;
    db::migrate(&pool).await?;
    app::bootstrap_admin(&pool, config).await?;
    let library = crate::library::Library::open(config, pool)?;
    let bar = if json { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(0) };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} files  {per_sec}  {elapsed} elapsed, {eta} left  {wide_msg}",
        )
        .expect("valid template"),
    );
    let progress = |p: crate::library::Progress| match p {
        crate::library::Progress::Started { to_analyse, .. } => bar.set_length(to_analyse as u64),
        crate::library::Progress::File { done, path, .. } => {
            bar.set_position(done as u64);
            bar.set_message(path);
        }
        _ => {}
    };
    // The server indexes on its own (at start, on a timer, when the folder watch sees new files),
    // so a run from cron or a shell often meets one: wait for it rather than fail.
    let mut waiting = false;
    let summary = loop {
        match library.index(crate::library::IndexOptions { rescan }, &progress).await {
            Err(e) if matches!(e.downcast_ref(), Some(crate::library::CannotIndex::AlreadyRunning)) => {
                if !waiting {
                    eprintln!(
                        "another index is running (the server's, or another shoebox index): waiting for it to finish"
                    );
                    waiting = true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            other => break other?,
        }
    };
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        let secs = summary.millis as f64 / 1000.0;
        let analysed = summary.new_photos + summary.existing_photos + summary.skipped;
        println!(
            "indexed {} files in {secs:.2} s: {} new photos, {} joined known photos, {} unchanged, {} skipped, {} missing, {} unreadable ({:.1} files/s analysed)",
            summary.files,
            summary.new_photos,
            summary.existing_photos,
            summary.unchanged,
            summary.skipped,
            summary.missing,
            summary.errors,
            if secs > 0.0 { analysed as f64 / secs } else { 0.0 }
        );
        if summary.skipped > 0 {
            println!("skipped files and their reasons are in the files table (status = 'skipped')");
        }
    }
    Ok(())
}

async fn import(cmd: ImportCommand, config: &Config) -> anyhow::Result<()> {
    let pool = db::connect(&config.database_path()).await?;
    db::migrate(&pool).await?;
    app::bootstrap_admin(&pool, config).await?;
    let library = crate::library::Library::open(config, pool)?;
    match cmd {
        ImportCommand::Photoprism { storage, user, dry_run } => {
            let options = crate::import::photoprism::Options { storage, user, dry_run };
            print!("{}", crate::import::photoprism::run(&library, options).await?);
        }
        ImportCommand::Takeout { paths, user } => {
            // A bar only for a person watching; scripts and logs get the summary alone.
            let bar = if std::io::stderr().is_terminal() {
                indicatif::ProgressBar::new(0)
            } else {
                indicatif::ProgressBar::hidden()
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files  {elapsed} elapsed, {eta} left")
                    .expect("valid template"),
            );
            let progress = |done: usize, total: usize| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            };
            let options = crate::import::takeout::Options { paths, user };
            let report = crate::import::takeout::run(&library, options, &progress).await;
            bar.finish_and_clear();
            print!("{}", report?);
        }
    }
    Ok(())
}

fn bench_corpus(folder: &std::path::Path, jpeg12: u32, jpeg24: u32, png: u32, tiny: u32) -> anyhow::Result<()> {
    use crate::library::synth::{self, Spec};
    std::fs::create_dir_all(folder)?;
    let orientations = [1u8, 6, 8];
    let mut n = 0u64;
    for (count, w, h, label) in [(jpeg12, 4000, 3000, "12mp"), (jpeg24, 6000, 4000, "24mp")] {
        for i in 0..count {
            n += 1;
            let o = orientations[i as usize % 3];
            let (dw, dh) = if o >= 5 { (h, w) } else { (w, h) };
            let spec = Spec {
                width: dw,
                height: dh,
                orientation: o,
                taken: Some(format!("2023:07:{:02} 10:{:02}:00", 1 + i % 28, i % 60)),
                offset: Some("+02:00".into()),
                gps: Some((47.0 + i as f64 * 0.01, 8.0 + i as f64 * 0.01, 400.0)),
                quality: 90,
                seed: n,
                ..Default::default()
            };
            std::fs::write(folder.join(format!("{label}_{i:03}.jpg")), synth::jpeg(&spec))?;
        }
    }
    for i in 0..png {
        n += 1;
        std::fs::write(folder.join(format!("screen_{i:03}.png")), synth::png(1920, 1080, n))?;
    }
    for i in 0..tiny {
        let dir = folder.join(format!("tiny/{:04}", i / 1000));
        std::fs::create_dir_all(&dir)?;
        let spec = Spec { width: 64, height: 48, seed: u64::from(i) + 1_000_000, quality: 80, ..Default::default() };
        std::fs::write(dir.join(format!("t{i:06}.jpg")), synth::jpeg(&spec))?;
    }
    println!("wrote {} files to {}", jpeg12 + jpeg24 + png + tiny, folder.display());
    Ok(())
}
