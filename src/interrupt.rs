//! SIGINT and SIGTERM. A cancelled GitHub job gets SIGINT, then SIGTERM 7.5 s later, then SIGKILL;
//! in a container the binary is PID 1, where a signal without a handler is ignored. The handlers
//! are installed before any I/O; a signal stops the wait, and the run still reports.

use std::future::Future;
use std::io;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::outcome::Signal;

#[derive(Clone)]
pub struct Interrupt {
    received: watch::Receiver<Option<Signal>>,
}

impl Interrupt {
    /// Installs the handlers. Call inside the runtime, before anything else.
    pub fn install() -> io::Result<Interrupt> {
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let (sender, received) = watch::channel(None);
        tokio::spawn(async move {
            let first = tokio::select! {
                _ = interrupt.recv() => Signal::Interrupt,
                _ = terminate.recv() => Signal::Terminate,
            };
            let _ = sender.send(Some(first));
            // Later signals find the handlers still installed and change nothing: the run is
            // already on its way out and reports within the runner's grace period.
            loop {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
        });
        Ok(Interrupt { received })
    }

    /// Resolves when a signal arrives.
    pub async fn wait(&self) -> Signal {
        let mut received = self.received.clone();
        loop {
            if let Some(signal) = *received.borrow_and_update() {
                return signal;
            }
            if received.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// Runs `work` unless a signal comes first.
    pub async fn guard<T>(&self, work: impl Future<Output = T>) -> Result<T, Signal> {
        tokio::select! {
            biased;
            signal = self.wait() => Err(signal),
            value = work => Ok(value),
        }
    }
}
