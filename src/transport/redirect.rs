//! Redirects, in one place: which answers are redirects, which ones the client follows, and the
//! error for one it does not.
//!
//! The HTTP client's own following is off: it re-sent a publish to wherever a 307 or 308
//! pointed (those keep the method and body; a loop sent it six times), and its sends escaped
//! the cap of sends per call. Here a redirect is followed only by a request that is safe to repeat, only
//! within the origin it was sent to (the token goes nowhere else), and each follow is a send of
//! the call like any other. An error names the Location's origin, never its path or query: those
//! are the service's, and may carry anything.

use reqwest::Method;
use url::Url;

use super::error::{ApiError, service_message};
use super::{Replay, Request, Response};

/// What to do with a redirect answer.
pub enum Redirect {
    /// Send the request again to this URL (same origin, safe to repeat).
    Follow(Url),
    /// Not followed: the call fails with this error.
    Refuse(ApiError),
}

/// The statuses that point elsewhere. 300, 304 and 305 point nowhere to go: they are error
/// statuses like any other.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Judges the redirect `response` to `request`. `sent` is how many times the call has been sent,
/// `may_send_again` whether the cap allows one more.
pub fn judge(
    request: &Request<'_>,
    response: &Response,
    sent: u32,
    may_send_again: bool,
) -> Redirect {
    let target = response
        .header("location")
        .and_then(|location| request.url.join(location.trim()).ok())
        .filter(|url| url.origin().is_tuple());
    let Some(target) = target else {
        return Redirect::Refuse(refused(
            request,
            response,
            "a redirect without an address that can be followed".to_owned(),
        ));
    };
    let origin = target.origin().ascii_serialization();
    let why = if request.replay != Replay::Safe {
        // A 307 or 308 asks for the same request again, elsewhere: for a call that starts
        // something, that is a second start. Whether the first reached the service is for the
        // caller to find out, as for any unclear answer.
        "this request starts something and is sent at most once".to_owned()
    } else if target.origin() != request.url.origin() {
        "the token goes only to the origin it was asked for".to_owned()
    } else if request.method != Method::GET && !matches!(response.status, 307 | 308) {
        // 301, 302 and 303 turn a request with a body into a GET without it: not the same call.
        format!("only a GET follows an HTTP {}", response.status)
    } else if !may_send_again {
        format!("the call was sent {sent} times, the most one call is sent")
    } else {
        return Redirect::Follow(target);
    };
    Redirect::Refuse(refused(
        request,
        response,
        format!("redirected to {origin}, which is not followed: {why}"),
    ))
}

fn refused(request: &Request<'_>, response: &Response, message: String) -> ApiError {
    let (code, _) = service_message(&response.body);
    ApiError::Status {
        call: request.call,
        status: response.status,
        code,
        message,
        help: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Body;
    use bytes::Bytes;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn response(status: u16, location: Option<&str>) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(location) = location {
            headers.insert("location", HeaderValue::from_str(location).expect("header"));
        }
        Response {
            status,
            headers,
            body: Bytes::new(),
        }
    }

    fn request<'a>(url: &'a Url, method: Method, replay: Replay) -> Request<'a> {
        Request {
            call: "test call",
            method,
            url,
            bearer: None,
            headers: &[],
            body: Body::Empty,
            replay,
            max_body: crate::transport::MAX_BODY,
        }
    }

    fn message(redirect: Redirect) -> String {
        match redirect {
            Redirect::Follow(url) => panic!("followed to {url}"),
            Redirect::Refuse(error) => error.to_string(),
        }
    }

    #[test]
    fn a_safe_get_follows_within_its_origin() {
        let url = Url::parse("https://api.example/a/b?x=1").expect("url");
        let get = request(&url, Method::GET, Replay::Safe);
        for status in [301, 302, 303, 307, 308] {
            match judge(&get, &response(status, Some("/c?y=2")), 1, true) {
                Redirect::Follow(next) => assert_eq!(next.as_str(), "https://api.example/c?y=2"),
                Redirect::Refuse(error) => panic!("{status}: {error}"),
            }
        }
    }

    #[test]
    fn a_start_request_is_never_sent_again_and_only_the_origin_is_named() {
        let url = Url::parse("https://api.example/publish").expect("url");
        let post = request(&url, Method::POST, Replay::OnlyIfNotReceived);
        let text = message(judge(
            &post,
            &response(
                307,
                Some("https://u:p@api.example:8443/secret/path?sig=abc#f"),
            ),
            1,
            true,
        ));
        assert_eq!(
            text,
            "test call failed: HTTP 307: redirected to https://api.example:8443, which is not \
             followed: this request starts something and is sent at most once"
        );
    }

    #[test]
    fn refusals_say_why() {
        let url = Url::parse("https://api.example/t").expect("url");
        let get = request(&url, Method::GET, Replay::Safe);
        let post = request(&url, Method::POST, Replay::Safe);
        for (request, status, location, may_send_again, expected) in [
            (
                &get,
                302,
                None,
                true,
                "a redirect without an address that can be followed",
            ),
            (
                &get,
                302,
                Some("data:text/plain,x"),
                true,
                "a redirect without an address",
            ),
            (
                &get,
                307,
                Some("https://other.example/t"),
                true,
                "the token goes only",
            ),
            (
                &get,
                307,
                Some("http://api.example/t"),
                true,
                "the token goes only",
            ),
            (
                &post,
                302,
                Some("/t2"),
                true,
                "only a GET follows an HTTP 302",
            ),
            (&get, 308, Some("/t2"), false, "the call was sent 5 times"),
        ] {
            let text = message(judge(
                request,
                &response(status, location),
                5,
                may_send_again,
            ));
            assert!(text.contains(expected), "{text}");
            assert!(!text.contains("/t2"), "{text}");
        }
        match judge(&post, &response(307, Some("/t2")), 1, true) {
            Redirect::Follow(next) => assert_eq!(next.path(), "/t2"),
            Redirect::Refuse(error) => panic!("{error}"),
        }
    }

    #[test]
    fn only_redirect_statuses_point_elsewhere() {
        for status in [301, 302, 303, 307, 308] {
            assert!(is_redirect(status));
        }
        for status in [200, 300, 304, 305, 306, 400] {
            assert!(!is_redirect(status));
        }
    }
}
