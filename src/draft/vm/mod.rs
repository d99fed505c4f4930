//! Putting a VM image version into a plan: the inputs ([`inputs`]), the sources ([`source`]),
//! and the change on each API's document ([`cpp`], [`ingestion`]). Both APIs share the rules in
//! this file: which input source goes to which image type of the plan, and when a version
//! already in the plan is the same image.

pub mod cpp;
pub mod ingestion;
pub mod inputs;
pub mod source;

#[cfg(test)]
mod fixture_tests;

use inputs::{ImageSources, ImageType, ImageVersion};
use source::{FoundSource, ImageSource};

/// Everything the change needs, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRequest {
    /// CPP `planId`; ingestion: the plan's `identity.externalId`.
    pub plan_id: String,
    pub version: ImageVersion,
    pub sources: ImageSources,
    /// Earlier versions to deprecate in the same change (ingestion only).
    pub deprecate: Vec<ImageVersion>,
    /// What the ingestion schema's `deprecationSchedule` says for them, where given.
    pub deprecation_schedule: Option<inputs::DeprecationSchedule>,
    /// For gallery sources: from `gallery-tenant-id`, defaulting to `tenant-id`.
    pub gallery_tenant_id: Option<String>,
}

/// Why the draft is not changed. The texts name plans, versions, image types and sources by
/// safe names only (account/container/blob, gallery id); plan and type names read from the
/// document are service text, to be made inert by whoever prints them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "the offer has no plan '{plan}' (plan-id must be the plan's id as the publisher named it)"
    )]
    PlanNotFound { plan: String },
    #[error(
        "image-source line {line}: plan '{plan}' has no image type {given}; it uses {}",
        .plan_uses.join(", ")
    )]
    UnknownImageType {
        plan: String,
        line: usize,
        given: String,
        plan_uses: Vec<String>,
    },
    #[error(
        "image-source: plan '{plan}' uses several image types ({}): write each line as \
         IMAGE_TYPE=SOURCE",
        .plan_uses.join(", ")
    )]
    ImageTypeRequired {
        plan: String,
        plan_uses: Vec<String>,
    },
    #[error(
        "image version {version} is already in plan '{plan}' with a different {image_type} \
         source: the draft has {draft}, the input gives {input}. A version is never changed once \
         written; give a new image-version"
    )]
    Conflict {
        version: String,
        plan: String,
        image_type: String,
        draft: String,
        input: String,
    },
    #[error(
        "image version {version} is in plan '{plan}' as {state}; it is not put back: give a new \
         image-version"
    )]
    Retired {
        version: String,
        plan: String,
        state: String,
    },
    #[error("deprecate-image-versions: plan '{plan}' has no image version {version} to deprecate")]
    NothingToDeprecate { plan: String, version: String },
    #[error("{0}")]
    NotSupported(&'static str),
    #[error("the document does not look as expected: {0}; nothing was changed")]
    Shape(String),
}

impl Refusal {
    /// Bad input (exit 2): the inputs ask for something this plan or API cannot take. The other
    /// refusals are `rejected` (exit 1) or, for a document of an unexpected shape, `error`.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Refusal::UnknownImageType { .. }
                | Refusal::ImageTypeRequired { .. }
                | Refusal::NothingToDeprecate { .. }
                | Refusal::NotSupported(_)
        )
    }
}

/// Each input source with the image type the plan spells it as, in the plan's order.
pub fn assign<'r>(
    sources: &'r ImageSources,
    plan: &str,
    plan_types: &[ImageType],
) -> Result<Vec<(ImageType, &'r ImageSource)>, Refusal> {
    let plan_uses = || plan_types.iter().map(ToString::to_string).collect();
    let mut assigned = Vec::new();
    for line in sources.lines() {
        let image_type = match &line.image_type {
            Some(given) => plan_types
                .iter()
                .find(|used| *used == given)
                .ok_or_else(|| Refusal::UnknownImageType {
                    plan: plan.to_owned(),
                    line: line.line,
                    given: given.to_string(),
                    plan_uses: plan_uses(),
                })?,
            None => match plan_types {
                [only] => only,
                _ => {
                    return Err(Refusal::ImageTypeRequired {
                        plan: plan.to_owned(),
                        plan_uses: plan_uses(),
                    });
                }
            },
        };
        assigned.push((image_type.clone(), &line.source));
    }
    assigned.sort_by_key(|(image_type, _)| plan_types.iter().position(|t| t == image_type));
    Ok(assigned)
}

/// Whether a version already in the plan is the image asked for: every requested type must be
/// there with the same source (types the inputs leave out are not judged).
pub fn compare_existing(
    request: &ImageRequest,
    assigned: &[(ImageType, &ImageSource)],
    found: &[(ImageType, FoundSource)],
) -> Result<(), Refusal> {
    for (image_type, source) in assigned {
        let draft = found.iter().find(|(t, _)| t == image_type).map(|(_, s)| s);
        if draft.is_some_and(|draft| source.same_as(draft)) {
            continue;
        }
        return Err(Refusal::Conflict {
            version: request.version.to_string(),
            plan: request.plan_id.clone(),
            image_type: image_type.to_string(),
            draft: draft.map_or_else(|| "no image of this type".to_owned(), FoundSource::describe),
            input: source.safe_name(),
        });
    }
    Ok(())
}

/// Why a read-back does not show the change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the draft read back after the change does not show image version {version} in plan \
     '{plan}' with the {image_type} source {input}; nothing is published"
)]
pub struct NotVerified {
    pub version: String,
    pub plan: String,
    pub image_type: String,
    pub input: String,
}

/// The read-back verdict shared by both APIs: `found` is what the plan shows for the version.
fn verify_found(
    request: &ImageRequest,
    assigned: &[(ImageType, &ImageSource)],
    found: &[(ImageType, FoundSource)],
) -> Result<(), NotVerified> {
    compare_existing(request, assigned, found).map_err(|_| {
        let missing = assigned
            .iter()
            .find(|(t, s)| !found.iter().any(|(ft, fs)| ft == t && s.same_as(fs)));
        let (image_type, input) = missing.map_or_else(
            || (String::new(), String::new()),
            |(t, s)| (t.to_string(), s.safe_name()),
        );
        NotVerified {
            version: request.version.to_string(),
            plan: request.plan_id.clone(),
            image_type,
            input,
        }
    })
}
