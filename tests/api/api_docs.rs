//! `docs/api.md` documents exactly the `/api/v1` routes the server registers.

use std::collections::BTreeSet;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api.md");
const HTTP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");

/// Every `.rs` file under `dir`, its subfolders too.
fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// `(METHOD, path)` of every `.route("/api/v1…", get(..).post(..))` under `src/http/`.
fn routes_in_code() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for path in rust_files(std::path::Path::new(HTTP)) {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(\"") {
            rest = &rest[at + ".route(\"".len()..];
            let end = rest.find('"').unwrap();
            let route = rest[..end].to_string();
            // The route call's arguments: up to the parenthesis that closes `.route(`.
            let mut depth = 1;
            let mut close = 0;
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    close = i;
                    break;
                }
            }
            let args = &rest[end..close];
            if !route.starts_with("/api/v1") {
                continue;
            }
            let mut found = false;
            for method in ["get", "post", "put", "patch", "delete"] {
                let calls = args.match_indices(&format!("{method}(")).any(|(i, _)| {
                    i == 0 || !args.as_bytes()[i - 1].is_ascii_alphanumeric() && args.as_bytes()[i - 1] != b'_'
                });
                if calls {
                    out.insert((method.to_uppercase(), route.clone()));
                    found = true;
                }
            }
            assert!(found, "no method found for {route} in {}", path.display());
        }
    }
    out
}

/// `(METHOD, path)` of every "### `METHOD /api/v1/…`" heading of the document.
fn routes_in_doc() -> BTreeSet<(String, String)> {
    std::fs::read_to_string(DOC)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("### `")?.strip_suffix('`').map(str::to_string))
        .map(|h| {
            let (m, p) = h.split_once(' ').unwrap_or_else(|| panic!("heading without a method: {h}"));
            (m.to_string(), p.to_string())
        })
        .collect()
}

#[test]
fn every_api_route_is_documented_in_docs_api_md() {
    let code = routes_in_code();
    let doc = routes_in_doc();
    assert!(code.len() > 40, "the scan finds the routes: {code:?}");
    let missing: Vec<_> = code.difference(&doc).collect();
    assert!(missing.is_empty(), "routes missing from docs/api.md (add a `### `METHOD /path`` section): {missing:?}");
    let stale: Vec<_> = doc.difference(&code).collect();
    assert!(stale.is_empty(), "docs/api.md documents routes the server does not have: {stale:?}");
}
