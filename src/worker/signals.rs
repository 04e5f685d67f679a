//! Signals a worker listens for, turned into events on its loop's channel, so an idle wait is
//! cut short at once. SIGTERM, SIGINT and SIGQUIT ask it to stop; SIGUSR2 pauses this worker and
//! SIGCONT resumes it.

use signal_hook::consts::{SIGCONT, SIGINT, SIGQUIT, SIGTERM, SIGUSR2};
use signal_hook::iterator::Signals;
use std::sync::mpsc::Sender;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Stop,
    Pause,
    Resume,
}

/// Start forwarding signals to `tx` as `wrap(signal)`; returns a handle that stops it.
pub fn forward<E: Send + 'static>(
    tx: Sender<E>,
    wrap: fn(Signal) -> E,
) -> std::io::Result<signal_hook::iterator::Handle> {
    let mut signals = Signals::new([SIGTERM, SIGINT, SIGQUIT, SIGUSR2, SIGCONT])?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let event = match sig {
                    SIGUSR2 => Signal::Pause,
                    SIGCONT => Signal::Resume,
                    _ => Signal::Stop,
                };
                if tx.send(wrap(event)).is_err() {
                    return;
                }
            }
        })?;
    Ok(handle)
}
