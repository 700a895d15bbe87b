//! Log setup: `LOG_LEVEL` and `LOG_FORMAT` (text or JSON), to stderr.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(level: tracing::Level, format: LogFormat) {
    // Our own logs at the configured level; dependencies only from warn unless asked for more.
    let directive = match level {
        tracing::Level::TRACE | tracing::Level::DEBUG => level.to_string().to_lowercase(),
        _ => format!("warn,shoebox={l},tower_http={l}", l = level.to_string().to_lowercase()),
    };
    let filter = EnvFilter::new(directive);
    // Colours only on a terminal: container logs and journald keep plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
