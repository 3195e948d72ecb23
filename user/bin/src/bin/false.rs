//! `false`: do nothing, unsuccessfully.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

ulib::entry!(main);

fn main() -> i32 {
    1
}
