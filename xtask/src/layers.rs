//! The layering rules, checked: the crate graph is the layer diagram (chapter 2 §7).
//!
//! `cargo metadata --format-version 1 --no-deps` lists every workspace crate with its
//! dependencies. The kernel's crates (those under `kernel/`, and `abi`, the contract
//! below them all) must appear in [`LAYERS`], and each may depend only on crates of a
//! *lower* layer. Every one of them but `hal` must carry `#![forbid(unsafe_code)]`;
//! the `kernel` binary is the documented exception: `#![deny(unsafe_code)]` with at
//! most one `#[allow(unsafe_code)]` item (the entry symbol hal's boot code calls).
//!
//! `cargo xtask lines` prints the share of kernel source lines in crates that forbid
//! `unsafe` (issue 9's measure of how small the trusted base is).

use crate::json::{self, Json};
use crate::{root, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The kernel's layers, bottom first. A crate may depend only on crates above it in
/// this list. A new kernel crate must be added here (the test says so).
pub const LAYERS: &[&str] = &[
    "abi", "ufswire", "cred", "x86", "hal", "klog", "mm", "task", "block", "drivers", "fs", "vfs",
    "elf", "fsys", "files", "devices", "tty", "ipc", "net", "proc", "procfs", "ufs", "syscall",
    "linux", "module", "init", "kernel",
];

/// The one crate allowed `unsafe` code.
const UNSAFE_BASE: &str = "hal";
/// The binary that may `deny` (not forbid) unsafe code, with one allowed item.
const BINARY: &str = "kernel";

/// A host-only check: its name and the function that runs it.
pub type Check = (&'static str, fn() -> Result<()>);

pub const LAYER_TESTS: &[Check] = &[
    ("layers::dependencies_point_down", dependencies_point_down),
    ("layers::only_hal_allows_unsafe", only_hal_allows_unsafe),
    ("layers::checks_catch_violations", checks_catch_violations),
];

/// One workspace crate as the checks see it.
#[derive(Debug, Clone)]
pub struct Krate {
    pub name: String,
    pub dir: PathBuf,
    /// Normal and build dependencies that are workspace crates.
    pub deps: Vec<String>,
    /// The crate roots (lib.rs / main.rs).
    pub roots: Vec<PathBuf>,
}

/// The workspace's crates, from `cargo metadata`.
pub fn workspace() -> Result<Vec<Krate>> {
    let out = Command::new(env!("CARGO"))
        .current_dir(root())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    crates_of(&json::parse(&String::from_utf8_lossy(&out.stdout))?)
}

/// The crates described by a `cargo metadata` document.
pub fn crates_of(meta: &Json) -> Result<Vec<Krate>> {
    let packages = meta.get("packages").items();
    let names: Vec<&str> = packages
        .iter()
        .filter_map(|p| p.get("name").as_str())
        .collect();
    let mut out = Vec::new();
    for p in packages {
        let name = p.get("name").as_str().ok_or("a package without a name")?;
        let manifest = p
            .get("manifest_path")
            .as_str()
            .ok_or("a package without a manifest path")?;
        let dir = Path::new(manifest)
            .parent()
            .ok_or("a manifest path without a directory")?;
        let deps = p
            .get("dependencies")
            .items()
            .iter()
            .filter(|d| d.get("kind").as_str() != Some("dev"))
            .filter_map(|d| d.get("name").as_str())
            .filter(|d| names.contains(d))
            .map(String::from)
            .collect();
        let roots = p
            .get("targets")
            .items()
            .iter()
            .filter(|t| {
                t.get("kind")
                    .items()
                    .iter()
                    .any(|k| matches!(k.as_str(), Some("lib" | "bin")))
            })
            .filter_map(|t| t.get("src_path").as_str().map(PathBuf::from))
            .collect();
        out.push(Krate {
            name: name.into(),
            dir: dir.into(),
            deps,
            roots,
        });
    }
    Ok(out)
}

/// Is this one of the kernel's crates (under `kernel/`, or the ABI)?
fn is_kernel(k: &Krate, root: &Path) -> bool {
    k.name == "abi" || k.dir.starts_with(root.join("kernel"))
}

fn rank(name: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == name)
}

/// Every dependency of a kernel crate that does not point to a lower layer.
pub fn layer_violations(crates: &[Krate], root: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    for k in crates.iter().filter(|k| is_kernel(k, root)) {
        let Some(mine) = rank(&k.name) else {
            bad.push(format!(
                "kernel crate `{}` is not in the layer table: add it to LAYERS in xtask/src/layers.rs",
                k.name
            ));
            continue;
        };
        for d in &k.deps {
            match rank(d) {
                None => bad.push(format!(
                    "`{}` depends on `{d}`, which is not in the layer table: add it to LAYERS in xtask/src/layers.rs",
                    k.name
                )),
                Some(theirs) if theirs >= mine => bad.push(format!(
                    "`{}` (layer {mine}) depends on `{d}` (layer {theirs}): a layer may only use the layers below it",
                    k.name
                )),
                Some(_) => {}
            }
        }
    }
    bad
}

/// Does a crate root say `#![<attr>(unsafe_code)]` on a line of its own (not commented)?
fn has_inner_attr(text: &str, attr: &str) -> bool {
    let want = format!("#![{attr}(unsafe_code)]");
    text.lines().any(|l| l.trim() == want)
}

/// Every kernel crate other than hal that does not forbid unsafe code (the kernel
/// binary: that does not deny it, or allows it on more than one item). `read` gives the
/// text of a file, `sources` the .rs files of a crate's src/ directory.
pub fn unsafe_violations(
    crates: &[Krate],
    root: &Path,
    read: &dyn Fn(&Path) -> Option<String>,
    sources: &dyn Fn(&Path) -> Vec<PathBuf>,
) -> Vec<String> {
    let mut bad = Vec::new();
    for k in crates.iter().filter(|k| is_kernel(k, root)) {
        if k.name == UNSAFE_BASE {
            continue;
        }
        if k.roots.is_empty() {
            bad.push(format!("`{}` has no lib.rs or main.rs to check", k.name));
        }
        for r in &k.roots {
            let Some(text) = read(r) else {
                bad.push(format!("cannot read {}", r.display()));
                continue;
            };
            if has_inner_attr(&text, "forbid") {
                continue;
            }
            if k.name == BINARY && has_inner_attr(&text, "deny") {
                let allows: usize = sources(&k.dir.join("src"))
                    .iter()
                    .filter_map(|f| read(f))
                    .map(|t| t.matches("#[allow(unsafe_code)]").count())
                    .sum();
                if allows > 1 {
                    bad.push(format!(
                        "`{}` allows unsafe code on {allows} items (at most one: the entry symbol)",
                        k.name
                    ));
                }
                continue;
            }
            bad.push(format!(
                "`{}` ({}) lacks #![forbid(unsafe_code)]: only hal may contain unsafe code",
                k.name,
                r.display()
            ));
        }
    }
    bad
}

/// The .rs files under `dir`, recursively, sorted.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn report(bad: Vec<String>) -> Result<()> {
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("\n"))
    }
}

fn dependencies_point_down() -> Result<()> {
    let crates = workspace()?;
    if !crates.iter().any(|k| k.name == UNSAFE_BASE) {
        return Err("cargo metadata lists no `hal`: the check would see nothing".into());
    }
    report(layer_violations(&crates, &root()))
}

fn only_hal_allows_unsafe() -> Result<()> {
    let crates = workspace()?;
    let read = |p: &Path| std::fs::read_to_string(p).ok();
    report(unsafe_violations(&crates, &root(), &read, &rust_files))
}

/// The checks themselves, on a made-up workspace with one violation of each kind: they
/// must report exactly those, so the two tests above cannot pass by seeing nothing.
fn checks_catch_violations() -> Result<()> {
    let r = Path::new("/ws");
    let meta = json::parse(
        r#"{"packages": [
          {"name": "hal", "manifest_path": "/ws/kernel/hal/Cargo.toml", "dependencies": [],
           "targets": [{"kind": ["lib"], "src_path": "/ws/kernel/hal/src/lib.rs"}]},
          {"name": "mm", "manifest_path": "/ws/kernel/mm/Cargo.toml",
           "dependencies": [{"name": "hal", "kind": null}, {"name": "drivers", "kind": null},
                            {"name": "log", "kind": null}],
           "targets": [{"kind": ["lib"], "src_path": "/ws/kernel/mm/src/lib.rs"}]},
          {"name": "drivers", "manifest_path": "/ws/kernel/drivers/Cargo.toml",
           "dependencies": [{"name": "hal", "kind": null}, {"name": "fs", "kind": "dev"}],
           "targets": [{"kind": ["lib"], "src_path": "/ws/kernel/drivers/src/lib.rs"}]},
          {"name": "fs", "manifest_path": "/ws/kernel/fs/Cargo.toml", "dependencies": [],
           "targets": [{"kind": ["lib"], "src_path": "/ws/kernel/fs/src/lib.rs"}]},
          {"name": "newthing", "manifest_path": "/ws/kernel/newthing/Cargo.toml",
           "dependencies": [], "targets": [{"kind": ["lib"], "src_path": "/ws/kernel/newthing/src/lib.rs"}]},
          {"name": "kernel", "manifest_path": "/ws/kernel/kernel/Cargo.toml",
           "dependencies": [{"name": "mm", "kind": null}],
           "targets": [{"kind": ["bin"], "src_path": "/ws/kernel/kernel/src/main.rs"}]},
          {"name": "ulib", "manifest_path": "/ws/user/ulib/Cargo.toml", "dependencies": [],
           "targets": [{"kind": ["lib"], "src_path": "/ws/user/ulib/src/lib.rs"}]}
        ]}"#,
    )?;
    let crates = crates_of(&meta)?;
    let layers = layer_violations(&crates, r);
    let layer = |n: &str| LAYERS.iter().position(|l| *l == n).unwrap_or(usize::MAX);
    let mm_on_drivers = format!(
        "`mm` (layer {}) depends on `drivers` (layer {})",
        layer("mm"),
        layer("drivers")
    );
    let expect_layers = [
        mm_on_drivers.as_str(),
        "kernel crate `newthing` is not in the layer table",
    ];
    let files = |p: &Path| -> Option<String> {
        let s = p.to_str()?;
        Some(
            match s {
                "/ws/kernel/mm/src/lib.rs" => "#![no_std]\n#![forbid(unsafe_code)]\n",
                "/ws/kernel/drivers/src/lib.rs" => "#![no_std]\n// #![forbid(unsafe_code)]\n",
                "/ws/kernel/fs/src/lib.rs" | "/ws/kernel/newthing/src/lib.rs" => {
                    "#![forbid(unsafe_code)]\n"
                }
                "/ws/kernel/kernel/src/main.rs" => {
                    "#![deny(unsafe_code)]\n#[allow(unsafe_code)]\nfn a() {}\n"
                }
                "/ws/kernel/kernel/src/extra.rs" => "#[allow(unsafe_code)]\nfn b() {}\n",
                _ => return None,
            }
            .to_string(),
        )
    };
    let sources = |_: &Path| {
        vec![
            PathBuf::from("/ws/kernel/kernel/src/main.rs"),
            PathBuf::from("/ws/kernel/kernel/src/extra.rs"),
        ]
    };
    let unsafes = unsafe_violations(&crates, r, &files, &sources);
    let expect_unsafe = [
        "`drivers` (/ws/kernel/drivers/src/lib.rs) lacks #![forbid(unsafe_code)]",
        "`kernel` allows unsafe code on 2 items",
    ];
    let mut problems = Vec::new();
    for (got, want) in [
        (&layers, &expect_layers[..]),
        (&unsafes, &expect_unsafe[..]),
    ] {
        if got.len() != want.len() || !want.iter().all(|w| got.iter().any(|g| g.contains(w))) {
            problems.push(format!("expected {want:?}\n got {got:?}"));
        }
    }
    report(problems)
}

/// `cargo xtask lines`: non-blank lines of the kernel crates' src/ (tests/ excluded),
/// and the share in crates that forbid unsafe code.
pub fn lines_cmd() -> Result<u8> {
    let root = root();
    let crates = workspace()?;
    let mut rows = Vec::new();
    for k in crates
        .iter()
        .filter(|k| is_kernel(k, &root) && k.name != "abi")
    {
        let n: usize = rust_files(&k.dir.join("src"))
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count())
            .sum();
        let text: String = k
            .roots
            .iter()
            .filter_map(|r| std::fs::read_to_string(r).ok())
            .collect();
        let kind = if has_inner_attr(&text, "forbid") {
            "forbid"
        } else if has_inner_attr(&text, "deny") {
            "deny"
        } else {
            "unsafe allowed"
        };
        rows.push((k.name.clone(), n, kind));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    let total: usize = rows.iter().map(|r| r.1).sum();
    let sum =
        |f: &dyn Fn(&str) -> bool| -> usize { rows.iter().filter(|r| f(r.2)).map(|r| r.1).sum() };
    let forbid = sum(&|k| k == "forbid");
    let safe = sum(&|k| k != "unsafe allowed");
    println!("{:<10} {:>7}  unsafe_code", "crate", "lines");
    for (name, n, kind) in &rows {
        println!("{name:<10} {n:>7}  {kind}");
    }
    let pct = |x: usize| 100.0 * x as f64 / total.max(1) as f64;
    println!("{:<10} {total:>7}", "total");
    println!(
        "in forbid(unsafe_code) crates: {forbid} of {total} lines ({:.1}%)",
        pct(forbid)
    );
    println!(
        "outside the unsafe base (forbid, or the binary's deny): {safe} of {total} lines ({:.1}%)",
        pct(safe)
    );
    Ok(0)
}
