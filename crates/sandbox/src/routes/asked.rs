//! The extractor every resource handler starts with: the answer's format and the parsed query,
//! or a 400 in Coupa's error shape before the handler runs.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;

use crate::format::{Body, Format};
use crate::query::{self, ListQuery};
use crate::render;
use crate::state::Shared;

/// The query keys (fields and filters) one resource understands.
pub(super) trait Keys {
    /// Whether a query key names something of the resource.
    const KNOWN: fn(&str) -> bool;
}

/// Keys of `/api/users`.
pub(super) struct UserKeys;
impl Keys for UserKeys {
    const KNOWN: fn(&str) -> bool = render::user_key;
}

/// Keys of `/api/user_groups`.
pub(super) struct GroupKeys;
impl Keys for GroupKeys {
    const KNOWN: fn(&str) -> bool = render::group_key;
}

/// Keys of `/api/user_group_memberships`.
pub(super) struct MembershipKeys;
impl Keys for MembershipKeys {
    const KNOWN: fn(&str) -> bool = render::membership_key;
}

/// Keys of `/api/roles`.
pub(super) struct RoleKeys;
impl Keys for RoleKeys {
    const KNOWN: fn(&str) -> bool = render::role_key;
}

/// What a request asks for: the answer's format (from `Accept`) and its query, parsed against
/// the keys `K` of the resource.
pub(super) struct Asked<K> {
    pub format: Format,
    pub q: ListQuery,
    // `fn() -> K`: the marker never lives in the value, and stays `Send` whatever `K` is.
    keys: PhantomData<fn() -> K>,
}

impl<K: Keys> FromRequestParts<Arc<Shared>> for Asked<K> {
    /// A query that does not parse: 400 in Coupa's error shape, in the asked format.
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Response> {
        let format = Format::from_headers(&parts.headers);
        let mut q = query::parse(parts.uri.query(), &K::KNOWN).map_err(|e| {
            Body::errors(StatusCode::BAD_REQUEST, e.key, e.message).into_response(format)
        })?;
        let faults = &shared.config.faults;
        let has_in = q.filters.iter().any(|f| f.op == query::Op::In);
        if faults.reject_in_filters && has_in {
            return Err(
                Body::errors(StatusCode::BAD_REQUEST, "filter", "unknown operator in")
                    .into_response(format),
            );
        }
        if faults.ignore_in_filters {
            q.filters.retain(|f| f.op != query::Op::In);
        }
        if faults.ignore_owner_filter {
            q.filters.retain(|f| f.key != "owner");
        }
        if faults.ignore_id_upper_bound {
            q.filters
                .retain(|f| !(f.key == "id" && f.op == query::Op::LtOrEq));
        }
        Ok(Asked {
            format,
            q,
            keys: PhantomData,
        })
    }
}
