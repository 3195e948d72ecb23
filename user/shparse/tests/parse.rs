//! The grammar: lists, and-or lists, pipelines, redirections, compound commands, and
//! the difference between "incomplete" and "wrong".

use shparse::*;

fn parse_ok(src: &str) -> List {
    parse(src).unwrap_or_else(|e| panic!("{src:?}: {e:?}"))
}

fn syntax_error(src: &str) -> String {
    match parse(src) {
        Err(ParseError::Syntax { message, .. }) => message,
        other => panic!("{src:?}: expected a syntax error, got {other:?}"),
    }
}

fn incomplete(src: &str) {
    assert_eq!(parse(src), Err(ParseError::Incomplete), "{src:?}");
}

/// The single simple command of a one-command script.
fn simple(src: &str) -> SimpleCommand {
    let list = parse_ok(src);
    assert_eq!(list.items.len(), 1, "{src:?}");
    let p = &list.items[0].and_or.first;
    match &p.commands[..] {
        [Command::Simple(c)] => c.clone(),
        other => panic!("{src:?}: {other:?}"),
    }
}

fn texts(words: &[Word]) -> Vec<&str> {
    words.iter().map(|w| w.text.as_str()).collect()
}

fn target(op: &RedirectOp) -> &str {
    match op {
        RedirectOp::Read(w) | RedirectOp::Write(w) | RedirectOp::Append(w) => &w.text,
        _ => panic!("{op:?} has no file"),
    }
}

#[test]
fn empty_and_blank_input_is_an_empty_list() {
    for src in ["", "   ", "\n\n", "# just a comment\n", "  \t# c\n\n"] {
        assert!(parse_ok(src).items.is_empty(), "{src:?}");
    }
}

#[test]
fn simple_command_words_are_split_on_blanks() {
    let c = simple("  ls   -l\t/bin  ");
    assert_eq!(texts(&c.words), ["ls", "-l", "/bin"]);
    assert!(c.assignments.is_empty() && c.redirects.is_empty());
}

#[test]
fn comment_runs_to_end_of_line_only_at_word_start() {
    let c = simple("echo a#b # rest is ignored");
    assert_eq!(texts(&c.words), ["echo", "a#b"]);
}

#[test]
fn separators_semicolon_newline_and_ampersand() {
    let list = parse_ok("a; b\nc & d");
    assert_eq!(list.items.len(), 4);
    let bg: Vec<bool> = list.items.iter().map(|i| i.background).collect();
    assert_eq!(bg, [false, false, true, false]);
    let list = parse_ok("sleep 5 &");
    assert!(list.items[0].background);
}

#[test]
fn pipeline_of_three_commands() {
    let list = parse_ok("cat f | grep x | wc -l");
    let p = &list.items[0].and_or.first;
    assert_eq!(p.commands.len(), 3);
    assert!(!p.negated);
}

#[test]
fn negated_pipeline() {
    let list = parse_ok("! grep -q x f");
    assert!(list.items[0].and_or.first.negated);
}

#[test]
fn and_or_lists_keep_their_connectors_in_order() {
    let list = parse_ok("a && b || c && d");
    let ao = &list.items[0].and_or;
    let conns: Vec<Connector> = ao.rest.iter().map(|(c, _)| *c).collect();
    assert_eq!(conns, [Connector::And, Connector::Or, Connector::And]);
}

#[test]
fn newline_allowed_after_pipe_and_and_or_operators() {
    let list = parse_ok("a |\n b &&\n\n c");
    let ao = &list.items[0].and_or;
    assert_eq!(ao.first.commands.len(), 2);
    assert_eq!(ao.rest.len(), 1);
}

#[test]
fn all_redirection_forms() {
    let c = simple("cmd <in >out >>log 2>err 2>&1 3<data 4>&- 0<&3 5>>more");
    let r = &c.redirects;
    assert_eq!(r.len(), 9);
    assert_eq!((r[0].fd, target(&r[0].op)), (0, "in"));
    assert!(matches!(r[0].op, RedirectOp::Read(_)));
    assert_eq!((r[1].fd, target(&r[1].op)), (1, "out"));
    assert!(matches!(r[1].op, RedirectOp::Write(_)));
    assert!(matches!(r[2].op, RedirectOp::Append(_)));
    assert_eq!((r[3].fd, target(&r[3].op)), (2, "err"));
    assert_eq!(
        r[4],
        Redirect {
            fd: 2,
            op: RedirectOp::Dup(1)
        }
    );
    assert_eq!((r[5].fd, target(&r[5].op)), (3, "data"));
    assert_eq!(
        r[6],
        Redirect {
            fd: 4,
            op: RedirectOp::Close
        }
    );
    assert_eq!(
        r[7],
        Redirect {
            fd: 0,
            op: RedirectOp::Dup(3)
        }
    );
    assert_eq!(r[8].fd, 5);
    assert!(matches!(r[8].op, RedirectOp::Append(_)));
    assert_eq!(texts(&c.words), ["cmd"]);
}

#[test]
fn redirections_may_come_anywhere_in_a_command() {
    let c = simple(">out echo a 2>/dev/null b");
    assert_eq!(texts(&c.words), ["echo", "a", "b"]);
    assert_eq!(c.redirects.len(), 2);
}

#[test]
fn redirection_without_spaces() {
    let c = simple("echo hi>f");
    assert_eq!(texts(&c.words), ["echo", "hi"]);
    assert_eq!(target(&c.redirects[0].op), "f");
}

#[test]
fn digits_are_a_descriptor_only_directly_before_the_operator() {
    let c = simple("echo 2 >f x2>g");
    assert_eq!(texts(&c.words), ["echo", "2", "x2"]);
    assert_eq!(c.redirects[0].fd, 1);
    assert_eq!(c.redirects[1].fd, 1);
    let c = simple("echo '2'>f");
    assert_eq!(c.redirects[0].fd, 1);
}

#[test]
fn redirection_alone_is_a_command() {
    let c = simple(">empty");
    assert!(c.words.is_empty());
    assert_eq!(c.redirects.len(), 1);
}

#[test]
fn assignments_before_the_command_and_alone() {
    let c = simple("A=1 B=\"x y\" env C=3");
    let names: Vec<&str> = c.assignments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    assert_eq!(c.assignments[1].value.text, "\"x y\"");
    assert_eq!(texts(&c.words), ["env", "C=3"]);
    let c = simple("X=");
    assert_eq!(c.assignments[0].name, "X");
    assert!(c.assignments[0].value.parts.is_empty());
    assert!(c.words.is_empty());
}

#[test]
fn words_that_only_look_like_assignments_are_words() {
    let c = simple("1A=x '=y' \"B\"=z =w");
    assert!(c.assignments.is_empty());
    assert_eq!(c.words.len(), 4);
}

#[test]
fn if_elif_else() {
    let list = parse_ok("if a; then b; elif c; then d; e; else f; fi");
    let Command::Compound(
        Compound::If {
            branches,
            otherwise,
        },
        _,
    ) = &list.items[0].and_or.first.commands[0]
    else {
        panic!()
    };
    assert_eq!(branches.len(), 2);
    assert_eq!(branches[1].1.items.len(), 2);
    assert_eq!(otherwise.as_ref().unwrap().items.len(), 1);
}

#[test]
fn multi_line_if_without_semicolons() {
    let src = "if test -f x\nthen\n  echo yes\nelse\n  echo no\nfi\n";
    assert_eq!(parse_ok(src).items.len(), 1);
}

#[test]
fn while_and_until_loops() {
    let list = parse_ok("while true; do echo x; done; until false\ndo\n:\ndone");
    let kinds: Vec<_> = list
        .items
        .iter()
        .map(|i| match &i.and_or.first.commands[0] {
            Command::Compound(Compound::While { .. }, _) => "while",
            Command::Compound(Compound::Until { .. }, _) => "until",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["while", "until"]);
}

#[test]
fn for_loops_with_and_without_word_list() {
    let list = parse_ok("for f in a b 'c d'; do echo $f; done");
    let Command::Compound(Compound::For { name, words, body }, _) =
        &list.items[0].and_or.first.commands[0]
    else {
        panic!()
    };
    assert_eq!(name, "f");
    assert_eq!(texts(words.as_ref().unwrap()), ["a", "b", "'c d'"]);
    assert_eq!(body.items.len(), 1);

    for src in ["for x; do :; done", "for x\ndo :; done", "for x do :; done"] {
        let list = parse_ok(src);
        let Command::Compound(Compound::For { words, .. }, _) =
            &list.items[0].and_or.first.commands[0]
        else {
            panic!("{src}")
        };
        assert!(words.is_none(), "{src}");
    }
    let list = parse_ok("for x in; do :; done");
    let Command::Compound(Compound::For { words, .. }, _) = &list.items[0].and_or.first.commands[0]
    else {
        panic!()
    };
    assert_eq!(words.as_ref().unwrap().len(), 0);
}

#[test]
fn nested_compound_commands() {
    let src = "for i in 1 2; do\n  while test $i; do\n    if a; then for j in x; do b; done; fi\n    break\n  done\ndone";
    let list = parse_ok(src);
    let Command::Compound(Compound::For { body, .. }, _) = &list.items[0].and_or.first.commands[0]
    else {
        panic!()
    };
    let Command::Compound(Compound::While { body, .. }, _) =
        &body.items[0].and_or.first.commands[0]
    else {
        panic!()
    };
    assert_eq!(body.items.len(), 2);
    assert!(matches!(
        body.items[0].and_or.first.commands[0],
        Command::Compound(Compound::If { .. }, _)
    ));
}

#[test]
fn compound_commands_in_pipelines_and_with_redirections() {
    let list = parse_ok("while read l; do echo $l; done <in | sort >out && echo ok");
    let ao = &list.items[0].and_or;
    assert_eq!(ao.first.commands.len(), 2);
    let Command::Compound(_, redirects) = &ao.first.commands[0] else {
        panic!()
    };
    assert_eq!(target(&redirects[0].op), "in");
    assert_eq!(ao.rest.len(), 1);
}

#[test]
fn groups_and_subshells() {
    let list = parse_ok("{ a; b; } >log; (cd /; ls) &");
    assert!(matches!(
        &list.items[0].and_or.first.commands[0],
        Command::Compound(Compound::Group(l), r) if l.items.len() == 2 && r.len() == 1
    ));
    assert!(matches!(
        &list.items[1].and_or.first.commands[0],
        Command::Compound(Compound::Subshell(l), _) if l.items.len() == 2
    ));
    assert!(list.items[1].background);
}

#[test]
fn reserved_words_are_ordinary_as_arguments() {
    let c = simple("echo if then fi } { done !");
    assert_eq!(c.words.len(), 8);
    let c = simple("'if' x");
    assert_eq!(c.words[0].text, "'if'");
}

#[test]
fn incomplete_input_asks_for_more() {
    for src in [
        "echo 'abc",
        "echo \"abc",
        "echo abc\\",
        "echo ${HOME",
        "a |",
        "a &&",
        "a ||\n",
        "if true",
        "if true; then",
        "if true; then echo\n",
        "if a; then b; else",
        "if a; then b; elif c",
        "while true; do",
        "while true; do :; ",
        "until x",
        "for",
        "for x",
        "for x in a b",
        "for x in a b c do",
        "for x in a b; do echo",
        "{ echo a",
        "( echo a",
        "! ",
        "while a; do if b; then c; fi",
    ] {
        incomplete(src);
    }
}

#[test]
fn continuation_lines_complete_the_text() {
    let mut text = String::from("if true");
    incomplete(&text);
    text.push_str("\nthen echo 'multi");
    incomplete(&text);
    text.push_str("\nline'\nfi");
    assert_eq!(parse_ok(&text).items.len(), 1);
}

#[test]
fn syntax_errors_name_the_unexpected_token() {
    let cases = [
        ("fi", "fi"),
        ("echo hi; fi", "fi"),
        ("if true; then fi", "fi"),
        ("if ; then x; fi", ";"),
        ("then", "then"),
        ("done", "done"),
        ("}", "}"),
        (")", ")"),
        ("| a", "|"),
        ("a | | b", "|"),
        ("a && || b", "||"),
        (";", ";"),
        ("a ;; b", ";;"),
        ("a & ; b", ";"),
        ("while do x; done", "do"),
        ("while a; do done", "done"),
        ("for 1x in a; do :; done", "1x"),
        ("for x in a b & do", "&"),
        ("if true; then :; fi echo", "echo"),
        ("{ a; } b", "b"),
        ("()", ")"),
        ("echo a (b)", "("),
    ];
    for (src, token) in cases {
        assert_eq!(
            syntax_error(src),
            format!("syntax error near unexpected token '{token}'"),
            "{src:?}"
        );
    }
}

#[test]
fn redirection_without_target_is_an_error_near_newline() {
    for src in ["echo >", "echo >\n", "cat <", "echo 2>"] {
        assert_eq!(
            syntax_error(src),
            "syntax error near unexpected token 'newline'",
            "{src:?}"
        );
    }
    assert_eq!(
        syntax_error("echo > | x"),
        "syntax error near unexpected token '|'"
    );
    assert_eq!(
        syntax_error("echo > ; x"),
        "syntax error near unexpected token ';'"
    );
}

#[test]
fn bad_descriptor_duplications_are_errors() {
    assert_eq!(
        syntax_error("echo 2>&x"),
        "syntax error: bad file descriptor 'x'"
    );
    assert_eq!(
        syntax_error("echo 2>&99999999999"),
        "syntax error: bad file descriptor '99999999999'"
    );
}

#[test]
fn substitutions_here_documents_case_and_functions_parse() {
    let list = parse_ok("echo `date` $(ls | wc) \"$(echo a)\" $((1 + 2))");
    let Command::Simple(c) = &list.items[0].and_or.first.commands[0] else {
        panic!()
    };
    assert!(matches!(
        c.words[1].parts[0],
        Part::Command { quoted: false, .. }
    ));
    let Part::Command { list: inner, .. } = &c.words[2].parts[0] else {
        panic!()
    };
    assert_eq!(inner.items[0].and_or.first.commands.len(), 2);
    assert!(matches!(
        c.words[3].parts[0],
        Part::Command { quoted: true, .. }
    ));
    assert!(matches!(c.words[4].parts[0], Part::Arith { .. }));
    // A `case` pattern's `)` inside `$(...)` does not end the substitution.
    let list = parse_ok("echo $(case a in a) echo x;; (b) echo y;; esac) after");
    let Command::Simple(c) = &list.items[0].and_or.first.commands[0] else {
        panic!()
    };
    assert_eq!(c.words.len(), 3);

    let list = parse_ok("cat <<EOF; cat <<-'E2'\nhello $x\nEOF\n\tlit $x\n\tE2\necho after\n");
    assert_eq!(list.items.len(), 3);
    let Command::Simple(c) = &list.items[0].and_or.first.commands[0] else {
        panic!()
    };
    let RedirectOp::HereDoc(body) = &c.redirects[0].op else {
        panic!()
    };
    assert_eq!(body.text, "hello $x\n");
    assert!(body.parts.iter().any(|p| matches!(p, Part::Param { .. })));
    let Command::Simple(c) = &list.items[1].and_or.first.commands[0] else {
        panic!()
    };
    let RedirectOp::HereDoc(body) = &c.redirects[0].op else {
        panic!()
    };
    assert_eq!(body.parts, [Part::Quoted("lit $x\n".into())]);
    incomplete("cat <<EOF\nno end");

    let list = parse_ok("case $x in a|b) echo ab;; (c*) ;; *) echo other\nesac");
    let Command::Compound(Compound::Case { arms, .. }, _) = &list.items[0].and_or.first.commands[0]
    else {
        panic!()
    };
    assert_eq!(arms.len(), 3);
    assert_eq!(arms[0].0.len(), 2);
    assert!(arms[1].1.items.is_empty());
    incomplete("case x in a) echo");

    let list = parse_ok("f() { echo $1; }\nf x");
    assert!(matches!(
        &list.items[0].and_or.first.commands[0],
        Command::Function { name, .. } if name == "f"
    ));
    assert!(syntax_error("f() echo").contains("compound"));
    assert!(syntax_error("echo ${x:~y}").contains("bad substitution"));
    assert!(syntax_error("echo $(fi)").contains("'fi'"));
}

#[test]
fn syntax_errors_carry_the_line_number() {
    match parse("echo a\necho b\n  fi\n") {
        Err(ParseError::Syntax { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    match parse("echo 'a\nb'\n)") {
        Err(ParseError::Syntax { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn line_continuation_joins_lines() {
    let c = simple("echo a \\\n  b\\\nc");
    assert_eq!(c.words.len(), 3);
    let list = parse_ok("a &&\\\n b");
    assert_eq!(list.items[0].and_or.rest.len(), 1);
}

#[test]
fn error_display_matches_message() {
    let e = parse("fi").unwrap_err();
    assert_eq!(e.to_string(), "syntax error near unexpected token 'fi'");
    assert!(!e.is_incomplete());
    assert!(parse("a |").unwrap_err().is_incomplete());
}
