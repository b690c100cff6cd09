//! Fingerprints every file in `public/`: the Worker serves `/static/{dir}/{name}.{hash}.{ext}` with
//! immutable caching, and views link assets through that manifest (`src/assets.rs`).

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

fn main() {
    println!("cargo:rerun-if-changed=public");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let mut entries = Vec::new();
    collect(Path::new("public"), Path::new("public"), &mut entries);
    entries.sort();
    let mut out = String::from("/// (path under public/, first 10 hex digits of its SHA-256), sorted by path.\n");
    out.push_str("pub static MANIFEST: &[(&str, &str)] = &[\n");
    for (path, hash) in &entries {
        out.push_str(&format!("    ({path:?}, {hash:?}),\n"));
    }
    out.push_str("];\n");
    // One digest of the build: the assets, the code and the locked dependencies. A page cached by
    // another build was rendered by other templates and may link to asset URLs that no longer
    // resolve, so the edge-cache key includes it (a deploy, or a rebuild under `wrangler dev`, never
    // serves pages the running code would not render).
    let mut sources = Vec::new();
    collect(Path::new("src"), Path::new("src"), &mut sources);
    sources.sort();
    let lock = fs::read("Cargo.lock").unwrap_or_default();
    let mut all = Sha256::new();
    for (path, hash) in entries.iter().chain(&sources) {
        all.update(path.as_bytes());
        all.update(hash.as_bytes());
    }
    all.update(&lock);
    let build: String = all.finalize().iter().take(5).map(|b| format!("{b:02x}")).collect();
    out.push_str(&format!("/// Changes whenever public/, src/ or Cargo.lock changes.\npub static BUILD_DIGEST: &str = {build:?};\n"));
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("asset_manifest.rs");
    fs::write(dest, out).expect("write asset manifest");
}

fn collect(root: &Path, dir: &Path, entries: &mut Vec<(String, String)>) {
    let Ok(read) = fs::read_dir(dir) else { return };
    for entry in read.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, entries);
            continue;
        }
        let Ok(bytes) = fs::read(&path) else { continue };
        let rel = path.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
        if rel.starts_with('.') || rel.starts_with('_') {
            continue;
        }
        let hash: String = Sha256::digest(&bytes).iter().take(5).map(|b| format!("{b:02x}")).collect();
        entries.push((rel, hash));
    }
}
