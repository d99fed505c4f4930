//! Where an image version's OS disk comes from: a SAS URI of a VHD (a secret) or an Azure Compute
//! Gallery image version (not a secret), and when two sources are the same image.

use std::fmt;

use url::Url;

use crate::draft::document::{percent_decode, register_sas_parts};
use crate::secret::Secret;

/// Why a SOURCE is not usable. The value itself is never quoted: it may hold a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error(
        "it uses http://; a SAS URI must be https:// (the signature would travel in clear text)"
    )]
    NotHttps,
    #[error(
        "it is neither an https SAS URI of a VHD (https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB?...&sig=...) \
         nor a gallery image version id (/subscriptions/S/resourceGroups/R/providers/Microsoft.Compute/galleries/G/images/I/versions/V)"
    )]
    Unrecognised,
    #[error("the SAS URI has no signature (a `sig=` parameter); generate a SAS with read access")]
    NoSignature,
    #[error("the SAS URI names no blob: the path must be /CONTAINER/BLOB")]
    NoBlob,
    #[error("the SAS URI carries a user name or password before the host; give the plain SAS URI")]
    Credentials,
    #[error(
        "it holds a blank, which neither an https SAS URI nor a gallery image version id has: \
         give one source a line (a YAML folded block, `>`, joins lines with blanks; use `|`)"
    )]
    Blank,
}

/// Where a blob lives: what identifies a VHD whatever SAS grants access to it. Safe to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobPath {
    /// The host, lower-cased (host names are case-insensitive).
    host: String,
    /// The container, percent-decoded (container names are lower-case by rule).
    container: String,
    /// The blob name, percent-decoded and case kept (blob names are case-sensitive).
    blob: String,
}

impl BlobPath {
    /// The blob path of any URI, without judging its query: used for sources read from a document.
    pub fn of(uri: &str) -> Option<BlobPath> {
        let url = Url::parse(uri).ok()?;
        let host = url.host_str()?.to_ascii_lowercase();
        let mut segments = url.path_segments()?;
        let container = percent_decode(segments.next()?);
        let blob: Vec<String> = segments.map(percent_decode).collect();
        let blob = blob.join("/");
        if container.is_empty() || blob.is_empty() {
            return None;
        }
        Some(BlobPath {
            host,
            container,
            blob,
        })
    }

    /// The storage account: the first label of `ACCOUNT.blob.core.windows.net` (and of the
    /// sovereign clouds' hosts), or the whole host for a custom domain.
    pub fn account(&self) -> &str {
        match self.host.split_once(".blob.") {
            Some((account, _)) => account,
            None => &self.host,
        }
    }

    /// `account/container/blob`: how logs and errors name a SAS source.
    pub fn safe_name(&self) -> String {
        format!("{}/{}/{}", self.account(), self.container, self.blob)
    }
}

/// A SAS URI read from the inputs. It is registered for redaction the moment it is made, in
/// every part that could be echoed on its own (the whole, its query, its signature).
#[derive(Clone, PartialEq, Eq)]
pub struct SasUri {
    uri: Secret,
    blob: BlobPath,
}

impl SasUri {
    pub fn parse(raw: &str) -> Result<SasUri, SourceError> {
        let uri = Secret::new(raw);
        register_sas_parts(raw);
        // The URL parser would percent-encode a blank and take `URI1 URI2` for one URI whose
        // signature runs into the next source.
        if raw.contains(char::is_whitespace) {
            return Err(SourceError::Blank);
        }
        let url = Url::parse(raw).map_err(|_| SourceError::Unrecognised)?;
        match url.scheme() {
            "https" => {}
            "http" => return Err(SourceError::NotHttps),
            _ => return Err(SourceError::Unrecognised),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(SourceError::Credentials);
        }
        let signed = url
            .query_pairs()
            .any(|(key, value)| key == "sig" && !value.is_empty());
        if !signed {
            return Err(SourceError::NoSignature);
        }
        let blob = BlobPath::of(raw).ok_or(SourceError::NoBlob)?;
        Ok(SasUri { uri, blob })
    }

    pub fn blob(&self) -> &BlobPath {
        &self.blob
    }

    /// The URI itself, only to be put into the document sent to the service.
    pub fn expose(&self) -> &str {
        self.uri.expose()
    }
}

impl fmt::Debug for SasUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SasUri({})", self.blob.safe_name())
    }
}

impl fmt::Display for SasUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.blob.safe_name())
    }
}

/// An Azure Compute Gallery image version, by its resource id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryImage {
    resource_id: String,
}

impl GalleryImage {
    /// `/subscriptions/S/resourceGroups/R/providers/Microsoft.Compute/galleries/G/images/I/versions/V`,
    /// the fixed words in any case (ARM ids are case-insensitive).
    pub fn parse(raw: &str) -> Option<GalleryImage> {
        let segments: Vec<&str> = raw.strip_prefix('/')?.split('/').collect();
        let fixed = [
            (0, "subscriptions"),
            (2, "resourceGroups"),
            (4, "providers"),
            (5, "Microsoft.Compute"),
            (6, "galleries"),
            (8, "images"),
            (10, "versions"),
        ];
        let shaped = segments.len() == 12
            && fixed
                .iter()
                .all(|(at, word)| segments[*at].eq_ignore_ascii_case(word))
            && [1, 3, 7, 9, 11].iter().all(|at| is_name(segments[*at]));
        shaped.then(|| GalleryImage {
            resource_id: raw.to_owned(),
        })
    }

    pub fn resource_id(&self) -> &str {
        &self.resource_id
    }

    fn same_as(&self, resource_id: &str) -> bool {
        self.resource_id.eq_ignore_ascii_case(resource_id)
    }
}

/// A name inside an ARM id: letters, digits and `-_.()`, as resource names allow.
fn is_name(segment: &str) -> bool {
    !segment.is_empty()
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')'))
}

/// One OS disk source from the inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    Sas(SasUri),
    Gallery(GalleryImage),
}

impl ImageSource {
    /// A gallery id when the value starts with `/`, otherwise a SAS URI (registered as a secret
    /// before it is judged, so that no error about it can print it).
    pub fn parse(raw: &str) -> Result<ImageSource, SourceError> {
        if raw.starts_with('/') {
            return GalleryImage::parse(raw)
                .map(ImageSource::Gallery)
                .ok_or(SourceError::Unrecognised);
        }
        SasUri::parse(raw).map(ImageSource::Sas)
    }

    /// How logs and errors name it: account/container/blob, or the gallery id.
    pub fn safe_name(&self) -> String {
        match self {
            ImageSource::Sas(sas) => sas.blob.safe_name(),
            ImageSource::Gallery(gallery) => gallery.resource_id.clone(),
        }
    }

    /// Whether a source found in a document is this image: a SAS by blob path, not signature;
    /// a gallery image by resource id, case-insensitively.
    pub fn same_as(&self, found: &FoundSource) -> bool {
        match (self, found) {
            (ImageSource::Sas(sas), FoundSource::Blob(path)) => sas.blob == *path,
            (ImageSource::Gallery(gallery), FoundSource::Gallery(id)) => gallery.same_as(id),
            _ => false,
        }
    }
}

/// A source as a document shows it, reduced to what identifies it (never its signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoundSource {
    Blob(BlobPath),
    Gallery(String),
    /// Present but not understood (not a URI with a blob path, or an unknown source type).
    Other,
}

impl FoundSource {
    /// How an error names it; service text, to be made inert by whoever prints it.
    pub fn describe(&self) -> String {
        match self {
            FoundSource::Blob(path) => path.safe_name(),
            FoundSource::Gallery(id) => id.clone(),
            FoundSource::Other => "a source this program does not recognise".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret;

    const SAS: &str = "https://acct01.blob.core.windows.net/vhds/img%2D1.vhd?sv=2022-11-02&sr=b&sig=AbC%2Bdef123xyz%3D&se=2030-01-01";

    #[test]
    fn a_sas_uri_prints_as_its_blob_path_only() {
        let sas = SasUri::parse(SAS).expect("a valid SAS");
        assert_eq!(sas.to_string(), "acct01/vhds/img-1.vhd");
        assert_eq!(format!("{sas:?}"), "SasUri(acct01/vhds/img-1.vhd)");
        let source = ImageSource::Sas(sas);
        assert!(!format!("{source:?}").contains("sig"));
        assert_eq!(source.safe_name(), "acct01/vhds/img-1.vhd");
    }

    #[test]
    fn a_sas_uri_is_redacted_whole_by_query_and_by_signature() {
        let _sas = SasUri::parse(SAS).expect("a valid SAS");
        for spelling in [
            SAS,
            "sv=2022-11-02&sr=b&sig=AbC%2Bdef123xyz%3D&se=2030-01-01",
            "AbC%2Bdef123xyz%3D",
            "AbC+def123xyz=",
            "AbC%252Bdef123xyz%253D",
        ] {
            let redacted = secret::redact(&format!("echo [{spelling}]")).into_owned();
            assert!(!redacted.contains("def123xyz"), "{spelling}: {redacted}");
        }
    }

    #[test]
    fn even_a_refused_uri_is_registered_before_it_is_judged() {
        let raw = "http://acct02.blob.core.windows.net/c/b.vhd?sig=PlainTextSig99";
        assert_eq!(SasUri::parse(raw), Err(SourceError::NotHttps));
        assert_eq!(secret::redact(raw), "***");
        assert_eq!(secret::redact("PlainTextSig99"), "***");
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        for (raw, error) in [
            (
                "https://a.blob.core.windows.net/c/b.vhd?sv=1",
                SourceError::NoSignature,
            ),
            (
                "https://a.blob.core.windows.net/c/b.vhd?sig=",
                SourceError::NoSignature,
            ),
            (
                "https://a.blob.core.windows.net/c?sig=signature1",
                SourceError::NoBlob,
            ),
            (
                "https://u:p@a.blob.core.windows.net/c/b?sig=signature1",
                SourceError::Credentials,
            ),
            (
                "ftp://a.blob.core.windows.net/c/b?sig=signature1",
                SourceError::Unrecognised,
            ),
            ("not a uri", SourceError::Blank),
            (
                "https://a.blob.core.windows.net/c/b?sig=one1 x64Gen2=https://a.blob.core.windows.net/c/d?sig=two2",
                SourceError::Blank,
            ),
            ("not-a-uri", SourceError::Unrecognised),
            (
                "/subscriptions/s/resourceGroups/r",
                SourceError::Unrecognised,
            ),
        ] {
            assert_eq!(ImageSource::parse(raw).map(|_| ()), Err(error), "{raw}");
        }
    }

    #[test]
    fn identity_is_the_blob_path_not_the_signature() {
        let a = ImageSource::parse(SAS).expect("valid");
        let renewed = "https://ACCT01.blob.core.windows.net/vhds/img-1.vhd?sv=2024&sig=another999";
        assert!(a.same_as(&FoundSource::Blob(BlobPath::of(renewed).expect("a path"))));
        let other = "https://acct01.blob.core.windows.net/vhds/IMG-1.vhd?sig=x";
        assert!(!a.same_as(&FoundSource::Blob(BlobPath::of(other).expect("a path"))));
        assert!(!a.same_as(&FoundSource::Other));
    }

    #[test]
    fn gallery_ids_parse_in_any_case_and_compare_case_insensitively() {
        let id = "/subscriptions/0000/resourceGroups/rg-1/providers/Microsoft.Compute/galleries/g_1/images/img/versions/1.0.1";
        let source = ImageSource::parse(id).expect("a gallery id");
        assert_eq!(source.safe_name(), id);
        assert!(source.same_as(&FoundSource::Gallery(id.to_uppercase())));
        let lower = id.to_lowercase();
        assert!(ImageSource::parse(&lower).is_ok());
        let short = id.replace("/versions/1.0.1", "");
        assert_eq!(ImageSource::parse(&short), Err(SourceError::Unrecognised));
        let empty = id.replace("/rg-1/", "//");
        assert_eq!(ImageSource::parse(&empty), Err(SourceError::Unrecognised));
    }

    #[test]
    fn the_account_is_the_first_host_label_of_a_blob_endpoint() {
        let path = BlobPath::of("https://acc.blob.core.usgovcloudapi.net/c/d/e.vhd").expect("path");
        assert_eq!(path.safe_name(), "acc/c/d/e.vhd");
        let custom = BlobPath::of("https://images.example.com/c/e.vhd").expect("path");
        assert_eq!(custom.safe_name(), "images.example.com/c/e.vhd");
    }
}
