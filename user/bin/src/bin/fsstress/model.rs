//! The model `fsstress` checks the kernel against: the file tree as POSIX says it
//! should be, with nodes (files, directories, symbolic links) in a table and names in
//! directories, so hard links are two names of one node.

use crate::{bit, Errs};
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use ulib::Errno;

pub(crate) enum Kind {
    File(Vec<u8>),
    Dir {
        ents: BTreeMap<String, usize>,
        parent: usize,
    },
    Sym(String),
}

pub(crate) struct Node {
    pub(crate) kind: Kind,
    /// Names (directory entries) this node has.
    pub(crate) names: u32,
}

/// The file tree as POSIX says it should be; node 0 is DIR.
pub(crate) struct Model {
    pub(crate) nodes: Vec<Option<Node>>,
    pub(crate) free: Vec<usize>,
}

pub(crate) const ROOT: usize = 0;

impl Model {
    pub(crate) fn new() -> Model {
        let root = Node {
            kind: Kind::Dir {
                ents: BTreeMap::new(),
                parent: ROOT,
            },
            names: 1,
        };
        Model {
            nodes: vec![Some(root)],
            free: Vec::new(),
        }
    }
    pub(crate) fn node(&self, i: usize) -> &Node {
        self.nodes[i].as_ref().expect("model: dead node")
    }
    pub(crate) fn node_mut(&mut self, i: usize) -> &mut Node {
        self.nodes[i].as_mut().expect("model: dead node")
    }
    pub(crate) fn ents(&self, i: usize) -> Option<&BTreeMap<String, usize>> {
        match &self.node(i).kind {
            Kind::Dir { ents, .. } => Some(ents),
            _ => None,
        }
    }
    pub(crate) fn is_dir(&self, i: usize) -> bool {
        self.ents(i).is_some()
    }
    pub(crate) fn file(&self, i: usize) -> Option<&Vec<u8>> {
        match &self.node(i).kind {
            Kind::File(d) => Some(d),
            _ => None,
        }
    }
    pub(crate) fn file_mut(&mut self, i: usize) -> &mut Vec<u8> {
        match &mut self.node_mut(i).kind {
            Kind::File(d) => d,
            _ => panic!("model: not a file"),
        }
    }
    pub(crate) fn lookup_here(&self, dir: usize, name: &str) -> Option<usize> {
        self.ents(dir).and_then(|e| e.get(name).copied())
    }
    /// The directory holding the last component, and that name. A symbolic link on
    /// the way points into `zz_nodir`, so it gives `ENOENT`.
    pub(crate) fn walk_parent<'p>(&self, comps: &'p [String]) -> Result<(usize, &'p str), Errs> {
        let (last, dirs) = comps.split_last().expect("paths are never empty");
        let mut cur = ROOT;
        for c in dirs {
            let ents = self.ents(cur).ok_or(bit(Errno::ENOTDIR))?;
            let next = *ents.get(c.as_str()).ok_or(bit(Errno::ENOENT))?;
            if let Kind::Sym(_) = self.node(next).kind {
                return Err(bit(Errno::ENOENT));
            }
            cur = next;
        }
        if !self.is_dir(cur) {
            return Err(bit(Errno::ENOTDIR));
        }
        Ok((cur, last.as_str()))
    }
    pub(crate) fn resolve(&self, comps: &[String], follow: bool) -> Result<usize, Errs> {
        let (dir, name) = self.walk_parent(comps)?;
        let n = self.lookup_here(dir, name).ok_or(bit(Errno::ENOENT))?;
        match self.node(n).kind {
            Kind::Sym(_) if follow => Err(bit(Errno::ENOENT)),
            _ => Ok(n),
        }
    }
    pub(crate) fn nlink(&self, i: usize) -> u32 {
        match self.ents(i) {
            Some(e) => 2 + e.values().filter(|&&c| self.is_dir(c)).count() as u32,
            None => self.node(i).names,
        }
    }
    pub(crate) fn alloc(&mut self, kind: Kind) -> usize {
        let n = Some(Node { kind, names: 0 });
        match self.free.pop() {
            Some(i) => {
                self.nodes[i] = n;
                i
            }
            None => {
                self.nodes.push(n);
                self.nodes.len() - 1
            }
        }
    }
    pub(crate) fn attach(&mut self, dir: usize, name: &str, child: usize) {
        if let Kind::Dir { parent, .. } = &mut self.node_mut(child).kind {
            *parent = dir;
        }
        self.node_mut(child).names += 1;
        if let Kind::Dir { ents, .. } = &mut self.node_mut(dir).kind {
            ents.insert(name.to_string(), child);
        }
    }
    /// Remove a name; the node goes with its last name. Returns the freed node.
    pub(crate) fn detach(&mut self, dir: usize, name: &str) -> Option<usize> {
        let child = match &mut self.node_mut(dir).kind {
            Kind::Dir { ents, .. } => ents.remove(name).expect("model: no such name"),
            _ => panic!("model: not a directory"),
        };
        let n = self.node_mut(child);
        n.names -= 1;
        if n.names == 0 {
            self.nodes[child] = None;
            self.free.push(child);
            Some(child)
        } else {
            None
        }
    }
    /// Whether directory `d` is `anc` or lies below it.
    pub(crate) fn within(&self, mut d: usize, anc: usize) -> bool {
        loop {
            if d == anc {
                return true;
            }
            match self.node(d).kind {
                Kind::Dir { parent, .. } if d != ROOT => d = parent,
                _ => return false,
            }
        }
    }
    pub(crate) fn total_bytes(&self) -> u64 {
        self.nodes
            .iter()
            .flatten()
            .map(|n| match &n.kind {
                Kind::File(d) => d.len() as u64,
                _ => 0,
            })
            .sum()
    }
}

pub(crate) fn write_model(data: &mut Vec<u8>, off: usize, buf: &[u8]) {
    if data.len() < off + buf.len() {
        data.resize(off + buf.len(), 0);
    }
    data[off..off + buf.len()].copy_from_slice(buf);
}
