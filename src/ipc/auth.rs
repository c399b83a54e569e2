//! The authkey handshake of `multiprocessing.connection`: HMAC challenge-response.
//!
//! Both ends know a secret `authkey`. Each end proves it to the other (the listener challenges
//! first, then the client does; [`Listener::accept`](super::Listener::accept) and
//! [`Client::connect`](super::Client::connect) run both halves):
//!
//! 1. The challenger sends `#CHALLENGE#` + a fresh random message.
//! 2. The answerer replies with the HMAC of that message under the authkey.
//! 3. The challenger checks it in constant time and sends `#WELCOME#` or `#FAILURE#`.
//!
//! Two generations of the protocol are in use, and both are spoken here:
//!
//! | | challenge message | reply |
//! |---|---|---|
//! | Python <= 3.11 | 20 random bytes | raw 16-byte HMAC-MD5 |
//! | Python >= 3.12 | `{sha256}` + 40 random bytes | `{sha256}` + 32-byte HMAC-SHA256 of the whole message, prefix included |
//!
//! [`deliver_challenge`] sends the 3.12 form. A 3.11 peer, not knowing prefixes, answers it
//! with a raw HMAC-MD5 of the whole message, which is accepted (as Python 3.12 accepts it);
//! a 3.12 peer or this crate answers with `{sha256}`. [`answer_challenge`] answers a 20-byte
//! legacy challenge with raw HMAC-MD5 and a prefixed one with the named digest (`md5` or
//! `sha256`; Python's other choices, `sha384` and `sha3_*`, are refused with
//! [`AuthError::UnsupportedDigest`]).
//!
//! Every handshake message is read with a 256-byte limit, as Python does, so a peer cannot
//! make the handshake allocate. Digests are compared in constant time
//! ([`hmac::Mac::verify_slice`]).
//!
//! The HMAC proves knowledge of the key; it does not encrypt the connection. Messages after the
//! handshake travel in the clear over the socket, which is why the socket file is also created
//! with mode 0600.

use std::fmt;
use std::io::{self, Read, Write};

use hmac::{Hmac, Mac};

use super::frame::{self, FrameError};

/// Sent before the challenge message.
pub const CHALLENGE: &[u8] = b"#CHALLENGE#";
/// Sent when the reply was right.
pub const WELCOME: &[u8] = b"#WELCOME#";
/// Sent when the reply was wrong.
pub const FAILURE: &[u8] = b"#FAILURE#";
/// The largest handshake message either side reads (Python's `recv_bytes(256)`).
pub const HANDSHAKE_MAX: u64 = 256;

/// Random bytes in a 3.12-style challenge (Python's `MESSAGE_LENGTH`).
const MESSAGE_LENGTH: usize = 40;
/// Length of a legacy (<= 3.11) challenge.
const LEGACY_MESSAGE_LENGTH: usize = 20;
/// Length of a raw HMAC-MD5 reply.
const MD5_LEN: usize = 16;
/// The longest digest name Python allows between the braces (`sha3_384`, 8; Python uses 20).
const MAX_DIGEST_LEN: usize = 20;

/// A digest this crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    /// HMAC-MD5: the only digest of Python <= 3.11.
    Md5,
    /// HMAC-SHA256: what Python >= 3.12 and this crate challenge with.
    Sha256,
}

impl Digest {
    fn name(self) -> &'static str {
        match self {
            Digest::Md5 => "md5",
            Digest::Sha256 => "sha256",
        }
    }
}

/// Why a handshake failed.
#[derive(Debug)]
pub enum AuthError {
    /// A handshake message could not be read (peer closed, truncated, longer than 256 bytes...).
    Frame(FrameError),
    /// A handshake message could not be sent.
    Io(io::Error),
    /// The peer's first message was not a `#CHALLENGE#`.
    NotAChallenge,
    /// The challenge message was shorter than 20 bytes.
    ChallengeTooShort(usize),
    /// The peer asked for, or answered with, a digest this crate does not speak, or a message
    /// of a length that is neither legacy nor prefixed.
    UnsupportedDigest(String),
    /// The peer's reply to our challenge was wrong: it does not have our authkey.
    WrongDigest,
    /// The peer rejected our reply to its challenge: we do not have its authkey.
    Rejected,
    /// The system's random number generator failed.
    Random(io::Error),
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Frame(e) => write!(f, "authentication handshake: {e}"),
            AuthError::Io(e) => write!(f, "authentication handshake: sending failed: {e}"),
            AuthError::NotAChallenge => {
                f.write_str("authentication protocol error: expected a #CHALLENGE# message")
            }
            AuthError::ChallengeTooShort(n) => {
                write!(f, "authentication challenge too short: {n} bytes")
            }
            AuthError::UnsupportedDigest(what) => {
                write!(f, "authentication: unsupported digest or message format: {what}")
            }
            AuthError::WrongDigest => f.write_str(
                "authentication failed: digest received was wrong (the peer has a different authkey)",
            ),
            AuthError::Rejected => f.write_str(
                "authentication failed: the peer rejected our digest (we have a different authkey)",
            ),
            AuthError::Random(e) => write!(f, "authentication: no random bytes: {e}"),
        }
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthError::Frame(e) => Some(e),
            AuthError::Io(e) | AuthError::Random(e) => Some(e),
            _ => None,
        }
    }
}

impl From<FrameError> for AuthError {
    fn from(e: FrameError) -> Self {
        AuthError::Frame(e)
    }
}

fn mac(digest: Digest, key: &[u8], message: &[u8]) -> Vec<u8> {
    match digest {
        Digest::Md5 => {
            let mut m = <Hmac<md5::Md5>>::new_from_slice(key).expect("HMAC takes any key length");
            m.update(message);
            m.finalize().into_bytes().to_vec()
        }
        Digest::Sha256 => {
            let mut m =
                <Hmac<sha2::Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
            m.update(message);
            m.finalize().into_bytes().to_vec()
        }
    }
}

/// Checks `tag` against the HMAC of `message` in constant time.
fn verify(digest: Digest, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    match digest {
        Digest::Md5 => {
            let mut m = <Hmac<md5::Md5>>::new_from_slice(key).expect("HMAC takes any key length");
            m.update(message);
            m.verify_slice(tag).is_ok()
        }
        Digest::Sha256 => {
            let mut m =
                <Hmac<sha2::Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
            m.update(message);
            m.verify_slice(tag).is_ok()
        }
    }
}

// ANCHOR: digest_prefix
/// Splits a challenge or reply into its digest (`None`: legacy, no prefix) and payload, like
/// Python 3.12's `_get_digest_name_and_payload`.
pub fn digest_and_payload(message: &[u8]) -> Result<(Option<Digest>, &[u8]), AuthError> {
    if message.len() == LEGACY_MESSAGE_LENGTH || message.len() == MD5_LEN {
        return Ok((None, message));
    }
    if message.first() == Some(&b'{') {
        let window = &message[1..message.len().min(MAX_DIGEST_LEN + 2)];
        if let Some(close) = window.iter().position(|&b| b == b'}') {
            let name = &window[..close];
            let payload = &message[close + 2..];
            return match name {
                b"md5" => Ok((Some(Digest::Md5), payload)),
                b"sha256" => Ok((Some(Digest::Sha256), payload)),
                other => Err(AuthError::UnsupportedDigest(format!(
                    "digest {:?}",
                    String::from_utf8_lossy(other)
                ))),
            };
        }
    }
    Err(AuthError::UnsupportedDigest(format!(
        "a {}-byte message with no {{digest}} prefix",
        message.len()
    )))
}
// ANCHOR_END: digest_prefix

/// The reply to a challenge `message` (without `#CHALLENGE#`): raw HMAC-MD5 for a legacy
/// challenge, `{name}` + HMAC of the whole message for a prefixed one.
pub fn create_response(authkey: &[u8], message: &[u8]) -> Result<Vec<u8>, AuthError> {
    match digest_and_payload(message)?.0 {
        None => Ok(mac(Digest::Md5, authkey, message)),
        Some(digest) => {
            let mut reply = format!("{{{}}}", digest.name()).into_bytes();
            reply.extend_from_slice(&mac(digest, authkey, message));
            Ok(reply)
        }
    }
}

/// Checks a `response` to our challenge `message`, in constant time.
pub fn verify_response(authkey: &[u8], message: &[u8], response: &[u8]) -> Result<(), AuthError> {
    let (digest, tag) = digest_and_payload(response)?;
    if verify(digest.unwrap_or(Digest::Md5), authkey, message, tag) {
        Ok(())
    } else {
        Err(AuthError::WrongDigest)
    }
}

fn random_bytes(buf: &mut [u8]) -> Result<(), AuthError> {
    let mut filled = 0;
    while filled < buf.len() {
        // SAFETY: the pointer and length describe the unfilled tail of `buf`.
        let n =
            unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), buf.len() - filled, 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(AuthError::Random(e));
            }
        } else {
            filled += n as usize;
        }
    }
    Ok(())
}

fn send<S: Write + ?Sized>(s: &mut S, message: &[u8]) -> Result<(), AuthError> {
    frame::write_frame(s, message)
        .and_then(|()| s.flush())
        .map_err(AuthError::Io)
}

// ANCHOR: deliver
/// Challenges the peer: sends `#CHALLENGE#{sha256}` + 40 random bytes, checks the reply, and
/// answers `#WELCOME#` or `#FAILURE#`.
pub fn deliver_challenge<S: Read + Write + ?Sized>(
    s: &mut S,
    authkey: &[u8],
) -> Result<(), AuthError> {
    let mut message = b"{sha256}".to_vec();
    let mut random = [0u8; MESSAGE_LENGTH];
    random_bytes(&mut random)?;
    message.extend_from_slice(&random);
    send(s, &[CHALLENGE, &message].concat())?;
    let response = frame::read_frame(s, HANDSHAKE_MAX)?;
    match verify_response(authkey, &message, &response) {
        Ok(()) => send(s, WELCOME),
        Err(e) => {
            // Tell the peer; its own error is the one that matters if this fails too.
            let _ = send(s, FAILURE);
            Err(e)
        }
    }
}
// ANCHOR_END: deliver

// ANCHOR: answer
/// Answers the peer's challenge and expects `#WELCOME#`.
pub fn answer_challenge<S: Read + Write + ?Sized>(
    s: &mut S,
    authkey: &[u8],
) -> Result<(), AuthError> {
    let message = frame::read_frame(s, HANDSHAKE_MAX)?;
    let message = message
        .strip_prefix(CHALLENGE)
        .ok_or(AuthError::NotAChallenge)?;
    if message.len() < LEGACY_MESSAGE_LENGTH {
        return Err(AuthError::ChallengeTooShort(message.len()));
    }
    send(s, &create_response(authkey, message)?)?;
    if frame::read_frame(s, HANDSHAKE_MAX)? == WELCOME {
        Ok(())
    } else {
        Err(AuthError::Rejected)
    }
}
// ANCHOR_END: answer

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_and_prefixed_messages_are_told_apart() {
        assert_eq!(digest_and_payload(&[7; 20]).unwrap().0, None);
        assert_eq!(digest_and_payload(&[7; 16]).unwrap().0, None);
        let (d, p) = digest_and_payload(b"{sha256}abc").unwrap();
        assert_eq!((d, p), (Some(Digest::Sha256), &b"abc"[..]));
        assert!(matches!(
            digest_and_payload(b"{sha384}abc"),
            Err(AuthError::UnsupportedDigest(_))
        ));
        assert!(matches!(
            digest_and_payload(b"no prefix here"),
            Err(AuthError::UnsupportedDigest(_))
        ));
        assert!(matches!(
            digest_and_payload(b"{"),
            Err(AuthError::UnsupportedDigest(_))
        ));
    }

    #[test]
    fn hmac_md5_matches_rfc_2104_test_vector() {
        // RFC 2104 test case 2.
        let tag = mac(Digest::Md5, b"Jefe", b"what do ya want for nothing?");
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "750c783e6ab0b503eaa86e310a5db738");
    }

    #[test]
    fn responses_verify_only_under_the_same_key() {
        let message = [b"{sha256}".as_slice(), &[1; 40]].concat();
        let reply = create_response(b"key", &message).unwrap();
        assert!(reply.starts_with(b"{sha256}"));
        verify_response(b"key", &message, &reply).unwrap();
        assert!(matches!(
            verify_response(b"other", &message, &reply),
            Err(AuthError::WrongDigest)
        ));
        // A legacy (3.11) peer answers the same challenge with raw HMAC-MD5.
        let legacy = mac(Digest::Md5, b"key", &message);
        verify_response(b"key", &message, &legacy).unwrap();
    }
}
