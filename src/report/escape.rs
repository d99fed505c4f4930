//! How a value is escaped inside a runner's command, so that the runner's parser reads it back
//! as that value and nothing more. Below both the command encoding ([`super::command`]), which
//! escapes every property and data value with these, and the sinks, which build commands; the
//! secret registry learns these forms too, so a secret echoed by the service is redacted however
//! it ends up spelled.

/// GitHub Actions workflow commands, escaped exactly as `@actions/core` escapes them.
pub mod github {
    use crate::text::inert_command_value;

    /// Message data: `%` first, then CR and LF; the markers other runners find anywhere in a
    /// line broken first ([`inert_command_value`]), as a GitHub log may be read by another
    /// runner.
    pub fn escape_data(text: &str) -> String {
        inert_command_value(text)
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }

    /// Property values (`title=`): as data, plus `:` and `,`, which end a property.
    pub fn escape_property(text: &str) -> String {
        escape_data(text).replace(':', "%3A").replace(',', "%2C")
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use proptest::prelude::*;

        #[test]
        fn escapes_like_actions_core() {
            assert_eq!(escape_data("100%\r\n::error::x"), "100%25%0D%0A::error::x");
            assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        }

        /// A GitHub log read by the Azure agent (forwarded, nested, or misdetected): no `##vso[`,
        /// even one that the agent sees only once it skips a zero-width space or a soft hyphen.
        #[test]
        fn data_holds_no_marker_of_another_runner() {
            assert_eq!(
                escape_data("x #\u{200b}#vso[task.complete] ##\u{ad}[group]"),
                "x #\u{200b}# vso[task.complete] ## \u{ad}[group]"
            );
        }

        proptest! {
            #[test]
            fn escaped_data_is_one_line_and_reversible(text in "\\PC{0,60}|[%\\r\\n:,a]{0,30}") {
                // Text with a marker in it is not given back as it was: the marker is broken.
                prop_assume!(inert_command_value(&text) == text);
                let escaped = escape_data(&text);
                prop_assert!(!escaped.contains('\n') && !escaped.contains('\r'));
                let unescaped = escaped.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%");
                prop_assert_eq!(unescaped, text);
            }

            #[test]
            fn escaped_property_has_no_separators(text in "\\PC{0,60}|[%\\r\\n:,a]{0,30}") {
                let escaped = escape_property(&text);
                prop_assert!(!escaped.contains([':', ',', '\n', '\r']));
            }
        }
    }
}

/// Azure Pipelines logging commands, escaped as `azure-pipelines-task-lib` escapes them.
pub mod azure {
    /// Message data, as `azure-pipelines-task-lib` escapes it: `%` first, then CR and LF. The
    /// markers any runner finds anywhere in a line (`##vso[`, and GitHub's `##[`) are broken
    /// first ([`crate::text::inert_command_value`]): the agent and a runner reading a forwarded
    /// log look for commands anywhere in a line.
    pub fn escape_data(text: &str) -> String {
        crate::text::inert_command_value(text)
            .replace('%', "%AZP25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }

    /// Property values: as data, plus `]` and `;`, which end a property.
    pub fn escape_property(text: &str) -> String {
        escape_data(text).replace(']', "%5D").replace(';', "%3B")
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn escapes_like_the_task_lib() {
            assert_eq!(escape_data("50%\r\nx"), "50%AZP25%0D%0Ax");
            assert_eq!(escape_property("a;b]c"), "a%3Bb%5Dc");
            assert_eq!(
                escape_data("x ##vso[task.complete]"),
                "x ## vso[task.complete]"
            );
            // GitHub's v1 commands, and markers hidden by a character the runners skip.
            assert_eq!(
                escape_data("##[set-output name=x]y ##\u{640}vso[a.b]"),
                "## [set-output name=x]y ## \u{640}vso[a.b]"
            );
        }
    }
}
