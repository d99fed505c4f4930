//! Fuzz target for the other parsers of untrusted text: the service's error message
//! (`api::error::service_message`, any bytes), the HTML-to-text reduction (`text::html_to_text`)
//! and the duration notation of the inputs (`config::duration::parse_duration`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use publish_offer::api::error::service_message;
use publish_offer::config::duration::{MAX_DURATION, format_duration, parse_duration};
use publish_offer::text::{html_to_text, inert_in_line, markdown};

fuzz_target!(|data: &[u8]| {
    let (code, message) = service_message(data);
    if let Some(code) = &code {
        assert!(
            message.contains(code.as_str()),
            "the message {message:?} does not name the code {code:?}"
        );
    }
    let _ = inert_in_line(&message);
    let _ = markdown(&message);

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    // Plain text with blank runs collapsed and no empty line.
    let plain = html_to_text(text);
    for line in plain.split('\n').filter(|_| !plain.is_empty()) {
        assert!(
            !line.is_empty(),
            "html_to_text({text:?}) = {plain:?} has an empty line"
        );
        assert_eq!(
            line.split_whitespace().collect::<Vec<_>>().join(" "),
            line,
            "html_to_text({text:?}) = {plain:?} has uncollapsed blanks"
        );
    }
    // A duration that parses is within the limit and survives formatting and parsing again.
    if let Ok(duration) = parse_duration(text) {
        assert!(duration <= MAX_DURATION, "{text:?} parsed past the limit");
        let formatted = format_duration(duration);
        assert_eq!(
            parse_duration(&formatted),
            Ok(duration),
            "{text:?} -> {duration:?} -> {formatted:?} does not parse back"
        );
    }
});
