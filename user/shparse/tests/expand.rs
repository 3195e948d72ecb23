//! Quoting, parameter expansion, field splitting and glob matching.

use shparse::*;

fn env() -> SimpleEnv {
    let mut e = SimpleEnv {
        arg0: "script".into(),
        args: vec!["one".into(), "two words".into(), "".into()],
        status: 3,
        pid: 42,
        last_background: Some(77),
        ..SimpleEnv::default()
    };
    for (k, v) in [
        ("HOME", "/home/me"),
        ("X", "hello"),
        ("SPACED", "  a   b\tc\n"),
        ("EMPTY", ""),
        ("STAR", "*.txt"),
    ] {
        e.vars.insert(k.into(), v.into());
    }
    e
}

/// The argument list `src` (one simple command) expands to.
fn args_with(src: &str, env: &SimpleEnv) -> Vec<String> {
    let list = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e:?}"));
    let Command::Simple(c) = &list.items[0].and_or.first.commands[0] else {
        panic!("{src:?}")
    };
    expand_words(&c.words, &mut env.clone())
        .unwrap()
        .into_iter()
        .map(|f| f.value)
        .collect()
}

fn args(src: &str) -> Vec<String> {
    args_with(src, &env())
}

fn fields(src: &str) -> Vec<Field> {
    let list = parse(src).unwrap();
    let Command::Simple(c) = &list.items[0].and_or.first.commands[0] else {
        panic!()
    };
    expand_words(&c.words, &mut env()).unwrap()
}

#[test]
fn single_quotes_are_entirely_literal() {
    assert_eq!(args(r#"echo '$X "\" \n #'"#), ["echo", r#"$X "\" \n #"#]);
}

#[test]
fn double_quotes_expand_parameters_and_keep_blanks() {
    assert_eq!(
        args(r#"echo "$X  ${X}x 'q'""#),
        ["echo", "hello  hellox 'q'"]
    );
}

#[test]
fn backslash_in_double_quotes_escapes_only_dollar_quote_backslash_newline() {
    assert_eq!(
        args(r#"echo "\$X \" \\ \a \n""#),
        ["echo", r#"$X " \ \a \n"#]
    );
    assert_eq!(args("echo \"a\\\nb\""), ["echo", "ab"]);
}

#[test]
fn backslash_outside_quotes_quotes_the_next_character() {
    assert_eq!(
        args(r"echo \$X a\ b \\ \'"),
        ["echo", "$X", "a b", "\\", "'"]
    );
}

#[test]
fn adjacent_quoted_and_unquoted_pieces_join_into_one_word() {
    assert_eq!(args(r#"echo a'b c'"d $X"e"#), ["echo", "ab cd helloe"]);
}

#[test]
fn empty_quotes_make_an_empty_argument() {
    assert_eq!(args(r#"echo "" '' x"#), ["echo", "", "", "x"]);
    assert_eq!(args(r#"echo "$EMPTY" "$UNSET""#), ["echo", "", ""]);
}

#[test]
fn unquoted_empty_or_unset_variable_vanishes() {
    assert_eq!(args("echo $EMPTY $UNSET x"), ["echo", "x"]);
    assert_eq!(args("echo a$UNSET"), ["echo", "a"]);
}

#[test]
fn unquoted_expansion_is_split_on_blanks() {
    assert_eq!(args("echo $SPACED"), ["echo", "a", "b", "c"]);
    assert_eq!(args("echo x$SPACED"), ["echo", "x", "a", "b", "c"]);
    assert_eq!(args("echo \"$SPACED\""), ["echo", "  a   b\tc\n"]);
}

#[test]
fn literal_text_is_never_split() {
    // Only expansion results are split; quoted blanks in the same word stay.
    assert_eq!(args("echo 'a b'$X"), ["echo", "a bhello"]);
}

#[test]
fn special_parameters() {
    assert_eq!(
        args("echo $? $$ $# $0 $1 $! ${1}"),
        ["echo", "3", "42", "3", "script", "one", "77", "one"]
    );
    assert_eq!(args("echo $9 ${10}"), ["echo"]);
}

#[test]
fn status_changes_are_seen_at_expansion_time() {
    let mut e = env();
    e.status = 0;
    assert_eq!(args_with("echo $?", &e), ["echo", "0"]);
    e.status = 127;
    assert_eq!(args_with("echo $?", &e), ["echo", "127"]);
}

#[test]
fn quoted_at_gives_one_field_per_argument() {
    assert_eq!(args(r#"printf "$@""#), ["printf", "one", "two words", ""]);
    assert_eq!(
        args(r#"printf "<$@>""#),
        ["printf", "<one", "two words", ">"]
    );
}

#[test]
fn quoted_at_with_no_arguments_gives_no_field() {
    let mut e = env();
    e.args.clear();
    assert_eq!(args_with(r#"printf "$@""#, &e), ["printf"]);
    assert_eq!(args_with(r#"printf "$*""#, &e), ["printf", ""]);
    assert_eq!(args_with(r#"printf $#"#, &e), ["printf", "0"]);
}

#[test]
fn unquoted_at_and_star_are_split() {
    assert_eq!(args("printf $@"), ["printf", "one", "two", "words"]);
    assert_eq!(args("printf $*"), ["printf", "one", "two", "words"]);
    assert_eq!(args(r#"printf "$*""#), ["printf", "one two words "]);
}

#[test]
fn dollar_without_a_name_is_literal() {
    assert_eq!(args("echo $ a$ \"$\" $-"), ["echo", "$", "a$", "$", "$-"]);
}

#[test]
fn variable_names_end_at_non_name_characters() {
    assert_eq!(
        args("echo $X.txt $X_ ${X}_"),
        ["echo", "hello.txt", "hello_"]
    );
}

#[test]
fn tilde_expands_to_home_at_word_start() {
    assert_eq!(
        args("echo ~ ~/bin a~ '~' ~x"),
        ["echo", "/home/me", "/home/me/bin", "a~", "~", "~x"]
    );
}

#[test]
fn expand_string_does_not_split() {
    let list = parse("X=$SPACED$1").unwrap();
    let Command::Simple(c) = &list.items[0].and_or.first.commands[0] else {
        panic!()
    };
    assert_eq!(
        expand_string(&c.assignments[0].value, &mut env()).unwrap(),
        "  a   b\tc\none"
    );
}

#[test]
fn unquoted_glob_characters_are_flagged_with_a_pattern() {
    let f = fields(r#"ls *.rs a?c [ab]x plain "*.q" '?' \*"#);
    let flagged: Vec<Option<&str>> = f.iter().map(|f| f.pattern.as_deref()).collect();
    assert_eq!(
        flagged,
        [
            None,
            Some("*.rs"),
            Some("a?c"),
            Some("[ab]x"),
            None,
            None,
            None,
            None
        ]
    );
}

#[test]
fn quoted_glob_characters_are_escaped_in_the_pattern() {
    let f = fields(r#"ls "*"x*"#);
    assert_eq!(f[1].value, "*x*");
    assert_eq!(f[1].pattern.as_deref(), Some(r"\*x*"));
    assert!(glob_match(f[1].pattern.as_ref().unwrap(), "*xyz"));
    assert!(!glob_match(f[1].pattern.as_ref().unwrap(), "axyz"));
}

#[test]
fn glob_characters_from_unquoted_expansion_are_flagged() {
    let f = fields(r#"ls $STAR "$STAR""#);
    assert_eq!(f[1].pattern.as_deref(), Some("*.txt"));
    assert_eq!(f[2].pattern, None);
}

#[test]
fn glob_star_and_question_mark() {
    assert!(glob_match("*", ""));
    assert!(glob_match("*", "anything"));
    assert!(glob_match("*.rs", "main.rs"));
    assert!(!glob_match("*.rs", "main.rsx"));
    assert!(glob_match("a*b*c", "aXXbYYc"));
    assert!(glob_match("a*b*c", "abcbc"));
    assert!(!glob_match("a*b*c", "acb"));
    assert!(glob_match("?", "x"));
    assert!(!glob_match("?", ""));
    assert!(!glob_match("?", "xy"));
    assert!(glob_match("??*", "ab"));
    assert!(glob_match("**a**", "bab"));
}

#[test]
fn glob_bracket_classes() {
    assert!(glob_match("[abc]", "b"));
    assert!(!glob_match("[abc]", "d"));
    assert!(glob_match("[a-z]x", "qx"));
    assert!(!glob_match("[a-z]x", "Qx"));
    assert!(glob_match("[!x]", "y"));
    assert!(!glob_match("[!x]", "x"));
    assert!(glob_match("[^0-9]", "a"));
    assert!(glob_match("[]]", "]"));
    assert!(glob_match("[a-]", "-"));
    assert!(glob_match("file[0-9][0-9].txt", "file42.txt"));
}

#[test]
fn glob_unclosed_bracket_and_escapes_are_literal() {
    assert!(glob_match("[ab", "[ab"));
    assert!(!glob_match("[ab", "a"));
    assert!(glob_match(r"\*", "*"));
    assert!(!glob_match(r"\*", "x"));
    assert!(glob_match(r"a\", r"a\"));
}

#[test]
fn glob_handles_non_ascii_names() {
    assert!(glob_match("?ö*", "äöü"));
}

#[test]
fn glob_filename_rule_hides_dot_files() {
    assert!(!glob_match_filename("*", ".profile"));
    assert!(!glob_match_filename("?profile", ".profile"));
    assert!(glob_match_filename(".*", ".profile"));
    assert!(glob_match_filename("*", "profile"));
}

#[test]
fn glob_is_fast_on_pathological_patterns() {
    let name = "a".repeat(200);
    let pattern = "*a".repeat(50) + "b";
    assert!(!glob_match(&pattern, &name));
}

#[test]
fn parameter_operators() {
    let cases: &[(&str, &[&str])] = &[
        (
            "echo ${X:-d} ${UNSET:-d e} \"${UNSET:-d e}\" ${EMPTY-e}x",
            &["echo", "hello", "d", "e", "d e", "x"],
        ),
        (
            "echo ${EMPTY:-z} ${X:+alt} ${UNSET:+alt}x ${#X} ${#UNSET}",
            &["echo", "z", "alt", "x", "5", "0"],
        ),
        (
            "echo ${STAR#*.} ${STAR%.*} ${PATHV##*/} ${PATHV#*/} ${PATHV%%/*}x ${PATHV%/*}",
            &["echo", "txt", "*", "c.d", "b/c.d", "ax", "a/b"],
        ),
        (
            "echo \"${PATHV#\"a/\"}\" ${PATHV#a\\/}",
            &["echo", "b/c.d", "b/c.d"],
        ),
    ];
    let mut e = env();
    e.vars.insert("PATHV".into(), "a/b/c.d".into());
    for (src, want) in cases {
        assert_eq!(args_with(src, &e), *want, "{src:?}");
    }
    let list = parse("echo ${N:=set} $N").unwrap();
    let Command::Simple(c) = &list.items[0].and_or.first.commands[0] else {
        panic!()
    };
    let mut e = env();
    let got: Vec<String> = expand_words(&c.words, &mut e)
        .unwrap()
        .into_iter()
        .map(|f| f.value)
        .collect();
    assert_eq!(got, ["echo", "set", "set"]);
    assert_eq!(e.vars["N"], "set");
    let list = parse("echo ${UNSET:?no value here}").unwrap();
    let Command::Simple(c) = &list.items[0].and_or.first.commands[0] else {
        panic!()
    };
    assert_eq!(
        expand_words(&c.words, &mut env()).unwrap_err(),
        "UNSET: no value here"
    );
}

#[test]
fn ifs_splitting_and_substitutions() {
    let mut e = env();
    e.vars.insert("IFS".into(), ":".into());
    e.vars.insert("L".into(), "a::b:".into());
    assert_eq!(args_with("echo $L", &e), ["echo", "a", "", "b"]);
    e.vars.insert("IFS".into(), " :".into());
    e.vars.insert("L".into(), " : a :b ".into());
    assert_eq!(args_with("echo $L", &e), ["echo", "", "a", "b"]);
    e.vars.insert("IFS".into(), "".into());
    assert_eq!(args_with("echo $L", &e), ["echo", " : a :b "]);
    assert_eq!(args_with("echo \"$*\"", &e), ["echo", "onetwo words"]);
    let e = env();
    assert_eq!(
        args_with("echo $(echo a b) \"$(echo c  d)\"", &e),
        ["echo", "a", "b", "c d"]
    );
    assert_eq!(
        args_with("echo $((X2 = 3 * 4)) $((1 << 3))", &e),
        ["echo", "12", "8"]
    );
    assert_eq!(args_with("echo x$((1+1))y", &e), ["echo", "x2y"]);
}
