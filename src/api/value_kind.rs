//! The kinds of value that come from the service and leave the program as step outputs, and the
//! characters each may hold: the one place that says so. Outputs are read by later steps, often
//! interpolated into scripts, so a value from the service that does not fit its kind is dropped,
//! never passed on: no `$(...)`, backtick, quote, brace, `|`, space or line break can reach one
//! (only step names, which are free text, keep spaces).
//!
//! The API layer uses the same definitions to decide what it accepts (an operation id, the
//! segments of an operation URL); the reporter applies them again to every output it writes.

/// What a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A publisher, offer, product or step id: letters, digits, `.`, `_`, `-`, starting with a
    /// letter or digit ([`super::is_identifier`]).
    Identifier,
    /// An operation id: a GUID, or the non-migrated `publisher$offer$2$preview`.
    OperationId,
    /// An operation URL as the program rebuilt it: `http(s)://host[:port]/path?api-version=...`.
    OperationUrl,
    /// A link the service gives to the preview or the live offer.
    Link,
    /// An offer version: `5`, `1.0.2`.
    OfferVersion,
    /// A status word as the service spells it: `Succeeded`, `Waiting For Publisher Review`.
    StatusWord,
    /// A step's id, or its name when it has no id: words separated by single spaces.
    StepLabel,
}

/// The longest value of any kind; longer ones are not values but floods.
const MAX_LEN: usize = 2048;

impl ValueKind {
    /// Whether `c` may appear in a value of this kind.
    pub fn allows(self, c: char) -> bool {
        let plain = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        match self {
            ValueKind::Identifier | ValueKind::OfferVersion => plain,
            ValueKind::OperationId => plain || c == '$',
            // No `'`, `(`, `)`, `*`, `!`, `;`, `,`, `@` (userinfo), `#` (fragment): a rebuilt
            // operation URL has no use for them. No `&` in any kind: like `;`, it ends a shell
            // command (`echo https://h/?a&reboot` runs `reboot`), and a rebuilt URL has one query
            // parameter only.
            ValueKind::OperationUrl => {
                plain || matches!(c, ':' | '/' | '?' | '=' | '%' | '$' | '~')
            }
            // A link may carry a fragment (the Azure portal's `#create/...`) and a query of one
            // parameter.
            ValueKind::Link => {
                plain || matches!(c, ':' | '/' | '?' | '=' | '%' | '~' | '#' | '+' | ',' | '@')
            }
            ValueKind::StatusWord | ValueKind::StepLabel => plain || c == ' ',
        }
    }

    fn max_len(self) -> usize {
        match self {
            ValueKind::OfferVersion | ValueKind::StatusWord => 128,
            ValueKind::Identifier => super::MAX_ID_LEN,
            ValueKind::OperationId | ValueKind::StepLabel => 256,
            ValueKind::OperationUrl | ValueKind::Link => MAX_LEN,
        }
    }

    /// Whether `value` is a value of this kind: not empty, not too long, every character
    /// allowed, and the shape the kind needs.
    pub fn fits(self, value: &str) -> bool {
        if value.is_empty()
            || value.len() > self.max_len()
            || !value.chars().all(|c| self.allows(c))
        {
            return false;
        }
        match self {
            ValueKind::OperationUrl | ValueKind::Link => url::Url::parse(value).is_ok_and(|url| {
                matches!(url.scheme(), "https" | "http")
                    && url.host().is_some()
                    && url.username().is_empty()
                    && url.password().is_none()
                    && (self == ValueKind::Link || url.fragment().is_none())
            }),
            ValueKind::StatusWord | ValueKind::StepLabel => {
                !value.starts_with(' ') && !value.ends_with(' ') && !value.contains("  ")
            }
            // The one identifier rule: also its first character and its length.
            ValueKind::Identifier => super::is_identifier(value),
            _ => true,
        }
    }

    /// `value` when it fits, else `None`.
    pub fn accept(self, value: &str) -> Option<&str> {
        self.fits(value).then_some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KINDS: [ValueKind; 7] = [
        ValueKind::Identifier,
        ValueKind::OperationId,
        ValueKind::OperationUrl,
        ValueKind::Link,
        ValueKind::OfferVersion,
        ValueKind::StatusWord,
        ValueKind::StepLabel,
    ];

    #[test]
    fn each_kind_accepts_its_real_values() {
        for (kind, value) in [
            (ValueKind::Identifier, "contoso-offer"),
            (
                ValueKind::OperationId,
                "56615b67-2185-49fe-80d2-c4ddf77bb2e8",
            ),
            (ValueKind::OperationId, "contoso$contoso-offer$2$preview"),
            (
                ValueKind::OperationUrl,
                "https://cloudpartner.azure.com/api/publishers/contoso/offers/contoso-offer/operations/56615b67-2185-49fe-80d2-c4ddf77bb2e8?api-version=2017-10-31",
            ),
            (
                ValueKind::OperationUrl,
                "http://127.0.0.1:8080/api/operations/contoso$contoso-offer$2$preview?api-version=2017-10-31",
            ),
            (
                ValueKind::Link,
                "https://portal.azure.com/#create/contoso.contoso-offerpreview/preview",
            ),
            (ValueKind::OfferVersion, "1.0.2"),
            (ValueKind::StatusWord, "Waiting For Publisher Review"),
            (ValueKind::StepLabel, "Validate Pre-Requisites"),
        ] {
            assert!(kind.fits(value), "{kind:?} refused {value:?}");
        }
    }

    #[test]
    fn what_a_script_or_a_table_would_act_on_fits_no_kind() {
        for value in [
            "x$(id)",
            "x`id`",
            "it's",
            "a{b}",
            "a|b",
            "a\nb",
            "a;b",
            "a b\r",
            "::error::x",
            "a\"b",
            "a\\b",
            "a<b>",
            "a&b",
            "https://h/x?a=1&reboot",
            "https://h/api/operations/x?api-version=1&reboot",
        ] {
            for kind in KINDS {
                // `::error::x` is a fine status word shape only without the colons.
                assert!(!kind.fits(value), "{kind:?} took {value:?}");
            }
        }
        // URLs: only the parts a rebuilt operation URL has.
        for value in [
            "https://h/api/operations/x?api-version=1#frag",
            "https://user:pw@h/api/operations/x",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://h/api/operations/x'y",
        ] {
            assert!(!ValueKind::OperationUrl.fits(value), "{value:?}");
        }
        assert!(!ValueKind::StepLabel.fits(" leading"));
        assert!(!ValueKind::OfferVersion.fits(""));
        assert!(!ValueKind::Identifier.fits(&"a".repeat(129)));
    }

    proptest! {
        #[test]
        fn a_fitting_value_holds_only_allowed_characters(value in "\\PC{0,40}", index in 0usize..7) {
            let kind = KINDS[index];
            if kind.fits(&value) {
                prop_assert!(value.chars().all(|c| kind.allows(c)));
                for c in ['$', '`', '\'', '"', '{', '}', '|', '\n', '\r', ';', '&', '(', ')', '\\', '<', '>'] {
                    if value.contains(c) {
                        prop_assert!(kind == ValueKind::OperationId || kind == ValueKind::OperationUrl);
                        prop_assert_eq!(c, '$');
                    }
                }
            }
        }
    }
}
