//! The ingestion API's lists (`GET product?externalId=`, `GET submission/{product}`) and the one
//! product they name.
//!
//! A list answer is one page: `value`, and `@nextLink` naming the next page when there is one.
//! Red Hat's cloudpub follows `@nextLink` through `GET product` (cloudpub/ms_azure/service.py,
//! `AzureService.products`), keeping only its query on the same base; here a page is followed on
//! the API's origin only (the token goes nowhere else), at most [`MAX_PAGES`] of them, and each
//! page is read and checked as the first one is.
//!
//! Which product is the offer: the answer to `?externalId=` is a list, and nothing promises it
//! holds only that offer's product. cloudpub picks the product whose `identity.externalId`
//! (its `Identity.name`, alias `externalId`, cloudpub/models/ms_azure.py) equals the offer's name
//! with Python's `==`: exact, case-sensitive string equality. Partner Center offer ids are
//! lowercase letters, digits, `-` and `_` ("Offer ID" on the create-offer pages), so exact
//! equality is also what the service's own uniqueness rule compares. No other product is used.

use serde_json::Value;
use url::Url;

use super::ids::product_guid;
use crate::api::error::ApiError;
use crate::api::model::ParseError;

/// Pages followed in one list: far more than a publisher's products or one product's
/// submissions fill, and a bound on a service that sends `@nextLink` for ever.
pub(super) const MAX_PAGES: usize = 20;
/// External ids of other products named in a "not found" error.
const MAX_SEEN_NAMED: usize = 10;
/// How much of a service-made external id is quoted.
const MAX_QUOTED_CHARS: usize = 64;

/// The `@nextLink` of a page, `None` on the last one. Anything but a string (or null) makes the
/// page malformed.
pub(super) fn next_link(value: &Value) -> Result<Option<String>, ParseError> {
    match value.get("@nextLink") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(link)) if link.trim().is_empty() => Ok(None),
        Some(Value::String(link)) => Ok(Some(link.trim().to_owned())),
        Some(_) => Err(ParseError("\"@nextLink\" is not a string".to_owned())),
    }
}

/// The next page's URL: `link` resolved against the page it came from. It must be on `base`'s
/// origin, and not one already read (a loop would only spend the page budget).
pub(super) fn next_page(
    call: &'static str,
    page: &Url,
    base: &Url,
    link: &str,
    read: &[Url],
) -> Result<Url, ApiError> {
    let quoted = || crate::secret::redact_then_cut(&crate::text::single_line(link), 300);
    let mut url = page.join(link).map_err(|_| ApiError::UnexpectedBody {
        call,
        status: 200,
        detail: format!("\"@nextLink\" is not a URL: {:?}", quoted()),
    })?;
    url.set_fragment(None);
    if url.origin() != base.origin() || !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::OffOrigin {
            call,
            url: quoted(),
            allowed: base.origin().ascii_serialization(),
        });
    }
    // The API answers nothing without `$version`; a link that leaves it out gets the one in use.
    if !url.query_pairs().any(|(name, _)| name == "$version") {
        url.query_pairs_mut()
            .append_pair("$version", super::VERSION);
    }
    if read.contains(&url) {
        return Err(ApiError::UnexpectedBody {
            call,
            status: 200,
            detail: format!("\"@nextLink\" names a page already read: {:?}", quoted()),
        });
    }
    Ok(url)
}

/// The items of one page (`value`), all of them. The JSON reader keeps the first
/// [`crate::transport::json::MAX_ITEMS`] of an array and counts the rest: a page it cut is not
/// read as if it were whole, since the item that matters (the offer's product, the newest
/// submission) may be among those dropped, and "not found" would then be a guess.
pub(super) fn page_items<'v>(value: &'v Value, what: &str) -> Result<&'v [Value], ParseError> {
    let items = value
        .get("value")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError(format!("no \"value\" list of {what}")))?;
    match crate::transport::json::take_more(items) {
        (kept, 0) => Ok(kept),
        (kept, more) => Err(ParseError(format!(
            "the page lists more than {} {what} ({more} more), more than can be read whole",
            kept.len()
        ))),
    }
}

/// The error when a list goes on past [`MAX_PAGES`].
pub(super) fn too_many_pages(call: &'static str) -> ApiError {
    ApiError::UnexpectedBody {
        call,
        status: 200,
        detail: format!(
            "the list goes on past {MAX_PAGES} pages (\"@nextLink\"); not followed further"
        ),
    }
}

/// What the pages of `GET product?externalId=` hold for one offer.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct ProductSearch {
    /// The ids (`product/<guid>`) of the products whose external id is the offer's.
    pub matches: Vec<String>,
    /// The external ids of the other products, the first few, made safe to quote.
    pub seen: Vec<String>,
    /// How many other products there were.
    pub others: usize,
}

impl ProductSearch {
    /// Adds one page's products. A product with the offer's external id must have an id of the
    /// documented shape; the others are only counted and named.
    pub fn read_page(&mut self, value: &Value, offer: &str) -> Result<(), ParseError> {
        for item in page_items(value, "products")? {
            let external = item
                .get("identity")
                .and_then(|identity| identity.get("externalId"))
                .and_then(Value::as_str);
            if external == Some(offer) {
                let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
                // The id goes into request paths: a GUID after `product/`, nothing else.
                if product_guid(id).is_none() {
                    return Err(ParseError(format!(
                        "unexpected product id {:?}",
                        crate::secret::redact_then_cut(id, 100)
                    )));
                }
                if !self.matches.iter().any(|known| known == id) {
                    self.matches.push(id.to_owned());
                }
                continue;
            }
            self.others += 1;
            if self.seen.len() < MAX_SEEN_NAMED {
                let shown = external.map_or_else(
                    || "(no external id)".to_owned(),
                    |external| {
                        format!(
                            "{:?}",
                            crate::secret::redact_then_cut(external, MAX_QUOTED_CHARS)
                        )
                    },
                );
                self.seen.push(shown);
            }
        }
        Ok(())
    }

    /// Adds what another page held.
    pub fn merge(&mut self, page: ProductSearch) {
        for id in page.matches {
            if !self.matches.contains(&id) {
                self.matches.push(id);
            }
        }
        let room = MAX_SEEN_NAMED.saturating_sub(self.seen.len());
        self.seen.extend(page.seen.into_iter().take(room));
        self.others += page.others;
    }

    /// What the product ids say, for the error that reports none: "it lists no product" or the
    /// external ids it does list.
    pub fn seen_text(&self) -> String {
        if self.others == 0 {
            return "the answer lists no product".to_owned();
        }
        let more = self.others - self.seen.len();
        format!(
            "the answer lists only products with other external ids: {}{}",
            self.seen.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "product/aaaaaaaa-0000-4000-8000-000000000001";
    const B: &str = "product/bbbbbbbb-0000-4000-8000-000000000002";

    fn product(id: &str, external: &str) -> Value {
        json!({"id": id, "identity": {"externalId": external}})
    }

    #[test]
    fn only_the_product_with_the_offers_external_id_counts() {
        let mut search = ProductSearch::default();
        search
            .read_page(
                &json!({"value": [product(A, "other-offer"), product(B, "contoso-offer")]}),
                "contoso-offer",
            )
            .expect("page");
        assert_eq!(search.matches, [B]);
        assert_eq!(search.seen, ["\"other-offer\""]);
        // Exact comparison: another case is another offer id.
        let mut search = ProductSearch::default();
        search
            .read_page(
                &json!({"value": [product(A, "Contoso-Offer"), {"id": B}]}),
                "contoso-offer",
            )
            .expect("page");
        assert!(search.matches.is_empty());
        assert_eq!(
            search.seen_text(),
            "the answer lists only products with other external ids: \"Contoso-Offer\", (no external id)"
        );
        assert_eq!(
            ProductSearch::default().seen_text(),
            "the answer lists no product"
        );
    }

    #[test]
    fn a_hostile_id_matters_only_on_the_matching_product() {
        let mut search = ProductSearch::default();
        search
            .read_page(
                &json!({"value": [product("product/../configure", "other"), product(A, "o")]}),
                "o",
            )
            .expect("the other product's id is never used");
        assert!(
            search
                .read_page(&json!({"value": [product("product/a?b", "o")]}), "o")
                .is_err()
        );
        // Named, but bounded and quoted.
        let many: Vec<Value> = (0..50)
            .map(|n| product(A, &format!("x{n}\u{1b}[31m")))
            .collect();
        let mut search = ProductSearch::default();
        search
            .read_page(&json!({"value": many}), "o")
            .expect("page");
        assert_eq!(search.seen.len(), MAX_SEEN_NAMED);
        assert!(search.seen_text().ends_with(" and 40 more"));
        assert!(!search.seen_text().contains('\u{1b}'));
    }

    #[test]
    fn a_page_the_reader_cut_is_refused_not_read_as_whole() {
        let mut items: Vec<Value> = (0..1000).map(|n| product(A, &format!("x{n}"))).collect();
        items.push(product(B, "o"));
        let body = serde_json::to_vec(&json!({ "value": items })).expect("json");
        let value = crate::transport::json::parse(&body).expect("bounded parse");
        let error = ProductSearch::default()
            .read_page(&value, "o")
            .expect_err("the offer's product is past the cut");
        assert!(
            error.0.contains("more than 1000 products (1 more)"),
            "{}",
            error.0
        );
        assert!(super::super::submissions::parse_submissions(&value).is_err());
        let whole = crate::transport::json::parse(br#"{"value": []}"#).expect("json");
        assert_eq!(page_items(&whole, "products").expect("whole").len(), 0);
    }

    #[test]
    fn next_links_stay_on_the_origin_and_do_not_loop() {
        let base = Url::parse("https://graph.example/rp/product-ingestion").expect("url");
        let page =
            Url::parse("https://graph.example/rp/product-ingestion/product?x=1").expect("url");
        let next = next_page(
            "c",
            &page,
            &base,
            "product?$skipToken=2",
            std::slice::from_ref(&page),
        )
        .expect("relative, same origin");
        assert_eq!(
            next.as_str(),
            "https://graph.example/rp/product-ingestion/product?$skipToken=2&%24version=2022-03-01-preview2"
        );
        let kept = next_page("c", &page, &base, "product?$version=v9&$skipToken=3", &[])
            .expect("same origin");
        assert_eq!(kept.query(), Some("$version=v9&$skipToken=3"));
        for off in [
            "https://elsewhere.example/rp/product-ingestion/product",
            "http://graph.example/rp/product-ingestion/product",
            "https://user:pw@graph.example/rp/product-ingestion/product",
            "//elsewhere.example/x",
        ] {
            assert!(
                matches!(
                    next_page("c", &page, &base, off, &[]),
                    Err(ApiError::OffOrigin { .. })
                ),
                "{off}"
            );
        }
        let again = next_page("c", &page, &base, "product?x=1&$version=1", &[]).expect("once");
        assert!(next_page("c", &page, &base, "product?x=1&$version=1", &[again]).is_err());
        assert_eq!(next_link(&json!({"value": []})).expect("none"), None);
        assert_eq!(next_link(&json!({"@nextLink": null})).expect("none"), None);
        assert!(next_link(&json!({"@nextLink": 3})).is_err());
    }
}
