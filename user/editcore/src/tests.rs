//! The editor driven by key sequences, as a person would type them.

use super::*;
use alloc::string::ToString;
use alloc::vec;

/// An editor on a 24x80 screen after typing `bytes` (decoded as a terminal sends them).
fn typed(text: &str, bytes: &[u8]) -> (Editor, Action) {
    let mut ed = Editor::new("f.txt", text, 24, 80);
    let keys = KeyDecoder::new().feed_all(bytes);
    let a = ed.handle_all(&keys);
    (ed, a)
}

#[test]
fn typing_into_an_empty_buffer_and_enter_splits_lines() {
    let (ed, _) = typed("", b"hello\rworld");
    assert_eq!(ed.text(), "hello\nworld\n");
    assert_eq!(ed.cursor(), (1, 5));
    assert!(ed.is_modified());
}

#[test]
fn enter_in_the_middle_splits_the_line() {
    let (ed, _) = typed("abcd\n", b"\x1b[C\x1b[C\r");
    assert_eq!(ed.lines(), ["ab", "cd"]);
    assert_eq!(ed.cursor(), (1, 0));
}

#[test]
fn backspace_deletes_before_and_joins_lines() {
    let (ed, _) = typed("ab\ncd\n", b"\x1b[B\x7f");
    assert_eq!(ed.lines(), ["abcd"]);
    assert_eq!(ed.cursor(), (0, 2));
    let (ed, _) = typed("abc\n", b"\x1b[F\x7f\x7f");
    assert_eq!(ed.lines(), ["a"]);
    let (ed, _) = typed("abc\n", b"\x7f");
    assert!(
        !ed.is_modified(),
        "backspace at the very start changes nothing"
    );
}

#[test]
fn delete_removes_under_the_cursor_and_joins_the_next_line() {
    let (ed, _) = typed("abc\ndef\n", b"\x1b[3~\x1b[F\x1b[3~");
    assert_eq!(ed.lines(), ["bcdef"]);
}

#[test]
fn arrows_home_end_and_the_wanted_column() {
    let (ed, _) = typed("long line\nab\nanother line\n", b"\x1b[F\x1b[B");
    assert_eq!(ed.cursor(), (1, 2), "clamped to the short line");
    let (ed, _) = typed("long line\nab\nanother line\n", b"\x1b[F\x1b[B\x1b[B");
    assert_eq!(ed.cursor(), (2, 9), "the wanted column comes back");
    let (ed, _) = typed("ab\ncd\n", b"\x1b[B\x1b[D");
    assert_eq!(
        ed.cursor(),
        (0, 2),
        "left at a line start goes to the previous end"
    );
    let (ed, _) = typed("ab\ncd\n", b"\x1b[F\x1b[C");
    assert_eq!(
        ed.cursor(),
        (1, 0),
        "right at a line end goes to the next start"
    );
    let (ed, _) = typed("abc\n", b"\x1b[F\x1b[H");
    assert_eq!(ed.cursor(), (0, 0));
    let (ed, _) = typed("abc\n", b"\x1b[A\x1b[A\x1b[D");
    assert_eq!(ed.cursor(), (0, 0), "no movement past the start");
}

#[test]
fn page_keys_move_a_screen_and_scroll() {
    let text: String = (0..100).map(|i| alloc::format!("line {i}\n")).collect();
    let (ed, _) = typed(&text, b"\x1b[6~");
    assert_eq!(ed.cursor(), (23, 0));
    assert_eq!(ed.screen_lines()[22], "line 23");
    let (ed, _) = typed(&text, b"\x1b[6~\x1b[6~\x1b[5~");
    assert_eq!(ed.cursor(), (23, 0));
    let (ed, _) = typed(&text, &b"\x1b[6~".repeat(10));
    assert_eq!(ed.cursor(), (99, 0));
    assert_eq!(ed.screen_lines()[22], "line 99");
}

#[test]
fn ctrl_s_asks_to_save_and_saved_clears_the_flag() {
    let (mut ed, a) = typed("", b"x\x13");
    assert_eq!(a, Action::Save);
    assert_eq!(ed.text(), "x\n");
    ed.saved("wrote 2 bytes");
    assert!(!ed.is_modified());
    assert!(ed.status_line().contains("wrote 2 bytes"));
}

#[test]
fn ctrl_q_quits_at_once_when_unmodified() {
    let (_, a) = typed("abc\n", b"\x1b[C\x11");
    assert_eq!(a, Action::Quit);
}

#[test]
fn ctrl_q_on_a_modified_buffer_needs_a_second_press() {
    let (mut ed, a) = typed("", b"x\x11");
    assert_eq!(a, Action::None);
    assert!(ed.message().contains("^Q again"));
    assert_eq!(ed.handle(Key::Ctrl('q')), Action::Quit);
    // Another key in between disarms it.
    let (mut ed, _) = typed("", b"x\x11y");
    assert_eq!(ed.handle(Key::Ctrl('q')), Action::None);
}

#[test]
fn ctrl_f_searches_forward_and_wraps() {
    let (ed, _) = typed("one two\nthree two\n", b"\x06two\r");
    assert_eq!(ed.cursor(), (0, 4));
    let (ed, _) = typed("one two\nthree two\n", b"\x06two\r\x06\r");
    assert_eq!(
        ed.cursor(),
        (1, 6),
        "Enter on an empty prompt repeats the search"
    );
    let (ed, _) = typed("one two\nthree two\n", b"\x06two\r\x06\r\x06\r");
    assert_eq!(ed.cursor(), (0, 4));
    assert!(ed.message().contains("wrapped"));
    let (ed, _) = typed("abc\n", b"\x06zz\r");
    assert_eq!(ed.cursor(), (0, 0));
    assert_eq!(ed.message(), "not found: zz");
}

#[test]
fn the_search_prompt_is_on_the_status_line_and_can_be_cancelled() {
    let (ed, _) = typed("abc\n", b"\x06ab");
    assert!(ed.prompting());
    assert!(ed.status_line().starts_with(" Search: ab"));
    assert_eq!(ed.cursor_on_screen(), (23, 11));
    let (ed, _) = typed("abc\n", b"\x06ab\x07x");
    assert!(!ed.prompting());
    assert_eq!(ed.text(), "xabc\n", "keys after cancelling edit again");
}

#[test]
fn status_line_shows_name_flag_and_position() {
    let (ed, _) = typed("ab\ncd\n", b"\x1b[Bz");
    let s = ed.status_line();
    assert_eq!(s.chars().count(), 80);
    assert!(s.starts_with(" f.txt [modified]"));
    assert!(s.ends_with("2:2 "));
}

#[test]
fn tabs_are_expanded_on_screen_and_long_lines_scroll_sideways() {
    let (ed, _) = typed("a\tb\n", b"\x1b[F");
    assert_eq!(ed.screen_lines()[0], "a       b");
    assert_eq!(ed.cursor_on_screen(), (0, 9));
    let long = "x".repeat(100) + "\n";
    let (ed, _) = typed(&long, b"\x1b[F");
    assert_eq!(ed.cursor_on_screen(), (0, 79));
    assert_eq!(ed.screen_lines()[0].len(), 79, "columns 21..100");
    assert_eq!(ed.screen_lines()[1], "~");
}

#[test]
fn a_file_without_a_final_newline_gets_one() {
    let ed = Editor::new("n", "a\nb", 24, 80);
    assert_eq!(ed.lines(), vec!["a".to_string(), "b".to_string()]);
    assert_eq!(ed.text(), "a\nb\n");
    assert_eq!(Editor::new("e", "", 24, 80).text(), "");
}

#[test]
fn utf8_characters_are_one_column() {
    let (ed, _) = typed("", "héllo\x1b[D\x1b[D\x1b[D\x1b[D\x7f".as_bytes());
    assert_eq!(ed.text(), "éllo\n");
}
