//! Turning service text (HTML messages, step names) into something safe to print: plain text,
//! single lines that cannot become CI commands, Markdown that cannot break a table.
//!
//! The sanitisers differ in what they promise, from least to most:
//! - [`single_line`]: one line of printable text (control characters become spaces, blank runs
//!   one space); no promise about CI command markers. For text that a later step escapes or
//!   makes inert: a Markdown cell, a dotenv value, a service message inside an error.
//! - [`inert_keeping_breaks`]: no CI command marker and no control character but line breaks,
//!   which stay. For a message that an escaper then keeps on one line (a workflow command's
//!   data).
//! - [`inert_in_line`]: one line in which no runner finds a command, as long as it follows other
//!   text on the line (a step name after `step `, a title after `##[group]`).
//! - [`inert_whole_line`]: a whole line that no runner reads as a command, even at its start:
//!   what the writers of stdout and stderr pass every line through.
//! - [`inert_command_value`]: a value inside one of the program's own commands (data or a
//!   property): the markers broken, nothing else changed; the command's escaping keeps it on its
//!   line.
//!
//! Each makes its text inert under every runner's rules at once (GitHub's `::` and `##[`, Azure's
//! `##vso[` and `##[`), whichever runner the program believes it is in: logs are forwarded and
//! detection can be wrong. The one rule for the markers is [`break_markers`].
//!
//! None of them redacts: secrets are replaced where output is written ([`crate::secret::redact`]),
//! and text that may hold one is redacted before [`truncate`] cuts it.

use std::time::Duration;

/// Reduces an HTML fragment to plain text: tags removed (block tags become line breaks, links keep
/// their address), entities decoded, blank runs collapsed.
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    let mut pending_href: Option<String> = None;
    while let Some(start) = rest.find(['<', '&']) {
        text.push_str(&rest[..start]);
        rest = &rest[start..];
        if rest.starts_with('&') {
            let (decoded, used) = decode_entity(rest);
            text.push_str(&decoded);
            rest = &rest[used..];
            continue;
        }
        let starts_tag = rest[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        let Some(end) = rest.find('>').filter(|_| starts_tag) else {
            // A '<' that does not open a tag (`x < y`) is text.
            text.push('<');
            rest = &rest[1..];
            continue;
        };
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match name.as_str() {
            "script" | "style" if !closing => {
                let close = format!("</{name}");
                match find_ignore_case(rest, &close) {
                    Some(at) => {
                        rest = &rest[at..];
                        rest = rest.find('>').map_or("", |gt| &rest[gt + 1..]);
                    }
                    None => rest = "",
                }
            }
            "br" | "p" | "div" | "li" | "tr" | "ul" | "ol" | "table" | "h1" | "h2" | "h3"
            | "h4" | "h5" | "h6" => text.push('\n'),
            "td" | "th" => text.push(' '),
            "a" if !closing => pending_href = attribute(tag, "href"),
            "a" => {
                if let Some(href) = pending_href.take()
                    && !href.is_empty()
                    && !text.ends_with(&href)
                {
                    text.push_str(" (");
                    text.push_str(&href);
                    text.push(')');
                }
            }
            _ => {}
        }
    }
    text.push_str(rest);
    tidy(&text)
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .to_ascii_lowercase()
        .find(&needle.to_ascii_lowercase())
}

/// The value of `name="..."` in a tag, entities decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))? + name.len() + 1;
    let value = &tag[at..];
    let value = match value.chars().next()? {
        quote @ ('"' | '\'') => value[1..].split(quote).next()?,
        _ => value.split(|c: char| c.is_whitespace()).next()?,
    };
    Some(html_to_text(value))
}

/// Decodes the entity at the start of `text`; returns the text and the bytes consumed.
fn decode_entity(text: &str) -> (String, usize) {
    let Some(end) = text[1..]
        .find(';')
        .map(|at| at + 1)
        .filter(|end| *end <= 12)
    else {
        return ("&".to_owned(), 1);
    };
    let name = &text[1..end];
    let decoded = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        "ndash" => Some('–'),
        "mdash" => Some('—'),
        "hellip" => Some('…'),
        "rsquo" => Some('’'),
        "lsquo" => Some('‘'),
        "rdquo" => Some('”'),
        "ldquo" => Some('“'),
        _ => {
            let number = name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()));
            number.and_then(char::from_u32)
        }
    };
    match decoded {
        Some(c) => (c.to_string(), end + 1),
        None => ("&".to_owned(), 1),
    }
}

/// Collapses blanks within lines and drops empty lines.
fn tidy(text: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line with every control character (line breaks, escapes, tabs) turned into a space and
/// blank runs made one space, so nothing in it can start a new line of CI log. CI command markers
/// stay as they are: [`inert_in_line`] breaks them too.
pub fn single_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Service text made safe to print after other text on a runner's log line: one line, and the
/// markers that CI systems scan for anywhere in a line (`##vso[`, `##[`) broken apart so they
/// stay text. A `::` at its start is left alone: a whole line goes through [`inert_whole_line`].
pub fn inert_in_line(text: &str) -> String {
    inert_keeping_breaks(&single_line(&without_ignorable(text)))
}

/// `text` without the characters the runners' comparisons skip ([`is_collation_ignorable`]):
/// the runners are built without invariant globalization, so their `IndexOf("##vso[")` and
/// `StartsWith("::")` compare culture-sensitively, and `##\u{200B}vso[` or `##\u{640}vso[`
/// could match.
fn without_ignorable(text: &str) -> String {
    text.chars()
        .filter(|c| !is_collation_ignorable(*c))
        .collect()
}

/// Whether the runners' culture-sensitive comparisons (ICU's root collation, as .NET uses on
/// Linux) weigh `c` as nothing: the Default_Ignorable code points, and the characters ICU 72
/// gives no weight at all though Unicode does not call them ignorable (Arabic tatweel and
/// number signs, Hebrew accents, interlinear annotation marks, musical symbol modifiers, ...).
/// C0 and C1 controls are in the list too, though [`single_line`] turns them into spaces first.
fn is_collation_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x0..=0x8 | 0xE..=0x1F | 0x7F..=0x84 | 0x86..=0x9F | 0xAD | 0x34F | 0x488..=0x489
        | 0x591..=0x5AF | 0x5BD | 0x5C4..=0x5C5 | 0x600..=0x605 | 0x610..=0x61A | 0x61C
        | 0x640 | 0x6D6..=0x6DD | 0x6DF..=0x6E4 | 0x6E7..=0x6E8 | 0x6EA..=0x6ED | 0x70F
        | 0x740 | 0x743..=0x744 | 0x747..=0x74A | 0x7FA | 0x890..=0x891 | 0x898..=0x89D
        | 0x8CA..=0x8E2 | 0x8EA..=0x8EF | 0x8F3 | 0x951..=0x952 | 0xF18..=0xF19 | 0xF35
        | 0xF37 | 0xF3E..=0xF3F | 0xF86..=0xF87 | 0xFC6 | 0x115F..=0x1160 | 0x17B4..=0x17B5
        | 0x17D3 | 0x180A..=0x180F | 0x1A7F | 0x1B6B..=0x1B73 | 0x1CD0..=0x1CE8 | 0x1CF4
        | 0x1CF7..=0x1CF9 | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x2D7F
        | 0x3164 | 0xA670..=0xA672 | 0xA8E0..=0xA8F1 | 0xFE00..=0xFE0F | 0xFE21
        | 0xFE23..=0xFE26 | 0xFE28 | 0xFE2A..=0xFE2D | 0xFE2F | 0xFE73 | 0xFEFF | 0xFFA0
        | 0xFFF9..=0xFFFB | 0x102E0 | 0x10EFD..=0x10EFF | 0x110BD | 0x110CD
        | 0x11366..=0x1136C | 0x11370..=0x11374 | 0x13430..=0x13440 | 0x13447..=0x13455
        | 0x16FE4 | 0x1BCA0..=0x1BCA3 | 0x1CF00..=0x1CF2D | 0x1CF30..=0x1CF46
        | 0x1D165..=0x1D169 | 0x1D16D..=0x1D182 | 0x1D185..=0x1D18B | 0x1D1AA..=0x1D1AD
        | 0x1D242..=0x1D244 | 0x1DA00..=0x1DA36 | 0x1DA3B..=0x1DA6C | 0x1DA75 | 0x1DA84
        | 0x1DA9B..=0x1DA9F | 0x1DAA1..=0x1DAAF | 0x1E8D0..=0x1E8D6 | 0xE0000..=0xE0FFF
    )
}

/// A whole line made inert for every CI runner's own parser, keeping its indentation: one line,
/// `##vso[` and `##[` broken apart wherever they are (the Azure agent and the GitHub runner's v1
/// parser look anywhere in a line), and a line that starts with `::` once leading blanks are
/// trimmed (the GitHub runner's v2 parser, which trims Unicode whitespace first) turned into
/// `: :`. The writers of stdout and stderr pass every line that is not a [command] through this.
///
/// [command]: crate::report::command::Command
pub fn inert_whole_line(line: &str) -> String {
    let body = line.trim_start_matches(' ');
    let indent = &line[..line.len() - body.len()];
    let body = inert_in_line(body);
    match body.strip_prefix("::") {
        Some(rest) => format!("{indent}: :{rest}"),
        None => format!("{indent}{body}"),
    }
}

/// Breaks apart the command markers that CI systems scan for anywhere in a line (`##vso[`,
/// `##[`), keeping line breaks (`\r\n`, U+2028, U+2029, NEL become `\n`): for text that an
/// escaping step keeps on one line afterwards. Other control characters (terminal escapes,
/// bells) become spaces.
pub fn inert_keeping_breaks(text: &str) -> String {
    let text: String = text
        .replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' => '\n',
            '\u{2028}' | '\u{2029}' | '\u{85}' => '\n',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    break_markers(&text)
}

/// A value for a CI command's data or property, inert for every runner: the markers that any
/// runner finds anywhere in a line broken apart, also where ignorable characters hide them, and
/// nothing else changed. The runners' escapes (`%0A` for a line break) are applied after.
pub fn inert_command_value(text: &str) -> String {
    break_markers(text)
}

/// The one rule for markers: `##vso[` (Azure's logging commands) and `##[` (GitHub's v1
/// commands, Azure's formatting lines), wherever they appear once the characters the runners'
/// culture-sensitive comparisons skip ([`is_collation_ignorable`]) are left out, get a space
/// after their `##`. Those characters stay where they were: only the match is broken.
fn break_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The characters that count, most recent last, with where each ends in `out`.
    let mut seen: Vec<(char, usize)> = Vec::new();
    for c in text.chars() {
        out.push(c);
        if is_collation_ignorable(c) {
            continue;
        }
        seen.push((c, out.len()));
        let tail: String = seen.iter().rev().take(6).rev().map(|(c, _)| *c).collect();
        let hashes = if tail.ends_with("##vso[") {
            Some(seen.len() - 5)
        } else if tail.ends_with("##[") {
            Some(seen.len() - 2)
        } else {
            None
        };
        if let Some(second_hash) = hashes {
            out.insert(seen[second_hash].1, ' ');
            seen.clear();
        } else if seen.len() > 6 {
            seen.remove(0);
        }
    }
    out
}

/// Text for a Markdown table cell or list item: one line, HTML-significant characters as entities
/// and Markdown punctuation escaped, so service text cannot add rows, links, images or markup.
pub fn markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in single_line(text).chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '!' | '#' | '~' => {
                escaped.push('\\');
                escaped.push(c);
            }
            _ => escaped.push(c),
        }
    }
    escaped
}

/// What follows `title` in `message` when the message begins with it as a phrase (then a blank
/// or a colon): an API error's message names its call, which is also its title, and a reader
/// should meet the call once, not `get token: get token failed`.
pub fn after_title<'a>(message: &'a str, title: &str) -> Option<&'a str> {
    message
        .strip_prefix(title)
        .filter(|rest| rest.starts_with(' ') || rest.starts_with(':'))
}

/// At most `max` characters, ending in `…` when cut. It does not redact: text that may hold a
/// secret is redacted before it is cut ([`crate::secret::redact_then_cut`]), as a cut through
/// a secret would leave a piece that redaction at the output no longer recognises.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Duration units, largest first, as `(name, milliseconds)`: the notation users write
/// (`1h30m`) and the one the program prints.
pub const DURATION_UNITS: [(&str, u64); 5] = [
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

/// Formats a duration in the same notation, to the millisecond: `1h30m`, `500ms`, `0s`.
pub fn format_duration(duration: Duration) -> String {
    let mut remaining = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if remaining == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    for (name, unit_ms) in DURATION_UNITS {
        let count = remaining / unit_ms;
        if count > 0 {
            text.push_str(&count.to_string());
            text.push_str(name);
            remaining -= count * unit_ms;
        }
    }
    text
}

/// Formats a duration for people, rounded to whole seconds past a second: `3m12s`, `450ms`.
pub fn format_elapsed(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        return format_duration(Duration::from_millis(
            u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        ));
    }
    format_duration(Duration::from_secs(duration.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn inert_keeping_breaks_keeps_only_line_breaks() {
        assert_eq!(
            inert_keeping_breaks("a\u{1b}[31mred\u{7}\r\nnext\u{2028}##vso[task.complete]"),
            "a [31mred \nnext\n## vso[task.complete]"
        );
    }

    #[test]
    fn html_is_reduced_to_text() {
        assert_eq!(
            html_to_text(
                "<p>The image <b>contoso</b> failed: 100% &amp; &lt;done&gt;</p><p>next</p>"
            ),
            "The image contoso failed: 100% & <done>\nnext"
        );
        assert_eq!(
            html_to_text("a&nbsp;b &#39;c&#x27; &unknown; & d"),
            "a b 'c' &unknown; & d"
        );
        assert_eq!(html_to_text("x < y and y > z"), "x < y and y > z");
        assert_eq!(
            html_to_text("line<br/>break<BR>again"),
            "line\nbreak\nagain"
        );
        assert_eq!(
            html_to_text(r#"see <a href="https://aka.ms/x?a=1&amp;b=2">the docs</a>."#),
            "see the docs (https://aka.ms/x?a=1&b=2)."
        );
        assert_eq!(
            html_to_text("<script>alert(1)</script>safe<style>p{}</style>"),
            "safe"
        );
        assert_eq!(
            html_to_text("<ul><li>one</li><li>two</li></ul>"),
            "one\ntwo"
        );
    }

    #[test]
    fn single_line_removes_breaks_and_controls() {
        assert_eq!(single_line("a\r\nb\u{1b}[31mc\td"), "a b [31mc d");
        assert_eq!(single_line("x\u{2028}y"), "x y");
    }

    /// `split_whitespace` alone already splits on tabs, line breaks and U+2028, so a test made of
    /// blanks cannot tell whether control characters are turned into spaces first (the mutant
    /// `is_control() && ..` survives it). Control characters that are not whitespace (escape,
    /// bell, NUL, the C1 CSI) can: each must end up a single space. Redaction relies
    /// on this too, as it spells every secret the way this function prints it.
    #[test]
    fn single_line_turns_controls_that_are_not_blanks_into_spaces() {
        assert_eq!(single_line("a\u{1b}b\u{7}c\u{0}d\u{9b}e"), "a b c d e");
        assert_eq!(single_line("tok\u{1b}\u{1b}en"), "tok en");
    }

    #[test]
    fn inert_in_line_breaks_ci_markers() {
        assert_eq!(inert_in_line("x\n::add-mask::y"), "x ::add-mask::y");
        assert_eq!(
            inert_in_line("ok ##vso[task.setvariable]bad"),
            "ok ## vso[task.setvariable]bad"
        );
        assert_eq!(inert_in_line("##[group]x"), "## [group]x");
    }

    #[test]
    fn inert_whole_line_defuses_a_leading_command_and_keeps_the_indent() {
        assert_eq!(
            inert_whole_line("  ::error::x: failed"),
            "  : :error::x: failed"
        );
        assert_eq!(
            inert_whole_line("  \u{a0}::add-mask::y"),
            "  : :add-mask::y"
        );
        assert_eq!(inert_whole_line("    info: a ::b"), "    info: a ::b");
        assert_eq!(inert_whole_line("x ##[group]y"), "x ## [group]y");
        assert_eq!(inert_whole_line("  \u{200b}::error::x"), "  : :error::x");
        assert_eq!(inert_whole_line("a ##\u{ad}vso[x.y]"), "a ## vso[x.y]");
    }

    /// Characters ICU's root collation (what .NET's culture-sensitive `IndexOf` uses on Linux)
    /// weighs as nothing, though they are not Default_Ignorable: Arabic tatweel and number
    /// sign, Hebrew accents, interlinear annotation marks, musical symbol modifiers.
    #[test]
    fn collation_ignorable_characters_cannot_hide_a_marker() {
        for hidden in [
            '\u{640}',
            '\u{600}',
            '\u{591}',
            '\u{fff9}',
            '\u{1d165}',
            '\u{e0100}',
        ] {
            // What the runner compares: the line as if `hidden` were not there.
            let seen = |line: String| line.replace(hidden, "");
            let line = seen(inert_whole_line(&format!(
                "a #{hidden}#vso[task.complete]x"
            )));
            assert!(!line.contains("##vso["), "{hidden:?} left {line:?}");
            let line = seen(inert_whole_line(&format!("#{hidden}#[group]x")));
            assert!(!line.contains("##["), "{hidden:?} left {line:?}");
            let line = seen(inert_whole_line(&format!("{hidden}:{hidden}:error::x")));
            assert!(
                !line.trim_start().starts_with("::"),
                "{hidden:?} left {line:?}"
            );
        }
    }

    /// What each runner's comparison sees: `text` with the ignorable characters left out.
    fn folded(text: &str) -> String {
        without_ignorable(text)
    }

    #[test]
    fn command_values_lose_hidden_markers_and_nothing_else() {
        for hidden in ['\u{200b}', '\u{ad}', '\u{640}', '\u{fe0f}', '\u{1b}'] {
            for marker in [
                format!("#{hidden}#vso[task.complete]"),
                format!("##{hidden}vso[task.complete]"),
                format!("##v{hidden}so[task.complete]"),
                format!("##vso{hidden}[task.complete]"),
                format!("#{hidden}#[error]"),
                format!("##{hidden}[set-output name=x]"),
            ] {
                let value = inert_command_value(&format!("a {marker} b"));
                let seen = folded(&value);
                assert!(
                    !seen.contains("##vso[") && !seen.contains("##["),
                    "{marker:?} left {value:?}"
                );
                // Only a space is added: the hidden character and the rest stay.
                assert_eq!(
                    value.replace(' ', ""),
                    format!("a {marker} b").replace(' ', "")
                );
                assert_eq!(
                    inert_command_value(&value),
                    value,
                    "breaking again changes nothing"
                );
            }
        }
        assert_eq!(
            inert_command_value("###[x] ##vso[a.b]"),
            "### [x] ## vso[a.b]"
        );
        assert_eq!(inert_command_value("100% :: # [ ok"), "100% :: # [ ok");
        assert_eq!(
            inert_keeping_breaks("x #\u{200b}#vso[a.b]\ny"),
            "x #\u{200b}# vso[a.b]\ny"
        );
    }

    /// U+0000 weighs nothing in ICU's root collation (DUCET: `0000 ; [.0000.0000.0000]`), like
    /// the other C0 controls but tab to carriage return: a NUL between the `#`s hides a marker
    /// from a comparison that does not skip it.
    #[test]
    fn a_nul_cannot_hide_a_marker() {
        let value = inert_command_value("a ##\0vso[task.complete] #\0#[error]");
        let seen = value.replace('\0', "");
        assert!(
            !seen.contains("##vso[") && !seen.contains("##["),
            "{value:?}"
        );
    }

    #[test]
    fn markdown_cannot_break_a_table() {
        assert_eq!(markdown("a|b\nc"), "a\\|b c");
        assert_eq!(markdown("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(markdown("[x](javascript:y)"), "\\[x\\](javascript:y)");
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("ééééé", 3), "éé…");
        assert_eq!(truncate("abc", 3), "abc");
    }

    proptest! {
        #[test]
        fn html_to_text_never_panics(input in "\\PC{0,200}") {
            let _ = html_to_text(&input);
        }

        #[test]
        fn html_to_text_never_panics_on_markup(input in "([<>&;#/a-z0-9 =\"']|&#x[0-9a-f]{1,8};|<a href=\"[a-z]{0,5}\">){0,40}") {
            let _ = html_to_text(&input);
        }

        #[test]
        fn inert_in_line_output_is_one_line_without_markers(input in "\\PC{0,100}|[\\r\\n:#\\[a-z]{0,60}") {
            let line = inert_in_line(&input);
            prop_assert!(!line.contains('\n') && !line.contains('\r'));
            prop_assert!(!line.contains("##vso[") && !line.contains("##["));
        }

        #[test]
        fn inert_whole_lines_are_never_commands(input in "[ \\t\u{a0}\u{3000}]{0,3}(::|##\\[|##vso\\[)?\\PC{0,60}|[ :#\\[\\r\\n\u{2028}a-z]{0,40}") {
            let line = inert_whole_line(&input);
            prop_assert!(!line.contains(['\n', '\r']));
            prop_assert!(!line.trim_start().starts_with("::"));
            prop_assert!(!line.contains("##vso[") && !line.contains("##["));
        }

        #[test]
        fn command_values_hold_no_marker_any_runner_finds(input in "([#\u{200b}\u{ad}\u{640}\\[vso ]|##|vso\\[){0,30}|\\PC{0,60}") {
            let value = inert_command_value(&input);
            let seen = folded(&value);
            prop_assert!(!seen.contains("##vso[") && !seen.contains("##["), "{:?}", value);
            prop_assert_eq!(value.chars().filter(|c| *c != ' ').collect::<String>(),
                input.chars().filter(|c| *c != ' ').collect::<String>());
        }

        #[test]
        fn markdown_output_has_no_raw_pipes_or_tags(input in "\\PC{0,100}") {
            let cell = markdown(&input);
            prop_assert!(!cell.contains('\n') && !cell.contains('<') && !cell.contains('>'));
            let unescaped_pipe = cell.match_indices('|').any(|(at, _)| !cell[..at].ends_with('\\'));
            prop_assert!(!unescaped_pipe);
        }
    }

    #[test]
    fn a_message_after_its_title() {
        assert_eq!(
            after_title("get token failed: 400", "get token"),
            Some(" failed: 400")
        );
        assert_eq!(after_title("get token: 400", "get token"), Some(": 400"));
        assert_eq!(after_title("get tokens: 400", "get token"), None);
        assert_eq!(after_title("400", "get token"), None);
        assert_eq!(after_title("get token", "get token"), None);
    }
}
