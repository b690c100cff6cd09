//! `cargo run --bin seed -- <out_dir>`: writes the demo catalog to `<out_dir>/seed/demo.sql` and its
//! artwork to `<out_dir>/public/img/`. Host-only; the Worker build uses `--lib` and never sees it.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    host::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod host {
    use std::collections::HashSet;
    use std::fs;
    use std::io;
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;

    use vestify::seed;

    /// Directories the generator owns outright: stale files in them are removed.
    const OWNED_DIRS: &[&str] = &["img/products", "img/categories"];
    /// Directories of the generated social images (PNG), owned outright as well.
    const OWNED_SOCIAL_DIRS: &[&str] = &["img/social/products", "img/social/categories"];

    pub fn main() -> ExitCode {
        let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
            eprintln!("usage: cargo run --bin seed -- <out_dir>");
            return ExitCode::from(2);
        };
        match write_all(&out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("seed: {e}");
                ExitCode::FAILURE
            }
        }
    }

    fn write_all(out: &Path) -> io::Result<()> {
        let catalog = seed::demo_catalog();
        let sql_path = out.join("seed/demo.sql");
        write(&sql_path, &catalog.sql())?;
        write(&out.join("seed/reviews.sql"), &catalog.reviews_sql())?;

        let public = out.join("public");
        let images = seed::demo_images();
        let mut bytes = 0;
        for (path, svg) in &images {
            write(&public.join(path), svg)?;
            bytes += svg.len();
        }
        let wanted: HashSet<PathBuf> = images.iter().map(|(path, _)| public.join(path)).collect();
        for dir in OWNED_DIRS {
            for entry in fs::read_dir(public.join(dir))? {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "svg") && !wanted.contains(&path) {
                    fs::remove_file(&path)?;
                    println!("removed stale {}", path.display());
                }
            }
        }
        let social = seed::demo_social_images().map_err(io::Error::other)?;
        let mut social_bytes = 0;
        for (path, png) in &social {
            let full = public.join(path);
            // Rewritten only when different, so an unchanged image keeps its file (and its time).
            if fs::read(&full).ok().as_deref() != Some(png.as_slice()) {
                if let Some(dir) = full.parent() {
                    fs::create_dir_all(dir)?;
                }
                fs::write(&full, png)?;
            }
            social_bytes += png.len();
        }
        let wanted_social: HashSet<PathBuf> = social.iter().map(|(path, _)| public.join(path)).collect();
        for dir in OWNED_SOCIAL_DIRS {
            for entry in fs::read_dir(public.join(dir))? {
                let path = entry?.path();
                if !wanted_social.contains(&path) {
                    fs::remove_file(&path)?;
                    println!("removed stale {}", path.display());
                }
            }
        }
        println!("wrote {} social images (1200×630 PNG, {} KiB)", social.len(), social_bytes / 1024);
        println!(
            "wrote {}: {} categories, {} products, {} variants, {} product images; {} SVG files ({} KiB) under {}",
            sql_path.display(),
            catalog.categories.len(),
            catalog.products.len(),
            catalog.variants.len(),
            catalog.images.len(),
            images.len(),
            bytes / 1024,
            public.display()
        );
        Ok(())
    }

    fn write(path: &Path, contents: &str) -> io::Result<()> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, contents)
    }
}
