//! The load client of `scripts/bench load` (issue 15, target 3): CLIENTS concurrent signed-in
//! clients, each with its own session, for SECS seconds, mixing what people do in a gallery —
//! timeline pages, the photo list API, thumbnails, viewer pages, favourite toggles and uploads —
//! and reporting per kind of request the count, the errors and p50/p99, and the throughput.
//!
//! `cargo run --release --example load -- BASE USER PASSWORD CLIENTS SECS UPLOAD_DIR`
//! Every non-2xx answer and every transport error counts as an error; the exit status is 1 when
//! there was any.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{Value, json};

/// The mix: out of 100 requests, how many of each kind. A scroll through the timeline asks for
/// many thumbnails per page, so they dominate, as they do in a browser.
const MIX: [(&str, u32); 6] = [
    ("timeline page /", 10),
    ("photo list API", 10),
    ("thumbnail", 55),
    ("viewer page", 12),
    ("favourite toggle", 10),
    ("upload", 3),
];

struct Args {
    base: String,
    user: String,
    password: String,
    clients: usize,
    secs: u64,
    uploads: PathBuf,
}

fn args() -> Args {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() != 6 {
        eprintln!("usage: load BASE USER PASSWORD CLIENTS SECS UPLOAD_DIR");
        std::process::exit(2);
    }
    Args {
        base: a[0].trim_end_matches('/').to_string(),
        user: a[1].clone(),
        password: a[2].clone(),
        clients: a[3].parse().expect("CLIENTS is a number"),
        secs: a[4].parse().expect("SECS is a number"),
        uploads: PathBuf::from(&a[5]),
    }
}

/// What every client knows of the library: photo ids and their tile_224 URLs.
struct Library {
    ids: Vec<i64>,
    thumbnails: Vec<String>,
}

/// One signed-in client: its own cookie jar (session) and CSRF token.
struct Session {
    client: Client,
    csrf: String,
}

async fn sign_in(a: &Args) -> Session {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let r = client
        .post(format!("{}/api/v1/session", a.base))
        .header("Origin", &a.base)
        .json(&json!({ "username": a.user, "password": a.password }))
        .send()
        .await
        .expect("the server answers");
    assert!(r.status().is_success(), "sign-in answered {}", r.status());
    let v: Value = r.json().await.unwrap();
    Session { client, csrf: v["csrf_token"].as_str().expect("a CSRF token").to_string() }
}

async fn library(a: &Args, s: &Session) -> Library {
    let (mut ids, mut thumbnails, mut after) = (Vec::new(), Vec::new(), None::<String>);
    loop {
        let mut url = format!("{}/api/v1/photos?limit=500", a.base);
        if let Some(c) = &after {
            url.push_str(&format!("&after={c}"));
        }
        let v: Value = s.client.get(url).send().await.unwrap().json().await.unwrap();
        for p in v["photos"].as_array().unwrap() {
            ids.push(p["id"].as_i64().unwrap());
            thumbnails.push(p["thumbnails"]["tile_224"].as_str().unwrap().to_string());
        }
        match v["next"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => break,
        }
    }
    assert!(!ids.is_empty(), "the library is empty: index some photos first");
    Library { ids, thumbnails }
}

/// A small xorshift: each client its own sequence, no shared state.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Per kind: latencies in microseconds and the errors seen.
#[derive(Default)]
struct Tally {
    micros: BTreeMap<&'static str, Vec<u64>>,
    errors: BTreeMap<&'static str, Vec<String>>,
}

fn pick(rng: &mut Rng) -> &'static str {
    let mut roll = rng.below(100) as u32;
    for (kind, weight) in MIX {
        if roll < weight {
            return kind;
        }
        roll -= weight;
    }
    MIX[0].0
}

async fn one_request(
    a: &Args,
    s: &Session,
    lib: &Library,
    uploads: &[(String, Vec<u8>)],
    rng: &mut Rng,
    kind: &str,
) -> Result<(), String> {
    let base = &a.base;
    let id = lib.ids[rng.below(lib.ids.len())];
    let request = match kind {
        "timeline page /" => s.client.get(format!("{base}/")),
        "photo list API" => s.client.get(format!("{base}/api/v1/photos?limit=100")),
        "thumbnail" => s.client.get(format!("{base}{}", lib.thumbnails[rng.below(lib.thumbnails.len())])),
        "viewer page" => s.client.get(format!("{base}/photos/{id}")),
        "favourite toggle" => {
            let url = format!("{base}/api/v1/photos/{id}/favorite");
            let r = if rng.below(2) == 0 { s.client.post(url) } else { s.client.delete(url) };
            r.header("X-CSRF-Token", &s.csrf).header("Origin", base)
        }
        "upload" => {
            let (name, bytes) = &uploads[rng.below(uploads.len())];
            let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone());
            s.client
                .post(format!("{base}/api/v1/upload"))
                .header("X-CSRF-Token", &s.csrf)
                .header("Origin", base)
                .multipart(reqwest::multipart::Form::new().part("files", part))
        }
        other => unreachable!("{other}"),
    };
    let r = request.send().await.map_err(|e| format!("{e}"))?;
    let status = r.status();
    // The whole body is read: a page is only served once it has arrived.
    let body = r.bytes().await.map_err(|e| format!("{e}"))?;
    if !status.is_success() {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(200)])));
    }
    if kind == "upload" {
        let v: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        if v["files"][0]["result"] == "refused" {
            return Err(format!("upload refused: {v}"));
        }
    }
    Ok(())
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let a = Arc::new(args());
    let mut uploads: Vec<(String, Vec<u8>)> = Vec::new();
    let mut dirs = vec![a.uploads.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("UPLOAD_DIR is readable").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "jpg") {
                uploads.push((p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()));
            }
        }
    }
    assert!(!uploads.is_empty(), "no .jpg under UPLOAD_DIR");
    let uploads = Arc::new(uploads);
    // Every client signs in before the clock starts (password hashing is not what is measured).
    let mut sessions = Vec::new();
    for _ in 0..a.clients {
        sessions.push(sign_in(&a).await);
    }
    let lib = Arc::new(library(&a, &sessions[0]).await);
    let started = Instant::now();
    let until = started + Duration::from_secs(a.secs);
    let mut tasks = Vec::new();
    for (n, s) in sessions.into_iter().enumerate() {
        let (a, lib, uploads) = (a.clone(), lib.clone(), uploads.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
            let mut tally = Tally::default();
            while Instant::now() < until {
                let kind = pick(&mut rng);
                let t = Instant::now();
                let outcome = one_request(&a, &s, &lib, &uploads, &mut rng, kind).await;
                tally.micros.entry(kind).or_default().push(t.elapsed().as_micros() as u64);
                if let Err(e) = outcome {
                    tally.errors.entry(kind).or_default().push(e);
                }
            }
            tally
        }));
    }
    let mut all = Tally::default();
    for t in tasks {
        let t = t.await.unwrap();
        for (k, v) in t.micros {
            all.micros.entry(k).or_default().extend(v);
        }
        for (k, v) in t.errors {
            all.errors.entry(k).or_default().extend(v);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (mut total, mut errors) = (0usize, 0usize);
    println!("load: {} clients for {:.1} s against {}", a.clients, elapsed, a.base);
    for (kind, _) in MIX {
        let mut v = all.micros.remove(kind).unwrap_or_default();
        v.sort_unstable();
        let e = all.errors.get(kind).map_or(0, Vec::len);
        total += v.len();
        errors += e;
        println!(
            "  {kind:<18} {:>7} requests  {e:>4} errors  p50 {:>8.2} ms  p99 {:>8.2} ms",
            v.len(),
            percentile(&v, 0.50),
            percentile(&v, 0.99)
        );
    }
    println!("  total {total} requests, {errors} errors, {:.0} requests/s", total as f64 / elapsed);
    for (kind, list) in &all.errors {
        for e in list.iter().take(3) {
            eprintln!("  error ({kind}): {e}");
        }
    }
    if errors > 0 {
        std::process::exit(1);
    }
}
