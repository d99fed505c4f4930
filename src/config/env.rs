//! Reading the environment once, and merging the several names an input can arrive under.
//!
//! An input `publisher-id` is looked up, in this order, as `INPUT_PUBLISHER-ID` (what the GitHub
//! runner writes), `INPUT_PUBLISHER_ID`, `MARKETPLACE_PUBLISHER_ID` (for shells, which cannot
//! export names with hyphens) and, for credentials, the standard `AZURE_*` names, then those
//! Azure Pipelines' AzureCLI@2 task sets (`AZURESUBSCRIPTION_CLIENT_ID`, ...). Values are
//! trimmed and an empty value counts as unset, so an empty `INPUT_CLIENT-SECRET` (the runner
//! writes every declared input) falls through to `AZURE_CLIENT_SECRET`.

use std::collections::BTreeMap;

use super::inputs::{INPUTS, InputSpec};
pub use crate::environment::Environment;

/// One input's value and the variable it came from (for error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputValue {
    pub value: String,
    pub source: String,
}

/// The inputs found in the environment, keyed by input name (`publisher-id`).
#[derive(Debug, Clone, Default)]
pub struct MergedInputs {
    values: BTreeMap<&'static str, InputValue>,
    /// Inputs whose only candidate variables were not UTF-8: an error, not a silent "unset".
    pub not_utf8: Vec<(&'static str, String)>,
}

impl MergedInputs {
    pub fn get(&self, input: &str) -> Option<&InputValue> {
        self.values.get(input)
    }

    pub fn insert(&mut self, input: &'static str, value: &str, source: &str) {
        self.values.insert(
            input,
            InputValue {
                value: value.to_owned(),
                source: source.to_owned(),
            },
        );
    }

    pub fn remove(&mut self, input: &str) {
        self.values.remove(input);
    }

    /// The variable an input was read from, or the name a user would set.
    pub fn source_of(&self, spec: &InputSpec) -> String {
        self.values
            .get(spec.name)
            .map(|value| value.source.clone())
            .unwrap_or_else(|| spec.variable_names()[0].clone())
    }
}

/// `publisher-id` -> `PUBLISHER_ID`.
pub fn env_key(input: &str) -> String {
    input.to_ascii_uppercase().replace('-', "_")
}

/// Where a variable stands in the precedence: lower wins.
fn rank(variable: &str, spec: &InputSpec) -> Option<u8> {
    let normalised = variable.to_ascii_uppercase();
    let key = env_key(spec.name);
    if let Some(rest) = normalised.strip_prefix("INPUT_")
        && rest.replace('-', "_") == key
    {
        return Some(if rest.contains('-') { 0 } else { 1 });
    }
    if normalised.strip_prefix("MARKETPLACE_") == Some(key.as_str()) {
        return Some(2);
    }
    // Fallbacks in the order listed: the standard AZURE_* names before a CI system's own.
    if let Some(position) = spec.fallbacks.iter().position(|name| *name == variable) {
        return Some(3_u8.saturating_add(u8::try_from(position).unwrap_or(u8::MAX)));
    }
    None
}

/// Merges every input's candidate variables by precedence.
pub fn merge_inputs(environment: &Environment) -> MergedInputs {
    let mut merged = MergedInputs::default();
    for spec in INPUTS {
        let best = environment
            .vars()
            .filter_map(|(name, value)| {
                let value = value.trim();
                if value.is_empty() {
                    return None;
                }
                rank(name, spec).map(|rank| (rank, name, value))
            })
            // Two spellings of the same rank (`input_x` and `INPUT_X`) are the user's own
            // contradiction; the name order makes the choice stable.
            .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        if let Some((_, name, value)) = best {
            merged.insert(spec.name, value, name);
        } else if let Some(name) = environment
            .not_utf8
            .iter()
            .find(|name| rank(name, spec).is_some())
        {
            merged.not_utf8.push((spec.name, name.clone()));
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(pairs: &[(&str, &str)]) -> MergedInputs {
        merge_inputs(&Environment::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn hyphen_form_beats_underscore_form_beats_marketplace_beats_azure() {
        let inputs = merged(&[
            ("INPUT_TENANT-ID", "from-hyphen"),
            ("INPUT_TENANT_ID", "from-underscore"),
            ("MARKETPLACE_TENANT_ID", "from-marketplace"),
            ("AZURE_TENANT_ID", "from-azure"),
        ]);
        assert_eq!(
            inputs.get("tenant-id").map(|v| v.value.as_str()),
            Some("from-hyphen")
        );

        let inputs = merged(&[
            ("INPUT_TENANT_ID", "from-underscore"),
            ("MARKETPLACE_TENANT_ID", "from-marketplace"),
        ]);
        assert_eq!(
            inputs.get("tenant-id").map(|v| v.source.as_str()),
            Some("INPUT_TENANT_ID")
        );

        let inputs = merged(&[
            ("MARKETPLACE_TENANT_ID", "from-marketplace"),
            ("AZURE_TENANT_ID", "from-azure"),
        ]);
        assert_eq!(
            inputs.get("tenant-id").map(|v| v.value.as_str()),
            Some("from-marketplace")
        );

        let inputs = merged(&[("AZURE_TENANT_ID", "from-azure")]);
        assert_eq!(
            inputs.get("tenant-id").map(|v| v.value.as_str()),
            Some("from-azure")
        );
    }

    #[test]
    fn empty_and_blank_values_count_as_unset() {
        let inputs = merged(&[
            ("INPUT_CLIENT-SECRET", "   "),
            ("INPUT_CLIENT_SECRET", ""),
            ("AZURE_CLIENT_SECRET", "  from-azure \n"),
        ]);
        let value = inputs.get("client-secret").expect("fallback used");
        assert_eq!(value.value, "from-azure");
        assert_eq!(value.source, "AZURE_CLIENT_SECRET");
    }

    #[test]
    fn fallbacks_count_in_the_order_listed() {
        // `servicePrincipalId` sorts before `AZURE_CLIENT_ID` by name; the list order must win.
        let inputs = merged(&[
            ("servicePrincipalId", "from-azurecli-spn"),
            ("AZURESUBSCRIPTION_CLIENT_ID", "from-azuresubscription"),
            ("AZURE_CLIENT_ID", "from-azure"),
        ]);
        assert_eq!(
            inputs.get("client-id").map(|v| v.value.as_str()),
            Some("from-azure")
        );
        let inputs = merged(&[
            ("tenantId", "from-azurecli-spn"),
            ("AZURESUBSCRIPTION_TENANT_ID", "from-azuresubscription"),
        ]);
        assert_eq!(
            inputs.get("tenant-id").map(|v| v.source.as_str()),
            Some("AZURESUBSCRIPTION_TENANT_ID")
        );
        let inputs = merged(&[("servicePrincipalId", "from-azurecli-spn")]);
        assert_eq!(
            inputs.get("client-id").map(|v| v.source.as_str()),
            Some("servicePrincipalId")
        );
    }

    #[test]
    fn azure_fallback_only_for_credentials() {
        let inputs = merged(&[("AZURE_OFFER_ID", "x"), ("AZURE_TIMEOUT", "5m")]);
        assert!(inputs.get("offer-id").is_none());
        assert!(inputs.get("timeout").is_none());
    }

    #[test]
    fn raw_inputs_read_the_merged_values_by_input_name() {
        let inputs = merged(&[
            ("INPUT_PUBLISHER-ID", " contoso "),
            ("INPUT_OFFER_ID", "o"),
            ("AZURE_CLIENT_SECRET", "very-secret-value"),
        ]);
        let raw = crate::config::RawInputs::new(&inputs);
        assert_eq!(raw.text("publisher-id"), Some("contoso"));
        assert_eq!(raw.text("offer-id"), Some("o"));
        assert_eq!(raw.text("timeout"), None);
        assert_eq!(
            raw.secret("client-secret")
                .map(crate::secret::Secret::expose),
            Some("very-secret-value")
        );
        assert!(raw.secret("access-token").is_none());
    }

    #[test]
    fn not_utf8_input_is_reported_not_ignored() {
        use std::ffi::OsString;
        use std::os::unix::ffi::OsStringExt;
        let environment = Environment::from_os_pairs([
            (
                OsString::from("INPUT_OFFER-ID"),
                OsString::from_vec(vec![0x66, 0xff, 0x6f]),
            ),
            (OsString::from("UNRELATED"), OsString::from_vec(vec![0xff])),
        ]);
        let inputs = merge_inputs(&environment);
        assert!(inputs.get("offer-id").is_none());
        assert_eq!(
            inputs.not_utf8,
            vec![("offer-id", "INPUT_OFFER-ID".to_owned())]
        );
    }
}
