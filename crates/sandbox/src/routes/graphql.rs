//! `POST /api/graphql`: Coupa's read-only GraphQL endpoint (see `crate::graphql`). Answers are
//! JSON whatever `Accept` says (GraphQL over HTTP); errors are `{"errors": [...]}` with 200.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::format::{Body, Format};
use crate::state::Shared;

pub(super) async fn query(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let faults = &shared.config.faults;
    if faults.graphql_absent {
        return Body::errors(StatusCode::NOT_FOUND, "base", "Not found")
            .into_response(Format::Json);
    }
    let value = shared.with_tenant(|t| crate::graphql::answer(t, faults, &body));
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        value.to_string(),
    )
        .into_response()
}
