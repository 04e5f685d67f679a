//! A fixed set of threads that run tasks from one channel; they end when the pool is dropped.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

pub struct Pool<T> {
    tx: Sender<T>,
    rx: Arc<Mutex<Receiver<T>>>,
}

impl<T: Send + 'static> Pool<T> {
    pub fn new(size: usize, work: fn(T)) -> Pool<T> {
        let (tx, rx) = mpsc::channel();
        let mut pool = Pool {
            tx,
            rx: Arc::new(Mutex::new(rx)),
        };
        for _ in 0..size.max(1) {
            pool.grow(work);
        }
        pool
    }

    /// One more thread.
    pub fn grow(&mut self, work: fn(T)) {
        let rx = Arc::clone(&self.rx);
        std::thread::spawn(move || loop {
            // The lock is held only while waiting for the next task, not while running it.
            let next = match rx.lock() {
                Ok(rx) => rx.recv(),
                Err(_) => return,
            };
            match next {
                Ok(task) => work(task),
                Err(_) => return, // the pool was dropped
            }
        });
    }

    pub fn send(&self, task: T) -> anyhow::Result<()> {
        self.tx
            .send(task)
            .map_err(|_| anyhow::anyhow!("the worker's threads are gone"))
    }
}
