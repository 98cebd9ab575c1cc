//! Content negotiation: Coupa answers XML unless the request accepts `application/json`, so a
//! client that forgets the header fails here as it would against Coupa.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The format of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Xml,
}

impl Format {
    /// JSON when `Accept` names `application/json`; XML otherwise (Coupa's default).
    pub(crate) fn from_headers(headers: &HeaderMap) -> Format {
        let json = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().contains("application/json"));
        if json {
            Format::Json
        } else {
            Format::Xml
        }
    }
}

/// An answer body before formatting: a JSON value and the XML root element names.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub status: StatusCode,
    pub value: Value,
    /// XML root for an array (`users`) or an object (`user`).
    pub root: &'static str,
}

impl Body {
    pub(crate) fn new(status: StatusCode, root: &'static str, value: Value) -> Body {
        Body {
            status,
            value,
            root,
        }
    }

    /// Coupa's validation error: `{"errors": {key: [message]}}`.
    pub(crate) fn errors(status: StatusCode, key: &str, message: impl Into<String>) -> Body {
        let value = serde_json::json!({ "errors": { key: [message.into()] } });
        Body::new(status, "errors", value)
    }

    /// Renders in the negotiated format.
    pub(crate) fn into_response(self, format: Format) -> Response {
        match format {
            Format::Json => {
                let text = serde_json::to_string(&self.value).unwrap_or_default();
                (
                    self.status,
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json; charset=utf-8"),
                    )],
                    text,
                )
                    .into_response()
            }
            Format::Xml => {
                let text = to_xml(self.root, &self.value);
                (
                    self.status,
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/xml; charset=utf-8"),
                    )],
                    text,
                )
                    .into_response()
            }
        }
    }
}

/// A plausible Rails-style XML rendering of a JSON value under `root`.
pub(crate) fn to_xml(root: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // `{"errors": {...}}` renders as `<errors><error>..</error></errors>`, like Rails.
    match value {
        Value::Object(map) if root == "errors" && map.len() == 1 && map.contains_key("errors") => {
            element(&mut out, "errors", &map["errors"]);
        }
        _ => element(&mut out, root, value),
    }
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => out.push_str(&format!("<{name} nil=\"true\"/>")),
        Value::Bool(b) => out.push_str(&format!("<{name} type=\"boolean\">{b}</{name}>")),
        Value::Number(n) => {
            let ty = if n.is_f64() { "float" } else { "integer" };
            out.push_str(&format!("<{name} type=\"{ty}\">{n}</{name}>"));
        }
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape(s))),
        Value::Array(items) => {
            out.push_str(&format!("<{name} type=\"array\">"));
            let child = singular(name);
            for item in items {
                element(out, child, item);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in map {
                element(out, k, v);
            }
            out.push_str(&format!("</{name}>"));
        }
    }
}

fn singular(name: &str) -> &str {
    name.strip_suffix('s').unwrap_or(name)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn xml_renders_arrays_types_nulls_and_escapes() {
        let v = json!([{"id": 1, "login": "a&b", "active": true, "description": null,
                        "roles": [{"id": 2}]}]);
        let xml = to_xml("users", &v);
        assert!(xml.contains("<users type=\"array\"><user><active type=\"boolean\">true</active>"));
        assert!(xml.contains("<id type=\"integer\">1</id>"));
        assert!(xml.contains("<login>a&amp;b</login>"));
        assert!(xml.contains("<description nil=\"true\"/>"));
        assert!(
            xml.contains("<roles type=\"array\"><role><id type=\"integer\">2</id></role></roles>")
        );
    }

    #[test]
    fn accept_header_selects_json_only_when_asked() {
        let mut h = HeaderMap::new();
        assert_eq!(Format::from_headers(&h), Format::Xml);
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html, Application/JSON"),
        );
        assert_eq!(Format::from_headers(&h), Format::Json);
    }
}
