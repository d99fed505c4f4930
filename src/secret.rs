//! Values that must never be printed: client secrets, tokens, assertions.
//!
//! A [`Secret`] prints as `***` through `Debug` and `Display`; the value is reached only through
//! [`Secret::expose`], at the place where it is put into a header or a form. Every secret is also
//! registered for redaction: all text this program writes (stdout, stderr, output files, the
//! summary) goes through [`redact`], so even a service message that echoes a token prints `***`,
//! and the reporter learns of each new secret in time to ask the CI system to mask it.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Shorter values are not registered for redaction: replacing every `abc` in the output would
/// mangle it, and no real credential is that short.
const MIN_REDACTED_LEN: usize = 6;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        register(&value);
        Secret(value)
    }

    /// A secret that expires (a token from an authority): registered like any other, but one
    /// of at most [`MAX_EXPIRING`], the oldest forgotten first (see [`register_expiring`]).
    pub fn expiring(value: impl Into<String>) -> Self {
        let value = value.into();
        register_expiring(&value);
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Raw inputs marked secret are read straight into a [`Secret`], so they are registered for
/// redaction before anything else looks at them.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A way output escapes text (Markdown, a workflow command's data, JSON), which changes how a
/// secret inside it is spelled: `a_b` is `a\_b` in the summary.
pub type Escape = fn(&str) -> String;

/// How many expiring secrets (tokens) are redacted at once. A wait refreshes its token at most
/// every 30 seconds (tokens live a minute at least, and are renewed at half their life at the
/// earliest), so the oldest of 32 was obtained 16 minutes or more before the newest and has
/// expired: forgetting it keeps memory and the cost of every redaction flat over a wait of any
/// length, where an authority handing out short-lived tokens grew both without bound.
pub const MAX_EXPIRING: usize = 32;

#[derive(Default)]
struct Registry {
    /// Every value registered so far, but the expiring ones forgotten.
    values: Vec<String>,
    /// The expiring values among `values`, oldest first.
    expiring: std::collections::VecDeque<String>,
    /// Whether the log has said that the limit was reached.
    limit_told: bool,
    escapes: Vec<Escape>,
    /// Each value as written and as every escape spells it, longest first so that a secret
    /// containing another is replaced whole.
    known: Vec<String>,
    /// Registered values the reporter has not yet asked the CI system to mask.
    unmasked: Vec<String>,
}

impl Registry {
    fn rebuild_known(&mut self) {
        let mut known: Vec<String> = self
            .values
            .iter()
            .flat_map(|value| wire_spellings(value))
            .flat_map(|spelling| {
                let escaped: Vec<String> = self
                    .escapes
                    .iter()
                    .map(|escape| escape(&spelling))
                    .collect();
                std::iter::once(spelling).chain(escaped)
            })
            .collect();
        known.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        known.dedup();
        self.known = known;
    }

    /// Adds an expiring value, forgetting the oldest beyond [`MAX_EXPIRING`]; whether one was.
    fn add_expiring(&mut self, value: &str) -> bool {
        if self.values.iter().any(|known| known == value) {
            return false;
        }
        self.values.push(value.to_owned());
        self.expiring.push_back(value.to_owned());
        self.unmasked.push(value.to_owned());
        let mut evicted = false;
        while self.expiring.len() > MAX_EXPIRING {
            if let Some(oldest) = self.expiring.pop_front() {
                self.values.retain(|known| *known != oldest);
                self.unmasked.retain(|known| *known != oldest);
                evicted = true;
            }
        }
        self.rebuild_known();
        evicted
    }

    fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !self
            .known
            .iter()
            .any(|secret| text.contains(secret.as_str()))
        {
            return Cow::Borrowed(text);
        }
        let mut redacted = text.to_owned();
        for secret in &self.known {
            if redacted.contains(secret.as_str()) {
                redacted = redacted.replace(secret.as_str(), "***");
            }
        }
        Cow::Owned(redacted)
    }
}

/// A value as it is written and as it can be spelled on the wire, where a service may echo it
/// from: form-urlencoded (how the client secret and assertions are sent: `~` as `%7E`, a space
/// as `+`), percent-encoded (a space as `%20`), each also with lower-case hex digits.
fn wire_spellings(value: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let percent = utf8_percent_encode(value, NOT_UNRESERVED).to_string();
    let mut spellings = vec![
        value.to_owned(),
        lower_hex(&form),
        lower_hex(&percent),
        form,
        percent,
        // As service text is printed: a token may hold interior blanks; `a  b` echoed in a
        // message is printed `a b`, which the value as written would not match.
        crate::text::single_line(value),
    ];
    spellings.sort();
    spellings.dedup();
    spellings
}

/// Every byte but RFC 3986's unreserved characters (letters, digits, `-`, `.`, `_`, `~`).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `%7E` as `%7e`: percent codes are case-insensitive, and a service may echo either.
fn lower_hex(encoded: &str) -> String {
    let mut lowered = String::with_capacity(encoded.len());
    let mut chars = encoded.chars();
    while let Some(c) = chars.next() {
        lowered.push(c);
        if c == '%' {
            lowered.extend(
                chars
                    .by_ref()
                    .take(2)
                    .map(|digit| digit.to_ascii_lowercase()),
            );
        }
    }
    lowered
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    values: Vec::new(),
    expiring: std::collections::VecDeque::new(),
    limit_told: false,
    escapes: Vec::new(),
    known: Vec::new(),
    unmasked: Vec::new(),
});

fn registry() -> MutexGuard<'static, Registry> {
    // The registry holds plain strings; a panic elsewhere cannot leave it half-updated.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Registers a value that must not appear in any output. Raw inputs marked secret are registered
/// before they are validated, so that even a configuration error cannot print them.
pub fn register(value: &str) {
    register_many([value]);
}

/// Registers many values at once: the spellings are rebuilt once, not once a value.
pub fn register_many<'v>(values: impl IntoIterator<Item = &'v str>) {
    add(values, true);
}

/// Registers values for redaction only, without asking the CI system to mask them: for the
/// service's own secrets in a document read to be changed (the signatures of the SAS URIs of a
/// plan's earlier versions). This job was never given them and prints them only through
/// [`redact`]; a mask command for each would put thousands of lines into the log of a publisher
/// with hundreds of versions, and make the runner check each against every later line.
pub fn register_for_redaction<'v>(values: impl IntoIterator<Item = &'v str>) {
    add(values, false);
}

fn add<'v>(values: impl IntoIterator<Item = &'v str>, mask: bool) {
    let mut registry = registry();
    // A set, not a scan of the list for each value: thousands come at once from a document.
    let mut known: std::collections::HashSet<String> = registry.values.iter().cloned().collect();
    let mut added = false;
    for value in values {
        let value = value.trim();
        if value.chars().count() < MIN_REDACTED_LEN || !known.insert(value.to_owned()) {
            continue;
        }
        registry.values.push(value.to_owned());
        if mask {
            registry.unmasked.push(value.to_owned());
        }
        added = true;
    }
    if added {
        registry.rebuild_known();
    }
}

/// Registers a value that expires (a token): as [`register`], and once [`MAX_EXPIRING`] are held
/// the oldest is forgotten, no longer redacted (it has expired: see [`MAX_EXPIRING`]). The log
/// says so the first time. Each distinct value is masked at most once, at the next line written
/// (the reporter asks before every write), unless it was forgotten before that.
pub fn register_expiring(value: &str) {
    let value = value.trim();
    if value.chars().count() < MIN_REDACTED_LEN {
        return;
    }
    let first_time_full = {
        let mut registry = registry();
        let evicted = registry.add_expiring(value);
        let first_time_full = evicted && !registry.limit_told;
        registry.limit_told |= evicted;
        first_time_full
    };
    // Logged with the registry unlocked: the log redacts through it.
    if first_time_full {
        tracing::warn!(
            "{MAX_EXPIRING} tokens obtained during this run: the oldest, expired, are no longer \
             redacted from here on (the authority issues short-lived tokens)"
        );
    }
}

/// Forgets an expiring value that was registered but is never used (a token too short-lived to
/// use): it is not masked, and it does not count toward [`MAX_EXPIRING`], where an authority
/// answering so on every early refresh would push the token in use out of the registry.
pub fn forget_expiring(value: &str) {
    let value = value.trim();
    let mut registry = registry();
    if !registry.expiring.iter().any(|known| known == value) {
        return;
    }
    registry.expiring.retain(|known| known != value);
    registry.values.retain(|known| known != value);
    registry.unmasked.retain(|known| known != value);
    registry.rebuild_known();
}

/// Redacts secrets also as these escapes spell them: output is escaped before it is written and
/// redacted, and an escaped secret would not match itself.
pub fn redact_escaped_forms(escapes: &[Escape]) {
    let mut registry = registry();
    registry.escapes = escapes.to_vec();
    registry.rebuild_known();
}

/// Secrets registered since the last call, for the CI system's mask command.
pub fn take_unmasked() -> Vec<String> {
    std::mem::take(&mut registry().unmasked)
}

/// Service or user text cut to `max` characters for an output, redacted first: a cut through a
/// secret would leave a piece that no longer matches it. The one way text is both redacted and
/// cut ([`crate::text::truncate`] itself only cuts).
pub fn redact_then_cut(text: &str, max: usize) -> String {
    crate::text::truncate(&redact(text), max)
}

/// Replaces every registered secret in `text` with `***`.
pub fn redact(text: &str) -> Cow<'_, str> {
    registry().redact(text)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Held by tests that register secrets and read what is left to mask: the registry is global.
    pub(crate) fn serial() -> MutexGuard<'static, ()> {
        static SERIAL: Mutex<()> = Mutex::new(());
        SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[test]
    fn debug_and_display_hide_the_value() {
        let secret = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(secret.expose(), "hunter2-very-secret");
    }

    #[test]
    fn redact_replaces_registered_values_and_longest_first() {
        register("token-abc");
        register("token-abc-longer");
        assert_eq!(
            redact("a token-abc-longer and token-abc here"),
            "a *** and *** here"
        );
        assert!(matches!(redact("nothing secret"), Cow::Borrowed(_)));
    }

    #[test]
    fn escaped_forms_are_redacted_too() {
        fn markdownish(text: &str) -> String {
            text.replace('_', "\\_")
        }
        // A registry of its own: the global one is shared with every other test.
        let mut registry = Registry {
            values: vec!["escaped_secret_value".to_owned()],
            escapes: vec![markdownish],
            ..Registry::default()
        };
        registry.rebuild_known();
        assert_eq!(
            registry.redact("as is escaped_secret_value, escaped escaped\\_secret\\_value"),
            "as is ***, escaped ***"
        );
    }

    #[test]
    fn a_secret_with_runs_of_blanks_is_redacted_as_single_line_prints_it() {
        let mut registry = Registry {
            values: vec!["eyJ0  tok\ten   with-blanks".to_owned()],
            ..Registry::default()
        };
        registry.rebuild_known();
        let echoed = crate::text::single_line("the service says: eyJ0  tok\ten   with-blanks!");
        assert_eq!(registry.redact(&echoed), "the service says: ***!");
    }

    #[test]
    fn wire_spellings_are_redacted_too() {
        let mut registry = Registry {
            values: vec!["cl1ent~SECRET value/9f+e".to_owned()],
            ..Registry::default()
        };
        registry.rebuild_known();
        for spelling in [
            "cl1ent~SECRET value/9f+e",
            "cl1ent%7ESECRET+value%2F9f%2Be",
            "cl1ent%7eSECRET+value%2f9f%2be",
            "cl1ent~SECRET%20value%2F9f%2Be",
            "cl1ent~SECRET%20value%2f9f%2be",
        ] {
            assert_eq!(
                registry.redact(&format!("echo: {spelling}.")),
                "echo: ***.",
                "{spelling}"
            );
        }
    }

    #[test]
    fn escapes_apply_to_wire_spellings() {
        fn markdownish(text: &str) -> String {
            text.replace('%', "\\%")
        }
        let mut registry = Registry {
            values: vec!["tilde~secret-value".to_owned()],
            escapes: vec![markdownish],
            ..Registry::default()
        };
        registry.rebuild_known();
        assert_eq!(registry.redact("x tilde\\%7Esecret-value"), "x ***");
    }

    #[test]
    fn short_values_are_not_registered() {
        register("abc");
        assert_eq!(redact("abc"), "abc");
    }

    #[test]
    fn the_length_cut_off_counts_characters_after_trimming() {
        let _serial = serial();
        // (value registered, redacted): six characters is the cut-off.
        for (value, redacted) in [
            ("six6ch", true),
            ("fiv5c", false),
            ("  five5  ", false),
            ("  seven7  ", true),
            ("äöüßéè", true),
            ("äöüßé", false),
        ] {
            register(value);
            let trimmed = value.trim();
            let expected = if redacted {
                "<***>"
            } else {
                &*format!("<{trimmed}>")
            };
            assert_eq!(redact(&format!("<{trimmed}>")), expected, "{value:?}");
            assert_eq!(
                take_unmasked().contains(&trimmed.to_owned()),
                redacted,
                "{value:?} is masked only when redacted"
            );
        }
    }

    #[test]
    fn each_value_is_masked_once_and_others_stay_unmasked() {
        let _serial = serial();
        register("first-secret-one");
        register("second-secret-two");
        register("first-secret-one");
        let unmasked = take_unmasked();
        assert_eq!(
            unmasked
                .iter()
                .filter(|v| *v == "first-secret-one" || *v == "second-secret-two")
                .collect::<Vec<_>>(),
            ["first-secret-one", "second-secret-two"]
        );
        assert!(take_unmasked().is_empty());
        assert_eq!(redact("first-secret-one second-secret-two"), "*** ***");
    }

    #[test]
    fn expiring_secrets_are_bounded_and_masked_once_each() {
        // A registry of its own: the global one is shared with every other test.
        let mut registry = Registry {
            values: vec!["a-configured-client-secret".to_owned()],
            ..Registry::default()
        };
        let tokens: Vec<String> = (0..MAX_EXPIRING + 10)
            .map(|n| format!("eyJ0.expiring-token-{n:04}"))
            .collect();
        let mut evictions = 0;
        for token in &tokens {
            evictions += usize::from(registry.add_expiring(token));
            assert!(!registry.add_expiring(token));
        }
        assert_eq!(evictions, 10);
        // Each distinct token once; the ones already forgotten are not masked late either.
        assert_eq!(registry.unmasked, tokens[10..]);
        assert_eq!(registry.values.len(), 1 + MAX_EXPIRING);
        // The newest are redacted, the oldest forgotten; a configured secret never is.
        assert_eq!(registry.redact(&tokens[MAX_EXPIRING + 9]), "***");
        assert_eq!(registry.redact(&tokens[10]), "***");
        assert_eq!(registry.redact(&tokens[9]), tokens[9]);
        assert_eq!(registry.redact("a-configured-client-secret"), "***");
    }

    #[test]
    fn deserialized_secrets_are_registered() {
        let secret: Secret = serde_json::from_str("\"from-json-secret\"").expect("a string");
        assert_eq!(secret.expose(), "from-json-secret");
        assert_eq!(redact("x from-json-secret x"), "x *** x");
        assert!(serde_json::from_str::<Secret>("42").is_err());
    }

    #[test]
    fn the_escapes_given_are_redacted_in_the_global_registry() {
        // Every escape the reporter installs; the reporter's tests install the same ones.
        let escapes: [Escape; 6] = [
            crate::text::markdown,
            crate::report::github::escape_data,
            crate::report::github::escape_property,
            crate::report::azure::escape_data,
            crate::report::azure::escape_property,
            crate::report::result_file::json_string,
        ];
        register("glob_al%sec:ret;\"");
        redact_escaped_forms(&escapes);
        for (text, expected) in [
            ("glob\\_al%sec:ret;\"", "***"),
            ("glob_al%25sec%3Aret;\"", "***"),
            ("glob_al%AZP25sec:ret%3B\"", "***"),
            ("glob_al%sec:ret;\\\"", "***"),
            ("glob_al%sec:ret;\"", "***"),
        ] {
            assert_eq!(redact(text), expected, "{text}");
        }
    }
}
