//! Tokens as the lexer sees them, and random input that must never panic.

use shparse::lexer::{tokenize, Op, RedirKind, Token};
use shparse::*;

fn kinds(src: &str) -> Vec<String> {
    tokenize(src)
        .unwrap()
        .into_iter()
        .map(|s| match s.token {
            Token::Word(w) => format!("w:{}", w.text),
            t => t.describe(),
        })
        .collect()
}

#[test]
fn operators_are_cut_longest_first() {
    assert_eq!(
        kinds("a||b&&c|d&e;f>>g>h<i2>&1>|j<&0"),
        [
            "w:a", "||", "w:b", "&&", "w:c", "|", "w:d", "&", "w:e", ";", "w:f", ">>", "w:g", ">",
            "w:h", "<", "w:i2", ">&", "w:1", ">", "w:j", "<&", "w:0", "newline"
        ]
    );
}

#[test]
fn io_number_is_part_of_the_redirection_token() {
    let toks = tokenize("cmd 12>>log").unwrap();
    assert_eq!(
        toks[1].token,
        Token::Redir {
            fd: Some(12),
            kind: RedirKind::DGreat
        }
    );
}

#[test]
fn newlines_are_tokens_with_line_numbers() {
    let toks = tokenize("a\n\nb ;").unwrap();
    let lines: Vec<(usize, bool)> = toks
        .iter()
        .map(|s| (s.line, s.token == Token::Newline))
        .collect();
    assert_eq!(
        lines,
        [
            (1, false),
            (1, true),
            (2, true),
            (3, false),
            (3, false),
            (3, false)
        ]
    );
    assert_eq!(toks[4].token, Token::Op(Op::Semi));
}

#[test]
fn quoted_parts_are_marked() {
    let toks = tokenize(r#"a'b'"c$X"\d"#).unwrap();
    let Token::Word(w) = &toks[0].token else {
        panic!()
    };
    assert_eq!(
        w.parts,
        [
            Part::Literal("a".into()),
            Part::Quoted("bc".into()),
            Part::Param {
                param: Param::Named("X".into()),
                quoted: true
            },
            Part::Quoted("d".into()),
        ]
    );
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_input_never_panics() {
    const PIECES: [&str; 55] = [
        " ", "\n", "\t", "a", "x1", "=", "'", "\"", "\\", "$", "${", "}", "{", "$?", "$@", "#",
        "|", "||", "&", "&&", ";", "(", ")", "<", ">", ">>", "2>&1", "3<", ">&-", "if", "then",
        "fi", "else", "elif", "while", "do", "done", "for", "in", "!", "$(", "`", "$((", "))",
        "<<", "<<-", "EOF", ";;", "case", "esac", "${x:-", "${#", "%%", "f()", "1/0",
    ];
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut env = SimpleEnv::default();
    let (mut ok, mut incomplete, mut wrong) = (0, 0, 0);
    for _ in 0..20_000 {
        let len = 1 + rng.next() % 12;
        let src: String = (0..len)
            .map(|_| PIECES[(rng.next() % PIECES.len() as u64) as usize])
            .collect();
        match parse(&src) {
            Ok(list) => {
                ok += 1;
                for item in &list.items {
                    for cmd in &item.and_or.first.commands {
                        if let Command::Simple(c) = cmd {
                            let _ = expand_words(&c.words, &mut env);
                        }
                    }
                }
            }
            Err(ParseError::Incomplete) => incomplete += 1,
            Err(ParseError::Syntax { message, .. }) => {
                assert!(message.starts_with("syntax error"), "{src:?}: {message}");
                wrong += 1;
            }
        }
    }
    assert!(
        ok > 100 && incomplete > 100 && wrong > 100,
        "{ok} {incomplete} {wrong}"
    );
}

/// Found with the host fuzz target's check (`fuzz/regressions/shell/subst-nested-1000-deep`):
/// 1,000 nested `$(` overflowed the stack (and took 15 s, cloning every level's tree).
/// Past `MAX_NESTING` levels the text is a syntax error; up to it, it parses, in
/// a test thread's 2 MiB of stack in a debug build.
#[test]
fn deep_nesting_is_a_syntax_error_not_a_stack_overflow() {
    let nest =
        |open: &str, close: &str, n: usize| format!("echo {}x{}", open.repeat(n), close.repeat(n));
    let max = shparse::lexer::MAX_NESTING;
    for (open, close) in [("$(", ")"), ("\"$(echo ", ")\""), ("${x:-", "}")] {
        assert!(parse(&nest(open, close, max)).is_ok(), "{open} {max} deep");
        let deep = nest(open, close, 1000);
        assert!(
            matches!(parse(&deep), Err(ParseError::Syntax { .. })),
            "{open} 1000 deep"
        );
    }
    for (open, close) in [("( ", " )"), ("{ ", "; }"), ("if true; then ", "; fi")] {
        let ok = format!("{}x{}", open.repeat(max - 1), close.repeat(max - 1));
        assert!(parse(&ok).is_ok(), "{open} {} deep", max - 1);
        let deep = format!("{}x{}", open.repeat(1000), close.repeat(1000));
        assert!(
            matches!(parse(&deep), Err(ParseError::Syntax { .. })),
            "{open} 1000 deep"
        );
    }
}
