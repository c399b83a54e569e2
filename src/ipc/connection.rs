//! Connections: framed, duplex byte-message channels over Unix sockets, like Python's
//! `multiprocessing.connection` (`Pipe()`, `Listener`, `Client`).
//!
//! - [`pipe`]: two connected ends of a socket pair, for a parent and a child it starts.
//! - [`Listener`] and [`Client`]: a named Unix socket with the authkey handshake
//!   ([`auth`](mod@super::auth)), interoperable with Python's `Listener(address, authkey=...)` and
//!   `Client(address, authkey=...)` in both directions.
//!
//! Messages are bytes ([`Connection::send_bytes`], [`Connection::recv_bytes`]); Python's
//! `send`/`recv` pickle objects, which this crate does not speak. A connection is used by one
//! thread at a time (`&mut self`), as in Python.

use std::ffi::CString;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::auth::{self, AuthError};
use super::frame::{self, DEFAULT_MAX_MESSAGE, FrameError, FrameReader};

/// Frames with payloads up to this size are copied into one buffer and sent with one `send`;
/// larger ones are gathered from header and payload by one `sendmsg`, without a copy. (Measured
/// on a Unix socket pair, one CPU: a two-part `sendmsg` costs 90-150 ns more than a `send` up
/// to 4 KiB, more than the copy; at 16 KiB the copy costs more.)
const SMALL_SEND: usize = 4 * 1024;

/// How long either side waits for each handshake message before giving up, so a silent or
/// stalled peer cannot block `accept` forever.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// One end of a framed, duplex connection.
///
/// Reads go through a [`FrameReader`]: a small message costs one `recv` for header and
/// payload together (and several small messages may arrive in one), and a large message
/// received into a reused buffer ([`recv_bytes_into`](Self::recv_bytes_into)) that is already
/// as long as the message costs one `recvmsg`, straight into that buffer. A send is one system
/// call: a `send` of header and payload copied together up to 4 KiB, a `sendmsg` gathering
/// them above.
#[derive(Debug)]
pub struct Connection {
    stream: FrameReader<Socket>,
    /// Where a small frame is put together before it is sent.
    send_buf: Vec<u8>,
    max_message: u64,
    spin: Option<Spin>,
}

/// The adaptive spin of [`Connection::set_spin`]: how long a receive polls the socket
/// without sleeping before it blocks.
#[derive(Debug, Clone, Copy)]
struct Spin {
    max: Duration,
    /// The current budget: doubled (up to `max`) when data arrived while spinning, halved
    /// (down to `max / 32`) when the answer came later than `max`.
    budget: Duration,
    /// Receives since the last full-length probe.
    since_probe: u32,
}

/// Every this many receives, a receive with a reduced budget spins the full `max` once, to
/// find out whether spinning would pay again.
const SPIN_PROBE_EVERY: u32 = 16;

/// The connection's socket, read and written with the socket calls: `recv` and `recvmsg`,
/// `send` and `sendmsg`. std's `UnixStream` uses `recv` and `send` for single buffers but the
/// file calls `readv` and `writev` for vectored ones; `sendmsg` takes `MSG_NOSIGNAL`, so a
/// closed peer is an `EPIPE` error, as with std's `send`, never a `SIGPIPE` (which a process
/// not started by Rust's runtime does not ignore).
#[derive(Debug)]
struct Socket(UnixStream);

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.0).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        // IoSliceMut is ABI-compatible with iovec on Unix.
        let mut msg = msghdr(bufs.as_mut_ptr().cast(), bufs.len());
        // SAFETY: the iovecs point into `bufs`, borrowed mutably for the call.
        byte_count(unsafe { libc::recvmsg(self.0.as_raw_fd(), &mut msg, 0) })
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.0).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        // IoSlice is ABI-compatible with iovec on Unix; sendmsg only reads through it.
        let msg = msghdr(bufs.as_ptr().cast_mut().cast(), bufs.len());
        // SAFETY: the iovecs point into `bufs`, borrowed for the call. MSG_NOSIGNAL: a closed
        // peer is an EPIPE error, as with std's `send`, not a SIGPIPE.
        byte_count(unsafe { libc::sendmsg(self.0.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) })
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A message header with no name and no control data, for `len` buffers at `iov` (at most
/// `UIO_MAXIOV` of them: a longer list is a short read or write, as with `readv`).
fn msghdr(iov: *mut libc::iovec, len: usize) -> libc::msghdr {
    // SAFETY: a zeroed msghdr is valid (no name, no control data).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov;
    msg.msg_iovlen = len.min(libc::UIO_MAXIOV as usize) as _;
    msg
}

/// The byte count a socket call returned, or its error.
fn byte_count(n: isize) -> io::Result<usize> {
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// The buffered socket as one `Read + Write` (reads buffered, writes direct).
struct Duplex<'a>(&'a mut FrameReader<Socket>);

impl Read for Duplex<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Duplex<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.get_mut().write(buf)
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.0.get_mut().write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.get_mut().flush()
    }
}

// ANCHOR: pipe
/// A connected pair of connections over a Unix socket pair (Python's `Pipe(duplex=True)`).
/// Both ends are close-on-exec: a child process gets one only if it is passed on explicitly.
pub fn pipe() -> io::Result<(Connection, Connection)> {
    let (a, b) = UnixStream::pair()?;
    Ok((Connection::new(a), Connection::new(b)))
}
// ANCHOR_END: pipe

impl Connection {
    /// Wraps a connected stream; the maximum message size is [`DEFAULT_MAX_MESSAGE`].
    pub fn new(stream: UnixStream) -> Self {
        Connection {
            stream: FrameReader::new(Socket(stream)),
            send_buf: Vec::new(),
            max_message: DEFAULT_MAX_MESSAGE,
            spin: None,
        }
    }

    /// Wraps a file descriptor that is a connected Unix stream socket.
    pub fn from_fd(fd: OwnedFd) -> Self {
        Self::new(UnixStream::from(fd))
    }

    /// Sends one message (Python's `send_bytes`).
    pub fn send_bytes(&mut self, message: &[u8]) -> io::Result<()> {
        if message.len() > SMALL_SEND {
            return frame::write_frame(&mut Duplex(&mut self.stream), message);
        }
        // A small frame is copied together and sent with one plain `send`: cheaper than
        // gathering its two parts with `sendmsg`.
        let (header, n) = frame::encode_header(message.len() as u64);
        self.send_buf.clear();
        self.send_buf.extend_from_slice(&header[..n]);
        self.send_buf.extend_from_slice(message);
        self.stream.get_mut().write_all(&self.send_buf)
    }

    /// Receives one message (Python's `recv_bytes`). [`FrameError::Closed`] means the peer
    /// closed its end between messages.
    pub fn recv_bytes(&mut self) -> Result<Vec<u8>, FrameError> {
        self.spin_until_readable()?;
        self.stream.read_frame(self.max_message)
    }

    /// Receives one message into `buf`, reusing its allocation. The bytes `buf` holds (if at
    /// least [`SPECULATE_MIN`](frame::SPECULATE_MIN)) are the room offered to the message
    /// before its length is known: a buffer reused for large messages of one size receives
    /// each in a single `recvmsg`, with no copy.
    pub fn recv_bytes_into(&mut self, buf: &mut Vec<u8>) -> Result<(), FrameError> {
        self.spin_until_readable()?;
        self.stream.read_frame_into(self.max_message, buf)
    }

    // ANCHOR: spin
    /// Makes every receive first **poll the socket without sleeping** for up to `max` (`None`,
    /// the default: never), and block only if nothing arrived by then. When the peer answers
    /// within that time and runs on another CPU, the receive never sleeps, and neither side
    /// pays the scheduler's wake-up: the round trip gets several times faster. The price is
    /// CPU time: a spinning receive keeps its CPU busy for up to `max`, even when nothing
    /// comes. The budget adapts: it doubles (up to `max`) when data arrives while spinning and
    /// halves (down to `max / 32`) when the answer comes later than `max`, and every 16th
    /// receive spins the full `max` once to see whether spinning pays again. On a machine with
    /// fewer free CPUs than spinning processes, spinning only delays the peer: leave it off
    /// there.
    pub fn set_spin(&mut self, max: Option<Duration>) {
        self.spin = max.map(|max| Spin {
            max,
            budget: max,
            since_probe: 0,
        });
    }

    fn spin_until_readable(&mut self) -> Result<(), FrameError> {
        let Some(mut spin) = self.spin else {
            return Ok(());
        };
        if !self.stream.buffer().is_empty() {
            return Ok(());
        }
        let fd = self.get_ref().as_raw_fd();
        let start = Instant::now();
        spin.since_probe += 1;
        let limit = if spin.since_probe >= SPIN_PROBE_EVERY {
            spin.since_probe = 0;
            spin.max
        } else {
            spin.budget
        };
        loop {
            let mut byte = 0u8;
            // SAFETY: a one-byte peek into a local, without blocking.
            let n = unsafe {
                libc::recv(
                    fd,
                    (&mut byte as *mut u8).cast(),
                    1,
                    libc::MSG_PEEK | libc::MSG_DONTWAIT,
                )
            };
            if n >= 0 {
                // Data (or end of stream) while spinning: spinning pays.
                spin.budget = (start.elapsed() * 2).max(spin.budget * 2).min(spin.max);
                break;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::WouldBlock && e.kind() != io::ErrorKind::Interrupted {
                break; // the read reports it
            }
            if start.elapsed() >= limit {
                // Block until readable, honouring the read timeout. An answer later than `max`
                // means spinning would not have caught it: spin less. (An answer within `max`
                // is ambiguous: on a shared CPU it may have come *because* this side stopped
                // spinning; the periodic probe settles whether spinning pays.)
                let timeout = self.get_ref().read_timeout().map_err(FrameError::Io)?;
                let ready =
                    poll_readable(self.get_ref().as_fd(), timeout).map_err(FrameError::Io)?;
                if start.elapsed() > spin.max {
                    spin.budget = (spin.budget / 2).max(spin.max / 32);
                }
                self.spin = Some(spin);
                if !ready {
                    // What the read would have returned after the same timeout.
                    return Err(FrameError::Io(io::ErrorKind::WouldBlock.into()));
                }
                return Ok(());
            }
            std::hint::spin_loop();
        }
        self.spin = Some(spin);
        Ok(())
    }
    // ANCHOR_END: spin

    /// The largest message [`recv_bytes`](Self::recv_bytes) accepts.
    pub fn max_message(&self) -> u64 {
        self.max_message
    }

    /// Sets the largest message [`recv_bytes`](Self::recv_bytes) accepts.
    pub fn set_max_message(&mut self, max: u64) {
        self.max_message = max;
    }

    /// Whether data (or end of stream) is ready to read within `timeout` (`None`: wait
    /// forever), Python's `poll(timeout)`.
    pub fn poll(&self, timeout: Option<Duration>) -> io::Result<bool> {
        if !self.stream.buffer().is_empty() {
            return Ok(true);
        }
        poll_readable(self.get_ref().as_fd(), timeout)
    }

    /// Makes receives fail with `WouldBlock`/`TimedOut` after `timeout` (`None`: block).
    /// A timeout in the middle of a message leaves the stream unusable.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.get_ref().set_read_timeout(timeout)
    }

    /// Makes sends fail after `timeout` (`None`: block).
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.get_ref().set_write_timeout(timeout)
    }

    /// The underlying socket. Reading from it directly bypasses bytes already buffered.
    pub fn get_ref(&self) -> &UnixStream {
        &self.stream.get_ref().0
    }

    /// The underlying socket, consuming the connection. Fails (giving the connection back)
    /// if bytes were already read ahead into the connection's buffer: they would be lost.
    pub fn into_stream(self) -> Result<UnixStream, Connection> {
        if self.stream.buffer().is_empty() {
            Ok(self.stream.into_inner().0)
        } else {
            Err(self)
        }
    }

    fn handshake(&mut self, authkey: &[u8], listener_side: bool) -> Result<(), AuthError> {
        let set = |s: &UnixStream, t| s.set_read_timeout(t).map_err(AuthError::Io);
        set(self.get_ref(), Some(HANDSHAKE_TIMEOUT))?;
        let mut s = Duplex(&mut self.stream);
        let result = if listener_side {
            auth::deliver_challenge(&mut s, authkey)
                .and_then(|()| auth::answer_challenge(&mut s, authkey))
        } else {
            auth::answer_challenge(&mut s, authkey)
                .and_then(|()| auth::deliver_challenge(&mut s, authkey))
        };
        result?;
        set(self.get_ref(), None)
    }
}

impl AsFd for Connection {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl AsRawFd for Connection {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

/// Waits until `fd` is readable (or hung up) or `timeout` passes.
pub(crate) fn poll_readable(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<bool> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let ms = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                // Round up so a short timeout does not become a busy loop of zero-ms polls.
                left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
            }
        };
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n > 0 {
            return Ok(true);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
    }
}

/// Why a connection could not be established.
#[derive(Debug)]
pub enum ConnectError {
    /// The socket call (`connect`, `accept`) failed or timed out.
    Io(io::Error),
    /// The authkey handshake failed.
    Auth(AuthError),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Io(e) => write!(f, "connection failed: {e}"),
            ConnectError::Auth(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectError::Io(e) => Some(e),
            ConnectError::Auth(e) => Some(e),
        }
    }
}

impl From<io::Error> for ConnectError {
    fn from(e: io::Error) -> Self {
        ConnectError::Io(e)
    }
}

impl From<AuthError> for ConnectError {
    fn from(e: AuthError) -> Self {
        ConnectError::Auth(e)
    }
}

/// A named Unix socket that accepts authenticated connections (Python's
/// `Listener(address, family='AF_UNIX', authkey=...)`). The socket file is created with mode
/// 0600 and removed when the listener drops.
#[derive(Debug)]
pub struct Listener {
    listener: UnixListener,
    path: PathBuf,
    authkey: Option<Vec<u8>>,
}

// ANCHOR: bind_0600
/// Binds a Unix socket at `path` that only the owner can connect to. The socket is bound
/// inside a fresh mode-0700 directory, set to 0600, then renamed into place (refusing to
/// replace an existing file), so it is never reachable with looser permissions.
fn bind_private(path: &Path) -> io::Result<UnixListener> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let template = parent.join(".threadproof-XXXXXX");
    let mut template = CString::new(template.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?
        .into_bytes_with_nul();
    // SAFETY: `template` is a writable NUL-terminated buffer, as mkdtemp requires.
    if unsafe { libc::mkdtemp(template.as_mut_ptr().cast()) }.is_null() {
        return Err(io::Error::last_os_error());
    }
    template.pop();
    let dir = PathBuf::from(std::ffi::OsStr::from_bytes(&template));
    let temp = dir.join("s");
    let result = (|| {
        let listener = UnixListener::bind(&temp)?;
        std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600))?;
        let from = CString::new(temp.as_os_str().as_bytes())?;
        let to = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
        // SAFETY: two valid NUL-terminated paths.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if r != 0 {
            let e = io::Error::last_os_error();
            return Err(if e.kind() == io::ErrorKind::AlreadyExists {
                io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{} already exists", path.display()),
                )
            } else {
                e
            });
        }
        Ok(listener)
    })();
    let _ = std::fs::remove_file(&temp);
    let _ = std::fs::remove_dir(&dir);
    result
}
// ANCHOR_END: bind_0600

impl Listener {
    /// Listens at `path` (which must not exist). With `authkey`, every accepted connection
    /// must pass the handshake (the listener challenges first, then answers the client's
    /// challenge).
    pub fn bind(path: impl AsRef<Path>, authkey: Option<&[u8]>) -> io::Result<Listener> {
        let path = path.as_ref().to_path_buf();
        let listener = bind_private(&path)?;
        Ok(Listener {
            listener,
            path,
            authkey: authkey.map(<[u8]>::to_vec),
        })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits for a client and authenticates it.
    pub fn accept(&self) -> Result<Connection, ConnectError> {
        let (stream, _) = self.listener.accept()?;
        self.finish(stream)
    }

    /// Like [`accept`](Self::accept), failing with `TimedOut` if no client arrives in time.
    pub fn accept_timeout(&self, timeout: Duration) -> Result<Connection, ConnectError> {
        if !poll_readable(self.listener.as_fd(), Some(timeout))? {
            return Err(ConnectError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no client connected within {timeout:?}"),
            )));
        }
        self.accept()
    }

    fn finish(&self, stream: UnixStream) -> Result<Connection, ConnectError> {
        let mut conn = Connection::new(stream);
        if let Some(key) = &self.authkey {
            conn.handshake(key, true)?;
        }
        Ok(conn)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Connects to a [`Listener`] (or a Python `Listener`) at a path (Python's `Client`).
#[derive(Debug, Clone, Copy)]
pub struct Client;

impl Client {
    /// Connects to `path`; with `authkey`, answers the listener's challenge, then challenges
    /// it back.
    pub fn connect(
        path: impl AsRef<Path>,
        authkey: Option<&[u8]>,
    ) -> Result<Connection, ConnectError> {
        let mut conn = Connection::new(UnixStream::connect(path)?);
        if let Some(key) = authkey {
            conn.handshake(key, false)?;
        }
        Ok(conn)
    }
}
