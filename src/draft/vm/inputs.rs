//! The image inputs, from raw strings to typed values: pure, no I/O. Each error names the input
//! and what would be valid, and never quotes a source (it may be a SAS URI).

use std::fmt;

use super::source::ImageSource;

/// A bad image input: exit 2, no request sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input}: {rule}")]
pub struct InputError {
    /// The input's name as the user writes it (`image-version`).
    pub input: &'static str,
    /// What is wrong and what would be valid.
    pub rule: String,
}

impl InputError {
    fn new(input: &'static str, rule: impl Into<String>) -> Self {
        InputError {
            input,
            rule: rule.into(),
        }
    }
}

/// `X.Y.Z`, digits only, at most 32 characters: the ingestion schema's `versionNumber`
/// (`^[0-9]+\.[0-9]+\.[0-9]+$`, maxLength 32), also used for CPP so one input serves both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageVersion(String);

/// The schema's `maxLength` for `versionNumber`.
const MAX_VERSION_LEN: usize = 32;

impl ImageVersion {
    pub fn parse(raw: &str) -> Option<ImageVersion> {
        let raw = raw.trim();
        let parts: Vec<&str> = raw.split('.').collect();
        let valid = raw.len() <= MAX_VERSION_LEN
            && parts.len() == 3
            && parts
                .iter()
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
        valid.then(|| ImageVersion(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ImageVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The version text is echoed only when short and printable: it is not a secret, but it is text
/// from a variable that could hold anything.
fn echo(raw: &str) -> String {
    let raw = raw.trim();
    if raw.len() <= MAX_VERSION_LEN && raw.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        format!("'{raw}'")
    } else {
        "the value".to_owned()
    }
}

pub fn parse_image_version(raw: &str) -> Result<ImageVersion, InputError> {
    ImageVersion::parse(raw).ok_or_else(|| {
        InputError::new(
            "image-version",
            format!(
                "{} is not a version: give X.Y.Z, three numbers of digits (e.g. 1.0.0 or \
                 2026.12.6), at most {MAX_VERSION_LEN} characters",
                echo(raw)
            ),
        )
    })
}

/// An image type as the plan spells it (`x64Gen1`, `x64Gen2`, `arm64Gen2`, ...). Which ones are
/// valid depends on the plan, known only once it is read; compared case-insensitively (the
/// service itself writes `X64Gen1` in its messages).
#[derive(Debug, Clone, Eq)]
pub struct ImageType(String);

impl ImageType {
    pub fn new(name: impl Into<String>) -> ImageType {
        ImageType(name.into())
    }

    fn parse(raw: &str) -> Option<ImageType> {
        let valid =
            !raw.is_empty() && raw.len() <= 32 && raw.bytes().all(|b| b.is_ascii_alphanumeric());
        valid.then(|| ImageType(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for ImageType {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl fmt::Display for ImageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One `image-source` line: `SOURCE` or `IMAGE_TYPE=SOURCE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    /// 1-based, counting blank lines, so that an error points at the line the user wrote.
    pub line: usize,
    pub image_type: Option<ImageType>,
    pub source: ImageSource,
}

/// The `image-source` lines: at least one; either a single line without a type, or every line
/// with a type and no type twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSources(Vec<SourceLine>);

impl ImageSources {
    pub fn lines(&self) -> &[SourceLine] {
        &self.0
    }

    pub fn has_gallery(&self) -> bool {
        self.0
            .iter()
            .any(|line| matches!(line.source, ImageSource::Gallery(_)))
    }
}

/// Splits `IMAGE_TYPE=SOURCE`. A SAS URI holds `=` in its query and a gallery id starts with `/`:
/// a line is typed only when what stands before its first `=` holds neither `/` nor `:`.
fn split_line(text: &str) -> (Option<&str>, &str) {
    match text.split_once('=') {
        Some((head, source)) if !head.contains(['/', ':']) => (Some(head.trim()), source.trim()),
        _ => (None, text),
    }
}

/// Parses every line; all problems are reported together.
pub fn parse_image_sources(raw: &str) -> Result<ImageSources, InputError> {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (index, text) in raw.lines().enumerate() {
        let (line, text) = (index + 1, text.trim());
        if text.is_empty() {
            continue;
        }
        let (image_type, source) = split_line(text);
        let image_type = match image_type.map(|name| (name, ImageType::parse(name))) {
            Some((_, Some(image_type))) => Some(image_type),
            Some((name, None)) => {
                problems.push(format!(
                    "line {line}: the image type {} is not a name: write IMAGE_TYPE=SOURCE with \
                     a type the plan uses (x64Gen1, x64Gen2, arm64Gen2, ...)",
                    echo(name)
                ));
                continue;
            }
            None => None,
        };
        match ImageSource::parse(source) {
            Ok(source) => lines.push(SourceLine {
                line,
                image_type,
                source,
            }),
            Err(error) => problems.push(format!("line {line}: {error}")),
        }
    }
    problems.extend(shape_problems(&lines));
    if lines.is_empty() && problems.is_empty() {
        problems.push(
            "no source given: one line per image type, SOURCE or IMAGE_TYPE=SOURCE".to_owned(),
        );
    }
    match problems.is_empty() {
        true => Ok(ImageSources(lines)),
        false => Err(InputError::new("image-source", problems.join("; "))),
    }
}

/// Several lines must each name their type, and no type twice.
fn shape_problems(lines: &[SourceLine]) -> Vec<String> {
    let mut problems = Vec::new();
    if lines.len() > 1 {
        for untyped in lines.iter().filter(|line| line.image_type.is_none()) {
            problems.push(format!(
                "line {}: with several lines, each must name its image type (IMAGE_TYPE=SOURCE)",
                untyped.line
            ));
        }
    }
    for (at, line) in lines.iter().enumerate() {
        let Some(image_type) = &line.image_type else {
            continue;
        };
        let earlier = lines[..at]
            .iter()
            .find(|earlier| earlier.image_type.as_ref() == Some(image_type));
        if let Some(earlier) = earlier {
            problems.push(format!(
                "line {}: the image type {image_type} is already given on line {}; give one \
                 source per image type",
                line.line, earlier.line
            ));
        }
    }
    problems
}

/// `deprecate-image-versions`: versions separated by commas, blanks or lines; never the version
/// being added. Duplicates are kept once.
pub fn parse_deprecations(
    raw: &str,
    adding: &ImageVersion,
) -> Result<Vec<ImageVersion>, InputError> {
    let mut versions: Vec<ImageVersion> = Vec::new();
    let mut problems = Vec::new();
    for word in raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|word| !word.is_empty())
    {
        match ImageVersion::parse(word) {
            Some(version) if version == *adding => problems.push(format!(
                "{version} is the image-version being added; a version cannot be added and \
                 deprecated in one change"
            )),
            Some(version) if !versions.contains(&version) => versions.push(version),
            Some(_) => {}
            None => problems.push(format!(
                "{} is not a version: list X.Y.Z versions separated by commas or lines",
                echo(word)
            )),
        }
    }
    match problems.is_empty() {
        true => Ok(versions),
        false => Err(InputError::new(
            "deprecate-image-versions",
            problems.join("; "),
        )),
    }
}

/// The tenant a gallery source is shared from: `gallery-tenant-id`, or else `tenant-id`. Needed
/// only for gallery sources; the service wants the tenant's GUID there.
pub fn gallery_tenant_id(
    gallery_tenant_id: Option<&str>,
    tenant_id: Option<&str>,
    sources: &ImageSources,
) -> Result<Option<String>, InputError> {
    if !sources.has_gallery() {
        return Ok(None);
    }
    let (input, value) = match (gallery_tenant_id.map(str::trim), tenant_id.map(str::trim)) {
        (Some(given), _) if !given.is_empty() => ("gallery-tenant-id", given),
        (_, Some(tenant)) if !tenant.is_empty() => ("tenant-id", tenant),
        _ => {
            return Err(InputError::new(
                "gallery-tenant-id",
                "a gallery source needs the tenant that owns the gallery: set gallery-tenant-id \
                 (or tenant-id, its default) to that tenant's GUID",
            ));
        }
    };
    if !is_guid(value) {
        return Err(InputError::new(
            input,
            format!(
                "{} is not a tenant GUID; a gallery source needs the gallery's tenant as a GUID \
                 (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx): set gallery-tenant-id",
                echo(value)
            ),
        ));
    }
    Ok(Some(value.to_owned()))
}

fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `deprecationSchedule` of the versions deprecated, as the ingestion schema defines it
/// (`deprecation-schedule`: `reason`, `dateOffset`; `date` is read-only). Set only where given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeprecationSchedule {
    pub reason: Option<String>,
    /// An ISO 8601 duration after which the version goes (`P90D`).
    pub date_offset: Option<String>,
}

/// The schema's `reason` values.
pub const DEPRECATION_REASONS: [&str; 3] = ["criticalSecurityIssue", "endOfSupport", "other"];

/// The schedule from its two inputs (suggested names `deprecation-reason` and
/// `deprecation-date-offset`); `None` when neither is given.
pub fn parse_deprecation_schedule(
    reason: Option<&str>,
    date_offset: Option<&str>,
) -> Result<Option<DeprecationSchedule>, InputError> {
    let reason = match given(reason) {
        Some(reason) => Some(
            DEPRECATION_REASONS
                .iter()
                .find(|known| known.eq_ignore_ascii_case(reason))
                .map(|known| (*known).to_owned())
                .ok_or_else(|| {
                    InputError::new(
                        "deprecation-reason",
                        format!(
                            "{} is not a reason: give one of {}",
                            echo(reason),
                            DEPRECATION_REASONS.join(", ")
                        ),
                    )
                })?,
        ),
        None => None,
    };
    let date_offset = match given(date_offset) {
        Some(offset) if is_iso_duration(offset) => Some(offset.to_owned()),
        Some(offset) => {
            return Err(InputError::new(
                "deprecation-date-offset",
                format!(
                    "{} is not an ISO 8601 duration: give e.g. P90D (90 days) or P3M (3 months)",
                    echo(offset)
                ),
            ));
        }
        None => None,
    };
    Ok(
        (reason.is_some() || date_offset.is_some()).then_some(DeprecationSchedule {
            reason,
            date_offset,
        }),
    )
}

/// `PnYnMnWnDTnHnMnS`, each part optional but at least one, a `T` only before time parts.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

fn is_iso_duration(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let parts = |text: &str, units: &str| -> Option<usize> {
        let mut count = 0;
        let mut digits = 0;
        let mut allowed = units;
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits += 1;
                continue;
            }
            let at = allowed.find(c)?;
            if digits == 0 {
                return None;
            }
            allowed = &allowed[at + 1..];
            digits = 0;
            count += 1;
        }
        (digits == 0).then_some(count)
    };
    let date_parts = parts(date, "YMWD");
    let time_parts = time.map(|time| parts(time, "HMS"));
    match (date_parts, time_parts) {
        (Some(d), None) => d > 0,
        (Some(_), Some(Some(t))) => t > 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAS: &str = "https://acct.blob.core.windows.net/vhds/os.vhd?sv=1&sr=b&sig=SigValue%3D1";
    const GALLERY: &str = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.2.3";
    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn version(text: &str) -> ImageVersion {
        ImageVersion::parse(text).expect("a version")
    }

    #[test]
    fn versions_are_three_numbers_of_digits() {
        for good in ["1.0.0", "2026.12.06", " 0.0.1 ", "422.98.20260101"] {
            assert!(parse_image_version(good).is_ok(), "{good}");
        }
        for bad in [
            "1.0",
            "1.0.0.0",
            "v1.0.0",
            "1.0.0-rc1",
            "1..0",
            "",
            "１.0.0",
            "1.0.0 x",
        ] {
            let error = parse_image_version(bad).expect_err(bad);
            assert_eq!(error.input, "image-version");
            assert!(error.rule.contains("X.Y.Z"), "{error}");
        }
        let long = format!("1.0.{}", "9".repeat(30));
        assert!(parse_image_version(&long).is_err());
    }

    #[test]
    fn a_bad_version_is_echoed_only_when_short_and_plain() {
        let error = parse_image_version("1.0").expect_err("bad");
        assert!(error.rule.starts_with("'1.0' is not a version"), "{error}");
        let error = parse_image_version(&"x".repeat(100)).expect_err("bad");
        assert!(error.rule.starts_with("the value is not"), "{error}");
    }

    #[test]
    fn one_untyped_line_or_typed_lines() {
        let one = parse_image_sources(&format!("\n  {SAS}  \n")).expect("one line");
        assert_eq!(one.lines().len(), 1);
        assert_eq!(one.lines()[0].line, 2);
        assert_eq!(one.lines()[0].image_type, None);
        let two =
            parse_image_sources(&format!("x64Gen1={SAS}\nx64Gen2 = {GALLERY}")).expect("typed");
        let types: Vec<_> = two.lines().iter().map(|l| l.image_type.clone()).collect();
        assert_eq!(
            types,
            [
                Some(ImageType::new("x64Gen1")),
                Some(ImageType::new("X64GEN2"))
            ]
        );
        assert!(two.has_gallery());
        let gallery = parse_image_sources(GALLERY).expect("gallery alone");
        assert_eq!(gallery.lines()[0].image_type, None);
    }

    #[test]
    fn bad_lines_are_all_reported_without_their_values() {
        let raw = format!(
            "x64Gen1={SAS}\nx64gen1={SAS}\nhttp://a.blob.core.windows.net/c/b?sig=S3cretSig\n{SAS}\nbad type=/x"
        );
        let error = parse_image_sources(&raw).expect_err("bad lines");
        assert_eq!(error.input, "image-source");
        for expected in [
            "line 2: the image type x64gen1 is already given on line 1",
            "line 3: it uses http://",
            "line 4: with several lines, each must name its image type",
            "line 5: the image type 'bad type' is not a name",
        ] {
            assert!(error.rule.contains(expected), "{expected} in {error}");
        }
        assert!(!error.to_string().contains("sig="), "{error}");
    }

    #[test]
    fn no_source_at_all_is_an_error() {
        let error = parse_image_sources(" \n\n").expect_err("empty");
        assert!(error.rule.contains("no source given"), "{error}");
    }

    #[test]
    fn deprecations_never_name_the_version_added() {
        let adding = version("2.0.0");
        let listed = parse_deprecations("1.0.0, 1.1.0\n1.0.0", &adding).expect("valid");
        assert_eq!(listed, [version("1.0.0"), version("1.1.0")]);
        assert_eq!(parse_deprecations("", &adding), Ok(vec![]));
        let error = parse_deprecations("1.0.0 2.0.0 latest", &adding).expect_err("invalid");
        assert_eq!(error.input, "deprecate-image-versions");
        assert!(
            error
                .rule
                .contains("2.0.0 is the image-version being added"),
            "{error}"
        );
        assert!(error.rule.contains("'latest' is not a version"), "{error}");
    }

    #[test]
    fn the_gallery_tenant_defaults_to_the_tenant_and_must_be_a_guid() {
        let gallery = parse_image_sources(GALLERY).expect("gallery");
        let sas = parse_image_sources(SAS).expect("sas");
        assert_eq!(gallery_tenant_id(None, Some("contoso.com"), &sas), Ok(None));
        assert_eq!(
            gallery_tenant_id(None, Some(TENANT), &gallery),
            Ok(Some(TENANT.to_owned()))
        );
        let other = "00000000-0000-0000-0000-000000000001";
        assert_eq!(
            gallery_tenant_id(Some(other), Some(TENANT), &gallery),
            Ok(Some(other.to_owned()))
        );
        let error = gallery_tenant_id(None, Some("contoso.com"), &gallery).expect_err("domain");
        assert_eq!(error.input, "tenant-id");
        assert!(error.rule.contains("set gallery-tenant-id"), "{error}");
        let error = gallery_tenant_id(Some(" "), None, &gallery).expect_err("none");
        assert_eq!(error.input, "gallery-tenant-id");
    }

    #[test]
    fn a_deprecation_schedule_takes_the_schemas_reasons_and_a_duration() {
        assert_eq!(parse_deprecation_schedule(None, Some(" ")), Ok(None));
        let schedule = parse_deprecation_schedule(Some("endofsupport"), Some("P90D"))
            .expect("valid")
            .expect("given");
        assert_eq!(schedule.reason.as_deref(), Some("endOfSupport"));
        assert_eq!(schedule.date_offset.as_deref(), Some("P90D"));
        for good in ["P1Y", "P3M", "P2W", "P1DT12H", "PT36H", "P1Y2M3DT4H5M6S"] {
            assert!(is_iso_duration(good), "{good}");
        }
        for bad in [
            "P", "PT", "90D", "P1DT", "PD", "P1H", "P1D2Y", "P1.5D", "p1d",
        ] {
            assert!(!is_iso_duration(bad), "{bad}");
        }
        let error = parse_deprecation_schedule(Some("eol"), None).expect_err("unknown reason");
        assert_eq!(error.input, "deprecation-reason");
        assert!(
            error
                .rule
                .contains("criticalSecurityIssue, endOfSupport, other"),
            "{error}"
        );
        let error = parse_deprecation_schedule(None, Some("90 days")).expect_err("bad offset");
        assert_eq!(error.input, "deprecation-date-offset");
    }
}
