//! Flawed I/O models. **Do not copy.** They exist so the tests can prove they catch the bug.

use std::io;

use super::mio_edge::{self, ReadPolicy};
use super::{Config, Server};

// ANCHOR: read_once
/// **Do not copy.** The mio edge-triggered server with the seed's `read` callback: one
/// `recv` per readiness event. Under level-triggering that is fine — the kernel reports the
/// socket again while bytes remain. Under edge-triggering it is not: when a burst is larger than
/// one read, the rest sits in the kernel buffer and no new event comes for it. The client waits
/// for an echo that only a *later* burst would shake loose (**stall**).
///
/// The only difference from [`super::Model::MioEdge`] is `ReadPolicy::OncePerEvent` instead of
/// `ReadPolicy::Drain` (see `mio_edge.rs`).
#[derive(Debug, Clone, Copy)]
pub struct MioEdgeReadOnce;

impl MioEdgeReadOnce {
    /// Starts the flawed server on loopback.
    pub fn start(config: Config) -> io::Result<Server> {
        config.validate()?;
        mio_edge::start(config, ReadPolicy::OncePerEvent)
    }
}
// ANCHOR_END: read_once
