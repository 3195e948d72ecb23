//! Device drivers: the layer that turns hardware events into data for the kernel.
//!
//! Each driver registers an interrupt handler with hal and hands data to threads through
//! the `task` layer's wait queues. hal gives only safe primitives (port I/O, PCI
//! configuration dwords, mapped device registers, DMA memory, interrupt routing); the
//! logic of buses and devices is here, in safe code:
//!
//! | file            | what                                                             |
//! |-----------------|------------------------------------------------------------------|
//! | `console.rs`    | the UART receive path into the console buffer                    |
//! | `rtc.rs`        | the CMOS clock                                                   |
//! | `pci.rs`        | PCI: bus scan, header fields, BAR sizing and assignment, caps    |
//! | `probe.rs`      | the PCI driver registry: register/unregister, binding by ids     |
//! | `virtio_pci.rs` | the virtio 1.x PCI transport: register blocks, status, features  |
//! | `virtqueue.rs`  | the split virtqueue shared with a virtio device                  |
//! | `virtio_blk.rs` | the virtio disk: requests, interrupt-driven completion           |
//! | `bochs_display.rs` | the framebuffer (QEMU `bochs-display`): mode set, memory   |
//! | `virtio_input.rs` | virtio tablet and keyboard: evdev events, collected per tick |
//! | `virtio_net.rs` | the virtio network card: receive buffers posted ahead, transmit  |
//! | `netdev.rs`     | the registry of network cards (`eth0`, ...) the stack takes      |
//! | `pci_irq.rs`    | the PCI interrupt vector the virtio devices share                |
//! | `ramdisk.rs`    | the boot module (`-initrd`) as a disk                            |
//! | `block.rs`      | the registry of disks by name, with run-time removal             |

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod block;
pub mod bochs_display;
pub mod console;
pub mod netdev;
pub mod pci;
pub mod pci_irq;
pub mod probe;
pub mod ramdisk;
pub mod rtc;
pub mod virtio_blk;
pub mod virtio_input;
pub mod virtio_net;
pub mod virtio_pci;
pub mod virtqueue;

pub use probe::{probe_pci, register_pci_driver, unregister_pci_driver};
