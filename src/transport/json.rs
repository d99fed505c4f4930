//! JSON from the service, read within bounds. A body is at most 8 MiB, but parsed whole into a
//! `serde_json::Value` an answer of that size can take hundreds of MiB (a wide array of empty
//! objects costs ~50 bytes of tree per 3 bytes of text). This reader keeps what a reading can
//! use and skips the rest without building it:
//!
//! - each array keeps its first [`MAX_ITEMS`]; the others are skipped and counted, and the count
//!   is left as a last element that [`take_more`] recognises (a string no service sends);
//! - each object keeps its first [`MAX_KEYS`] members;
//! - each string keeps its first [`MAX_STRING`] bytes;
//! - the whole document keeps at most [`MAX_NODES`] values; past that, values read as `null`
//!   (arrays and objects empty) and are counted as dropped where they sit in an array;
//! - nesting deeper than serde_json's limit (128) is an error, as before.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Items kept per array: more steps, messages or links than any reading shows, and more
/// submissions than a product has (the newest of which must not be lost).
pub const MAX_ITEMS: usize = 1000;
/// Members kept per object: the documents have a few dozen fields at most.
pub const MAX_KEYS: usize = 256;
/// Bytes kept per string: a message longer than this is cut.
pub const MAX_STRING: usize = 64 * 1024;
/// Values kept per document.
pub const MAX_NODES: usize = 50_000;

/// Marks the last element of an array that was cut: the marker, then the number dropped.
const MORE_MARKER: &str = "\u{0}publish-offer:more:";

/// Parses `body` within the bounds above.
pub fn parse(body: &[u8]) -> Result<Value, serde_json::Error> {
    let budget = Cell::new(MAX_NODES);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = Bounded { budget: &budget }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// The items of an array read by [`parse`], and how many were dropped from it.
pub fn take_more(items: &[Value]) -> (&[Value], usize) {
    match items.split_last() {
        Some((Value::String(last), kept)) if last.starts_with(MORE_MARKER) => {
            let more = last[MORE_MARKER.len()..].parse().unwrap_or(0);
            (kept, more)
        }
        _ => (items, 0),
    }
}

#[derive(Clone, Copy)]
struct Bounded<'b> {
    budget: &'b Cell<usize>,
}

impl Bounded<'_> {
    /// Takes one value from the budget; `false` when it is spent.
    fn take(self) -> bool {
        match self.budget.get() {
            0 => false,
            left => {
                self.budget.set(left - 1);
                true
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(if self.take() {
            Value::Bool(value)
        } else {
            Value::Null
        })
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(if self.take() {
            Value::Number(value.into())
        } else {
            Value::Null
        })
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(if self.take() {
            Value::Number(value.into())
        } else {
            Value::Null
        })
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(match Number::from_f64(value) {
            Some(number) if self.take() => Value::Number(number),
            _ => Value::Null,
        })
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        if !self.take() {
            return Ok(Value::Null);
        }
        let mut end = value.len().min(MAX_STRING);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        Ok(Value::String(value[..end].to_owned()))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        let mut more: usize = 0;
        let keep = self.take();
        while items.len() < MAX_ITEMS && keep && self.budget.get() > 0 {
            match seq.next_element_seed(self)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {
            more = more.saturating_add(1);
        }
        if more > 0 && keep {
            items.push(Value::String(format!("{MORE_MARKER}{more}")));
        }
        Ok(if keep {
            Value::Array(items)
        } else {
            Value::Null
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let keep = self.take();
        let mut object = Map::new();
        while keep && object.len() < MAX_KEYS && self.budget.get() > 0 {
            let Some(key) = map.next_key::<String>()? else {
                return Ok(Value::Object(object));
            };
            let value = map.next_value_seed(self)?;
            let mut end = key.len().min(MAX_STRING);
            while !key.is_char_boundary(end) {
                end -= 1;
            }
            object.insert(key[..end].to_owned(), value);
        }
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(if keep {
            Value::Object(object)
        } else {
            Value::Null
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_documents_read_as_serde_json_reads_them() {
        let text = r#"{"status":"running","steps":[{"id":"a","progressPercentage":12.5,"ok":true,"n":null,"neg":-3}],"e":[],"o":{}}"#;
        assert_eq!(
            parse(text.as_bytes()).expect("json"),
            serde_json::from_str::<Value>(text).expect("json")
        );
        assert!(parse(b"{").is_err());
        assert!(parse(b"[1] x").is_err());
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse(deep.as_bytes()).is_err(), "nesting limit");
    }

    #[test]
    fn wide_arrays_keep_their_head_and_count_the_rest() {
        let items: Vec<Value> = (0..1000).map(|n| json!({"id": n})).collect();
        let value = parse(json!({"steps": items}).to_string().as_bytes()).expect("json");
        let (kept, more) = take_more(value["steps"].as_array().expect("array"));
        assert_eq!(kept.len(), MAX_ITEMS);
        assert_eq!(kept[0], json!({"id": 0}));
        assert_eq!(more, 1000 - MAX_ITEMS);
        let plain = [json!(1), json!(2)];
        let (kept, more) = take_more(&plain);
        assert_eq!((kept.len(), more), (2, 0));
    }

    #[test]
    fn long_strings_and_wide_objects_are_cut() {
        let long = "é".repeat(MAX_STRING);
        let value = parse(json!({ "m": long }).to_string().as_bytes()).expect("json");
        let kept = value["m"].as_str().expect("string");
        assert!(kept.len() <= MAX_STRING && kept.len() > MAX_STRING - 4);
        let wide: Map<String, Value> = (0..1000).map(|n| (format!("k{n}"), json!(n))).collect();
        let value = parse(Value::Object(wide).to_string().as_bytes()).expect("json");
        assert_eq!(value.as_object().expect("object").len(), MAX_KEYS);
    }

    #[test]
    fn the_node_budget_bounds_nested_arrays() {
        let inner: Vec<u8> = vec![0; 100];
        let middle: Vec<&Vec<u8>> = vec![&inner; 100];
        let outer: Vec<&Vec<&Vec<u8>>> = vec![&middle; 100];
        let value = parse(serde_json::to_string(&outer).expect("json").as_bytes()).expect("json");
        fn count(value: &Value) -> usize {
            1 + match value {
                Value::Array(items) => items.iter().map(count).sum(),
                Value::Object(object) => object.values().map(count).sum(),
                _ => 0,
            }
        }
        assert!(count(&value) <= MAX_NODES + 2 * MAX_ITEMS * MAX_ITEMS);
    }
}
