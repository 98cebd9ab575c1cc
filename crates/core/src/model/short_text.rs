//! Short strings kept inline: a tenant holds 300k membership timestamps and 100k users' names,
//! and a heap allocation each (48 bytes for a 25-byte timestamp, with the allocator's header)
//! was a fifth of a plan's memory. Up to [`INLINE`] bytes live in the value itself (no larger than
//! a `String`); longer text goes to the heap as before.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes kept inline: a `String`'s 24 bytes less the length byte.
pub const INLINE: usize = 23;

/// Text that reads as a `&str` (it derefs to one), kept inline when short.
#[derive(Clone)]
pub struct ShortText(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: Len, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

/// An inline length, 0 to [`INLINE`]: as an enum, its unused byte values let `Repr` and
/// `Option<ShortText>` keep their tags in it and stay 24 bytes.
#[derive(Clone, Copy)]
#[repr(u8)]
#[rustfmt::skip]
enum Len {
    L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15, L16, L17, L18, L19, L20, L21, L22, L23
}

#[rustfmt::skip]
const LENS: [Len; INLINE + 1] = {
    use Len::*;
    [L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15, L16, L17, L18, L19, L20, L21, L22, L23]
};

impl ShortText {
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only whole `&str`s are ever copied in, so this never fails; "" keeps it total.
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..*len as usize]).unwrap_or("")
            }
            Repr::Heap(s) => s,
        }
    }
}

impl From<&str> for ShortText {
    fn from(s: &str) -> Self {
        if s.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            ShortText(Repr::Inline {
                len: LENS[s.len()],
                bytes,
            })
        } else {
            ShortText(Repr::Heap(s.into()))
        }
    }
}

impl From<String> for ShortText {
    fn from(s: String) -> Self {
        if s.len() <= INLINE {
            ShortText::from(s.as_str())
        } else {
            ShortText(Repr::Heap(s.into_boxed_str()))
        }
    }
}

impl From<&String> for ShortText {
    fn from(s: &String) -> Self {
        ShortText::from(s.as_str())
    }
}

impl From<ShortText> for String {
    fn from(s: ShortText) -> String {
        s.as_str().to_string()
    }
}

impl Default for ShortText {
    fn default() -> Self {
        ShortText::from("")
    }
}

impl Deref for ShortText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ShortText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for ShortText {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for ShortText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ShortText {}

impl PartialEq<str> for ShortText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ShortText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for ShortText {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ShortText {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for ShortText {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ShortText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ShortText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = ShortText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<ShortText, E> {
                Ok(ShortText::from(s))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<ShortText, E> {
                Ok(ShortText::from(s))
            }
        }
        d.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_reads_back_what_was_put_in_and_serializes_as_a_string() {
        let long = "x".repeat(200);
        for s in [
            "",
            "a",
            "2025-02-11T09:30:00+00:00",
            "2025-02-11T09:30:00.123456789+00:00",
            "Zoë Ångström-Łukasz",
            "12345678901234567890123",
            "123456789012345678901234",
            "ééééééééééé€",
            &long,
        ] {
            let t = ShortText::from(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(ShortText::from(s.to_string()), t);
            assert_eq!(&*t, s);
            assert_eq!(format!("{t:?}"), format!("{s:?}"));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, serde_json::to_string(s).unwrap());
            assert_eq!(serde_json::from_str::<ShortText>(&json).unwrap(), t);
            assert_eq!(String::from(t.clone()), s);
        }
        // Inline when it fits, so no larger than the String it replaces.
        assert!(matches!(
            ShortText::from("12345678901234567890123").0,
            Repr::Inline { .. }
        ));
        assert!(matches!(
            ShortText::from("123456789012345678901234").0,
            Repr::Heap(_)
        ));
        assert_eq!(
            std::mem::size_of::<ShortText>(),
            std::mem::size_of::<String>()
        );
        assert_eq!(
            std::mem::size_of::<Option<ShortText>>(),
            std::mem::size_of::<String>()
        );
        assert!(serde_json::from_str::<ShortText>("1").is_err());
        assert!(ShortText::from("a") < ShortText::from("b"));
    }
}
