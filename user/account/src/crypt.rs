//! SHA-512 crypt password hashes (`$6$...`), through RustCrypto's `sha-crypt`.
//!
//! A hash string carries everything needed to check a password against it: the
//! scheme (`6`), the number of rounds, the salt and the digest. Checking recomputes
//! the digest with that salt and compares in constant time.

use alloc::string::{String, ToString};
use sha_crypt::{CustomizedPasswordHasher, Params, PasswordVerifier, ShaCrypt};

/// Random bytes a new salt is made from (encoded, they are 16 salt characters: the
/// most SHA-crypt uses).
pub const SALT_BYTES: usize = 12;

/// The SHA-512 crypt hash of `password` with the salt made from `salt` (random
/// bytes; see [`salt_from_bytes`]) and the standard 5,000 rounds.
pub fn hash_password(password: &str, salt: &[u8; SALT_BYTES]) -> String {
    ShaCrypt::SHA512
        .hash_password_customized(password.as_bytes(), salt, None, None, Params::RECOMMENDED)
        .map(|h| h.as_str().to_string())
        // Only a bad algorithm name or version can fail, and none is passed.
        .unwrap_or_default()
}

/// Does `password` match the crypt hash `hash` (`$6$` or `$5$`)? A locked or empty
/// field (`!`, `*`, or anything that is not a hash) matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    hash.starts_with('$')
        && ShaCrypt::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok()
}

/// A salt from whatever random bytes the caller has (the kernel's `/dev/urandom` in
/// the programs, the clock and process id on the host): the first [`SALT_BYTES`],
/// zero-padded.
pub fn salt_from_bytes(bytes: &[u8]) -> [u8; SALT_BYTES] {
    let mut s = [0u8; SALT_BYTES];
    for (d, b) in s.iter_mut().zip(bytes) {
        *d = *b;
    }
    s
}
