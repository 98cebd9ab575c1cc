//! Final answers as errors: which scope an endpoint needs, and what a non-success status
//! means for the admin.

use reqwest::Method;

use super::client::Inner;
use super::request::Answer;
use super::CoupaError;

/// The path without its query, for messages and logs.
pub(crate) fn path_only(path_and_query: &str) -> &str {
    path_and_query.split('?').next().unwrap_or(path_and_query)
}

/// The OAuth2 scope an endpoint needs, named in 403 messages.
pub(crate) fn scope_for(method: &Method, path: &str) -> &'static str {
    let p = path_only(path);
    let read = method == Method::GET;
    if p.starts_with("/api/users") {
        if read {
            "core.user.read"
        } else {
            "core.user.write"
        }
    } else if p.starts_with("/api/user_group") {
        if read {
            "core.user_group.read"
        } else {
            "core.user_group.write"
        }
    } else if p.starts_with("/api/roles") {
        "core.common.read"
    } else {
        "the scope covering this endpoint"
    }
}

/// `: <what the server said>`, or nothing for an empty body; redacted and cleaned.
pub(crate) fn detail_suffix(inner: &Inner, body: &[u8]) -> String {
    let d = inner.describe(body);
    if d == "(empty body)" {
        String::new()
    } else {
        format!(": {d}")
    }
}

impl Inner {
    /// Turns a final non-success answer into the error that says what to do.
    pub(crate) fn status_error(
        &self,
        method: &Method,
        path_and_query: &str,
        a: &Answer,
    ) -> CoupaError {
        let path = path_only(path_and_query).to_string();
        let method_s = method.to_string();
        let detail = self.describe(&a.body);
        match a.status.as_u16() {
            403 => CoupaError::Forbidden {
                scope: scope_for(method, path_and_query).to_string(),
                method: method_s,
                path,
                detail: format!(" (Coupa said: {detail})"),
            },
            401 => CoupaError::Unauthorized {
                scope: scope_for(method, path_and_query).to_string(),
                method: method_s,
                path,
            },
            s @ 300..=399 => CoupaError::Rejected {
                method: method_s,
                path,
                status: s,
                detail: "Coupa redirected the request: the address is not an instance's API (such as https://acme.coupahost.com)".into(),
            },
            404 if method == Method::GET && !path.trim_start_matches("/api/").contains('/') => {
                CoupaError::Rejected {
                    method: method_s,
                    path,
                    status: 404,
                    detail: format!("{detail} — this API endpoint does not exist here, so the address may not be a Coupa instance"),
                }
            }
            s => CoupaError::Rejected {
                method: method_s,
                path,
                status: s,
                detail,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_endpoint_names_its_scope() {
        let cases = [
            (Method::GET, "/api/users?fields=x", "core.user.read"),
            (Method::PUT, "/api/users/7", "core.user.write"),
            (Method::GET, "/api/user_groups", "core.user_group.read"),
            (
                Method::GET,
                "/api/user_group_memberships/3",
                "core.user_group.read",
            ),
            (
                Method::POST,
                "/api/user_group_memberships",
                "core.user_group.write",
            ),
            (
                Method::DELETE,
                "/api/user_group_memberships/3",
                "core.user_group.write",
            ),
            (Method::GET, "/api/roles", "core.common.read"),
        ];
        for (m, p, want) in cases {
            assert_eq!(scope_for(&m, p), want, "{m} {p}");
        }
    }
}
