//! The shapes of the ids the service makes (product, submission, job): they go into request
//! paths and outputs, so anything but the documented shape makes an answer malformed.

use serde_json::Value;

use crate::api::model::scalar;

/// Ids are GUIDs in every documented answer; the documentation's own examples use letters past
/// `f` (`12345678-abcd-efgh-...`), so the check is on characters and length, not on hex.
const MAX_SERVICE_ID_LEN: usize = 64;

/// An id the service made (a GUID, a job id): letters, digits, `-` and `_`, starting with a
/// letter or digit, at most 64 characters. Nothing that could change a URL's path or query.
pub(super) fn is_service_id(id: &str) -> bool {
    id.len() <= MAX_SERVICE_ID_LEN
        && id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// `product/<guid>` -> `<guid>`, when it is one.
pub(super) fn product_guid(product: &str) -> Option<&str> {
    let guid = product.strip_prefix("product/")?;
    is_service_id(guid).then_some(guid)
}

/// `submission/<guid>/<number>` -> the number, when the id has that shape.
pub(super) fn submission_number(id: &str) -> Option<u64> {
    let (guid, number) = id.strip_prefix("submission/")?.split_once('/')?;
    let digits =
        !number.is_empty() && number.len() <= 20 && number.bytes().all(|b| b.is_ascii_digit());
    if !is_service_id(guid) || !digits {
        return None;
    }
    number.parse().ok()
}

pub(super) fn job_id(value: &Value) -> Option<String> {
    scalar(value.get("jobId").or_else(|| value.get("jobID"))).filter(|id| is_service_id(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const P: &str = "12345678-abcd-efgh-1234-12345678901";

    #[test]
    fn ids_from_the_service_are_checked() {
        assert!(is_service_id("d4261631-c583-4949-a612-5150882632e9"));
        assert!(is_service_id(P));
        for bad in [
            "",
            "../x",
            "a/b",
            "a?b",
            "a%2Fb",
            "-x",
            "a b",
            &"a".repeat(65),
        ] {
            assert!(!is_service_id(bad), "{bad:?}");
        }
        assert_eq!(product_guid(&format!("product/{P}")), Some(P));
        assert_eq!(product_guid("product/../configure"), None);
        assert_eq!(
            submission_number(&format!("submission/{P}/1152921515689847470")),
            Some(1_152_921_515_689_847_470)
        );
        for bad in [
            "submission/x/",
            "submission/x/1a",
            "submission/../1",
            "submission/x/99999999999999999999",
            "plan/x/1",
        ] {
            assert_eq!(submission_number(bad), None, "{bad}");
        }
        assert_eq!(job_id(&json!({"jobId": "a/../b"})), None);
    }
}
