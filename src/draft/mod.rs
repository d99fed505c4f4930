//! Changing an offer's draft before a publish (issue 21): the pure core, no I/O. Each kind of
//! change is a module beside [`vm`] (image versions of a VM plan); Azure Application packages
//! and container (CNAB) references will be modules of their own, sharing [`document`] (read a
//! document whole, register its secrets), [`schema`] (ingestion schema URLs) and [`Change`].
//!
//! # What the wiring must do (evidence: tests/fixtures/draft-update/SOURCES.md and
//! /work/shared/reference/draft-update/README.md)
//!
//! Every document read to be changed is read with [`document::WholeDocument`] (whole, within
//! [`document::DOCUMENT_CAP`], SAS URIs registered), never with the bounded status reader, and
//! never printed: only [`vm::Refusal`], [`vm::NotVerified`] and safe names reach the output.
//!
//! ## CPP (`https://cloudpartner.azure.com`, api-version 2017-10-31)
//! 1. `GET /api/publishers/{p}/offers/{o}`: the draft offer and its `ETag` header (devigned/pub's
//!    fixture also has `Etag` in the body; the docs' PUT example `eTag`: take the header).
//! 2. [`vm::cpp::apply`]: `AlreadyPresent` -> no write; `Changed(doc)` -> step 3; `Err` -> stop.
//! 3. `PUT` the same URL with the whole document and `If-Match: <that ETag>`, never `*` (the
//!    docs' "creating an offer" page: a wrong ETag is 412; devigned/pub moved to `*`, issue 22,
//!    a lost-update risk). On 412: GET again, [`vm::cpp::apply`] again (it re-checks
//!    idempotency), PUT again; at most 3 times, then `error`.
//! 4. A PUT answered 500 `{"Variant":{..."error":"snapshot() resulted in an internal conflict!
//!    Retry is OK. ..."}}` (devigned/pub issue 28) is retried like any transient answer; since a
//!    retry may race with another writer, re-read and re-apply rather than resending blindly.
//! 5. Verify with [`vm::cpp::verify`] on the PUT answer (the offer) or a fresh GET; then publish.
//!
//! ## Product ingestion (`https://graph.microsoft.com/rp/product-ingestion`)
//! 1. Product: `GET product?externalId={offer}`; check `identity.externalId` of each item and
//!    follow `@nextLink` (cloudpub pages through `GET product` the same way; clients spell the
//!    parameter externalId, externalID, externalid).
//! 2. Plan: `GET plan?product=product/{guid}&externalId={plan}` and [`vm::ingestion::plan_id_in_list`]
//!    (which checks `identity.externalId` too).
//! 3. Technical configuration: the direct `GET virtual-machine-plan-technical-configuration/
//!    {productGuid}/{planGuid}` (the Microsoft action, Flatcar), not the resource tree. Why: the
//!    tree is the whole product draft (every plan's configuration with all its versions,
//!    listings, assets, prices), many times the one resource this change sends back, so it
//!    costs more of the byte cap and memory for nothing, and nothing else from it is written.
//!    [`vm::ingestion::technical_configuration_in_tree`] is there for a tree already read (the
//!    sandbox, a fallback when the direct GET is refused; azure-img-utils and cloudpub use it).
//! 4. No ETag in this API: `GET submission/{productGuid}`; while one is in progress (a status
//!    that is not `completed`; the draft entry has none) wait for it within the time limit, or
//!    with `if-running: fail` refuse (cloudpub checks before configuring and before
//!    publishing: "An In Progress submission already exists").
//! 5. [`vm::ingestion::apply`], then `POST configure` with [`vm::ingestion::configure_body`]:
//!    the technical-configuration resource alone, its `$schema` version as read.
//! 6. Follow `GET configure/{jobId}/status` (also spelled `jobID`) to `completed`; `failed` ends
//!    the run with its `errors[].details[]` (e.g. "Cannot delete image ... already published").
//!    A 400 "Schema ... could not be accessed" names [`schema::DEFAULT_CONFIGURE_VERSION`]'s
//!    input in its help.
//! 7. GET the technical configuration again and [`vm::ingestion::verify`]; then publish.

pub mod document;
pub mod schema;
pub mod vm;

use serde_json::Value;

/// What a draft change comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The draft already holds what was asked: nothing to write (`draft-changed=false`).
    AlreadyPresent,
    /// The whole document to send back, changed only where it had to be.
    Changed(Value),
}
