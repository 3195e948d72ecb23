//! Virtio devices on PCI, through the `virtio-drivers` crate.
//!
//! The crate does the virtio protocol (feature negotiation, virtqueues, block requests);
//! this module supplies what it needs from the machine, which is why it lives in hal:
//!
//! - PCI configuration space through the legacy I/O ports 0xCF8/0xCFC (every PC has
//!   them; q35's memory-mapped ECAM would do the same job);
//! - DMA memory: physically contiguous frames from mm, reached through the direct map;
//!   buffers the driver hands to the device are *bounced* through such frames, so any
//!   kernel buffer (heap or stack) can be used without knowing its physical layout;
//! - device registers (PCI BARs) mapped uncached into the kernel's direct map on demand.
//!
//! [`VirtioBlock`] is the safe face the rest of the kernel sees.

use crate::addr::{PhysAddr, PAGE_SIZE};
use crate::paging::{PageFlags, PageSize};
use crate::port::Port;
use alloc::vec::Vec;
use core::ptr::NonNull;
use virtio_drivers::device::blk::{BlkReq, BlkResp, VirtIOBlk};
use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction, PciRoot};
use virtio_drivers::transport::pci::{virtio_device_type, PciTransport};
use virtio_drivers::transport::DeviceType;
use virtio_drivers::{BufferDirection, Hal};

/// PCI configuration access by I/O ports.
pub struct PortCam;

const CONFIG_ADDRESS: Port = Port::new(0xcf8);
const CONFIG_DATA: Port = Port::new(0xcfc);

fn address(df: DeviceFunction, offset: u8) -> u32 {
    0x8000_0000
        | (df.bus as u32) << 16
        | (df.device as u32) << 11
        | (df.function as u32) << 8
        | (offset as u32 & 0xfc)
}

impl ConfigurationAccess for PortCam {
    fn read_word(&self, df: DeviceFunction, offset: u8) -> u32 {
        let _g = crate::sync::IrqGuard::new();
        CONFIG_ADDRESS.write32(address(df, offset));
        CONFIG_DATA.read32()
    }

    fn write_word(&mut self, df: DeviceFunction, offset: u8, data: u32) {
        let _g = crate::sync::IrqGuard::new();
        CONFIG_ADDRESS.write32(address(df, offset));
        CONFIG_DATA.write32(data);
    }

    unsafe fn unsafe_clone(&self) -> Self {
        PortCam
    }
}

/// The machine services virtio-drivers needs.
pub struct KernelHal;

// SAFETY: dma_alloc returns zeroed, physically contiguous, exclusively owned frames and
// their direct-map address; share/unshare bounce through such frames; MMIO regions are
// mapped uncached at their direct-map address before use.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _dir: BufferDirection) -> (u64, NonNull<u8>) {
        let f = crate::paging::alloc_dma(pages).expect("out of memory for virtio DMA buffers");
        let v = NonNull::new(f.to_virt().as_u64() as *mut u8).expect("direct map is not null");
        (f.as_u64(), v)
    }

    unsafe fn dma_dealloc(paddr: u64, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        crate::paging::free_dma(PhysAddr(paddr), pages);
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: u64, size: usize) -> NonNull<u8> {
        map_mmio(PhysAddr(paddr), size as u64);
        NonNull::new(PhysAddr(paddr).to_virt().as_u64() as *mut u8).expect("not null")
    }

    unsafe fn share(buffer: NonNull<[u8]>, dir: BufferDirection) -> u64 {
        let len = buffer.len();
        let pages = len.div_ceil(PAGE_SIZE as usize).max(1);
        let (pa, va) = Self::dma_alloc(pages, dir);
        if dir != BufferDirection::DeviceToDriver {
            // SAFETY: the caller guarantees `buffer` is valid for `len` bytes; the bounce
            // frames hold at least that many.
            unsafe {
                core::ptr::copy_nonoverlapping(buffer.as_ptr() as *const u8, va.as_ptr(), len)
            };
        }
        pa
    }

    unsafe fn unshare(paddr: u64, buffer: NonNull<[u8]>, dir: BufferDirection) {
        let len = buffer.len();
        let pages = len.div_ceil(PAGE_SIZE as usize).max(1);
        let va = PhysAddr(paddr).to_virt().as_u64() as *const u8;
        if dir != BufferDirection::DriverToDevice {
            // SAFETY: as in share, in the other direction.
            unsafe { core::ptr::copy_nonoverlapping(va, buffer.as_ptr() as *mut u8, len) };
        }
        crate::paging::free_dma(PhysAddr(paddr), pages);
    }
}

/// Map device registers uncached at their direct-map address (idempotent).
fn map_mmio(base: PhysAddr, size: u64) {
    let flags =
        PageFlags::WRITABLE | PageFlags::NO_EXECUTE | PageFlags::NO_CACHE | PageFlags::GLOBAL;
    let start = base.as_u64() & !(PAGE_SIZE - 1);
    let end = (base.as_u64() + size).div_ceil(PAGE_SIZE) * PAGE_SIZE;
    crate::paging::with_kernel_table(|t| {
        let mut p = start;
        while p < end {
            let va = PhysAddr(p).to_virt();
            if t.translate(va).is_none() {
                let _ = t.map(va, PhysAddr(p), PageSize::Size4K, flags);
            }
            p += PAGE_SIZE;
        }
    });
}

/// The device reported an error (or the request was malformed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceError;

/// A request the device is working on.
struct Pending {
    token: u16,
    req: alloc::boxed::Box<BlkReq>,
    resp: alloc::boxed::Box<BlkResp>,
    buf: (usize, usize),
}

/// A virtio block device.
pub struct VirtioBlock {
    dev: VirtIOBlk<KernelHal, PciTransport>,
    pending: Option<Pending>,
    pub location: (u8, u8, u8),
}

impl VirtioBlock {
    /// Size in 512-byte sectors.
    pub fn capacity(&self) -> u64 {
        self.dev.capacity()
    }

    /// Read whole sectors starting at `sector` (buf length a multiple of 512).
    pub fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        self.dev
            .read_blocks(sector as usize, buf)
            .map_err(|_| DeviceError)
    }

    /// Write whole sectors starting at `sector`.
    pub fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), DeviceError> {
        self.dev
            .write_blocks(sector as usize, buf)
            .map_err(|_| DeviceError)
    }

    /// Let the device raise an interrupt when it completes a request.
    pub fn enable_interrupts(&mut self) {
        self.dev.enable_interrupts();
    }

    /// Start reading whole sectors into `buf`; finish with [`Self::finish_read`] once
    /// [`Self::poll_done`] says so. One request at a time.
    pub fn start_read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        assert!(
            self.pending.is_none(),
            "a virtio request is already in flight"
        );
        let mut req = alloc::boxed::Box::new(BlkReq::default());
        let mut resp = alloc::boxed::Box::new(BlkResp::default());
        // SAFETY: `req`, `resp` and `buf` are passed again, unchanged, to
        // complete_read_blocks (finish_read checks the buffer); and the device never
        // touches them directly: KernelHal::share gives it bounce buffers, copied back
        // only at completion.
        let token = unsafe {
            self.dev
                .read_blocks_nb(sector as usize, &mut req, buf, &mut resp)
        }
        .map_err(|_| DeviceError)?;
        self.pending = Some(Pending {
            token,
            req,
            resp,
            buf: (buf.as_ptr() as usize, buf.len()),
        });
        Ok(())
    }

    /// Start writing whole sectors from `buf`.
    pub fn start_write(&mut self, sector: u64, buf: &[u8]) -> Result<(), DeviceError> {
        assert!(
            self.pending.is_none(),
            "a virtio request is already in flight"
        );
        let mut req = alloc::boxed::Box::new(BlkReq::default());
        let mut resp = alloc::boxed::Box::new(BlkResp::default());
        // SAFETY: as in start_read.
        let token = unsafe {
            self.dev
                .write_blocks_nb(sector as usize, &mut req, buf, &mut resp)
        }
        .map_err(|_| DeviceError)?;
        self.pending = Some(Pending {
            token,
            req,
            resp,
            buf: (buf.as_ptr() as usize, buf.len()),
        });
        Ok(())
    }

    /// Acknowledge the device's interrupt and say whether the request has completed.
    pub fn poll_done(&mut self) -> bool {
        self.dev.ack_interrupt();
        match &self.pending {
            Some(p) => self.dev.peek_used() == Some(p.token),
            None => true,
        }
    }

    fn take_pending(&mut self, buf: (usize, usize)) -> Pending {
        let p = self.pending.take().expect("no virtio request in flight");
        assert!(
            p.buf == buf,
            "a virtio request completed with another buffer"
        );
        p
    }

    /// Complete a read started by [`Self::start_read`] (with the same buffer).
    pub fn finish_read(&mut self, buf: &mut [u8]) -> Result<(), DeviceError> {
        let mut p = self.take_pending((buf.as_ptr() as usize, buf.len()));
        // SAFETY: the same req, buf and resp as passed to read_blocks_nb (checked).
        unsafe {
            self.dev
                .complete_read_blocks(p.token, &p.req, buf, &mut p.resp)
        }
        .map_err(|_| DeviceError)
    }

    /// Complete a write started by [`Self::start_write`] (with the same buffer).
    pub fn finish_write(&mut self, buf: &[u8]) -> Result<(), DeviceError> {
        let mut p = self.take_pending((buf.as_ptr() as usize, buf.len()));
        // SAFETY: as in finish_read.
        unsafe {
            self.dev
                .complete_write_blocks(p.token, &p.req, buf, &mut p.resp)
        }
        .map_err(|_| DeviceError)
    }

    /// Ask the device to make earlier writes durable.
    pub fn flush(&mut self) -> Result<(), DeviceError> {
        self.dev.flush().map_err(|_| DeviceError)
    }
}

/// Where memory BARs that the firmware left unassigned are placed: q35's PCI hole,
/// above the PCIe configuration window (0xb000_0000, 256 MiB).
static NEXT_MMIO: crate::sync::SpinLock<u64> = crate::sync::SpinLock::new(0xc000_0000);
const MMIO_END: u64 = 0xfe00_0000;

/// Give every unassigned memory BAR of `df` an address (qboot, the fast firmware, does
/// not assign them; SeaBIOS does). Each BAR is naturally aligned to its size.
fn allocate_bars(root: &mut PciRoot<PortCam>, df: DeviceFunction) {
    use virtio_drivers::transport::pci::bus::{BarInfo, MemoryBarType};
    let mut index = 0u8;
    while index < 6 {
        let info = root.bar_info(df, index).ok().flatten();
        let step = if info.as_ref().is_some_and(|b| b.takes_two_entries()) {
            2
        } else {
            1
        };
        if let Some(BarInfo::Memory {
            address_type,
            address: 0,
            size,
            ..
        }) = info
        {
            if size > 0 && address_type != MemoryBarType::Below1MiB {
                let mut next = NEXT_MMIO.lock();
                let at = next.div_ceil(size) * size;
                if at + size <= MMIO_END {
                    *next = at + size;
                    match address_type {
                        MemoryBarType::Width64 => root.set_bar_64(df, index, at),
                        _ => root.set_bar_32(df, index, at as u32),
                    }
                }
            }
        }
        index += step;
    }
}

/// Find every virtio block device on PCI bus 0.
pub fn probe_block_devices() -> Vec<VirtioBlock> {
    let mut root = PciRoot::new(PortCam);
    let mut found = Vec::new();
    let list: Vec<_> = root.enumerate_bus(0).collect();
    for (df, info) in list {
        if virtio_device_type(&info) != Some(DeviceType::Block) {
            continue;
        }
        allocate_bars(&mut root, df);
        // Let the device reach memory and answer on its BARs.
        let (_, cmd) = root.get_status_command(df);
        use virtio_drivers::transport::pci::bus::Command;
        root.set_command(
            df,
            cmd | Command::MEMORY_SPACE | Command::BUS_MASTER | Command::IO_SPACE,
        );
        match PciTransport::new::<KernelHal, _>(&mut root, df) {
            Ok(t) => match VirtIOBlk::<KernelHal, _>::new(t) {
                Ok(dev) => found.push(VirtioBlock {
                    dev,
                    pending: None,
                    location: (df.bus, df.device, df.function),
                }),
                Err(e) => crate::kprintln!("virtio-blk {df:?}: {e:?}"),
            },
            Err(e) => crate::kprintln!("virtio-blk {df:?}: {e:?}"),
        }
    }
    found
}
