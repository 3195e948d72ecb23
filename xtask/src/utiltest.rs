//! The text utilities compared with the host's: the same command lines on the same
//! input files, run by GNU coreutils, sed, diff and friends on the host and by dinos's
//! programs in one boot; standard output and exit status must be identical.
//!
//! Design decision: the expected output is never written by hand. Each case is a tiny
//! shell script (`c/N.sh`); the host runs it with `dash` in a folder holding the input
//! files, under `LC_ALL=C`. For the guest, the same folder is written into a copy of
//! the root image (as `/u`, with `debugfs`), together with a driver script that runs
//! every case with its output, errors and status redirected into files under `/o`.
//! After one boot, `/o` is read back out of the image with `debugfs rdump` and
//! compared case by case. Going through files rather than the console keeps the
//! outputs byte-exact (no terminal newline translation, binary output allowed).
//! Standard error is compared only for being empty or not: messages are worded
//! differently from GNU's, but an error must be reported when GNU reports one.

use crate::session::Session;
use crate::Result;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

type UtilTest = fn(&Path) -> Result<()>;

/// The test, wired into `cargo xtask test` by `test.rs`.
pub const UTIL_TESTS: &[(&str, UtilTest)] = &[(
    "util::utilities_match_the_host_tools_case_by_case",
    compare_with_host,
)];

/// The whole guest run (about three hundred and fifty small programs under emulation).
const RUN_TIMEOUT: Duration = Duration::from_secs(360);

/// The input files, in the case's working directory.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let words = "pear\napple\nfig\nbanana\napple\nCherry\nfig\nfig\ndate\nBanana\n";
    let nums = "10\n9\n-3\n2.5\n100\n  7\nx\n0\n-0.5\n9\n";
    let table = "root:x:0:0:root:/root:/bin/sh\n\
                 daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
                 bin:x:2:2:bin:/bin:/usr/sbin/nologin\n\
                 alice:x:1000:100:Alice:/home/alice:/bin/sh\n\
                 bob:x:1001:100:Bob:/home/bob:/bin/dash\n\
                 carol:x:999:50:Carol:/home/carol:/bin/sh\n";
    let cols = "b 2 x\na 10 y\nc 1 z\na 2 w\n  d 3 v\nb 10 u\n";
    let text = "The quick brown fox\njumps over the lazy dog.\n\n\
                Pack my box with five dozen liquor jugs!\n\
                How vexingly quick daft zebras jump;\n\
                sphinx of black quartz, judge my vow.\n";
    let runs = "a\na\nb\nc\nc\nc\na\nB\nb\nb\n";
    let mut long = String::new();
    for i in 1..=200 {
        long.push_str(&format!("line {i} of the long file\n"));
    }
    // The long file with lines changed, removed and added far apart (several hunks).
    let mut long2 = String::new();
    for i in 1..=200 {
        match i {
            5 => long2.push_str("line five, changed\n"),
            50..=52 => {}
            120 => long2.push_str("an inserted line\nline 120 of the long file\n"),
            198 => long2.push_str("line 198 of the long file\nanother\nand one more\n"),
            _ => long2.push_str(&format!("line {i} of the long file\n")),
        }
    }
    let text2 = "The quick brown fox\njumps over the lazy cat.\n\n\
                 Pack my box with five dozen liquor jugs!\n\
                 sphinx of black quartz, judge my vow.\nA new last line\n";
    let binary: Vec<u8> = (0..=255u8).chain(b"tail\n".iter().copied()).collect();
    vec![
        ("words", words.into()),
        ("nums", nums.into()),
        ("table", table.into()),
        ("cols", cols.into()),
        ("text", text.into()),
        ("runs", runs.into()),
        ("long", long.into_bytes()),
        ("binary", binary),
        ("nonl", b"first\nsecond\nno newline at the end".to_vec()),
        ("empty", Vec::new()),
        ("sub/one", b"first file in sub\n".to_vec()),
        ("sub/two", b"second\nfile\n".to_vec()),
        ("zeros", vec![0u8; 100]),
        ("long2", long2.into_bytes()),
        ("text2", text2.into()),
        ("dup1", b"a\nb\na\nb\na\nc\nx\ny\n".to_vec()),
        ("dup2", b"a\nb\nc\na\nb\nx\nz\ny\na\n".to_vec()),
        ("a.txt", b"one\ntwo\nthree\nfour\n".to_vec()),
        ("b.txt", b"one\ntwo\nTHREE\nfour\n".to_vec()),
        ("c.txt", b"one\ntwo\n".to_vec()),
        ("quoted", b"a \"b c\" d\\ e 'f g'\n".to_vec()),
        ("unmatched", b"one 'open\n".to_vec()),
        (
            "paths",
            b"/usr/bin/sort\n/etc/passwd\nrelative/file.txt\n".to_vec(),
        ),
    ]
}

/// The command lines, each run as a script by `sh` in the inputs' folder.
const CASES: &[&str] = &[
    // sort
    "sort words",
    "sort -r words",
    "sort -u words",
    "sort -n nums",
    "sort -rn nums",
    "sort -k2 cols",
    "sort -k2,2n cols",
    "sort -k2,2n -k1,1r cols",
    "sort -s -k1,1 cols",
    "sort -b -k1,1 cols",
    "sort -t: -k3,3n table",
    "sort -t: -k4,4n -k1,1 table",
    "sort -t : -k 7 -u table",
    "sort words nums",
    "cat words | sort - runs",
    "sort nonl",
    "sort empty",
    "sort -k1.2,1.3 words",
    "sort -c words",
    "sort words | sort -c",
    "sort missing-file",
    "sort -k0 words",
    "sort -Z words",
    // uniq
    "uniq runs",
    "uniq -c runs",
    "uniq -d runs",
    "uniq -u runs",
    "uniq -ci runs",
    "sort words | uniq -c",
    "uniq empty",
    "cat runs | uniq - ",
    "uniq missing-file",
    // cut
    "cut -d: -f1 table",
    "cut -d: -f1,3-4 table",
    "cut -d: -f6- table",
    "cut -d: -f-2 table",
    "cut -c1-3 words",
    "cut -c2,4- text",
    "cut -b1 words",
    "cut -d' ' -f2 cols",
    "cut -d: -f2 words",
    "cut -s -d: -f2 words",
    "cut -f1 nonl",
    "cut -c 0 words",
    "cut -f 3-1 words",
    "cut words",
    // tr
    "tr a-z A-Z < text",
    "tr '[:lower:]' '[:upper:]' < words",
    "tr -d aeiou < text",
    "tr -d '[:digit:]' < table",
    "tr -s ' ' < cols",
    "tr -s a-z < runs",
    "tr -cd 'a-z\\n' < text",
    "tr -c 'a-z' '_' < words",
    "tr ':' '\\t' < table",
    "tr abc xy < runs",
    "tr -ds 'aeiou' ' ' < text",
    "tr '\\n' ' ' < c.txt",
    "tr a-c '[x*]' < runs",
    "tr z-a x < words",
    "tr a",
    // tee
    "tee out1 out2 < c.txt; cat out1 out2",
    "cat c.txt > c2; tee -a c2 < a.txt > /dev/null; cat c2",
    "cat words | tee out3 | wc -l; cat out3",
    "tee < c.txt",
    "tee no/such/dir < c.txt",
    // xargs
    "xargs < words",
    "xargs -n 3 < words",
    "xargs echo item: < c.txt",
    "xargs -I X echo '<X>' < c.txt",
    "xargs -n1 < quoted",
    "xargs false < c.txt",
    "xargs nonexistent-program < c.txt",
    "xargs < empty",
    "xargs -r echo nothing < empty",
    "xargs < unmatched",
    // basename, dirname
    "basename /usr/lib/libc.so",
    "basename /usr/lib/",
    "basename prog.c .c",
    "basename /",
    "basename",
    "dirname /usr/lib/libc.so",
    "dirname /usr//lib//",
    "dirname file",
    "dirname / a/b /x",
    "dirname",
    // seq
    "seq 5",
    "seq 3 7",
    "seq 1 3 10",
    "seq 10 -3 1",
    "seq 1 0.5 3",
    "seq -s , 5",
    "seq -w 8 11",
    "seq -w -3 2 3",
    "seq -s ' ' -w 1 10",
    "seq 5 1",
    "seq -5 -1",
    "seq 0.1 0.1 0.5",
    "seq x",
    "seq 1 0 5",
    "seq",
    // yes
    "yes | head -n 3",
    "yes hello world | head -n 2",
    // which, printenv
    "which sh > /dev/null",
    "which no-such-program",
    "which sh no-such-program > /dev/null",
    "which",
    "env FOO=bar printenv FOO",
    "env FOO=bar BAZ=qux printenv BAZ FOO",
    "printenv NO_SUCH_VARIABLE",
    // cmp
    "cmp a.txt a.txt",
    "cmp a.txt b.txt",
    "cmp -s a.txt b.txt",
    "cmp a.txt c.txt",
    "cmp c.txt a.txt",
    "cmp -s a.txt c.txt",
    "cmp empty a.txt",
    "cat a.txt | cmp - b.txt",
    "cmp a.txt missing-file",
    "cmp",
    // sed
    "sed s/o/0/ text",
    "sed s/o/0/g text",
    "sed 's/[aeiou]/<&>/2' text",
    "sed 's/\\([a-z]*\\):x:\\([0-9]*\\).*/\\2 \\1/' table",
    "sed 's|/bin/sh|/bin/dash|' table",
    "sed 's/x*/-/g' c.txt",
    "sed -n 2p long",
    "sed -n '$p' long",
    "sed -n '5,8p' long",
    "sed '3,$d' text",
    "sed '/quick/d' text",
    "sed -n '/^$/,/jugs/p' text",
    "sed -n '/fox/,/vow/p' text",
    "sed '2,4!d' long",
    "sed -n '4,2p' long",
    "sed -e s/one/1/ -e s/two/2/ a.txt",
    "sed -n -e '/o/p' -e '/o/=' a.txt",
    "sed 3q long",
    "sed p nonl",
    "sed '$s/end/END/' nonl",
    "sed = c.txt",
    "sed s/a/A/ nonl c.txt",
    "cat text | sed 's/ /_/g; s/_/ /2'",
    "sed -n 's/the/THE/gp' text",
    "sed 's/A/a/gi' words",
    "sed 's/[[:upper:]]/(&)/g' words",
    "sed 's/a/b' text",
    "sed k text",
    "sed 's/a/\\1/' text",
    "sed",
    "sed p missing-file c.txt",
    // diff
    "diff a.txt b.txt",
    "diff a.txt a.txt",
    "diff c.txt a.txt",
    "diff a.txt c.txt",
    "diff -u -L a -L b a.txt b.txt",
    "diff -u -L a -L b c.txt a.txt",
    "diff -u -L old -L new long long2",
    "diff long long2",
    "diff -U 1 -L x -L y long long2",
    "diff -U 0 -L x -L y long long2",
    "diff -u -L x -L y words runs",
    "diff words runs",
    "diff -u -L x -L y text text2",
    "diff text text2",
    "diff -u -L x -L y nonl c.txt",
    "diff nonl c.txt",
    "diff -u -L x -L y empty a.txt",
    "diff -u -L x -L y a.txt empty",
    "diff -u -L x -L y dup1 dup2",
    "diff dup1 dup2",
    "diff -q a.txt b.txt",
    "diff -u a.txt b.txt | tail -n +3",
    "cat a.txt | diff - b.txt",
    "diff a.txt missing-file",
    "diff a.txt",
    // od
    "od c.txt",
    "od binary",
    "od -c text",
    "od -c binary",
    "od -x words",
    "od -t x1 binary",
    "od -t x1 nonl",
    "od -t o1 c.txt",
    "od -t d1 binary",
    "od -t u2 words",
    "od -t x4 long",
    "od -b c.txt",
    "od -A x -t x1 text",
    "od -A d -c c.txt",
    "od -A n -t x1 c.txt",
    "od -v -t x1 zeros",
    "od -t x1 zeros",
    "od -j 3 -N 5 -c text",
    "od empty",
    "cat c.txt | od -c",
    "od -t q c.txt",
    "od missing-file",
    // expr
    "expr 1 + 2",
    "expr 7 '*' 6",
    "expr 7 / 2",
    "expr -7 % 3",
    "expr 2 + 3 '*' 4",
    "expr '(' 2 + 3 ')' '*' 4",
    "expr 10 '>' 9",
    "expr 10 '<' 9",
    "expr abc = abc",
    "expr abc '<' abd",
    "expr 0 '|' 5",
    "expr 0 '&' 5",
    "expr '' '|' 0",
    "expr abcdef : 'abc'",
    "expr abcdef : 'x'",
    "expr file.txt : '\\(.*\\)\\.txt'",
    "expr 3 - 3",
    "expr 5 / 0",
    "expr a + 1",
    "expr 1 +",
    "expr",
    // date, sleep
    "date -u -d @0 '+%Y-%m-%d %H:%M:%S %j %a %b %s %%'",
    "date -u -d @1709211909 '+%Y-%m-%d %H:%M:%S %j %a %b %s'",
    "date -u -d @1735689599 '+%F %T %j %A %B %e %y %C %u %w'",
    "date -u -d @951782400 '+%D %R %I %p %j'",
    "date -u -d @1700000000 +%s",
    "date -u -d @-86400 +%F",
    "sleep 0.1",
    "sleep .05",
    "sleep x",
    // time (the times differ; the status and that a report is made must not)
    "time -p true",
    "time -p false",
    "time -p seq 3",
    "time -p no-such-program",
    // tar (host.tar is made by GNU tar, --format=ustar)
    "tar -tf host.tar",
    "tar -tvf host.tar",
    "tar tf host.tar sub",
    "tar -tf host.tar sub/two a.txt",
    "tar -tf host.tar nothing-here",
    "mkdir x1; tar -xf host.tar -C x1; cat x1/a.txt x1/sub/one x1/sub/two",
    "mkdir x2; cd x2; tar xvf ../host.tar a.txt; cat a.txt; cat sub/one",
    "tar -cf t1.tar a.txt sub; tar -tf t1.tar | sort",
    "tar cvf t2.tar sub | sort; mkdir x3; tar xf t2.tar -C x3; cat x3/sub/one x3/sub/two",
    "tar -cf - long sub | tar -xf - -C x3; cmp long x3/long && cat x3/sub/two",
    "tar -cf t3.tar missing-file a.txt",
    "tar -tf t3.tar",
    "tar -tf a.txt",
    "tar -tf missing.tar",
    "tar",
    // head -c, tail -c, wc
    "head -c 10 text",
    "head -c 0 text",
    "head -c 1000 nonl",
    "head -c 300 binary | tail -c 10",
    "cat long | head -c 25",
    "tail -c 12 text",
    "tail -c 100 nonl",
    "tail -c 0 text",
    "cat long | tail -c 30",
    "head -c x text",
    "head -n 3 long",
    "tail -n 2 long",
    "wc text",
    "wc -l text words",
    "wc text words nums",
    "wc -c binary",
    "wc empty nonl",
    "cat text | wc",
    "wc text missing-file",
    // awk (mawk on the host: no floats with many digits, for-in order through sort)
    "awk '{ print $1 }' cols",
    "awk '{ print $2, $1 }' cols",
    "awk -F: '{ print $1 }' table",
    "awk -F: '$3 >= 100 { print $1, $6 }' table",
    "awk -F: -v OFS=- '{ print $1, $7 }' table",
    "awk 'NR == 3' long",
    "awk 'NR >= 5 && NR <= 8 { print NR \": \" $0 }' long",
    "awk '/fox/,/vow/' text",
    "awk '/quick/' text",
    "awk '!/o/' text",
    "awk '{ print NF }' text",
    "awk '{ print $NF }' cols",
    "awk 'END { print NR }' long",
    "awk '{ s += $2 } END { print s, s / NR }' cols",
    "awk '{ n[$1] += $2 } END { for (k in n) print k, n[k] }' cols | sort",
    "awk '{ c[$0]++ } END { for (w in c) print c[w], w }' words | sort",
    "awk 'BEGIN { printf \"%d|%5d|%-5d|%05d|%x|%o|%c|%%\\n\", 42, 42, 42, 42, 255, 8, 65 }'",
    "awk 'BEGIN { printf \"%s|%10s|%-10s|%.3s|\\n\", \"abc\", \"abc\", \"abc\", \"abcdef\" }'",
    "awk 'BEGIN { printf \"%.2f %8.3f %e %g %g %g\\n\", 3.14159, 2.5, 12345.678, 0.0001, 1234567, 100 }'",
    "awk 'BEGIN { x = 1; x += 2; x *= 5; x -= 1; x /= 2; x %= 4; print x, 2 ^ 10, 7 % 3, -7 / 2 }'",
    "awk 'BEGIN { print length(\"hello\"), substr(\"hello\", 2, 3), substr(\"hello\", 3), index(\"hello\", \"ll\"), toupper(\"abc\") tolower(\"DEF\") }'",
    "awk 'BEGIN { n = split(\"a:b:c\", p, \":\"); print n, p[1], p[3] }'",
    "awk '{ gsub(/o/, \"0\"); print }' text",
    "awk '{ sub(/[a-z]+/, \"<&>\"); print }' text",
    "awk '{ $2 = \"X\"; print }' cols",
    "awk -F: '{ $1 = $1; print }' OFS=, table",
    "awk '$2 > 5' cols",
    "awk '$1 == \"a\"' cols",
    "awk '$1 ~ /^[ab]$/ { print $3 }' cols",
    "awk '$0 !~ /a/' words",
    "awk 'length > 4' words",
    "awk '{ if ($2 > 5) print $1, \"big\"; else print $1, \"small\" }' cols",
    "awk 'BEGIN { for (i = 1; i <= 5; i++) s = s i; print s }'",
    "awk 'BEGIN { i = 0; while (i < 3) { print \"i=\" i; i++ } }'",
    "awk 'NR == 2 { next } { print } NR == 4 { exit }' long",
    "awk 'BEGIN { exit 3 } END { print \"end\" }'",
    "awk '{ a[NR] = $0 } END { for (i = NR; i > 0; i--) print a[i] }' words",
    "awk 'BEGIN { a[\"x\"] = 1; delete a[\"x\"]; print (\"x\" in a), length(a) }'",
    "awk '{ print int($1) }' nums",
    "awk '$1 > 5' nums",
    "awk '{ print $1 + 0 }' nums",
    "awk 'BEGIN { print 1 == 1.0, \"a\" < \"b\", \"10\" < \"9\", 10 < 9 }'",
    "awk -v n=3 'NR <= n' words",
    "awk 'BEGIN { printf \"%s %s\\n\", sprintf(\"%03d\", 7), sprintf(\"%-3s|\", \"a\") }'",
    "awk '{ print FNR, FILENAME }' cols words",
    "awk 'BEGIN { x[\"a\"]; if (\"a\" in x) print \"yes\"; if (!(\"b\" in x)) print \"no\" }'",
    "awk '{ $5 = \"E\"; print; print NF }' cols",
    "awk '{ NF = 2; print }' cols",
    "awk 'BEGIN { print 1/3 }'",
    "awk '/^a/ || /^b/ { n++ } END { print n }' words",
    "awk 'NR % 50 == 0 { print $2 }' long",
    "awk '{ print match($0, /o+/), RSTART, RLENGTH }' text",
    "awk -F '[: ]+' '{ print $2 }' text",
    "awk 'BEGIN { s = \"aaa\"; n = gsub(/a/, \"bb\", s); print n, s }'",
    "awk '/fox|dog/' text",
    "awk '{ printf \"%-6s%3d\\n\", $1, $2 }' cols",
    "awk 'BEGIN { x; print x + 0, \"[\" x \"]\", length(x) }'",
    "awk 'BEGIN { print -3 % 2, 2 ^ 3 ^ 2, -2 ^ 2 }'",
    "awk 'BEGIN { s = \"a.b.c\"; gsub(/\\./, \"-\", s); print s }'",
    "awk 'BEGIN { do { i++ } while (i < 5); print i }'",
    "awk '{ print ($2 > 2 ? \"hi\" : \"lo\") }' cols",
    "awk 'BEGIN { printf \"%5.1f|%-8.2e|%G\\n\", 3.14159, 31415.9, 0.00001234 }'",
    "awk 'BEGIN { printf \"%i %d %d\\n\", 3.9, -3.9, \"12abc\" }'",
    "awk '{ for (i = NF; i > 0; i--) printf \"%s%s\", $i, (i > 1 ? \" \" : \"\\n\") }' cols",
    "awk '{ print; print \"--\" }' nonexistent",
    "echo 'a b c' | awk '{ print $2 }'",
    "awk 'BEGIN { printf \"%c%c\\n\", \"hello\", 66 }'",
    "awk 'BEGIN { print length() }'",
    "awk '{ total += length($0) } END { print total }' text",
    "awk 'BEGIN { FS = \":\" } { print $7 }' table",
    "awk 'BEGIN { printf \"%*d|%-*d|%.*f\\n\", 5, 1, 4, 2, 2, 3.14159 }'",
    "awk '$2 == 10, $2 == 1' cols",
    "awk 'NF == 0 { print \"empty at\", NR }' text",
    "awk '{ print $(NF - 1) }' cols",
    "awk 'BEGIN { while (1) { if (++i > 4) break; if (i == 2) continue; print i } }'",
    "awk '{ $0 = toupper($0); print $1 }' cols",
    "awk 'BEGIN { a = \"10\"; b = 9; print (a < b), (a + 0 < b) }'",
    "awk '{ x = $2 } x > 5 { print \"big\", x }' cols",
    "awk 'BEGIN { OFS = \"-\"; $0 = \"a b c\"; $1 = $1; print; print NF }'",
    "awk 'BEGIN { printf \"%s\\n\" }'",
    "awk '{ print $1' cols",
    "awk '{ print $1 > \"out.txt\" } END { print \"done\" }' cols; cat out.txt",
    "awk '{ print $3 > \"o1\" ; print $1 > \"o2\" } END { printf \"%s\\n\", \"x\" >> \"o1\" }' cols; cat o1 o2",
    "rm -f ap ap2; awk 'BEGIN { print \"a\" > \"ap\"; print \"b\" >> \"ap2\" }'; awk 'BEGIN { print \"c\" >> \"ap\" }'; cat ap ap2",
    "awk '{ print > ($1 \".part\") }' cols; cat a.part b.part",
    "awk -F: '\n# count shells\n{ shells[$7]++ }\nEND {\n  for (s in shells)\n    print s, shells[s]\n}' table | sort",
    "printf '{ print NR \": \" $1 }\\n' > prog.awk; awk -f prog.awk cols",
    "awk '$1 ~ \"^[a-c]\" { print }' cols",
    "awk 'BEGIN { re = \"o+\" } $0 ~ re { n++ } END { print n }' text",
    "awk -F '\\t' '{ print $2 }' cols",
    "awk '{ print length }' words",
    "awk 'BEGIN { printf(\"%d-%d\\n\", 1, 2) }'",
    "awk 'BEGIN { print(\"x\", \"y\") }'",
    "awk '{ x[NR % 3] = x[NR % 3] $0 } END { print x[0]; print x[1]; print x[2] }' words",
    "awk 'NR==1, NR==3 { print \"r\", $0 } NR == 2 { print \"two\" }' words",
    "awk '{ print $1 \"\" $2 }' cols",
    "awk '{ print $1, $2 * 2 }' cols",
    "awk 'BEGIN { a = 5; b = a++ + ++a; print a, b }'",
    "awk 'BEGIN { s = sprintf(\"%5.2f%%\", 12.345); print s }'",
    "awk '{ if (/fox/) print \"fox\"; else if (/dog/) print \"dog\"; else print \"-\" }' text",
    "awk 'BEGIN { n = split(\"  a  b   c \", w); print n, w[1] w[2] w[3] }'",
    "awk 'BEGIN { n = split(\"a1b22c\", w, /[0-9]+/); print n, w[1], w[2], w[3] }'",
    "awk '{ $3 = \"\"; print }' cols",
    "awk -v 'msg=hello\\tthere' 'BEGIN { print msg }'",
    "awk 'BEGIN { print index(\"abc\", \"\"), length(12345), substr(12345, 2, 2) }'",
    "awk 'BEGIN { print 1 \" \" 2, 3 }'",
    "awk 'BEGIN { x = \"3x\"; print x + 1, x * 2 }'",
    "awk 'END { print $0, NF }' cols",
    "awk '{ sum = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) sum += $i; print sum }' cols",
    "awk 'BEGIN { printf \"[%5s][%-5s][%05.1f][%+d][% d]\\n\", \"ab\", \"ab\", 3.14159, 5, 5 }'",
    "awk 'BEGIN { print toupper(substr(\"hello\", 1, 1)) substr(\"hello\", 2) }'",
    "awk 'BEGIN { a[\"x\"] = 1; a[\"y\"] = 2; n = 0; for (k in a) n += a[k]; print n }'",
    "awk '!seen[$0]++' words",
    "awk 'BEGIN { FS = \",\" } { print $2 }' cols",
    "awk '{ gsub(/[aeiou]/, \"&&\"); print }' words",
    "awk '{ print substr($0, length($0) - 2) }' words",
    "awk 'BEGIN { print 7 - - 2, 2 - -2, !0, !1, !\"\", !\"a\" }'",
    "awk 'NF' text",
    "awk 'BEGIN { while (i++ < 3) printf \"%d \", i; print \"\" }'",
    "awk '/^$/ { print \"blank\" ; next } { print \"text\" }' text",
    "awk 'BEGIN { x = 010; print x, 1e3, .5, 5. }'",
    "awk '{ print $1 > \"/dev/stdout\" }' cols",
    "awk 'BEGIN{printf \"%s %s %s\\n\",\"a\",\"b\",\"c\"}'",
    "awk '{print $1}{print $2}' cols",
    "awk 'BEGIN { print length(\"a\" \"bc\") }'",
    "awk '$2 ~ /^1/ && $3 != \"u\"' cols",
    "awk 'BEGIN { x = 2; x ^= 3; print x; y = 7; y %= 4; print y }'",
    "awk '{ print NR, NF, $0 }' nonl",
    "awk 'BEGIN { print 10 % 3, -10 % 3, 10.5 % 3 }'",
];

/// Cases whose output is an archive: it is compared by what GNU tar lists and
/// extracts from it (names and contents), not byte by byte (times differ).
const ARCHIVE_CASES: &[&str] = &["tar -cf - a.txt c.txt sub", "tar cf - sub/one long binary"];

/// What GNU tar reads from `archive`: its listing, then every member's contents.
fn read_archive(archive: &[u8]) -> Result<Vec<u8>> {
    let mut seen = Vec::new();
    for args in [&["-tf", "-"][..], &["-xOf", "-"][..]] {
        let mut child = Command::new("tar")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run tar: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        let data = archive.to_vec();
        let feeder = std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&data);
        });
        let out = child.wait_with_output().map_err(|e| format!("tar: {e}"))?;
        let _ = feeder.join();
        seen.extend_from_slice(&out.stdout);
        if !out.status.success() {
            seen.extend_from_slice(b"GNU tar failed: ");
            seen.extend_from_slice(&out.stderr);
        }
    }
    Ok(seen)
}

/// Run `dir/c/N.sh` with the host's tools: (stdout, stderr non-empty, status).
fn host_run(dir: &Path, script: &Path) -> Result<(Vec<u8>, bool, i32)> {
    let out = Command::new("dash")
        .arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run dash: {e}"))?;
    Ok((
        out.stdout,
        !out.stderr.is_empty(),
        out.status.code().unwrap_or(128),
    ))
}

fn write(path: &Path, data: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    fs::write(path, data).map_err(|e| format!("{}: {e}", path.display()))
}

/// A fresh folder holding the inputs and the case scripts.
fn stage(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    for (name, data) in inputs() {
        write(&dir.join(name), &data)?;
    }
    for (i, case) in all_cases().iter().enumerate() {
        write(
            &dir.join(format!("c/{i}.sh")),
            format!("{case}\n").as_bytes(),
        )?;
    }
    // An archive made by GNU tar, in the portable format, with fixed owners and times.
    let st = Command::new("tar")
        .args([
            "--format=ustar",
            "--mtime=@1700000000",
            "--owner=root",
            "--group=root",
        ])
        .args([
            "--sort=name",
            "--mode=go-w",
            "-cf",
            "host.tar",
            "a.txt",
            "sub",
            "nonl",
        ])
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !st.success() {
        return Err("tar could not make host.tar".into());
    }
    Ok(())
}

/// Every case: the ordinary ones, then the archive-making ones.
fn all_cases() -> Vec<&'static str> {
    CASES.iter().chain(ARCHIVE_CASES).copied().collect()
}

/// The guest's driver: every case, outputs and status into `/o`.
fn driver() -> String {
    let mut s = String::from("cd /u\n");
    for i in 0..all_cases().len() {
        s.push_str(&format!(
            "sh /u/c/{i}.sh > /o/{i}.out 2> /o/{i}.err < /dev/null\necho $? > /o/{i}.st\n"
        ));
    }
    s.push_str("echo all cases fin''ished\n");
    s
}

fn debugfs(image: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(crate::deps::tool("debugfs"))
        .args(args)
        .arg(image)
        .output()
        .map_err(|e| format!("cannot run debugfs: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "debugfs {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Put the staged folder into `image` as `/u`, with an empty `/o` for the outputs.
fn install(image: &Path, staged: &Path, work: &Path) -> Result<()> {
    let mut cmds = String::from("mkdir /u\nmkdir /u/c\nmkdir /u/sub\nmkdir /o\n");
    cmds.push_str(&format!(
        "write {} /u/host.tar\n",
        staged.join("host.tar").display()
    ));
    for (name, _) in inputs() {
        cmds.push_str(&format!(
            "write {} /u/{name}\n",
            staged.join(name).display()
        ));
    }
    for i in 0..all_cases().len() {
        cmds.push_str(&format!(
            "write {} /u/c/{i}.sh\n",
            staged.join(format!("c/{i}.sh")).display()
        ));
    }
    let drv = work.join("run.sh");
    write(&drv, driver().as_bytes())?;
    cmds.push_str(&format!("write {} /u/run.sh\n", drv.display()));
    // The cases write into /u (tee's outputs): world-writable like /tmp.
    cmds.push_str("set_inode_field /u mode 041777\nset_inode_field /o mode 041777\n");
    let cmdfile = work.join("debugfs.cmds");
    write(&cmdfile, cmds.as_bytes())?;
    debugfs(
        image,
        &["-w", "-f", cmdfile.to_str().ok_or("path not UTF-8")?],
    )?;
    Ok(())
}

fn read_or_empty(p: &Path) -> Vec<u8> {
    fs::read(p).unwrap_or_default()
}

fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.is_empty() {
        "    (nothing)\n".into()
    } else {
        s.lines().map(|l| format!("    |{l}\n")).collect()
    }
}

fn compare_with_host(kernel: &Path) -> Result<()> {
    let work: PathBuf = crate::root().join("target").join("utiltest");
    let staged = work.join("host");
    stage(&staged)?;
    let disk = crate::test::scratch_disk("util")?;
    install(&disk, &staged, &work)?;
    // In order in one folder, as in the guest (a few cases write files).
    let mut expected = Vec::new();
    for i in 0..all_cases().len() {
        expected.push(host_run(&staged, &staged.join(format!("c/{i}.sh")))?);
    }
    {
        let mut s = Session::boot_shell(&crate::test::disk_machine(kernel, &disk))?;
        s.send("sh /u/run.sh\n")?;
        s.expect("all cases finished", RUN_TIMEOUT)?;
        s.expect(crate::session::SHELL_PROMPT, Duration::from_secs(20))?;
        s.send("poweroff\n")?;
        s.wait_exit(Duration::from_secs(30))?;
    }
    let got = work.join("guest");
    if got.exists() {
        fs::remove_dir_all(&got).map_err(|e| format!("{}: {e}", got.display()))?;
    }
    fs::create_dir_all(&got).map_err(|e| format!("{}: {e}", got.display()))?;
    debugfs(&disk, &["-R", &format!("rdump /o {}", got.display())])?;
    let _ = fs::remove_file(&disk);

    let mut report = String::new();
    let mut failed = 0;
    let cases = all_cases();
    for (i, case) in cases.iter().enumerate() {
        let (mut want_out, want_err, want_st) = expected[i].clone();
        let o = got.join("o");
        let mut out = read_or_empty(&o.join(format!("{i}.out")));
        if i >= CASES.len() {
            want_out = read_archive(&want_out)?;
            out = read_archive(&out)?;
        }
        let err = !read_or_empty(&o.join(format!("{i}.err"))).is_empty();
        let st_text = String::from_utf8_lossy(&read_or_empty(&o.join(format!("{i}.st"))))
            .trim()
            .to_string();
        let st: i32 = st_text.parse().unwrap_or(-1);
        if out != want_out || st != want_st || err != want_err {
            failed += 1;
            report.push_str(&format!(
                "case {i}: {case}\n  host: status {want_st}, {}\n{}  dinos: status {st_text}, {}\n{}",
                if want_err { "errors reported" } else { "no errors" },
                show(&want_out),
                if err { "errors reported" } else { "no errors" },
                show(&out),
            ));
        }
    }
    println!(
        "util: {} cases, {} differ from the host",
        cases.len(),
        failed
    );
    if failed > 0 {
        return Err(format!(
            "{failed} of {} cases differ:\n{report}",
            cases.len()
        ));
    }
    Ok(())
}
