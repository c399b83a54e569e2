//! Connections: `pipe()`, the Unix-socket `Listener`/`Client` with the authkey handshake, and
//! interoperability with the machine's python3 (`multiprocessing.connection`) in both
//! directions, with a right and a wrong key. Every wait has a deadline, so a failure never
//! hangs the test run.

mod ipc_common;

use std::io::{ErrorKind, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use threadproof::ipc::auth::AuthError;
use threadproof::ipc::frame::{self, FrameError};
use threadproof::ipc::{Client, ConnectError, Listener, pipe};

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn a_pipe_carries_messages_both_ways_and_reports_the_peer_closing() {
    let (mut a, mut b) = pipe().unwrap();
    a.send_bytes(b"ping").unwrap();
    assert_eq!(b.recv_bytes().unwrap(), b"ping");
    b.send_bytes(b"").unwrap();
    assert_eq!(a.recv_bytes().unwrap(), b"");
    assert!(!a.poll(Some(Duration::from_millis(10))).unwrap());
    drop(b);
    // Not Duration::ZERO: another test thread may be forking a child right now, and until
    // that child execs it holds a copy of every descriptor, `b`'s included.
    assert!(a.poll(Some(LIMIT)).unwrap());
    assert!(matches!(a.recv_bytes(), Err(FrameError::Closed)));
}

#[test]
fn a_spinning_receive_gets_the_same_messages_and_still_blocks_and_times_out() {
    let (mut a, mut b) = pipe().unwrap();
    b.set_spin(Some(Duration::from_micros(200)));
    // Messages that are there already, and ones that come while the receive spins or after it
    // has given up spinning and blocked.
    a.send_bytes(b"ready").unwrap();
    assert_eq!(b.recv_bytes().unwrap(), b"ready");
    let sender = thread::spawn(move || {
        for (i, pause) in [0u64, 1, 50].into_iter().enumerate() {
            thread::sleep(Duration::from_millis(pause));
            a.send_bytes(&[i as u8; 100_000]).unwrap();
        }
        a
    });
    for i in 0..3u8 {
        assert_eq!(b.recv_bytes().unwrap(), vec![i; 100_000]);
    }
    let a = sender.join().unwrap();
    // A read timeout still applies after the spin.
    b.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
    let start = Instant::now();
    assert!(matches!(b.recv_bytes(), Err(FrameError::Io(_))));
    assert!(start.elapsed() >= Duration::from_millis(30));
    // And the peer closing is still reported as such.
    b.set_read_timeout(Some(LIMIT)).unwrap();
    drop(a);
    assert!(matches!(b.recv_bytes(), Err(FrameError::Closed)));
}

#[test]
fn messages_read_ahead_count_as_ready_and_keep_the_socket() {
    let (mut a, mut b) = pipe().unwrap();
    a.send_bytes(b"one").unwrap();
    a.send_bytes(b"two").unwrap();
    while !b.poll(Some(LIMIT)).unwrap() {}
    assert_eq!(b.recv_bytes().unwrap(), b"one");
    // "two" may already sit in b's read-ahead buffer: poll must still say ready, and the
    // socket cannot be taken out without losing it.
    assert!(b.poll(Some(LIMIT)).unwrap());
    let mut b = match b.into_stream() {
        Ok(_) => panic!("read-ahead bytes would be lost"),
        Err(b) => b,
    };
    assert_eq!(b.recv_bytes().unwrap(), b"two");
    assert!(b.into_stream().is_ok());
}

#[test]
fn a_reused_buffer_receives_messages_of_any_size_and_loses_no_read_ahead() {
    // Sizes that shrink and grow around the buffer's length (it offers its length as room for
    // the next payload), sent before any is received so that reads take several frames at once.
    let sizes = [
        65536, 65536, 10, 0, 100_000, 3, 65536, 70_000, 64, 4095, 4096, 4097, 64,
    ];
    let (mut a, mut b) = pipe().unwrap();
    b.set_read_timeout(Some(LIMIT)).unwrap();
    let sender = thread::spawn(move || {
        for (i, &n) in sizes.iter().enumerate() {
            a.send_bytes(&vec![i as u8; n]).unwrap();
        }
        a
    });
    let mut buf = vec![0xee; 1000];
    for (i, &n) in sizes.iter().enumerate() {
        b.recv_bytes_into(&mut buf).unwrap();
        assert_eq!(buf.len(), n, "message {i}");
        assert!(buf.iter().all(|&x| x == i as u8), "message {i}");
    }
    drop(sender.join().unwrap());
    assert!(matches!(
        b.recv_bytes_into(&mut buf),
        Err(FrameError::Closed)
    ));
}

#[test]
fn a_second_message_read_into_the_callers_buffer_is_kept_for_the_next_receive() {
    let (mut a, mut b) = pipe().unwrap();
    a.send_bytes(b"one").unwrap();
    a.send_bytes(b"two").unwrap();
    while !b.poll(Some(LIMIT)).unwrap() {}
    // Room for both: one read takes "two" into the caller's buffer, past "one".
    let mut buf = vec![0; frame::SPECULATE_MIN];
    b.recv_bytes_into(&mut buf).unwrap();
    assert_eq!(buf, b"one");
    assert!(b.poll(Some(Duration::ZERO)).unwrap());
    let mut b = match b.into_stream() {
        Ok(_) => panic!("read-ahead bytes would be lost"),
        Err(b) => b,
    };
    b.recv_bytes_into(&mut buf).unwrap();
    assert_eq!(buf, b"two");
    assert!(b.into_stream().is_ok());
}

#[test]
fn a_message_over_the_connections_maximum_is_refused() {
    let (mut a, mut b) = pipe().unwrap();
    b.set_max_message(3);
    a.send_bytes(b"four").unwrap();
    let err = b.recv_bytes().unwrap_err();
    assert!(
        matches!(err, FrameError::TooLarge { len: 4, max: 3 }),
        "{err}"
    );
}

#[test]
fn the_socket_file_is_private_unique_and_removed_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    let listener = Listener::bind(&path, Some(b"k")).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let err = Listener::bind(&path, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    // Only the socket is left in the directory: the private staging directory is gone.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    drop(listener);
    assert!(!path.exists());
}

#[test]
fn rust_client_and_listener_authenticate_with_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    let listener = Listener::bind(&path, Some(b"secret")).unwrap();
    let client = thread::spawn({
        let path = path.clone();
        move || {
            let mut c = Client::connect(&path, Some(b"secret")).unwrap();
            c.send_bytes(b"hello").unwrap();
            c.recv_bytes().unwrap()
        }
    });
    let mut server = listener.accept_timeout(LIMIT).unwrap();
    let got = server.recv_bytes().unwrap();
    server
        .send_bytes(&[got.as_slice(), b" back"].concat())
        .unwrap();
    assert_eq!(client.join().unwrap(), b"hello back");
}

#[test]
fn a_wrong_key_fails_on_both_rust_sides() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    let listener = Listener::bind(&path, Some(b"right")).unwrap();
    let client = thread::spawn({
        let path = path.clone();
        move || Client::connect(&path, Some(b"wrong")).unwrap_err()
    });
    let server_err = listener.accept_timeout(LIMIT).unwrap_err();
    assert!(
        matches!(server_err, ConnectError::Auth(AuthError::WrongDigest)),
        "{server_err}"
    );
    assert_eq!(
        server_err.to_string(),
        "authentication failed: digest received was wrong (the peer has a different authkey)"
    );
    let client_err = client.join().unwrap();
    assert!(
        matches!(client_err, ConnectError::Auth(AuthError::Rejected)),
        "{client_err}"
    );
}

#[test]
fn an_oversized_handshake_reply_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    let listener = Listener::bind(&path, Some(b"k")).unwrap();
    let hostile = thread::spawn({
        let path = path.clone();
        move || {
            let mut s = UnixStream::connect(&path).unwrap();
            s.set_read_timeout(Some(LIMIT)).unwrap();
            let challenge = frame::read_frame(&mut s, 256).unwrap();
            assert!(challenge.starts_with(b"#CHALLENGE#{sha256}"));
            // Announce 1 GiB.
            s.write_all(&(1i32 << 30).to_be_bytes()).unwrap();
        }
    });
    let err = listener.accept_timeout(LIMIT).unwrap_err();
    assert!(
        matches!(
            err,
            ConnectError::Auth(AuthError::Frame(FrameError::TooLarge {
                len: 1_073_741_824,
                max: 256
            }))
        ),
        "{err}"
    );
    hostile.join().unwrap();
}

// --- Python interop -------------------------------------------------------------------------

/// A Python 3.11 `Client` that sends a message and prints the reply.
const PY_CLIENT: &str = r#"
import sys
from multiprocessing.connection import Client
c = Client(sys.argv[1], family="AF_UNIX", authkey=sys.argv[2].encode())
c.send_bytes(b"from python")
print(c.recv_bytes().decode())
"#;

/// A Python 3.11 `Listener` that echoes one message reversed.
const PY_LISTENER: &str = r#"
import sys
from multiprocessing.connection import Listener
with Listener(sys.argv[1], family="AF_UNIX", authkey=sys.argv[2].encode()) as l:
    with l.accept() as c:
        c.send_bytes(c.recv_bytes()[::-1])
"#;

/// Python 3.12's handshake (prefixed `{sha256}` challenge and reply), written out with
/// Python's own `hmac`, so the 3.12 form is tested on this 3.11 machine.
const PY_312_CLIENT: &str = r##"
import hmac, os, socket, sys
from multiprocessing.connection import Connection
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
c = Connection(s.detach())
key = sys.argv[2].encode()
m = c.recv_bytes(256)
assert m.startswith(b"#CHALLENGE#{sha256}"), m
m = m[len(b"#CHALLENGE#"):]
c.send_bytes(b"{sha256}" + hmac.new(key, m, "sha256").digest())
assert c.recv_bytes(256) == b"#WELCOME#"
m = b"{sha256}" + os.urandom(40)
c.send_bytes(b"#CHALLENGE#" + m)
r = c.recv_bytes(256)
assert r == b"{sha256}" + hmac.new(key, m, "sha256").digest(), r
c.send_bytes(b"#WELCOME#")
c.send_bytes(b"3.12 style")
print(c.recv_bytes().decode())
"##;

fn connect_when_ready(
    path: &Path,
    key: &[u8],
) -> Result<threadproof::ipc::Connection, ConnectError> {
    let deadline = Instant::now() + LIMIT;
    loop {
        match Client::connect(path, Some(key)) {
            Err(ConnectError::Io(e))
                if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::ConnectionRefused)
                    && Instant::now() < deadline =>
            {
                thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

fn python_client_against_rust_listener(
    script: &str,
    python_key: &str,
) -> (Result<Vec<u8>, ConnectError>, ipc_common::Ran) {
    client_against_rust_listener("python3", script, python_key)
}

fn client_against_rust_listener(
    interpreter: &str,
    script: &str,
    python_key: &str,
) -> (Result<Vec<u8>, ConnectError>, ipc_common::Ran) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    let listener = Listener::bind(&path, Some(b"shared key")).unwrap();
    let python = thread::spawn({
        let path = path.to_str().unwrap().to_string();
        let script = script.to_string();
        let key = python_key.to_string();
        let interpreter = interpreter.to_string();
        move || ipc_common::run_interpreter(&interpreter, &script, &[&path, &key], b"", LIMIT)
    });
    let served = listener.accept_timeout(LIMIT).map(|mut conn| {
        conn.set_read_timeout(Some(LIMIT)).unwrap();
        let got = conn.recv_bytes().unwrap();
        conn.send_bytes(&[b"rust got: ".as_slice(), &got].concat())
            .unwrap();
        got
    });
    (served, python.join().unwrap())
}

#[test]
fn python_client_talks_to_rust_listener() {
    let (served, ran) = python_client_against_rust_listener(PY_CLIENT, "shared key");
    assert!(ran.status.success(), "python failed: {}", ran.stderr);
    assert_eq!(served.unwrap(), b"from python");
    assert_eq!(
        String::from_utf8(ran.stdout).unwrap(),
        "rust got: from python\n"
    );
}

#[test]
fn python_312_style_sha256_handshake_talks_to_rust_listener() {
    let (served, ran) = python_client_against_rust_listener(PY_312_CLIENT, "shared key");
    assert!(ran.status.success(), "python failed: {}", ran.stderr);
    assert_eq!(served.unwrap(), b"3.12 style");
    assert_eq!(
        String::from_utf8(ran.stdout).unwrap(),
        "rust got: 3.12 style\n"
    );
}

#[test]
fn python_client_with_a_wrong_key_fails_on_both_sides() {
    let (served, ran) = python_client_against_rust_listener(PY_CLIENT, "wrong key");
    let err = served.unwrap_err();
    assert!(
        matches!(err, ConnectError::Auth(AuthError::WrongDigest)),
        "{err}"
    );
    assert!(!ran.status.success());
    assert!(
        ran.stderr
            .contains("AuthenticationError: digest sent was rejected"),
        "{}",
        ran.stderr
    );
}

fn rust_client_against_python_listener(
    rust_key: &[u8],
) -> (Result<Vec<u8>, ConnectError>, ipc_common::Ran) {
    rust_client_against_listener_of("python3", rust_key)
}

fn rust_client_against_listener_of(
    interpreter: &str,
    rust_key: &[u8],
) -> (Result<Vec<u8>, ConnectError>, ipc_common::Ran) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    let python = thread::spawn({
        let path = path.to_str().unwrap().to_string();
        let interpreter = interpreter.to_string();
        move || {
            ipc_common::run_interpreter(
                &interpreter,
                PY_LISTENER,
                &[&path, "shared key"],
                b"",
                LIMIT,
            )
        }
    });
    let result = connect_when_ready(&path, rust_key).map(|mut conn| {
        conn.set_read_timeout(Some(LIMIT)).unwrap();
        conn.send_bytes(b"from rust").unwrap();
        conn.recv_bytes().unwrap()
    });
    (result, python.join().unwrap())
}

#[test]
fn rust_client_talks_to_python_listener() {
    let (got, ran) = rust_client_against_python_listener(b"shared key");
    assert!(ran.status.success(), "python failed: {}", ran.stderr);
    assert_eq!(got.unwrap(), b"tsur morf");
}

#[test]
fn rust_client_with_a_wrong_key_fails_on_both_sides() {
    let (got, ran) = rust_client_against_python_listener(b"wrong key");
    let err = got.unwrap_err();
    assert!(
        matches!(err, ConnectError::Auth(AuthError::Rejected)),
        "{err}"
    );
    assert!(!ran.status.success());
    assert!(
        ran.stderr
            .contains("AuthenticationError: digest received was wrong"),
        "{}",
        ran.stderr
    );
}

// --- the real Python 3.12+ ({sha256} handshake), when this machine has one ------------------

/// Runs `check` with a Python 3.12 or later. The issue's machine has 3.11 as `python3`; this
/// kit's machine also has 3.12 and 3.13 under pyenv. Without one, says so on stderr and passes:
/// the 3.12 protocol is still covered by the hand-written 3.12 client above.
fn with_python_312_plus(check: impl FnOnce(&str)) {
    match ipc_common::find_python_312_plus() {
        Some(python) => check(&python),
        None => eprintln!("no Python 3.12+ found: real-3.12 interop not run"),
    }
}

#[test]
fn python_312_client_talks_to_rust_listener() {
    with_python_312_plus(|python| {
        let (served, ran) = client_against_rust_listener(python, PY_CLIENT, "shared key");
        assert!(ran.status.success(), "{python} failed: {}", ran.stderr);
        assert_eq!(served.unwrap(), b"from python");
    });
}

#[test]
fn rust_client_talks_to_python_312_listener() {
    with_python_312_plus(|python| {
        let (got, ran) = rust_client_against_listener_of(python, b"shared key");
        assert!(ran.status.success(), "{python} failed: {}", ran.stderr);
        assert_eq!(got.unwrap(), b"tsur morf");
    });
}

#[test]
fn a_wrong_key_fails_on_both_sides_with_python_312() {
    with_python_312_plus(|python| {
        let (served, ran) = client_against_rust_listener(python, PY_CLIENT, "wrong key");
        assert!(matches!(
            served,
            Err(ConnectError::Auth(AuthError::WrongDigest))
        ));
        assert!(ran.stderr.contains("AuthenticationError"), "{}", ran.stderr);
        let (got, ran) = rust_client_against_listener_of(python, b"wrong key");
        assert!(matches!(got, Err(ConnectError::Auth(AuthError::Rejected))));
        assert!(ran.stderr.contains("AuthenticationError"), "{}", ran.stderr);
    });
}
