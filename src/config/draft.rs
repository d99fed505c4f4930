//! The image inputs (issue 21): `plan-id`, `image-version`, `image-source`, `gallery-tenant-id`,
//! `deprecate-image-versions` and its schedule, `ingestion-configure-schema`. The rules are the
//! pure core's ([`crate::draft::vm::inputs`]); this turns its errors into configuration errors
//! (exit 2, no request sent) and decides when the inputs ask for a draft change at all.

use super::check::Checker;
use super::inputs::spec;
use super::{ApiChoice, Command, ConfigError, IfRunning, RawInputs};
use crate::api::draft::DraftRequest;
use crate::draft::schema::{self, SchemaVersions};
use crate::draft::vm::{ImageRequest, cpp, inputs};

/// The inputs that ask for a draft change; any of them given makes it one.
const IMAGE_INPUTS: [&str; 3] = ["plan-id", "image-version", "image-source"];
/// Inputs that only refine a draft change.
const REFINING: [&str; 5] = [
    "gallery-tenant-id",
    "deprecate-image-versions",
    "deprecation-reason",
    "deprecation-date-offset",
    "ingestion-configure-schema",
];

/// The draft change, `Ok(None)` when the inputs ask for none. Every problem is recorded.
pub(super) fn check_draft(
    check: &mut Checker<'_>,
    raw: &RawInputs<'_>,
    command: Option<Command>,
    api: Option<ApiChoice>,
    if_running: Option<IfRunning>,
) -> Result<Option<DraftRequest>, ()> {
    let given: Vec<&str> = IMAGE_INPUTS
        .into_iter()
        .filter(|name| raw.text(name).is_some())
        .collect();
    let Some(command) = command else {
        return Err(());
    };
    if given.is_empty() && command != Command::Update {
        if let Some(name) = REFINING
            .into_iter()
            .filter(|name| spec(name).default.is_none())
            .find(|name| raw.text(name).is_some())
        {
            check.record(ConfigError::new(format!(
                "{name}: refines a draft change, and none is asked for: set plan-id, \
                 image-version and image-source too, or leave {name} out"
            )));
            return Err(());
        }
        return Ok(None);
    }
    if !matches!(command, Command::Publish | Command::Update) {
        check.record(ConfigError::new(format!(
            "{}: the image inputs change the draft, which only command: update and command: \
             publish do; command {} does not: leave them out or change the command",
            given.join(", "),
            command.name()
        )));
        return Err(());
    }
    let request = image_request(check, raw, command)?;
    if api == Some(ApiChoice::Cpp)
        && let Err(refusal) = cpp::unsupported(&request)
    {
        check.record(ConfigError::new(refusal.to_string()));
        return Err(());
    }
    let configure = raw
        .text("ingestion-configure-schema")
        .or(spec("ingestion-configure-schema").default)
        .unwrap_or(schema::DEFAULT_CONFIGURE_VERSION);
    if !schema::is_version(configure) {
        check.record(check.invalid(
            "ingestion-configure-schema",
            "must be a schema version like 2022-03-01-preview2 or 2022-07-01",
        ));
        return Err(());
    }
    Ok(Some(DraftRequest {
        image: request,
        schema: SchemaVersions {
            configure: configure.to_owned(),
        },
        wait_for_running: if_running.is_none_or(|choice| choice != IfRunning::Fail),
    }))
}

/// The image inputs, each checked by the core's rule; all problems recorded.
fn image_request(
    check: &mut Checker<'_>,
    raw: &RawInputs<'_>,
    command: Command,
) -> Result<ImageRequest, ()> {
    let why = match command {
        Command::Update => " (command update puts an image version into a plan)",
        _ => " (the image inputs go together)",
    };
    let plan_id = plan_id(check, raw, why);
    let version = match raw.text("image-version") {
        Some(version) => keep(check, inputs::parse_image_version(version)),
        None => {
            check.record(check.missing("image-version", why));
            None
        }
    };
    // Never echoed: a line may be a SAS URI (the core registers each as a secret as it reads it).
    let sources = match raw.text("image-source") {
        Some(sources) => keep(check, inputs::parse_image_sources(sources)),
        None => {
            check.record(check.missing("image-source", why));
            None
        }
    };
    let deprecate = match (raw.text("deprecate-image-versions"), &version) {
        (Some(list), Some(version)) => keep(check, inputs::parse_deprecations(list, version)),
        _ => Some(Vec::new()),
    };
    let schedule = keep(
        check,
        inputs::parse_deprecation_schedule(
            raw.text("deprecation-reason"),
            raw.text("deprecation-date-offset"),
        ),
    );
    let gallery = match &sources {
        Some(sources) => keep(
            check,
            inputs::gallery_tenant_id(
                raw.text("gallery-tenant-id"),
                raw.text("tenant-id"),
                sources,
            ),
        ),
        None => Some(None),
    };
    match (plan_id, version, sources, deprecate, schedule, gallery) {
        (
            Some(plan_id),
            Some(version),
            Some(sources),
            Some(deprecate),
            Some(schedule),
            Some(gallery_tenant_id),
        ) => Ok(ImageRequest {
            plan_id,
            version,
            sources,
            deprecate,
            deprecation_schedule: schedule,
            gallery_tenant_id,
        }),
        _ => Err(()),
    }
}

/// The plan's id as the publisher named it: any text on one line (the service compares it).
fn plan_id(check: &mut Checker<'_>, raw: &RawInputs<'_>, why: &str) -> Option<String> {
    match raw.text("plan-id") {
        Some(plan) if plan.len() <= 200 && !plan.chars().any(char::is_control) => {
            Some(plan.to_owned())
        }
        Some(_) => {
            check.record(check.invalid(
                "plan-id",
                "must be the plan's id: at most 200 characters, on one line",
            ));
            None
        }
        None => {
            check.record(check.missing("plan-id", why));
            None
        }
    }
}

/// The core's input error as a configuration error: it names the input and what is valid, and
/// quotes no source.
fn keep<T>(check: &mut Checker<'_>, result: Result<T, inputs::InputError>) -> Option<T> {
    check.keep(result.map_err(|error| ConfigError::new(error.to_string())))
}
