//! `awk`'s unit tests, run on the host (`cargo test -p utilcore`).

use super::*;

fn run(src: &str, input: &str) -> (String, i32) {
    let mut a = Awk::new(Program::compile(src).unwrap(), &[]);
    a.begin().unwrap();
    if !a.exited() {
        a.input("in", input.as_bytes()).unwrap();
    }
    let st = a.end().unwrap();
    (String::from_utf8(a.out.clone()).unwrap(), st)
}

fn out(src: &str, input: &str) -> String {
    run(src, input).0
}

#[test]
fn fields_and_patterns() {
    assert_eq!(out("{ print $2, $1 }", "a b\nc d\n"), "b a\nd c\n");
    assert_eq!(out("$1 > 5", "3\n10\n7\nx\n"), "10\n7\nx\n");
    assert_eq!(out("/b/,/d/", "a\nb\nc\nd\ne\nb\n"), "b\nc\nd\nb\n");
    assert_eq!(out("{ print NF, $NF }", "  x  y z \n\n"), "3 z\n0 \n");
    assert_eq!(out("NR == 2 { next } { print NR }", "a\nb\nc\n"), "1\n3\n");
}

#[test]
fn field_assignment_rebuilds_the_record() {
    assert_eq!(
        out("BEGIN { OFS = \"-\" } { $2 = \"X\"; print }", "a b c\n"),
        "a-X-c\n"
    );
    assert_eq!(
        out("{ $5 = \"e\"; print; print NF }", "a b\n"),
        "a b   e\n5\n"
    );
    assert_eq!(out("{ NF = 1; print }", "a b c\n"), "a\n");
}

#[test]
fn numbers_print_like_awk() {
    assert_eq!(
        out("BEGIN { print 1/4, 1/3, 2^10, 7 % 3, -7 / 2 }", ""),
        "0.25 0.333333 1024 1 -3.5\n"
    );
    assert_eq!(
        out("BEGIN { print 1e6, 0.1 + 0.2, 123456789 }", ""),
        "1000000 0.3 123456789\n"
    );
    assert_eq!(out("BEGIN { print 2 ^ 3 ^ 2, -2 ^ 2 }", ""), "512 -4\n");
}

#[test]
fn printf_conversions() {
    let f = |s: &str| out(&format!("BEGIN {{ printf {s} }}"), "");
    assert_eq!(
        f("\"%5d|%-5d|%05d|%x|%o|%c%%\", 42, 42, 42, 255, 8, 65"),
        "   42|42   |00042|ff|10|A%"
    );
    assert_eq!(
        f("\"%.2f %e %g %g %G\", 3.14159, 12345.678, 0.0001, 1234567, 0.00001234"),
        "3.14 1.234568e+04 0.0001 1.23457e+06 1.234E-05"
    );
    assert_eq!(
        f("\"%.3s|%10s|%*d\", \"abcdef\", \"x\", 3, 7"),
        "abc|         x|  7"
    );
    let mut a = Awk::new(Program::compile("BEGIN { printf \"%s\" }").unwrap(), &[]);
    assert!(a.begin().is_err());
}

#[test]
fn comparisons_numeric_or_string() {
    assert_eq!(
        out(
            "BEGIN { print (\"10\" < \"9\"), (10 < 9), (x == 0), (x == \"\") }",
            ""
        ),
        "1 0 1 1\n"
    );
    assert_eq!(out("{ print ($1 < $2) }", "10 9\nabc abd\n"), "0\n1\n");
}

#[test]
fn control_flow_and_arrays() {
    assert_eq!(
        out("BEGIN { for (i = 1; i <= 3; i++) s = s i; print s }", ""),
        "123\n"
    );
    assert_eq!(
        out(
            "BEGIN { while (1) { if (++i > 4) break; if (i == 2) continue; print i } }",
            ""
        ),
        "1\n3\n4\n"
    );
    assert_eq!(
        out(
            "{ n[$1]++ } END { for (k in n) print k, n[k] }",
            "b\na\nb\n"
        ),
        "a 1\nb 2\n"
    );
    assert_eq!(
        out("BEGIN { a[1]; delete a[1]; print (1 in a), length(a) }", ""),
        "0 0\n"
    );
    assert_eq!(
        run("BEGIN { exit 3 } END { print \"end\" }", ""),
        (String::from("end\n"), 3)
    );
    assert_eq!(out("BEGIN { do i++; while (i < 5); print i }", ""), "5\n");
}

#[test]
fn string_builtins() {
    assert_eq!(
        out(
            "BEGIN { print length(\"abc\"), substr(\"hello\", 2, 3), index(\"hello\", \"ll\") }",
            ""
        ),
        "3 ell 3\n"
    );
    assert_eq!(
        out(
            "BEGIN { n = split(\"a:b:c\", p, \":\"); print n, p[3] }",
            ""
        ),
        "3 c\n"
    );
    assert_eq!(
        out("BEGIN { s = \"aaa\"; print gsub(/a/, \"<&>\", s), s }", ""),
        "3 <a><a><a>\n"
    );
    assert_eq!(out("{ sub(/o+/, \"0\"); print }", "foo boo\n"), "f0 boo\n");
    assert_eq!(
        out("{ print match($0, /o+/), RSTART, RLENGTH }", "foo\n"),
        "2 2 2\n"
    );
    assert_eq!(
        out(
            "BEGIN { print toupper(\"ab\") tolower(\"CD\"), int(-3.9) }",
            ""
        ),
        "ABcd -3\n"
    );
}

#[test]
fn extended_regular_expressions() {
    assert!(Ere::new("ab+c").unwrap().is_match(b"xabbbc"));
    assert!(!Ere::new("ab+c").unwrap().is_match(b"xac"));
    assert!(Ere::new("^(ab)c$|z").unwrap().is_match(b"abc"));
    assert!(Ere::new("(ab)*").is_err());
    assert!(Ere::new("fox|dog").unwrap().is_match(b"lazy dog"));
    assert_eq!(Ere::new("o+|b").unwrap().find_at(b"boo", 0), Some((0, 1)));
    assert!(Ere::new("a?").is_err());
    assert!(Ere::new("(a|b)").is_err());
}

#[test]
fn output_redirection_collects_bytes_per_file() {
    let src = "{ print $1 > \"a\"; print $2 >> \"b\" } END { printf \"%s\", \"!\" > \"a\" }";
    let mut a = Awk::new(Program::compile(src).unwrap(), &[]);
    a.input("in", b"1 2\n3 4\n").unwrap();
    a.end().unwrap();
    let got: Vec<(&str, bool, &[u8])> = a
        .files
        .iter()
        .map(|f| (f.name.as_str(), f.truncate, f.bytes.as_slice()))
        .collect();
    let want: Vec<(&str, bool, &[u8])> = vec![
        ("a", true, b"1\n"),
        ("b", false, b"2\n"),
        ("a", false, b"3\n"),
        ("b", false, b"4\n"),
        ("a", false, b"!"),
    ];
    assert_eq!(got, want);
    assert!(a.out.is_empty());
}

#[test]
fn bad_programs_are_refused() {
    assert!(Program::compile("{ print $1").is_err());
    assert!(Program::compile("BEGIN").is_err());
    assert!(Program::compile("{ x = }").is_err());
    let mut a = Awk::new(Program::compile("{ $1e18 = 1 }").unwrap(), &[]);
    assert!(a.input("in", b"x\n").is_err());
}
