//! Scoped user reads: only the users a plan needs, by id (`id[in]=1,2,3`, for the members of
//! the managed groups) and by login and email (`login[in]=`, `email[in]=`, for the identities the
//! policy names), in batches that keep every URL short; a value holding a comma (which `[in]`
//! would split) is asked for on its own (`login=`).
//!
//! Nothing in an answer is taken on trust. Every record must match its batch's filter under the
//! core's name rule ([`NameKey`]); pages are keyset-checked like any scan; an id batch must
//! answer every id it asked for, and every identity must be found as someone's login or email.
//! Anything else — a server that ignored the filter, a page out of order, a name nobody has —
//! is a [`Distrust`]: the caller then reads every user, as a full read would, so a plan is never
//! built from a server that ignored a filter, and an unknown name gets its "did you mean" from
//! the whole tenant.
//!
//! Assumed of Coupa ([I] in `docs/coupa-api.md`): text filters compare case-insensitively, as its database does (the
//! sandbox does the same). A server that compares more strictly can only make a name look
//! unknown, which falls back to the full read.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use coupa_access_core::model::NameKey;

use super::read::{user_fields, USERS};
use super::scan::{check_page, join_in_order, Query, Tally};
use super::wire::WireUser;
use super::{Client, CoupaError};

/// Encoded bytes of one batch's value list: with the `fields=` selection and paging parameters
/// a URL stays under 3 KB, well inside what servers and proxies accept (commonly 8 KB).
const LIST_BUDGET: usize = 2_000;

/// Values per batch at most: three full pages when each value is one user's. A batch ends on
/// an empty page, so 150 logins take four requests where 153 would take five (three users on
/// a fourth page); the budget still decides for longer values.
const MAX_VALUES: usize = 3 * super::read::PAGE_SIZE;

/// Why a scoped user read is not used (logged at debug level; every user is read instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Distrust(pub String);

/// Users by id, as read.
pub(crate) type Found = BTreeMap<u64, WireUser>;

/// Which user attribute a batch filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Login,
    Email,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Login => "login",
            Field::Email => "email",
        }
    }

    /// The key a value or record is compared by: the id's digits, or the name key.
    fn key(self, value: &str) -> String {
        match self {
            Field::Id => value.to_string(),
            Field::Login | Field::Email => NameKey::new(value).as_str().to_string(),
        }
    }

    /// The key of a record under this field, if it has the attribute.
    fn key_of(self, u: &WireUser) -> Option<String> {
        match self {
            Field::Id => u.id.map(|id| id.to_string()),
            Field::Login => u.login.as_deref().map(|l| self.key(l)),
            Field::Email => u.email.as_deref().map(|e| self.key(e)),
        }
    }
}

/// One query: a list of values (or a single value, asked with `=`) and the keys they stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Batch {
    field: Field,
    values: Vec<String>,
    keys: BTreeSet<String>,
}

impl Batch {
    fn param(&self) -> (String, String) {
        match self.values.as_slice() {
            [one] => (self.field.name().to_string(), one.clone()),
            many => (format!("{}[in]", self.field.name()), many.join(",")),
        }
    }
}

/// Splits `values` into batches within [`LIST_BUDGET`] and [`MAX_VALUES`]; a value holding a comma goes alone
/// (asked with `=`), and empty values are not asked at all (they name nobody).
fn batches(field: Field, values: impl IntoIterator<Item = String>) -> Vec<Batch> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut used = 0;
    let encoded = |v: &str| {
        url::form_urlencoded::byte_serialize(v.as_bytes())
            .map(str::len)
            .sum::<usize>()
            + 3
    };
    let finish = |values: Vec<String>, out: &mut Vec<Batch>| {
        if !values.is_empty() {
            let keys = values.iter().map(|v| field.key(v)).collect();
            out.push(Batch {
                field,
                values,
                keys,
            });
        }
    };
    for v in values {
        if v.is_empty() {
            continue;
        }
        if v.contains(',') {
            finish(vec![v], &mut out);
            continue;
        }
        let n = encoded(&v);
        if (used + n > LIST_BUDGET || current.len() == MAX_VALUES) && !current.is_empty() {
            finish(std::mem::take(&mut current), &mut out);
            used = 0;
        }
        used += n;
        current.push(v);
    }
    finish(current, &mut out);
    out
}

/// Requests a lookup of `identities` by login and email is expected to take: each batch ends
/// at a short or empty page, and each identity is about one user.
pub(crate) fn named_requests(identities: &[String]) -> u64 {
    let values = || identities.iter().map(|i| i.trim().to_string());
    let n = batches(Field::Login, values()).len() + batches(Field::Email, values()).len();
    n as u64 + identities.len() as u64 / super::read::PAGE_SIZE as u64
}

/// Requests a lookup of `ids` takes: an id batch stops once every id is answered.
pub(crate) fn by_id_requests(ids: &BTreeSet<u64>) -> u64 {
    batches(Field::Id, ids.iter().map(u64::to_string))
        .iter()
        .map(|b| b.values.len().div_ceil(super::read::PAGE_SIZE) as u64)
        .sum()
}

impl Client {
    /// Every user whose login or email has the key of one of `identities`. Distrusted when an
    /// answer does not match its filter or an identity is nobody's login or email.
    pub(crate) async fn users_named(
        &self,
        identities: &[String],
        tally: Arc<Tally>,
    ) -> Result<Result<Found, Distrust>, CoupaError> {
        let values = || identities.iter().map(|i| i.trim().to_string());
        let mut all = batches(Field::Login, values());
        all.extend(batches(Field::Email, values()));
        let found = match self.read_batches(all, tally).await? {
            Ok(found) => found,
            Err(d) => return Ok(Err(d)),
        };
        let known: BTreeSet<String> = found
            .values()
            .flat_map(|u| [Field::Login.key_of(u), Field::Email.key_of(u)])
            .flatten()
            .collect();
        let unknown: Vec<&String> = identities
            .iter()
            .filter(|i| !known.contains(NameKey::new(i).as_str()))
            .collect();
        if let Some(first) = unknown.first() {
            return Ok(Err(Distrust(format!(
                "{} name(s) the policy lists are nobody's login or email (first: {first:?})",
                unknown.len()
            ))));
        }
        Ok(Ok(found))
    }

    /// The users with these ids. Distrusted when an answer holds another user or lacks one.
    pub(crate) async fn users_by_id(
        &self,
        ids: &BTreeSet<u64>,
        tally: Arc<Tally>,
    ) -> Result<Result<Found, Distrust>, CoupaError> {
        let all = batches(Field::Id, ids.iter().map(u64::to_string));
        let found = match self.read_batches(all, tally).await? {
            Ok(found) => found,
            Err(d) => return Ok(Err(d)),
        };
        let missing = ids.iter().filter(|id| !found.contains_key(id)).count();
        if missing > 0 {
            return Ok(Err(Distrust(format!(
                "{missing} member(s) of the managed groups were not among the users read by id"
            ))));
        }
        Ok(Ok(found))
    }

    /// Reads `batches` concurrently; the users by id, or the first distrust.
    async fn read_batches(
        &self,
        batches: Vec<Batch>,
        tally: Arc<Tally>,
    ) -> Result<Result<Found, Distrust>, CoupaError> {
        let reads = batches.into_iter().map(|b| {
            let (c, t) = (self.clone(), tally.clone());
            async move { c.read_batch(b, &t).await }
        });
        let mut found = Found::new();
        for part in join_in_order(reads).await? {
            match part {
                Ok(users) => {
                    for u in users {
                        if let Some(id) = u.id {
                            found.entry(id).or_insert(u);
                        }
                    }
                }
                Err(d) => return Ok(Err(d)),
            }
        }
        Ok(Ok(found))
    }

    /// Keyset pages of one batch until an empty page, or, for ids, until every id is answered
    /// (ids are unique, so nothing more can come). Every record is checked against the batch.
    async fn read_batch(
        &self,
        b: Batch,
        tally: &Tally,
    ) -> Result<Result<Vec<WireUser>, Distrust>, CoupaError> {
        let (param, list) = b.param();
        let q = Query::new(USERS, &[(param.as_str(), list), ("fields", user_fields())]);
        // A batch matches at most a few users per key; more pages than this is a server
        // answering something else.
        let max_pages = b.keys.len() + 2;
        let mut out = Vec::new();
        let mut answered = BTreeSet::new();
        let mut last = 0;
        for _ in 0..max_pages {
            let page: Vec<WireUser> = match self.get_json(&q.page(last, None)).await {
                Ok(page) => page,
                // A server without the operator (or that cannot read the list) refuses it:
                // every user is read instead.
                Err(e) if super::scope::refused_filter(&e) => {
                    return Ok(Err(Distrust(format!("{param} was refused: {e}"))))
                }
                Err(e) => return Err(e),
            };
            if page.is_empty() {
                return Ok(Ok(out));
            }
            last = match check_page(&q, &page, last, None) {
                Ok(l) => l,
                Err(e) => return Ok(Err(Distrust(format!("{param}: {e}")))),
            };
            for u in &page {
                match b.field.key_of(u) {
                    Some(k) if b.keys.contains(&k) => {
                        answered.insert(k);
                    }
                    _ => {
                        return Ok(Err(Distrust(format!(
                            "the answer to {param} holds user {}, which does not match it",
                            u.id.unwrap_or_default()
                        ))))
                    }
                }
            }
            tally.add(self, page.len());
            out.extend(page);
            if b.field == Field::Id && answered.len() == b.keys.len() {
                return Ok(Ok(out));
            }
        }
        Ok(Err(Distrust(format!("{param} ran past {max_pages} pages"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_stay_within_the_budget_and_commas_go_alone() {
        let names: Vec<String> = (0..400).map(|i| format!("user{i:05}@acme.com")).collect();
        let mut input = names.clone();
        input.insert(7, "Doe, Jane".into());
        input.push(String::new());
        let b = batches(Field::Login, input);
        let alone: Vec<&Batch> = b.iter().filter(|b| b.values.len() == 1).collect();
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].param(), ("login".into(), "Doe, Jane".into()));
        let listed: Vec<String> = b
            .iter()
            .filter(|b| b.values.len() > 1)
            .flat_map(|b| b.values.clone())
            .collect();
        assert_eq!(listed, names, "every other name once, in order");
        for batch in &b {
            let (k, v) = batch.param();
            let encoded: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(&k, &v)
                .finish();
            assert!(encoded.len() <= LIST_BUDGET + 20, "{}", encoded.len());
            assert_eq!(batch.keys.len(), batch.values.len());
        }
        assert!(b.len() >= 4, "400 emails take several batches: {}", b.len());
    }

    #[test]
    fn short_values_fill_three_pages_a_batch_not_more() {
        let logins: Vec<String> = (0..453).map(|i| format!("user{i:06}")).collect();
        let sizes: Vec<usize> = batches(Field::Login, logins)
            .iter()
            .map(|b| b.values.len())
            .collect();
        assert_eq!(sizes, [150, 150, 150, 3]);
    }

    #[test]
    fn keys_follow_the_name_rule() {
        assert_eq!(Field::Login.key(" Alice "), "alice");
        assert_eq!(Field::Id.key("42"), "42");
        let u = WireUser {
            id: Some(3),
            login: Some("ZOË".into()),
            email: Some("Zoe@Acme.com".into()),
            ..WireUser::default()
        };
        assert_eq!(Field::Login.key_of(&u).as_deref(), Some("zoë"));
        assert_eq!(Field::Email.key_of(&u).as_deref(), Some("zoe@acme.com"));
        assert_eq!(Field::Id.key_of(&u).as_deref(), Some("3"));
    }
}
