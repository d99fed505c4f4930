//! A document read to be changed and sent back: read whole or not at all, and its secrets
//! registered before anything could print them. Shared by every kind of draft change.
//!
//! The bounded reader of `transport::json` keeps status answers small by cutting long arrays,
//! wide objects and long strings; a document cut that way and written back would delete the
//! publisher's image versions. So a document to change is read here: whole, within
//! [`DOCUMENT_CAP`], or refused with an error that says so.
//!
//! Values survive as read: serde_json's `float_roundtrip` feature is on (without it a number
//! such as 5.139352525079511e+268 came back one digit off in the round-trip property test).
//! Key order does not: `preserve_order` is deliberately off. JSON objects are unordered (RFC
//! 8259) and neither API documents a dependence on order; the default sorted map puts `$schema`
//! first anyway (`$` sorts before letters and digits), where a service reading it as a type
//! discriminator wants it. The feature is crate-wide: it would also reorder the result file and
//! every JSON output, and pull in indexmap and foldhash. The tests compare values, so they hold
//! if it is ever turned on.

use serde_json::Value;

use crate::secret;

/// The largest document read to be changed: 16 MiB. Sized for real offers: an image version
/// entry with two SAS sources is ~1 KiB as the services indent it, a CPP core VM version with its
/// Gen2 copy ~1.5 KiB, so a publisher with daily images keeping 500 versions in each of 10 plans
/// stays near 8 MiB. Parsed, a string-heavy document takes ~2-3 times its size, so the peak stays
/// well under 100 MiB on a CI runner. The transport refuses bodies over 8 MiB today: the wiring
/// must let these reads through up to this cap (it must refuse, never cut, past it).
pub const DOCUMENT_CAP: usize = 16 * 1024 * 1024;

/// Why a document could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error(
        "the {what} is larger than the {cap_mib} MiB this program reads to change and send back \
         ({size} bytes); nothing was changed, since a document cut short and sent back would lose \
         what was cut"
    )]
    TooLarge {
        what: &'static str,
        size: u64,
        cap_mib: usize,
    },
    /// serde_json's message: a position and what was expected, never the text read.
    #[error("the {what} is not a JSON object: {detail}")]
    NotJson { what: &'static str, detail: String },
}

/// Collects a body chunk by chunk, refusing as soon as it passes the cap (so a hostile answer
/// cannot fill memory), then parses it whole.
pub struct WholeDocument {
    what: &'static str,
    cap: usize,
    body: Vec<u8>,
}

impl WholeDocument {
    /// `what` names the document in errors ("offer", "technical configuration").
    pub fn new(what: &'static str) -> Self {
        Self::with_cap(what, DOCUMENT_CAP)
    }

    pub fn with_cap(what: &'static str, cap: usize) -> Self {
        WholeDocument {
            what,
            cap,
            body: Vec::new(),
        }
    }

    fn too_large(&self, size: u64) -> DocumentError {
        DocumentError::TooLarge {
            what: self.what,
            size,
            cap_mib: self.cap / (1024 * 1024),
        }
    }

    /// Refuses up front when the answer declares a length past the cap.
    pub fn expect_length(&self, content_length: Option<u64>) -> Result<(), DocumentError> {
        match content_length {
            Some(length) if length > self.cap as u64 => Err(self.too_large(length)),
            _ => Ok(()),
        }
    }

    pub fn push(&mut self, chunk: &[u8]) -> Result<(), DocumentError> {
        let size = self.body.len() + chunk.len();
        if size > self.cap {
            return Err(self.too_large(size as u64));
        }
        self.body.extend_from_slice(chunk);
        Ok(())
    }

    /// The whole document, parsed without any cut (nesting is limited by serde_json to 128), its
    /// SAS URIs registered for redaction.
    pub fn finish(self) -> Result<Value, DocumentError> {
        read_whole(self.what, &self.body, self.cap)
    }
}

/// Parses a body already in memory, whole, refusing past `cap`. The top level must be an object.
pub fn read_whole(what: &'static str, body: &[u8], cap: usize) -> Result<Value, DocumentError> {
    if body.len() > cap {
        return Err(DocumentError::TooLarge {
            what,
            size: body.len() as u64,
            cap_mib: cap / (1024 * 1024),
        });
    }
    if let Some(digits) = integer_past_64_bits(body) {
        return Err(DocumentError::NotJson {
            what,
            detail: format!(
                "it holds an integer of {digits} digits, past the 64 bits this program can send \
                 back unchanged (it would be rounded); nothing was changed"
            ),
        });
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| DocumentError::NotJson {
        what,
        detail: error.to_string(),
    })?;
    if !value.is_object() {
        return Err(DocumentError::NotJson {
            what,
            detail: "the top level is not an object".to_owned(),
        });
    }
    register_document_sas(&value);
    Ok(value)
}

/// The length of the first integer literal (outside strings) that fits neither `i64` nor `u64`.
/// serde_json (without `arbitrary_precision`, a crate-wide change of every number's form) reads
/// such an integer as the nearest `f64` and writes it back rounded, as a float: a field the
/// service holds would be changed by a change that never meant to touch it, so the document is
/// refused instead. Fractions and exponents are read as `f64` by the service's own schema
/// (`float_roundtrip` keeps them exact), so only integers are judged here.
fn integer_past_64_bits(body: &[u8]) -> Option<usize> {
    let mut at = 0;
    let mut in_string = false;
    while at < body.len() {
        let byte = body[at];
        if in_string {
            match byte {
                b'\\' => at += 1,
                b'"' => in_string = false,
                _ => {}
            }
            at += 1;
            continue;
        }
        if byte == b'"' {
            in_string = true;
        } else if byte == b'-' || byte.is_ascii_digit() {
            let start = at;
            while at < body.len()
                && matches!(body[at], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
            {
                at += 1;
            }
            let token = std::str::from_utf8(&body[start..at]).unwrap_or_default();
            let integer = !token.contains(['.', 'e', 'E']);
            if integer && token.parse::<i64>().is_err() && token.parse::<u64>().is_err() {
                return Some(token.trim_start_matches('-').len());
            }
            continue;
        }
        at += 1;
    }
    None
}

/// Registers the query and the signature of a URI on their own: a service message may echo
/// either without the rest (the registry adds the encoded spellings of each).
pub(crate) fn register_sas_parts(raw: &str) {
    let parts = sas_parts(raw);
    secret::register_many(parts.iter().map(String::as_str));
}

/// The query of a URI and its signature (as written and decoded).
fn sas_parts(raw: &str) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some((_, query)) = raw.split_once('?') {
        let query = query.split('#').next().unwrap_or(query);
        parts.push(query.to_owned());
        for pair in query.split('&') {
            if let Some((key, signature)) = pair.split_once('=')
                && key.eq_ignore_ascii_case("sig")
            {
                parts.push(signature.to_owned());
                parts.push(percent_decode(signature));
            }
        }
    }
    parts
}

/// Registers every SAS URI anywhere in a document read from the service (the SAS sources of
/// earlier image versions, CPP logo URLs): the document is never printed, and this makes sure a
/// service message quoting one of them is redacted too.
///
/// Only the signatures (as written and decoded) are registered, for redaction only: the
/// signature is what grants access, every spelling of the URI or its query holds it, and a
/// publisher with daily images has thousands of these URIs, each of which would otherwise cost
/// its spellings in every escape in memory and on every line written (see BENCHMARKS.md). The
/// user's own `image-source` is registered whole and masked ([`register_sas_parts`]).
///
/// The lead destinations of a CPP offer (`...tableLeadConfiguration`, `blobLeadConfiguration`,
/// `marketoLeadConfiguration` with its `clientSecret`, `httpsEndpointLeadConfiguration`, ...)
/// hold storage connection strings, CRM credentials and endpoint URLs: every string in them is
/// registered too, with its query and each `KEY=VALUE` part of a connection string on its own,
/// since a service message may quote any of them (see [`collect_lead`]).
pub fn register_document_sas(document: &Value) {
    let mut found = Vec::new();
    collect_sas(document, &mut found);
    secret::register_for_redaction(found.iter().map(String::as_str));
}

fn collect_sas(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) if text.contains("sig=") && text.contains("://") => {
            found.extend(sas_parts(text).into_iter().skip(1));
        }
        Value::Array(items) => items.iter().for_each(|item| collect_sas(item, found)),
        Value::Object(members) => members.iter().for_each(|(key, member)| {
            if key.to_ascii_lowercase().contains("leadconfiguration") {
                collect_lead(member, found);
            }
            collect_sas(member, found);
        }),
        _ => {}
    }
}

/// Every string in a lead destination: whole, its URI query, and the values of a connection
/// string's `;`-separated `KEY=VALUE` parts (an `AccountKey` is quoted on its own). Short values
/// (`None`, `true`) are below the registry's minimum length and stay readable.
fn collect_lead(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            found.push(text.clone());
            found.extend(sas_parts(text).into_iter().take(1));
            let parts = text.split(';').filter_map(|part| part.split_once('='));
            let secret_parts = parts.filter(|(key, _)| is_credential_name(key));
            found.extend(secret_parts.map(|(_, value)| value.to_owned()));
        }
        Value::Array(items) => items.iter().for_each(|item| collect_lead(item, found)),
        Value::Object(members) => members
            .values()
            .for_each(|member| collect_lead(member, found)),
        _ => {}
    }
}

/// A connection string part that grants access (`AccountKey`, `SharedAccessKey`,
/// `SharedAccessSignature`, `Password`, ...), not one that only says where (`EndpointSuffix`,
/// whose `core.windows.net` would otherwise be redacted from every blob host printed).
fn is_credential_name(key: &str) -> bool {
    let key = key.trim().to_ascii_lowercase();
    [
        "key",
        "secret",
        "password",
        "signature",
        "token",
        "sig",
        "code",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// `%XX` sequences decoded; anything malformed kept as written.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                at += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_past_the_cap_is_refused_not_cut() {
        let body = br#"{"a": "0123456789"}"#;
        assert!(read_whole("offer", body, body.len()).is_ok());
        let error = read_whole("offer", body, body.len() - 1).expect_err("too large");
        assert!(
            matches!(error, DocumentError::TooLarge { size: 19, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("nothing was changed"), "{error}");
    }

    #[test]
    fn chunks_are_refused_as_soon_as_they_pass_the_cap() {
        let mut reader = WholeDocument::with_cap("offer", 2 * 1024 * 1024);
        assert!(reader.expect_length(Some(2 * 1024 * 1024)).is_ok());
        let error = reader
            .expect_length(Some(2 * 1024 * 1024 + 1))
            .expect_err("declared");
        assert!(
            error.to_string().contains("larger than the 2 MiB"),
            "{error}"
        );
        reader.push(&[b' '; 1024 * 1024]).expect("within");
        reader.push(b"{\"k\":[1,2]}").expect("within");
        assert!(reader.push(&[b' '; 1024 * 1024]).is_err());
    }

    #[test]
    fn a_large_real_sized_document_is_read_whole() {
        // 5000 versions: every one must come back, where the bounded reader keeps 1000 items.
        let versions: Vec<Value> = (0..5000)
            .map(|n| serde_json::json!({"versionNumber": format!("1.0.{n}")}))
            .collect();
        let document = serde_json::json!({"vmImageVersions": versions});
        let body = serde_json::to_vec(&document).expect("serialises");
        let mut reader = WholeDocument::new("technical configuration");
        reader.push(&body).expect("within the cap");
        assert_eq!(reader.finish().expect("parses"), document);
    }

    #[test]
    fn an_integer_past_64_bits_is_refused_rather_than_sent_back_rounded() {
        let big = br#"{"a": "12345678901234567890123 in a string is text", "n": [1, -2, 18446744073709551615, -9223372036854775808, 0.5, 1e300, 123456789012345678901234567890]}"#;
        let error = read_whole("offer", big, DOCUMENT_CAP).expect_err("would be rounded");
        assert!(error.to_string().contains("30 digits"), "{error}");
        assert!(error.to_string().contains("nothing was changed"), "{error}");
        for too_big in [
            &b"{\"n\": 18446744073709551616}"[..],
            b"{\"n\": -9223372036854775809}",
        ] {
            assert!(read_whole("offer", too_big, DOCUMENT_CAP).is_err());
        }
        let fine = br#"{"s": "a \" 99999999999999999999999 \\", "n": [18446744073709551615, -9223372036854775808, 0.1, -1.5e-7]}"#;
        let value = read_whole("offer", fine, DOCUMENT_CAP).expect("every number fits");
        assert_eq!(value["n"][0], serde_json::json!(18446744073709551615u64));
    }

    #[test]
    fn not_json_or_not_an_object_is_refused_without_quoting_it() {
        let error = read_whole("offer", b"{\"secret-ish\": ", DOCUMENT_CAP).expect_err("cut");
        assert!(!error.to_string().contains("secret-ish"), "{error}");
        assert!(read_whole("offer", b"[1]", DOCUMENT_CAP).is_err());
    }

    #[test]
    fn lead_destination_credentials_are_registered_when_the_offer_is_read() {
        let body = br#"{"definition": {"offer": {
            "x.tableLeadConfiguration": {"connection": "DefaultEndpointsProtocol=https;AccountName=leadacct;AccountKey=UnitLeadKey123==;EndpointSuffix=core.windows.net"},
            "x.marketoLeadConfiguration": {"clientSecret": "UnitMarketoSecret9"}}}}"#;
        read_whole("offer", body, DOCUMENT_CAP).expect("reads");
        assert_eq!(secret::redact("<UnitLeadKey123==>"), "<***>");
        assert_eq!(secret::redact("<UnitMarketoSecret9>"), "<***>");
        // Where a storage account is, is not a secret: hosts stay readable.
        assert_eq!(
            secret::redact("acct.blob.core.windows.net"),
            "acct.blob.core.windows.net"
        );
    }

    #[test]
    fn sas_uris_in_a_document_are_registered_when_it_is_read() {
        let body = br#"{"a": [{"logo": "https://x.blob.core.windows.net/c/l.png?sv=1&sig=DocumentSig42%2B"}]}"#;
        read_whole("offer", body, DOCUMENT_CAP).expect("reads");
        assert_eq!(secret::redact("<DocumentSig42%2B>"), "<***>");
        assert_eq!(secret::redact("<DocumentSig42+>"), "<***>");
        assert_eq!(
            secret::redact("<sv=1&sig=DocumentSig42%2B>"),
            "<sv=1&sig=***>"
        );
    }
}
