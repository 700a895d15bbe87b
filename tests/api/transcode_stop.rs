//! A shutdown does not wait for a transcode: the running ffmpeg is killed with its process
//! group, its half-written output removed, and the video queued again; the next start takes it up.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::SqlitePool;
use sqlx::sqlite::SqliteConnectOptions;

use crate::helpers::{ServerProcess, free_port};

/// A minute of 720p MPEG-4 Part 2 in AVI, which browsers cannot play: a transcode of it runs
/// for far longer than the test takes to stop it. Two seconds are encoded and repeated by
/// copying, so making it costs little.
fn long_avi(dir: &Path) -> PathBuf {
    let (short, long) = (dir.join("short.avi"), dir.join("long.avi"));
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25:d=2"])
        .args(["-c:v", "mpeg4", "-q:v", "15"])
        .arg(&short)
        .status()
        .expect("ffmpeg runs (scripts/test installs it)");
    assert!(status.success());
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-stream_loop", "29", "-i"])
        .arg(&short)
        .args(["-c", "copy"])
        .arg(&long)
        .status()
        .unwrap();
    assert!(status.success());
    long
}

fn part_path(storage: &Path, hash: &str) -> PathBuf {
    storage.join(format!("cache/thumbnails/{}/{}/{hash}_transcode.part.mp4", &hash[..2], &hash[2..4]))
}

fn done_path(storage: &Path, hash: &str) -> PathBuf {
    storage.join(format!("cache/thumbnails/{}/{}/{hash}_transcode.mp4", &hash[..2], &hash[2..4]))
}

/// The processes whose command line names `file`.
fn processes_naming(file: &Path) -> Vec<i32> {
    let needle = file.as_os_str().as_encoded_bytes();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.windows(needle.len()).any(|w| w == needle))
        })
        .collect()
}

/// Waits until a transcode runs and ffmpeg has written part of it; returns the video's hash.
async fn until_transcoding(db: &SqlitePool, storage: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(180);
    while Instant::now() < deadline {
        let running: Option<String> = sqlx::query_scalar("SELECT hash FROM transcodes WHERE status = 'running'")
            .fetch_optional(db)
            .await
            .unwrap();
        if let Some(hash) = running
            && std::fs::metadata(part_path(storage, &hash)).is_ok_and(|m| m.len() > 0)
        {
            return hash;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no transcode started; see {}", storage.join("server.log").display());
}

async fn status_of(db: &SqlitePool, hash: &str) -> String {
    sqlx::query_scalar("SELECT status FROM transcodes WHERE hash = ?").bind(hash).fetch_one(db).await.unwrap()
}

#[tokio::test]
async fn a_transcode_running_at_shutdown_is_killed_its_partial_file_removed_and_it_runs_again_at_the_next_start() {
    let storage = tempfile::tempdir().unwrap();
    let originals = storage.path().join("originals");
    std::fs::create_dir_all(&originals).unwrap();
    let made = tempfile::tempdir().unwrap();
    std::fs::rename(long_avi(made.path()), originals.join("long.avi")).unwrap();

    let port = free_port();
    let mut server = ServerProcess::start(storage.path(), port, &[]).await;
    let db = SqlitePool::connect_with(SqliteConnectOptions::new().filename(storage.path().join("shoebox.db")))
        .await
        .unwrap();
    let hash = until_transcoding(&db, storage.path()).await;
    let part = part_path(storage.path(), &hash);
    assert!(!processes_naming(&part).is_empty(), "ffmpeg writes {}", part.display());

    let status = server.terminate().await;
    assert!(status.success(), "the server stopped cleanly: {status}");
    assert_eq!(processes_naming(&part), Vec::<i32>::new(), "ffmpeg was killed with the server's shutdown");
    assert!(!part.exists(), "the half-written transcode was removed");
    assert!(!done_path(storage.path(), &hash).exists(), "nothing looks finished");
    assert_eq!(status_of(&db, &hash).await, "pending", "the video waits in the queue again");

    // The next start takes it up again, and its shutdown stops it again.
    let mut server = ServerProcess::start(storage.path(), port, &[]).await;
    assert_eq!(until_transcoding(&db, storage.path()).await, hash);
    assert!(server.terminate().await.success());
    assert!(!part.exists());
    assert_eq!(status_of(&db, &hash).await, "pending");
}
