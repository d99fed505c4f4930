//! Product ingestion schema URLs: `https://schema.mp.microsoft.com/schema/<type>/<version>`.
//!
//! Real clients broke twice here: the old host `product-ingestion.azureedge.net` now answers 400
//! "Schema https://product-ingestion.azureedge.net/schema/configure/2022-03-01-preview2 could
//! not be accessed" (partnercenter-cli-extension issue 235), and schema versions get retired
//! (cloudpub pins `submission` to preview2 because preview7 made `sources` required). So the host
//! is always the current one, a resource read from the service keeps the schema version it was
//! read with, and the versions this program chooses are settings with documented defaults.

use serde_json::Value;

/// The current schema host.
pub const HOST: &str = "schema.mp.microsoft.com";
/// The host the service used to hand out, now refused when sent.
const RETIRED_HOST: &str = "product-ingestion.azureedge.net";

/// The `configure` schema version used unless set: the one the existing publish call sends
/// (`api::ingestion::VERSION`), and the one most real clients send (the Microsoft action,
/// azure-img-utils, Flatcar; cloudpub sends 2022-07-01). The wiring should make it an input
/// (suggested: `ingestion-configure-schema`) and name that input when the service answers that a
/// schema "could not be accessed".
pub const DEFAULT_CONFIGURE_VERSION: &str = "2022-03-01-preview2";

/// The schema versions this program chooses (the technical configuration's is taken as read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaVersions {
    pub configure: String,
}

impl Default for SchemaVersions {
    fn default() -> Self {
        SchemaVersions {
            configure: DEFAULT_CONFIGURE_VERSION.to_owned(),
        }
    }
}

impl SchemaVersions {
    pub fn configure_url(&self) -> String {
        format!("https://{HOST}/schema/configure/{}", self.configure)
    }
}

/// Whether a schema version is of the form the service uses (`2022-03-01`, `2022-03-01-preview5`),
/// for validating a version input.
pub fn is_version(version: &str) -> bool {
    let (date, tail) = version.split_at(version.len().min(10));
    let date_ok = date.len() == 10
        && date.bytes().enumerate().all(|(at, b)| match at {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    let tail_ok = tail.is_empty()
        || tail
            .strip_prefix("-preview")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    date_ok && tail_ok
}

/// The type in a schema URL of either host: `virtual-machine-plan-technical-configuration` from
/// `https://<host>/schema/virtual-machine-plan-technical-configuration/2022-03-01-preview5`.
pub fn type_name(url: &str) -> Option<&str> {
    let path = url.split_once("/schema/")?.1;
    let (name, _version) = path.split_once('/')?;
    Some(name)
}

/// Moves a resource's `$schema` off the retired host, keeping its type and version: sending the
/// old host back is refused by the service.
pub fn current_host(resource: &mut Value) {
    let Some(Value::String(url)) = resource.get_mut("$schema") else {
        return;
    };
    let retired = format!("https://{RETIRED_HOST}/");
    if let Some(rest) = url.strip_prefix(&retired) {
        *url = format!("https://{HOST}/{rest}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_configure_url_uses_the_current_host_and_the_version_set() {
        assert_eq!(
            SchemaVersions::default().configure_url(),
            "https://schema.mp.microsoft.com/schema/configure/2022-03-01-preview2"
        );
        let chosen = SchemaVersions {
            configure: "2022-07-01".to_owned(),
        };
        assert_eq!(
            chosen.configure_url(),
            "https://schema.mp.microsoft.com/schema/configure/2022-07-01"
        );
    }

    #[test]
    fn schema_versions_are_dates_with_an_optional_preview() {
        for good in ["2022-07-01", "2022-03-01-preview2", "2022-03-01-preview12"] {
            assert!(is_version(good), "{good}");
        }
        for bad in [
            "2022-7-01",
            "2022-03-01-preview",
            "2022-03-01-dev",
            "latest",
            "",
            "2022-03-01/x",
        ] {
            assert!(!is_version(bad), "{bad}");
        }
    }

    #[test]
    fn the_retired_host_is_replaced_and_the_version_kept() {
        let mut resource = json!({"$schema": "https://product-ingestion.azureedge.net/schema/virtual-machine-plan-technical-configuration/2022-03-01-preview3"});
        current_host(&mut resource);
        assert_eq!(
            resource["$schema"],
            "https://schema.mp.microsoft.com/schema/virtual-machine-plan-technical-configuration/2022-03-01-preview3"
        );
        let mut current =
            json!({"$schema": "https://schema.mp.microsoft.com/schema/plan/2022-03-01-preview5"});
        let before = current.clone();
        current_host(&mut current);
        assert_eq!(current, before);
        assert_eq!(
            type_name("https://schema.mp.microsoft.com/schema/plan/2022-03-01-preview5"),
            Some("plan")
        );
    }
}
