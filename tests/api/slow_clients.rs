//! Slow clients: connections that stall in their headers or bodies, more connections than the
//! server serves at once, and a shutdown with a stalled request in flight.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{free_port, serve_command, spawn_app_with};

/// Half of a request's headers: the connection then waits for the rest.
const HALF_HEADER: &[u8] = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";

/// `shoebox serve` on `port`, run through `prlimit` with these extra `prlimit` arguments.
fn serve(storage: &std::path::Path, port: u16, limits: &[&str], env: &[(&str, &str)]) -> Child {
    let wrapper: Vec<&str> = std::iter::once("prlimit").chain(limits.iter().copied()).chain(["--"]).collect();
    serve_command(&wrapper, storage, port, env).spawn().unwrap()
}

/// Polls `/health` until it answers 200 or `within` passes; true when it answered.
async fn health_answers(port: u16, within: Duration) -> bool {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().unwrap();
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("http://127.0.0.1:{port}/health")).send().await
            && r.status() == 200
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Waits up to `within` for the process to exit; kills it when it does not.
fn exits_within(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn log_of(storage: &std::path::Path) -> String {
    std::fs::read_to_string(storage.join("server.log")).unwrap_or_default()
}

/// Reads until the server closes the connection (true) or `within` passes (false). Whatever
/// the server answers first (an error status) is read along the way.
async fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn health_still_answers_while_more_connections_than_the_server_has_descriptors_stall_in_their_headers() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // 128 descriptors for the whole process: far fewer than the stalled connections below.
    let mut server =
        serve(dir.path(), port, &["--nofile=128:128"], &[("HTTP_MAX_CONNECTIONS", "32"), ("HTTP_HEADER_TIMEOUT", "2")]);
    assert!(health_answers(port, Duration::from_secs(60)).await, "the server starts");

    let mut stalled = Vec::new();
    for _ in 0..300 {
        match tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(("127.0.0.1", port))).await {
            Ok(Ok(mut s)) => {
                let _ = s.write_all(HALF_HEADER).await;
                stalled.push(s);
            }
            // The backlog is full: the server is not keeping up, which the check below shows.
            _ => break,
        }
    }

    let answered = health_answers(port, Duration::from_secs(10)).await;
    let _ = server.kill();
    let _ = server.wait();
    drop(stalled);
    assert!(answered, "/health did not answer within 10 s; log:\n{}", log_of(dir.path()));
}

#[tokio::test]
async fn a_connection_that_stalls_in_its_headers_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(&[("HTTP_HEADER_TIMEOUT", "1")]).await;
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    stream.write_all(HALF_HEADER).await.unwrap();
    assert!(closed_by_server(&mut stream, Duration::from_secs(10)).await, "still open after 10 s");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(&[("HTTP_HEADER_TIMEOUT", "1")]).await;
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    assert!(closed_by_server(&mut stream, Duration::from_secs(10)).await, "still open after 10 s");
}

#[tokio::test]
async fn a_request_body_that_stops_arriving_is_cut_off_after_the_body_timeout() {
    let app = spawn_app_with(&[("HTTP_BODY_TIMEOUT", "1")]).await;
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    // Signing in reads the whole JSON body before answering; only part of it ever comes.
    let head = "POST /api/v1/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{\"username\": \"ad";
    stream.write_all(head.as_bytes()).await.unwrap();
    assert!(closed_by_server(&mut stream, Duration::from_secs(10)).await, "still open after 10 s");
}

#[tokio::test]
async fn sigterm_with_a_stalled_request_in_flight_exits_within_the_shutdown_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(dir.path(), port, &["--nofile=4096:4096"], &[("SHUTDOWN_TIMEOUT", "2")]);
    assert!(health_answers(port, Duration::from_secs(60)).await, "the server starts");

    // A request whose body stalls: in flight, and it never finishes on its own.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = "POST /api/v1/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{\"username\": \"ad";
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || {
        let status = exits_within(&mut server, Duration::from_secs(20));
        (status, server)
    })
    .await
    .unwrap();
    let (status, _server) = status;
    let log = log_of(dir.path());
    drop(stream);
    let status = status.unwrap_or_else(|| panic!("still running 20 s after SIGTERM; log:\n{log}"));
    assert_eq!(status.code(), Some(0), "a clean exit; log:\n{log}");
    assert!(log.contains("SHUTDOWN_TIMEOUT"), "the dropped request is logged:\n{log}");
}
