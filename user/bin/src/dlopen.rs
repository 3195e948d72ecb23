//! `dlopen`, `dlsym` and `dlclose` as a [`Linker`] a program keeps (chapter 2
//! section 5: loading at run time; docs/linking.md "Run-time loading"), over the
//! dynamic linker's machinery (`dynload.rs`, which `ld-dinos` shares).
//!
//! Each library is mapped once, however many handles need it (the one they opened,
//! or one needed by it, breadth first: the handle's *scope*), and unmapped when the
//! last handle whose scope holds it is closed. A library with thread-local storage
//! gets a block in a reserve below a thread pointer the linker makes the first time
//! (the program, static, had none). Errors are messages, never exits.

use crate::dynload::{
    copy_data, find, load_library, lookup, relocate, store, unload, zero_block, Object, PAGE,
    TCB_SIZE,
};
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ulib::abi::flags::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};

/// A library loaded at run time, with how many open handles need it.
struct Loaded {
    file: String,
    object: Object,
    refs: usize,
}

/// The libraries a program loaded while it runs (`dlopen`): each mapped once, shared
/// by every handle whose scope holds it (the library it opened and, breadth first,
/// what that needs), unmapped when the last such handle is closed.
#[derive(Default)]
pub struct Linker {
    loaded: Vec<Loaded>,
    tls: Option<TlsArea>,
}

/// The thread-local area `dlopen` made for libraries with TLS (the program had none:
/// `plugins` is static): blocks are placed below the thread pointer in a fixed
/// reserve, a stack (a block closed last-opened-first gives its room back), each with
/// a module id of its own.
struct TlsArea {
    tp: u64,
    used: u64,
    /// The module ids in use (index + 1).
    ids: [bool; ulib::dl::TLS_MODULES],
}

/// The room below the thread pointer for the TLS blocks of libraries `dlopen` loads.
const TLS_RESERVE: u64 = 2 * PAGE - TCB_SIZE;

/// An open library ([`Linker::open`]): its scope, the files of the library and of
/// what it needs, in load order.
pub struct Library {
    scope: Vec<String>,
}

impl Linker {
    pub fn new() -> Linker {
        Linker::default()
    }

    fn index(&self, file: &str) -> Option<usize> {
        self.loaded.iter().position(|l| l.file == file)
    }

    /// Load the library file `path` and every library it needs that is not loaded
    /// yet, relocated (every symbol now, in the new handle's scope); each object of
    /// the scope gains a reference.
    pub fn open(&mut self, path: &str) -> Result<Library, String> {
        if !ulib::fs::exists(path) {
            return Err(format!("{path}: no such library"));
        }
        // The scope, breadth first; new objects are loaded, known ones shared.
        let mut scope: Vec<String> = Vec::new();
        let mut fresh: Vec<Object> = Vec::new();
        let mut queue: VecDeque<(String, Vec<String>, String)> = VecDeque::new();
        queue.push_back((String::from(path), Vec::new(), String::from(path)));
        while let Some((name, run_paths, by)) = queue.pop_front() {
            let Some(file) = find(&name, &run_paths) else {
                self.drop_fresh(fresh);
                return Err(format!(
                    "{path}: cannot find library {name} (needed by {by})"
                ));
            };
            if scope.contains(&file) {
                continue;
            }
            let object = match self.index(&file) {
                Some(i) => &self.loaded[i].object,
                None => match load_library(&file) {
                    Ok(mut o) => {
                        if let Err(e) = self.place_tls(&mut o) {
                            fresh.push(o);
                            self.drop_fresh(fresh);
                            return Err(e);
                        }
                        fresh.push(o);
                        fresh.last().unwrap()
                    }
                    Err(e) => {
                        self.drop_fresh(fresh);
                        return Err(e);
                    }
                },
            };
            for n in &object.needed {
                queue.push_back((n.clone(), object.run_paths.clone(), file.clone()));
            }
            scope.push(file);
        }
        // Relocate the new objects in the scope's order.
        let result = {
            let objects: Vec<&Object> = scope
                .iter()
                .map(|f| match self.index(f) {
                    Some(i) => &self.loaded[i].object,
                    None => fresh.iter().find(|o| &o.path == f).unwrap(),
                })
                .collect();
            (0..objects.len())
                .rev()
                .filter(|&i| self.index(&objects[i].path).is_none())
                .try_for_each(|i| relocate(&objects, i, false))
        };
        if let Err(e) = result {
            self.drop_fresh(fresh);
            return Err(e);
        }
        for o in fresh {
            if let (Some(t), Some(area), Some((_, below))) = (o.tls, &self.tls, o.tls_module) {
                zero_block(area.tp - below, t.memsz as usize);
                if t.filesz > 0 {
                    copy_data(area.tp - below, o.base + t.vaddr, t.filesz as usize);
                }
            }
            self.loaded.push(Loaded {
                file: o.path.clone(),
                object: o,
                refs: 0,
            });
        }
        for f in &scope {
            if let Some(i) = self.index(f) {
                self.loaded[i].refs += 1;
            }
        }
        Ok(Library { scope })
    }

    /// The address of `name` in the library's scope.
    pub fn sym(&self, lib: &Library, name: &str) -> Option<u64> {
        let objects: Vec<&Object> = lib
            .scope
            .iter()
            .filter_map(|f| self.index(f).map(|i| &self.loaded[i].object))
            .collect();
        lookup(&objects, name, None).map(|(at, _)| at)
    }

    /// Close a handle: each object of its scope loses a reference; those no handle
    /// needs any more are unmapped.
    pub fn close(&mut self, lib: Library) {
        for f in &lib.scope {
            let Some(i) = self.index(f) else { continue };
            self.loaded[i].refs -= 1;
            if self.loaded[i].refs == 0 {
                let gone = self.loaded.remove(i);
                self.drop_fresh(alloc::vec![gone.object]);
            }
        }
    }

    /// Give a library with TLS a module id and a block in the reserve (making the
    /// area, and pointing `%fs` at it, the first time).
    fn place_tls(&mut self, o: &mut Object) -> Result<(), String> {
        let Some(t) = o.tls else { return Ok(()) };
        if self.tls.is_none() {
            let area = ulib::sys::mmap(
                0,
                (2 * PAGE) as usize,
                PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS,
            )
            .map_err(|e| format!("cannot map a thread-local area: {e}"))?
                as u64;
            let tp = area + TLS_RESERVE;
            store(tp, tp);
            ulib::sys::set_thread_pointer(tp)
                .map_err(|e| format!("cannot set the thread pointer: {e}"))?;
            self.tls = Some(TlsArea {
                tp,
                used: 0,
                ids: [false; ulib::dl::TLS_MODULES],
            });
        }
        let area = self.tls.as_mut().unwrap();
        let below = (area.used + t.memsz).div_ceil(t.align) * t.align;
        let id = area.ids.iter().position(|used| !used);
        let (Some(id), true) = (id, below <= TLS_RESERVE) else {
            return Err(format!("{}: no room for its thread-local storage", o.path));
        };
        area.ids[id] = true;
        area.used = below;
        ulib::dl::set_tls_block(id as u64 + 1, below);
        o.tls_module = Some((id as u64 + 1, below));
        Ok(())
    }

    /// Unmap objects no handle holds, giving back their TLS ids (and the room of
    /// the last block placed).
    fn drop_fresh(&mut self, objects: Vec<Object>) {
        for o in &objects {
            if let (Some(area), Some((id, below))) = (self.tls.as_mut(), o.tls_module) {
                area.ids[id as usize - 1] = false;
                if below == area.used {
                    area.used = below - o.tls.map_or(0, |t| t.memsz);
                }
            }
        }
        unload(&objects);
    }
}
