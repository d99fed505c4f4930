//! Variables that look like ours but name no input: `MARKETPLACE_TIMOUT=2s` would otherwise be
//! ignored in silence, and the run would wait an hour. Each is warned about once, with the
//! closest input's variable when one is close; the run goes on (a warning never fails it).
//!
//! Which names are plausibly ours: every `MARKETPLACE_*` (the prefix is this program's), but an
//! `INPUT_*` only when it is close to one of our inputs, because the GitHub runner writes
//! `INPUT_*` for the inputs of whatever action runs the step (a wrapper action has its own).
//!
//! (envy's `prefixed("MARKETPLACE_")` would collect the same names, lowercased: the warning must
//! name the variable as the user spelled it, and the environment is already read once, in
//! [`Environment`]; a `strip_prefix` is all that is left to do.)

use super::env::{Environment, env_key};
use super::inputs::INPUTS;

/// The most edits that still count as a misspelling: one, or two in a name of 8 letters or more
/// (`OFER_ID` for `OFFER_ID`, `TIMOUT` for `TIMEOUT`, `POLL_INTERVALL`).
fn close_enough(name: &str, distance: usize) -> bool {
    distance <= if name.len() >= 8 { 2 } else { 1 }
}

/// The known key (`TIMEOUT`) nearest to `key` (`TIMOUT`), when it is close.
fn closest(key: &str) -> Option<String> {
    INPUTS
        .iter()
        .map(|spec| env_key(spec.name))
        .map(|known| (strsim::damerau_levenshtein(key, &known), known))
        .filter(|(distance, known)| close_enough(known, *distance))
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
        .map(|(_, known)| known)
}

fn is_known(key: &str) -> bool {
    INPUTS.iter().any(|spec| env_key(spec.name) == key)
}

/// One warning for `variable` if it looks like one of ours and names no input.
fn warning_for(variable: &str) -> Option<String> {
    let upper = variable.to_ascii_uppercase();
    let (prefix, rest, always) = if let Some(rest) = upper.strip_prefix("MARKETPLACE_") {
        ("MARKETPLACE_", rest, true)
    } else if let Some(rest) = upper.strip_prefix("INPUT_") {
        ("INPUT_", rest, false)
    } else {
        return None;
    };
    let key = rest.replace('-', "_");
    if key.is_empty() || is_known(&key) {
        return None;
    }
    // The name only, never the value: it may be a secret under a misspelled name.
    let name = crate::text::single_line(variable);
    match closest(&key) {
        Some(known) => Some(format!(
            "{name} is not an input of publish-offer and is ignored; did you mean {prefix}{known}?"
        )),
        None if always => Some(format!(
            "{name} is not an input of publish-offer and is ignored (`publish-offer --help` lists them)"
        )),
        None => None,
    }
}

/// A warning for each variable that looks like ours and names no input, in name order.
pub fn unknown_variables(environment: &Environment) -> Vec<String> {
    let mut names: Vec<&str> = environment
        .vars()
        .map(|(name, _)| name)
        .chain(environment.not_utf8.iter().map(String::as_str))
        .collect();
    names.sort_unstable();
    names.dedup();
    names.into_iter().filter_map(warning_for).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(names: &[&str]) -> Vec<String> {
        unknown_variables(&Environment::from_pairs(
            names.iter().map(|name| (*name, "value")),
        ))
    }

    #[test]
    fn misspellings_name_the_closest_input() {
        assert_eq!(
            warnings(&["MARKETPLACE_TIMOUT"]),
            vec![
                "MARKETPLACE_TIMOUT is not an input of publish-offer and is ignored; did you mean MARKETPLACE_TIMEOUT?"
            ]
        );
        assert!(
            warnings(&["MARKETPLACE_OFER_ID"])[0].ends_with("did you mean MARKETPLACE_OFFER_ID?")
        );
        assert!(
            warnings(&["INPUT_PUBLISHER-IDD"])[0].ends_with("did you mean INPUT_PUBLISHER_ID?")
        );
    }

    #[test]
    fn known_names_and_other_tools_inputs_pass_in_silence() {
        assert!(
            warnings(&[
                "MARKETPLACE_TIMEOUT",
                "marketplace_offer_id",
                "INPUT_PUBLISHER-ID",
                "INPUT_WAIT_UNTIL",
                "INPUT_VERSION",
                "INPUT_GITHUB-TOKEN",
                "AZURE_CLIENT_ID",
                "PATH",
            ])
            .is_empty()
        );
    }

    #[test]
    fn an_unknown_marketplace_name_far_from_any_is_still_told() {
        assert_eq!(
            warnings(&["MARKETPLACE_COLOUR_SCHEME"]),
            vec![
                "MARKETPLACE_COLOUR_SCHEME is not an input of publish-offer and is ignored (`publish-offer --help` lists them)"
            ]
        );
    }
}
