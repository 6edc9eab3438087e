//! `ews-testserver --config org.toml --listen 127.0.0.1:PORT [--schema-dir DIR]`

use std::path::PathBuf;

use clap::Parser;

/// A local Exchange Web Services server.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The organisation (TOML).
    #[arg(long)]
    config: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Folder holding types.xsd, messages.xsd and services.wsdl, served under /EWS/.
    #[arg(long, env = "EWS_SCHEMA_DIR")]
    schema_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    // A request that panics is answered with an ErrorInternalServerError fault; the panic is
    // logged here once, on one line, without a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("ews-testserver: a request failed (a bug in the test server): {info}");
    }));
    let org = match std::fs::read_to_string(&args.config)
        .map_err(|e| e.to_string())
        .and_then(|t| ews_testserver::Org::from_toml(&t).map_err(|e| e.to_string()))
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ews-testserver: {}: {e}", args.config.display());
            return std::process::ExitCode::from(2);
        }
    };
    match ews_testserver::TestServer::start_on(args.listen, org, args.schema_dir).await {
        Ok(server) => {
            println!("EWS at {}", server.url());
            let _ = tokio::signal::ctrl_c().await;
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ews-testserver: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
