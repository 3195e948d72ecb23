//! `awk`: the pattern-action language, a useful subset, parsed to a tree and walked.
//!
//! Supported: `BEGIN`, `END`, `/RE/`, expression and `P1, P2` range patterns; `print`
//! and `printf` (`%d %i %o %x %X %u %c %s %e %f %g %%` with flags `-+ 0#`, widths and
//! precisions, `*` too); assignments `= += -= *= /= %= ^=`, `++`, `--`; arithmetic
//! `+ - * / % ^`, concatenation, comparisons (numeric when both sides are numbers or
//! numeric strings from input, else by bytes), `~ !~`, `&& || !`, `?:`, `in`; `if`,
//! `while`, `do`, `for (;;)`, `for (k in a)`, `break`, `continue`, `next`, `exit`,
//! `delete`; associative arrays; the fields `$0..$NF` (assigning one rebuilds `$0` with
//! OFS, assigning `NF` cuts or pads); `NR NF FNR FS OFS ORS FILENAME SUBSEP RSTART
//! RLENGTH CONVFMT OFMT`; the built-ins `length substr index split sub gsub match
//! toupper tolower int sprintf`. `print` and `printf` may end in `> FILE` or `>> FILE`
//! (the caller writes [`Awk::files`]). Not supported: user functions, `getline`, output
//! to pipes, `close`. Numbers are `f64` (`^` takes whole exponents only: a fractional
//! one gives `nan`); a non-integer becomes a string through CONVFMT (`%.6g`), an integer
//! prints as one.
//!
//! Regular expressions are extended ones translated to the basic ones of `bre`: `( )`
//! group, `x+` becomes `xx*` for a single atom, and `|` is allowed at the top level (each
//! alternative is its own pattern; the leftmost, then longest, match wins). `?`, `{}`,
//! `|` inside a group and a starred group are refused with an error rather than matched
//! wrongly.

use alloc::string::String;

/// Why a program was refused, or failed while running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwkError(pub String);

impl core::fmt::Display for AwkError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(msg: String) -> Result<T, AwkError> {
    Err(AwkError(msg))
}

mod builtins;
mod ere;
mod interp;
mod lex;
mod parse;
mod printf;
mod run;
#[cfg(test)]
mod tests;
mod tree;
mod value;

use builtins::*;
pub use ere::Ere;
pub use interp::*;
use lex::*;
use printf::*;
pub use tree::Program;
use tree::*;
use value::*;
