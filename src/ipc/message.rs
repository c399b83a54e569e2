//! Items of a cross-process [`Queue`](super::Queue): turned into bytes to cross the process
//! boundary and back. Python pickles; this crate keeps to a small trait, implemented for
//! bytes, strings and integers. Decoding never trusts its input: a wrong length or invalid
//! UTF-8 is a [`DecodeError`], not a panic.

use std::error::Error;
use std::fmt;

/// A value that can be sent between processes as bytes.
///
/// `decode(encode(x)) == x` must hold. Integers are fixed-width little-endian, strings are
/// UTF-8, `Vec<u8>` is itself.
///
/// ```
/// use threadproof::ipc::Message;
///
/// let mut bytes = Vec::new();
/// 258u16.encode(&mut bytes);
/// assert_eq!(bytes, [2, 1]);
/// assert_eq!(u16::decode(&bytes).unwrap(), 258);
/// assert!(u32::decode(&bytes).is_err()); // two bytes are not a u32
/// ```
pub trait Message: Sized {
    /// Appends the bytes of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// The value `bytes` encode, or why they do not encode one.
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError>;
}

/// Bytes that do not encode a value of the expected type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The type that was expected.
    pub type_name: &'static str,
    /// What was wrong.
    pub reason: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot decode a {}: {}", self.type_name, self.reason)
    }
}

impl Error for DecodeError {}

impl Message for Vec<u8> {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(bytes.to_vec())
    }
}

impl Message for String {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        String::from_utf8(bytes.to_vec()).map_err(|e| DecodeError {
            type_name: "String",
            reason: e.utf8_error().to_string(),
        })
    }
}

macro_rules! integer_message {
    ($($t:ty),*) => {$(
        impl Message for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
                let array = bytes.try_into().map_err(|_| DecodeError {
                    type_name: stringify!($t),
                    reason: format!(
                        "expected {} bytes, got {}",
                        std::mem::size_of::<$t>(),
                        bytes.len()
                    ),
                })?;
                Ok(<$t>::from_le_bytes(array))
            }
        }
    )*};
}

// `usize`/`isize` are left out on purpose: their width is the platform's, and both ends
// should agree on a width by naming it.
integer_message!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128);
