//! The CI runners' own parsers of log lines, ported to Rust so that tests can read the program's
//! output exactly as the runners do and see which commands it holds.
//!
//! - GitHub Actions: actions/runner `src/Runner.Common/ActionCommand.cs` (`TryParseV2`,
//!   `TryParse`, the unescape mappings) and `src/Runner.Worker/ActionCommandManager.cs`
//!   (`TryProcessCommand`: v2 first, then v1; the registered command names), at commit
//!   258d6c857db3519913f7deb6004b60172f8043ae.
//! - Azure Pipelines: microsoft/azure-pipelines-agent
//!   `src/Microsoft.VisualStudio.Services.Agent/Command.cs` (`TryParse`) and
//!   `src/Agent.Sdk/CommandStringConvertor.cs` (`Unescape`), at commit
//!   42bde98bea7bb3b9e186d693e3b1554249e93a38. The agent also renders lines that start with
//!   `##[` (`##[group]`, `##[error]`, ...) as formatting: [`azure_formatting`].
//!
//! Both runners split their input into lines on `\r`, `\n` and `\r\n` (`StreamReader.ReadLine`).
//! Both are built without invariant globalization, so their `IndexOf`/`StartsWith` compare
//! culture-sensitively and skip default-ignorable characters (U+200B and the like); the
//! parsers here compare ordinally, and a line that holds no command is read again with those
//! characters removed, so a test sees what either comparison would find.

#![allow(dead_code)]

use std::collections::BTreeMap;

/// One parsed command: its name (`error`, or `task.setvariable` for Azure), its properties
/// (names lower-cased: the runners look them up ignoring case) and its data, unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCommand {
    pub name: String,
    pub properties: BTreeMap<String, String>,
    pub data: String,
}

/// The command names the GitHub runner registers (ActionCommandManager's extensions, plus
/// `stop-commands`, which it handles itself).
pub const GITHUB_COMMANDS: &[&str] = &[
    "internal-set-repo-path",
    "set-env",
    "set-output",
    "save-state",
    "add-mask",
    "add-path",
    "add-matcher",
    "remove-matcher",
    "debug",
    "warning",
    "error",
    "notice",
    "group",
    "endgroup",
    "echo",
    "stop-commands",
];

/// Lines as the runners read them.
pub fn lines(output: &str) -> Vec<&str> {
    output
        .split("\r\n")
        .flat_map(|line| line.split(['\r', '\n']))
        .collect()
}

/// `parse` on `line`, else on `line` without default-ignorable characters.
fn either<T>(line: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    parse(line).or_else(|| parse(&strip_ignorable(line)))
}

/// Without what ICU's root collation (.NET's culture-sensitive comparisons on Linux) weighs
/// as nothing: Default_Ignorable code points and more (measured with ICU 72's `ucol_strcoll`).
pub fn strip_ignorable(line: &str) -> String {
    line.chars()
        .filter(|c| {
            !matches!(*c as u32,
                0x1..=0x8 | 0xE..=0x1F | 0x7F..=0x84 | 0x86..=0x9F | 0xAD | 0x34F | 0x488..=0x489
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
        })
        .collect()
}

fn replace_all(text: &str, mappings: &[(&str, &str)]) -> String {
    let mut text = text.to_owned();
    for (token, replacement) in mappings {
        text = text.replace(replacement, token);
    }
    text
}

/// `ActionCommand.UnescapeData`.
fn github_unescape_data(text: &str) -> String {
    replace_all(text, &[("\r", "%0D"), ("\n", "%0A"), ("%", "%25")])
}

/// `ActionCommand.UnescapeProperty`.
fn github_unescape_property(text: &str) -> String {
    replace_all(
        text,
        &[
            ("\r", "%0D"),
            ("\n", "%0A"),
            (":", "%3A"),
            (",", "%2C"),
            ("%", "%25"),
        ],
    )
}

/// `ActionCommand.Unescape` (v1).
fn github_unescape_v1(text: &str) -> String {
    replace_all(
        text,
        &[
            (";", "%3B"),
            ("\r", "%0D"),
            ("\n", "%0A"),
            ("]", "%5D"),
            ("%", "%25"),
        ],
    )
}

/// C#'s `string.Trim()`/`TrimStart()`: `char.IsWhiteSpace` is Unicode White_Space, as Rust's.
fn trim_start_dotnet(text: &str) -> &str {
    text.trim_start_matches(char::is_whitespace)
}

/// `ActionCommand.TryParseV2`: `::name props::data`, after leading whitespace is trimmed.
pub fn github_v2(line: &str) -> Option<ParsedCommand> {
    let message = trim_start_dotnet(line);
    if !message.starts_with("::") {
        return None;
    }
    let end = message[2..].find("::")? + 2;
    let info = &message[2..end];
    let (name, properties) = match info.find(' ') {
        Some(space) => (&info[..space], Some(&info[space + 1..])),
        None => (info, None),
    };
    if !GITHUB_COMMANDS.contains(&name) {
        return None;
    }
    let mut parsed = ParsedCommand {
        name: name.to_owned(),
        properties: BTreeMap::new(),
        data: github_unescape_data(&message[end + 2..]),
    };
    // `spaceIndex > 0`: a space right after `::` gives an empty name, refused above.
    if let Some(properties) = properties {
        for pair in properties.trim().split(',').filter(|p| !p.is_empty()) {
            let parts: Vec<&str> = pair.splitn(2, '=').filter(|p| !p.is_empty()).collect();
            if parts.len() == 2 {
                parsed
                    .properties
                    .insert(parts[0].to_lowercase(), github_unescape_property(parts[1]));
            }
        }
    }
    Some(parsed)
}

/// `ActionCommand.TryParse` (v1): `##[name props]data` anywhere in the line.
pub fn github_v1(line: &str) -> Option<ParsedCommand> {
    let prefix = line.find("##[")?;
    let close = prefix + line[prefix..].find(']')?;
    let info = &line[prefix + 3..close];
    let (name, properties) = match info.find(' ') {
        Some(space) => (&info[..space], Some(&info[space + 1..])),
        None => (info, None),
    };
    if !GITHUB_COMMANDS.contains(&name) {
        return None;
    }
    let mut parsed = ParsedCommand {
        name: name.to_owned(),
        properties: BTreeMap::new(),
        data: github_unescape_v1(&line[close + 1..]),
    };
    if let Some(properties) = properties {
        for pair in properties.split(';').filter(|p| !p.is_empty()) {
            let parts: Vec<&str> = pair.splitn(2, '=').filter(|p| !p.is_empty()).collect();
            if parts.len() == 2 {
                parsed
                    .properties
                    .insert(parts[0].to_lowercase(), github_unescape_v1(parts[1]));
            }
        }
    }
    Some(parsed)
}

/// `ActionCommandManager.TryProcessCommand`: v2, else v1.
pub fn github(line: &str) -> Option<ParsedCommand> {
    github_v2(line).or_else(|| github_v1(line))
}

/// `CommandStringConvertor.Unescape` with `unescapePercents` (the task library's `%AZP25`).
fn azure_unescape(text: &str) -> String {
    let text = replace_all(
        text,
        &[(";", "%3B"), ("\r", "%0D"), ("\n", "%0A"), ("]", "%5D")],
    );
    text.replace("%AZP25", "%")
}

/// `Command.TryParse`: `##vso[area.event props]data` anywhere in the line.
pub fn azure(line: &str) -> Option<ParsedCommand> {
    let prefix = line.find("##vso[")?;
    let close = prefix + line[prefix..].find(']')?;
    let info = &line[prefix + 6..close];
    let (name, properties) = match info.find(' ') {
        Some(space) => (&info[..space], Some(&info[space + 1..])),
        None => (info, None),
    };
    let parts: Vec<&str> = name.split('.').filter(|p| !p.is_empty()).collect();
    if parts.len() != 2 {
        return None;
    }
    let mut parsed = ParsedCommand {
        name: format!("{}.{}", parts[0], parts[1]),
        properties: BTreeMap::new(),
        data: azure_unescape(&line[close + 1..]),
    };
    if let Some(properties) = properties {
        for pair in properties.split(';').filter(|p| !p.is_empty()) {
            let parts: Vec<&str> = pair.splitn(2, '=').filter(|p| !p.is_empty()).collect();
            if parts.len() == 2 {
                parsed
                    .properties
                    .insert(parts[0].to_lowercase(), azure_unescape(parts[1]));
            }
        }
    }
    Some(parsed)
}

/// An Azure Pipelines formatting line: `##[group]title` at the start of the line; returns the
/// name and the rest.
pub fn azure_formatting(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("##[")?;
    let close = rest.find(']')?;
    Some((rest[..close].to_owned(), rest[close + 1..].to_owned()))
}

/// Every GitHub command in `output`, in order.
pub fn github_commands(output: &str) -> Vec<ParsedCommand> {
    lines(output)
        .into_iter()
        .filter_map(|line| either(line, github))
        .collect()
}

/// Every Azure logging command and formatting line in `output`, in order; a formatting line is
/// a command named `##[name]` with the rest as data.
pub fn azure_commands(output: &str) -> Vec<ParsedCommand> {
    let mut commands = Vec::new();
    for line in lines(output) {
        if let Some(command) = either(line, azure) {
            commands.push(command);
        }
        if let Some((name, data)) = either(line, |l| azure_formatting(trim_start_dotnet(l))) {
            commands.push(ParsedCommand {
                name: format!("##[{name}]"),
                properties: BTreeMap::new(),
                data,
            });
        }
    }
    commands
}

/// The GitHub runner's reading of a file command (`GITHUB_OUTPUT`, `GITHUB_ENV`): actions/runner
/// `src/Runner.Worker/FileCommandManager.cs`, `EnvFileKeyValuePairs.GetEnumerator` and
/// `ReadLine` (Linux: lines end at `\n` only), at commit
/// 258d6c857db3519913f7deb6004b60172f8043ae. The runner enumerates lazily: the pairs read before
/// an error are set, then the error fails the step ("Unable to process file command"). Returns
/// those pairs and the error, if any.
pub fn github_file_commands(text: &str) -> (Vec<(String, String)>, Option<String>) {
    let mut pairs = Vec::new();
    let mut index = 0;
    while let Some((line, _)) = read_line(text, &mut index) {
        if line.is_empty() {
            continue;
        }
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(equals), heredoc) if heredoc.is_none_or(|heredoc| equals < heredoc) => {
                pairs.push((line[..equals].to_owned(), line[equals + 1..].to_owned()));
            }
            (_, Some(heredoc)) => {
                let (name, delimiter) = (&line[..heredoc], &line[heredoc + 2..]);
                if name.is_empty() || delimiter.is_empty() {
                    return (pairs, Some(format!("Invalid format '{line}'")));
                }
                let start = index;
                let mut end = index;
                loop {
                    match read_line(text, &mut index) {
                        Some((next, _)) if next == delimiter => break,
                        None => {
                            let error = format!("Matching delimiter not found '{delimiter}'");
                            return (pairs, Some(error));
                        }
                        Some((_, false)) => {
                            return (pairs, Some("EOF marker missing new line.".to_owned()));
                        }
                        Some((_, true)) => end = index - 1,
                    }
                }
                let value = if end > start { &text[start..end] } else { "" };
                pairs.push((name.to_owned(), value.to_owned()));
            }
            _ => return (pairs, Some(format!("Invalid format '{line}'"))),
        }
    }
    (pairs, None)
}

/// `EnvFileKeyValuePairs.ReadLine`: the line from `index` and whether a `\n` ended it.
fn read_line<'t>(text: &'t str, index: &mut usize) -> Option<(&'t str, bool)> {
    if *index >= text.len() {
        return None;
    }
    let start = *index;
    match text[start..].find('\n') {
        Some(offset) => {
            *index = start + offset + 1;
            Some((&text[start..start + offset], true))
        }
        None => {
            *index = text.len();
            Some((&text[start..], false))
        }
    }
}

/// GitLab's reading of a dotenv report: gitlab-org/gitlab
/// `app/services/ci/parse_dotenv_artifact_service.rb` (`parse!`, `scan_line!`): every line must
/// match `^(.*?)=(.*)$`, key and value stripped; one line that does not fails the whole report.
pub fn gitlab_dotenv(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split_inclusive('\n')
        .map(|line| {
            let line = line.strip_suffix('\n').unwrap_or(line);
            line.split_once('=')
                .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
                .ok_or_else(|| "Invalid Format".to_owned())
        })
        .collect()
}
