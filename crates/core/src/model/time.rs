//! Timestamps in plans: RFC 3339 in UTC to the second (`2026-01-01T00:00:00Z`). The core never
//! reads the clock; callers pass the time in.

use chrono::SecondsFormat;
/// The time types plans use, re-exported so crates without chrono can name them.
pub use chrono::{DateTime, Utc};

/// `2026-01-01T00:00:00Z`.
pub fn format(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Serde for `DateTime<Utc>` as [`format`]; reads any RFC 3339 time and converts it to UTC.
pub mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| serde::de::Error::custom(format!("\"{s}\" is not an RFC 3339 time: {e}")))
    }
}

/// [`rfc3339`] for an optional time.
pub mod rfc3339_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::rfc3339::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(serde::Deserialize)]
        struct W(#[serde(with = "super::rfc3339")] DateTime<Utc>);
        Ok(Option::<W>::deserialize(d)?.map(|W(t)| t))
    }
}
