//! The connection calls on the socket table: `listen` and the accept queue's refill,
//! `connect` and its completion, `accept` (chapter 2, 3-2 "communication": the
//! connection model — one side listens, the other connects, the kernel pairs them).

use super::*;

impl Net {
    pub fn listen(&mut self, sid: Sid, backlog: usize) -> Result<(), Errno> {
        let e = self.entry(sid)?;
        if e.proto != Proto::Tcp {
            return Err(Errno::EOPNOTSUPP);
        }
        let backlog = backlog.clamp(1, MAX_BACKLOG);
        match &mut e.kind {
            Kind::Listen { backlog: b, .. } => {
                *b = backlog;
                return Ok(());
            }
            Kind::Fresh => {}
            _ => return Err(Errno::EINVAL),
        }
        if e.local.1 == 0 {
            let p = self.ephemeral(Proto::Tcp, sid)?;
            self.entry(sid)?.local.1 = p;
        }
        self.entry(sid)?.kind = Kind::Listen {
            backlog,
            spares: Vec::new(),
            queue: VecDeque::new(),
        };
        self.refill(sid);
        Ok(())
    }

    /// Keep [`LISTEN_SPARES`] listening sockets on every interface while the accept
    /// queue has room.
    pub(super) fn refill(&mut self, sid: Sid) {
        let Some(e) = self.socks.get_mut(&sid) else {
            return;
        };
        let (addr, port) = e.local;
        let Kind::Listen {
            backlog,
            spares,
            queue,
        } = &mut e.kind
        else {
            return;
        };
        let listen = IpListenEndpoint {
            addr: (!addr.is_unspecified()).then_some(IpAddress::Ipv4(addr)),
            port,
        };
        for (i, iface) in self.ifaces.iter_mut().enumerate() {
            while queue.len() < *backlog
                && spares.iter().filter(|a| a.0 == i).count() < LISTEN_SPARES
            {
                let mut s = tcp_socket();
                s.set_timeout(Some(HANDSHAKE_TIMEOUT));
                if s.listen(listen).is_err() {
                    break;
                }
                spares.push((i, iface.sockets.add(s)));
            }
        }
    }

    pub fn connect(&mut self, sid: Sid, dst: Ipv4Address, port: u16) -> Result<(), Errno> {
        let e = self.entry(sid)?;
        match (e.proto, &e.kind) {
            (Proto::Tcp, Kind::Fresh) => {}
            (Proto::Tcp, Kind::Conn(_)) => return Err(Errno::EISCONN),
            (Proto::Tcp, _) => return Err(Errno::EINVAL),
            _ => {
                // A datagram socket's connect only sets the default destination.
                if e.local.1 == 0 {
                    self.bind(sid, Ipv4Address::UNSPECIFIED, 0, true)?;
                }
                self.entry(sid)?.remote = Some((dst, port));
                return Ok(());
            }
        }
        if port == 0 {
            return Err(Errno::ECONNREFUSED);
        }
        let i = self.iface_for(dst)?;
        if self.entry(sid)?.local.1 == 0 {
            let p = self.ephemeral(Proto::Tcp, sid)?;
            self.entry(sid)?.local.1 = p;
        }
        let (laddr, lport) = self.entry(sid)?.local;
        let (keep, nodelay) = (self.entry(sid)?.keepalive, self.entry(sid)?.nodelay);
        let mut s = tcp_socket();
        s.set_keep_alive(keep.then(|| Duration::from_secs(10)));
        s.set_nagle_enabled(!nodelay);
        let local = IpListenEndpoint {
            addr: (!laddr.is_unspecified()).then_some(IpAddress::Ipv4(laddr)),
            port: lport,
        };
        let iface = &mut self.ifaces[i];
        s.connect(
            iface.iface.context(),
            IpEndpoint::new(IpAddress::Ipv4(dst), port),
            local,
        )
        .map_err(|_| Errno::EADDRNOTAVAIL)?;
        let h = iface.sockets.add(s);
        let e = self.entry(sid)?;
        e.kind = Kind::Conn((i, h));
        e.remote = Some((dst, port));
        Ok(())
    }

    /// Has a connection started by `connect` finished its handshake? `Ok(None)`:
    /// still going.
    pub fn connect_done(&mut self, sid: Sid) -> Result<Option<()>, Errno> {
        let Kind::Conn(at) = self.entry(sid)?.kind else {
            return Err(Errno::EINVAL);
        };
        match self.tcp(at).state() {
            tcp::State::SynSent | tcp::State::SynReceived => Ok(None),
            tcp::State::Closed => {
                self.entry(sid)?.error = None;
                Err(Errno::ECONNREFUSED)
            }
            _ => Ok(Some(())),
        }
    }

    /// `accept`: the next connection that finished its handshake, as a new entry.
    pub fn accept(&mut self, sid: Sid) -> Result<Option<(Sid, Endpoint)>, Errno> {
        let e = self.socks.get_mut(&sid).ok_or(Errno::EBADF)?;
        let ifaces = &self.ifaces;
        let Kind::Listen { queue, .. } = &mut e.kind else {
            return Err(Errno::EINVAL);
        };
        let ready = queue.iter().position(|&at| {
            let s = ifaces[at.0].sockets.get::<tcp::Socket>(at.1);
            !matches!(s.state(), tcp::State::SynReceived | tcp::State::Listen)
        });
        let Some(pos) = ready else { return Ok(None) };
        let at = queue.remove(pos).ok_or(Errno::EAGAIN)?;
        let (keep, nodelay) = (e.keepalive, e.nodelay);
        let new = self.create(Proto::Tcp).inspect_err(|_| {
            self.ifaces[at.0].sockets.remove(at.1);
        })?;
        let s = self.tcp(at);
        s.set_timeout(Some(DATA_TIMEOUT));
        s.set_keep_alive(keep.then(|| Duration::from_secs(10)));
        s.set_nagle_enabled(!nodelay);
        let local = s.local_endpoint();
        let remote = s.remote_endpoint();
        let ne = self.entry(new)?;
        ne.kind = Kind::Conn(at);
        if let Some(l) = local {
            ne.local = (v4(l.addr), l.port);
        }
        let peer = remote
            .map(|r| (v4(r.addr), r.port))
            .unwrap_or((Ipv4Address::UNSPECIFIED, 0));
        ne.remote = Some(peer);
        self.refill(sid);
        Ok(Some((new, peer)))
    }
}
