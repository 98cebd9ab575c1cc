//! The GraphQL documents the client sends: one page of users with their roles, license flags
//! and groups nested. Field names are the REST keys in camel case (`purchasing-user` is
//! `purchasingUser`), an assumption held by the proof (a field the schema lacks is a GraphQL
//! error, and the run reads REST instead).

use coupa_access_core::model::License;

/// The scalar fields of a user the client asks for, besides the license flags.
pub(crate) const USER_SCALARS: &[&str] = &[
    "id",
    "login",
    "email",
    "firstname",
    "lastname",
    "fullname",
    "active",
    "supplierUser",
    "apiUser",
];

/// `purchasing-user` → `purchasingUser`.
pub(crate) fn camel(dash: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in dash.chars() {
        if c == '-' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The GraphQL name of each license flag, with its wire (REST) name.
pub(crate) fn license_fields() -> Vec<(String, String)> {
    License::ALL
        .iter()
        .map(|l| (camel(&l.wire_field()), l.wire_field()))
        .collect()
}

/// The `query:` argument of a keyset page: ids in `(after, upto]`, ascending, 50 at most.
pub(crate) fn page_filter(after: u64, upto: Option<u64>) -> String {
    let mut f = format!("id[gt]={after}");
    if let Some(hi) = upto {
        f.push_str(&format!("&id[lt_or_eq]={hi}"));
    }
    f.push_str(&format!(
        "&order_by=id&dir=asc&limit={}",
        crate::read::PAGE_SIZE
    ));
    f
}

/// The request body (JSON) of one page of users after id `after` (up to `upto`).
pub(crate) fn users_page(after: u64, upto: Option<u64>) -> String {
    let mut fields: Vec<String> = USER_SCALARS.iter().map(|s| s.to_string()).collect();
    fields.extend(license_fields().into_iter().map(|(g, _)| g));
    fields.push("roles { id name }".into());
    fields.push("userGroups { id }".into());
    let doc = format!(
        "query Users {{ users(query: {}) {{ {} }} }}",
        serde_json::Value::from(page_filter(after, upto)),
        fields.join(" ")
    );
    serde_json::json!({ "query": doc }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_asks_for_every_field_with_the_rest_filter_quoted() {
        let body: serde_json::Value = serde_json::from_str(&users_page(150, Some(900))).unwrap();
        let q = body["query"].as_str().unwrap();
        assert!(q.starts_with(
            r#"query Users { users(query: "id[gt]=150&id[lt_or_eq]=900&order_by=id&dir=asc&limit=50") { id login"#
        ));
        assert!(q.contains("spendGuardUser"));
        assert!(q.contains("roles { id name } userGroups { id } } }"));
        assert_eq!(camel("clm-advanced-user"), "clmAdvancedUser");
    }
}
