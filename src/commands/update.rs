//! The draft change asked by the image inputs (issue 21): `command: update` makes it and stops;
//! `command: publish` makes it first and publishes only once the read-back shows it. A refused
//! or failed change ends the run: nothing is ever published after one.

use super::context::Context;
use super::start::failure_status;
use crate::api::draft::{DraftError, DraftOutcome, DraftRequest};
use crate::draft::vm::Refusal;
use crate::outcome::{DraftReport, Outcome, Problem, Status};

/// The title of the problem a failed change reports.
const TITLE: &str = "update the draft";

/// `command: update`: the change alone; `succeeded` whether it wrote or found the draft up to
/// date (`draft-changed` says which).
pub async fn update(context: &mut Context<'_>) -> Outcome {
    match change_draft(context).await {
        Ok(()) => context.outcome(Status::Succeeded),
        Err(outcome) => *outcome,
    }
}

/// Makes the draft change, when the inputs ask for one. `Err` is the outcome of the run: the
/// change was refused or failed, and nothing may follow it.
pub(super) async fn change_draft(context: &mut Context<'_>) -> Result<(), Box<Outcome>> {
    let Some(request) = context.settings.draft.as_ref() else {
        return Ok(());
    };
    context.reporter.line(&describe(context, request));
    let deadline = context.call_deadline();
    let result = context.backend.change_draft(request, deadline).await;
    let image_version = request.image.version.to_string();
    let changed = matches!(result, Ok(DraftOutcome::Changed));
    context.record.drafted(DraftReport {
        image_version: image_version.clone(),
        changed,
    });
    let plan = &request.image.plan_id;
    match result {
        Ok(DraftOutcome::Unchanged) => {
            context.reporter.line(&format!(
                "publish-offer: image version {image_version} is already in plan '{plan}' with \
                 these sources: nothing to write (draft-changed=false)"
            ));
            Ok(())
        }
        Ok(DraftOutcome::Changed) => {
            context.reporter.line(&format!(
                "publish-offer: image version {image_version} is in plan '{plan}' of the draft, \
                 read back and checked (draft-changed=true)"
            ));
            Ok(())
        }
        Err(error) => Err(Box::new(failed(context, &error))),
    }
}

/// `putting image version 1.2.3 into plan 'p' (x64Gen2: acct/vhds/os.vhd)`: sources by their safe
/// names only (a SAS URI by account/container/blob).
fn describe(context: &Context<'_>, request: &DraftRequest) -> String {
    let sources: Vec<String> = request
        .image
        .sources
        .lines()
        .iter()
        .map(|line| match &line.image_type {
            Some(image_type) => format!("{image_type}: {}", line.source.safe_name()),
            None => line.source.safe_name(),
        })
        .collect();
    format!(
        "publish-offer: putting image version {} into plan '{}' of offer {} through the {} API \
         ({})",
        request.image.version,
        request.image.plan_id,
        context.reporter.subject(),
        context.backend.api_name(),
        sources.join(", ")
    )
}

/// The outcome of a change that did not happen: `rejected` for a change the draft cannot take,
/// `invalid-input` (exit 2) for inputs this plan or API cannot take, `error` for a read-back that
/// does not show the change or a document of an unexpected shape; a failed call as any other.
fn failed(context: &Context<'_>, error: &DraftError) -> Outcome {
    match error {
        DraftError::Refused(refusal) if refusal.is_bad_input() => {
            Outcome::invalid_input(Problem::invalid_input(refusal.to_string(), None))
        }
        DraftError::Refused(refusal) => {
            let status = match refusal {
                Refusal::Shape(_) => Status::Error,
                _ => Status::Rejected,
            };
            Outcome {
                problem: Some(problem(refusal.to_string())),
                ..context.outcome(status)
            }
        }
        DraftError::NotVerified(not_verified) => Outcome {
            problem: Some(problem(not_verified.to_string())),
            ..context.outcome(Status::Error)
        },
        // The job's messages (nested `details[]`) are reported as a failed operation's are.
        DraftError::JobFailed(state) => Outcome {
            problem: Some(problem(format!(
                "the configure job that changes the draft ended {}: the service's messages \
                 say why",
                crate::text::single_line(&state.status_text)
            ))),
            state: Some(state.as_ref().clone()),
            ..context.outcome(Status::Failed)
        },
        DraftError::Api(error) => Outcome {
            problem: Some(Problem {
                help: error.help().or_else(|| Some(NOTHING_PUBLISHED.to_owned())),
                ..Problem::from(error)
            }),
            ..context.outcome(failure_status(error))
        },
    }
}

const NOTHING_PUBLISHED: &str = "the draft was not changed as asked, so nothing was published";

fn problem(message: String) -> Problem {
    Problem {
        title: TITLE.to_owned(),
        message,
        help: Some(NOTHING_PUBLISHED.to_owned()),
    }
}
