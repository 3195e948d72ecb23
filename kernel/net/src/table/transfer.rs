//! Moving data on the socket table: `send`, `recv` (a connection's byte stream or a
//! datagram with its address) and `shutdown` of one direction (chapter 2, 3-2
//! "communication": read and write once a connection is open).

use super::*;

impl Net {
    /// Send on a connection or a datagram socket (`to` for an unconnected one).
    /// `Ok(None)`: no room now.
    pub fn send(
        &mut self,
        sid: Sid,
        data: &[u8],
        to: Option<(Ipv4Address, u16)>,
    ) -> Result<Option<usize>, Errno> {
        let e = self.entry(sid)?;
        if e.shut_wr {
            return Err(Errno::EPIPE);
        }
        match e.kind {
            Kind::Conn(at) => {
                let s = self.tcp(at);
                if !s.may_send() {
                    return Err(Errno::EPIPE);
                }
                if data.is_empty() {
                    return Ok(Some(0));
                }
                if !s.can_send() {
                    return Ok(None);
                }
                Ok(Some(s.send_slice(data).map_err(|_| Errno::EPIPE)?))
            }
            Kind::Fresh | Kind::Listen { .. } => Err(Errno::ENOTCONN),
            Kind::Dgram(_) => {
                let (dst, port) = to.or(e.remote).ok_or(Errno::EDESTADDRREQ)?;
                if e.local.1 == 0 {
                    self.bind(sid, Ipv4Address::UNSPECIFIED, 0, true)?;
                }
                let i = self.iface_for(dst)?;
                let e = self.entry(sid)?;
                let Kind::Dgram(ats) = &e.kind else {
                    return Err(Errno::EINVAL);
                };
                let at = *ats.iter().find(|a| a.0 == i).ok_or(Errno::ENETUNREACH)?;
                let proto = e.proto;
                let ident = e.local.1;
                let sockets = &mut self.ifaces[at.0].sockets;
                if proto == Proto::Udp {
                    let s = sockets.get_mut::<udp::Socket>(at.1);
                    if data.len() > UDP_BUF {
                        return Err(Errno::EMSGSIZE);
                    }
                    if !s.can_send() {
                        return Ok(None);
                    }
                    let ep = IpEndpoint::new(IpAddress::Ipv4(dst), port);
                    return match s.send_slice(data, ep) {
                        Ok(()) => Ok(Some(data.len())),
                        Err(udp::SendError::BufferFull) => Ok(None),
                        Err(_) => Err(Errno::EINVAL),
                    };
                }
                // A ping socket: an ICMP echo request; the identifier is the socket's.
                if data.len() < 8 || data[0] != 8 {
                    return Err(Errno::EINVAL);
                }
                let s = sockets.get_mut::<icmp::Socket>(at.1);
                if !s.can_send() {
                    return Ok(None);
                }
                let mut pkt = data.to_vec();
                pkt[4..6].copy_from_slice(&ident.to_be_bytes());
                let sum = crate::report::checksum(&pkt);
                pkt[2..4].copy_from_slice(&sum.to_be_bytes());
                match s.send_slice(&pkt, IpAddress::Ipv4(dst)) {
                    Ok(()) => Ok(Some(data.len())),
                    Err(icmp::SendError::BufferFull) => Ok(None),
                    Err(_) => Err(Errno::EINVAL),
                }
            }
        }
    }

    /// Receive; `Ok(Some((0, _)))` is the end of the stream. `peek` leaves the bytes.
    pub fn recv(
        &mut self,
        sid: Sid,
        buf: &mut [u8],
        peek: bool,
    ) -> Result<Option<(usize, Option<Endpoint>)>, Errno> {
        let e = self.entry(sid)?;
        if e.shut_rd {
            return Ok(Some((0, None)));
        }
        let remote = e.remote;
        match &e.kind {
            &Kind::Conn(at) => {
                let s = self.tcp(at);
                if s.can_recv() {
                    let r = if peek {
                        s.peek_slice(buf)
                    } else {
                        s.recv_slice(buf)
                    };
                    return Ok(Some((r.unwrap_or(0), remote)));
                }
                if !s.may_recv() {
                    return Ok(Some((0, remote)));
                }
                Ok(None)
            }
            Kind::Fresh | Kind::Listen { .. } => Err(Errno::ENOTCONN),
            Kind::Dgram(ats) => {
                let proto = e.proto;
                for &at in ats.clone().iter() {
                    let sockets = &mut self.ifaces[at.0].sockets;
                    if proto == Proto::Udp {
                        let s = sockets.get_mut::<udp::Socket>(at.1);
                        if !s.can_recv() {
                            continue;
                        }
                        let got = if peek {
                            s.peek_slice(buf).map(|(n, m)| (n, *m))
                        } else {
                            s.recv_slice(buf)
                        };
                        match got {
                            Ok((n, m)) => {
                                return Ok(Some((n, Some((v4(m.endpoint.addr), m.endpoint.port)))))
                            }
                            Err(udp::RecvError::Truncated) => {
                                return Ok(Some((buf.len(), None)));
                            }
                            Err(_) => continue,
                        }
                    } else {
                        let s = sockets.get_mut::<icmp::Socket>(at.1);
                        if !s.can_recv() {
                            continue;
                        }
                        if let Ok((n, from)) = s.recv_slice(buf) {
                            return Ok(Some((n, Some((v4(from), 0)))));
                        }
                    }
                }
                Ok(None)
            }
        }
    }

    pub fn shutdown(&mut self, sid: Sid, how: u32) -> Result<(), Errno> {
        let e = self.entry(sid)?;
        let (rd, wr) = match how {
            SHUT_RD => (true, false),
            SHUT_WR => (false, true),
            SHUT_RDWR => (true, true),
            _ => return Err(Errno::EINVAL),
        };
        let Kind::Conn(at) = e.kind else {
            return match e.kind {
                Kind::Dgram(_) => {
                    e.shut_rd |= rd;
                    e.shut_wr |= wr;
                    Ok(())
                }
                _ => Err(Errno::ENOTCONN),
            };
        };
        e.shut_rd |= rd;
        e.shut_wr |= wr;
        if wr {
            self.tcp(at).close();
        }
        Ok(())
    }
}
