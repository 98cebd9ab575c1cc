//! Short strings kept inline: a tenant holds 300k membership timestamps and 100k users' names,
//! and a heap allocation each (48 bytes for a 25-byte timestamp, with the allocator's header)
//! was a fifth of a plan's memory. Up to `N` bytes live in the value itself; longer text goes to
//! the heap as before.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The most bytes any [`InlineText`] keeps inline.
const MAX_INLINE: usize = 31;

/// Text that reads as a `&str` (it derefs to one), kept inline up to `N` bytes (at most 31);
/// the value is `N + 1` bytes rounded up to 8, and so is an `Option` of it.
#[derive(Clone)]
pub struct InlineText<const N: usize>(Repr<N>);

/// Names: as large as the `String` it replaces (23 bytes inline).
pub type ShortText = InlineText<23>;

/// Timestamps as Coupa writes them (`2025-02-11T09:30:00+00:00`: 25 bytes; 29 with milliseconds).
pub type StampText = InlineText<31>;

#[derive(Clone)]
enum Repr<const N: usize> {
    Inline { len: Len, bytes: [u8; N] },
    Heap(Box<str>),
}

/// An inline length, 0 to [`MAX_INLINE`]: as an enum, its unused byte values let `Repr` and
/// `Option<InlineText>` keep their tags in it.
#[derive(Clone, Copy)]
#[repr(u8)]
#[rustfmt::skip]
enum Len {
    L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15, L16, L17, L18, L19, L20, L21, L22, L23, L24, L25, L26, L27, L28, L29, L30, L31
}

#[rustfmt::skip]
const LENS: [Len; MAX_INLINE + 1] = {
    use Len::*;
    [L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15, L16, L17, L18, L19, L20, L21, L22, L23, L24, L25, L26, L27, L28, L29, L30, L31]
};

impl<const N: usize> InlineText<N> {
    const FITS: () = assert!(N <= MAX_INLINE, "at most 31 bytes inline");

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

impl<const N: usize> From<&str> for InlineText<N> {
    fn from(s: &str) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::FITS;
        if s.len() <= N {
            let mut bytes = [0; N];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            InlineText(Repr::Inline {
                len: LENS[s.len()],
                bytes,
            })
        } else {
            InlineText(Repr::Heap(s.into()))
        }
    }
}

impl<const N: usize> From<String> for InlineText<N> {
    fn from(s: String) -> Self {
        if s.len() <= N {
            InlineText::from(s.as_str())
        } else {
            InlineText(Repr::Heap(s.into_boxed_str()))
        }
    }
}

impl<const N: usize> From<&String> for InlineText<N> {
    fn from(s: &String) -> Self {
        InlineText::from(s.as_str())
    }
}

impl<const N: usize> From<InlineText<N>> for String {
    fn from(s: InlineText<N>) -> String {
        s.as_str().to_string()
    }
}

impl<const N: usize> Default for InlineText<N> {
    fn default() -> Self {
        InlineText::from("")
    }
}

impl<const N: usize> Deref for InlineText<N> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> AsRef<str> for InlineText<N> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> Borrow<str> for InlineText<N> {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> PartialEq for InlineText<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<const N: usize> Eq for InlineText<N> {}

impl<const N: usize> PartialEq<str> for InlineText<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<const N: usize> PartialEq<&str> for InlineText<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl<const N: usize> PartialOrd for InlineText<N> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> Ord for InlineText<N> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl<const N: usize> Hash for InlineText<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl<const N: usize> fmt::Debug for InlineText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> fmt::Display for InlineText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> Serialize for InlineText<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de, const N: usize> Deserialize<'de> for InlineText<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text<const N: usize>;
        impl<const N: usize> serde::de::Visitor<'_> for Text<N> {
            type Value = InlineText<N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<InlineText<N>, E> {
                Ok(InlineText::from(s))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<InlineText<N>, E> {
                Ok(InlineText::from(s))
            }
        }
        d.deserialize_str(Text::<N>)
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
        for s in [
            "2025-02-11T09:30:00+00:00",
            "2025-02-11T09:30:00.123+00:00",
            &long,
        ] {
            let t = StampText::from(s);
            assert_eq!(t.as_str(), s);
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(serde_json::from_str::<StampText>(&json).unwrap(), t);
        }
        assert!(matches!(
            StampText::from("2025-02-11T09:30:00.123+00:00").0,
            Repr::Inline { .. }
        ));
        assert_eq!(std::mem::size_of::<Option<StampText>>(), 32);
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
        let (a, b) = (ShortText::from("a"), ShortText::from("b"));
        assert_eq!(a.cmp(&b), std::cmp::Ordering::Less);
    }
}
