//! A hand-written event loop (seed 004 "事件驱动"): an event (message) queue, a loop that takes
//! events out one at a time and calls each one's handler, and event sources outside the loop
//! that put events in — in the seed, the mouse; here, the kernel.
//!
//! Two threads:
//! - the **poller** sleeps in `epoll_wait` (mio, edge-triggered) — phase one, the wait, for all
//!   sockets — and posts one [`Task`] per readiness event; it never touches a socket's data;
//! - the **loop** takes tasks from the [`TaskQueue`] and runs the handler for each:
//!   `on_accept`, `on_io` (phase two, the copies, draining until `WouldBlock`), `on_stop`. Every
//!   handler runs on this one thread, so the connections need no locks (the seed: 可以不加锁的
//!   访问全局变量).
//!
//! Shutdown is one more task: [`Server::shutdown`] posts `Task::Stop`, which the loop reaches
//! only after every task posted before it — so every echo already read is sent. The queue and
//! its wakeup, the part where threads meet, is model-checked (`task_queue`).

use std::collections::HashMap;
use std::io;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token, Waker};

use super::conn::{LineEcho, TICK, accept_error_is_transient, finish, refuse, service};
use super::task_queue::{Mailbox, TaskQueue};
use super::{Config, REFUSED_FULL, REFUSED_IDLE, Server, loopback_listener};
use crate::sync::time::Instant;
use crate::sync::{Arc, thread};

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);

// ANCHOR: task
/// An event for the loop; each has its handler.
#[derive(Debug)]
enum Task {
    /// The listener is ready: `on_accept`.
    Accept,
    /// A connection is ready: `on_io`.
    Io(Token),
    /// The server is asked to stop: `on_stop`.
    Stop,
}
// ANCHOR_END: task

pub(super) fn start(config: Config) -> io::Result<Server> {
    let std_listener = loopback_listener()?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let mut listener = TcpListener::from_std(std_listener);
    let poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let registry = poll.registry().try_clone()?;
    let waker = Waker::new(poll.registry(), WAKER)?;
    let queue: Arc<TaskQueue<Task>> = Arc::new(TaskQueue::default());
    let poller = {
        let queue = Arc::clone(&queue);
        thread::Builder::new()
            .name("event-loop poller".into())
            .spawn(move || poller(poll, &*queue))?
    };
    let event_loop = EventLoop {
        listener,
        registry,
        conns: HashMap::new(),
        next_token: 2,
        config,
    };
    let thread = {
        let queue = Arc::clone(&queue);
        thread::Builder::new()
            .name("event-loop".into())
            .spawn(move || {
                let result = event_loop.run(&*queue);
                let _ = waker.wake(); // the poller stops too
                let _ = poller.join();
                result
            })?
    };
    let stop = Box::new(move || queue.post(Task::Stop));
    Ok(Server::new("event-loop", addr, stop, thread))
}

// ANCHOR: poller
/// The event source: turns readiness into tasks. Runs until the loop wakes it to stop.
fn poller(mut poll: Poll, queue: &impl Mailbox<Task>) -> io::Result<()> {
    let mut events = Events::with_capacity(1024);
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in &events {
            match event.token() {
                WAKER => return Ok(()),
                LISTENER => queue.post(Task::Accept),
                token => queue.post(Task::Io(token)),
            }
        }
    }
}
// ANCHOR_END: poller

struct EventLoop {
    listener: TcpListener,
    registry: Registry,
    conns: HashMap<Token, (TcpStream, LineEcho)>,
    next_token: usize,
    config: Config,
}

impl EventLoop {
    // ANCHOR: loop
    /// Takes tasks one at a time and runs each one's handler, until `Task::Stop`.
    fn run(mut self, queue: &impl Mailbox<Task>) -> io::Result<()> {
        let mut next_sweep = Instant::now() + TICK;
        loop {
            match queue.next_until(next_sweep) {
                Some(Task::Accept) => self.on_accept()?,
                Some(Task::Io(token)) => self.on_io(token),
                Some(Task::Stop) => return self.on_stop(),
                None => {}
            }
            if Instant::now() >= next_sweep {
                self.sweep_idle();
                next_sweep = Instant::now() + TICK;
            }
        }
    }
    // ANCHOR_END: loop

    fn on_accept(&mut self) -> io::Result<()> {
        loop {
            let (mut stream, _) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if accept_error_is_transient(&e) => continue,
                Err(e) => return Err(e),
            };
            if self.conns.len() >= self.config.max_connections {
                refuse(&mut stream, REFUSED_FULL);
                continue;
            }
            let token = Token(self.next_token);
            self.next_token += 1;
            self.registry
                .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)?;
            self.conns
                .insert(token, (stream, LineEcho::new(&self.config)));
        }
    }

    fn on_io(&mut self, token: Token) {
        // Edge-triggered: drain until WouldBlock. A token of a closed connection is ignored.
        if let Some((stream, echo)) = self.conns.get_mut(&token)
            && !service(stream, echo, usize::MAX)
        {
            self.conns.remove(&token);
        }
    }

    fn on_stop(&mut self) -> io::Result<()> {
        for (stream, echo) in self.conns.values_mut() {
            finish(stream, echo);
        }
        Ok(())
    }

    fn sweep_idle(&mut self) {
        let timeout = self.config.idle_timeout;
        self.conns.retain(|_, (stream, echo)| {
            let idle = echo.idle(timeout) && !echo.eof;
            if idle {
                refuse(stream, REFUSED_IDLE);
            }
            !idle
        });
    }
}
