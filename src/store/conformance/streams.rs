//! `enqueue_stream`: jobs given a chunk at a time, all in one transaction; unique jobs decided
//! per chunk as `enqueue` decides them; an error from the source inserts nothing.

use super::*;
use crate::domain::job::UniqueOption;

/// Chunks handed out in turn, then an error (if `fails`) or the end; what each chunk became
/// is kept.
struct Chunks {
    chunks: Vec<Vec<NewJob>>,
    next: usize,
    fails: bool,
    results: Vec<(String, Enqueued)>,
}

impl Chunks {
    fn new(chunks: Vec<Vec<NewJob>>, fails: bool) -> Chunks {
        Chunks {
            chunks,
            next: 0,
            fails,
            results: Vec::new(),
        }
    }
}

impl JobSource for Chunks {
    fn next_jobs(&mut self) -> Result<Vec<NewJob>> {
        let chunk = self.chunks.get(self.next).cloned();
        self.next += 1;
        match chunk {
            Some(jobs) => Ok(jobs),
            None if self.fails => anyhow::bail!("line 7: bad"),
            None => Ok(Vec::new()),
        }
    }
    fn enqueued(&mut self, jobs: Vec<NewJob>, results: &[Enqueued]) -> Result<()> {
        assert_eq!(jobs.len(), results.len());
        self.results.extend(
            jobs.into_iter()
                .map(|j| j.payload.uuid)
                .zip(results.iter().cloned()),
        );
        Ok(())
    }
    fn rewind(&mut self) -> Result<bool> {
        self.next = 0;
        self.results.clear();
        Ok(true)
    }
}

fn unique(env: &Env, id: &str) -> NewJob {
    env.job_with(
        "default",
        JobOptions {
            unique: Some(UniqueOption::Id(id.into())),
            ..Default::default()
        },
    )
}

pub(super) fn a_streamed_dispatch_inserts_every_chunk_in_order(env: &Env) {
    let mut s = env.open();
    let first: Vec<NewJob> = (0..3).map(|_| env.job("default")).collect();
    let (u1, u2) = (unique(env, "k"), unique(env, "k"));
    let second = vec![u1.clone(), env.job("other"), u2.clone(), env.job("default")];
    let third = vec![env.job("default")];
    let all: Vec<NewJob> = [first.clone(), second.clone(), third.clone()].concat();
    let mut source = Chunks::new(vec![first, second, third], false);
    assert_eq!(s.enqueue_stream(&mut source, env.now()).unwrap(), 8);
    let skipped = Enqueued::Skipped {
        held_by: u1.payload.uuid.clone(),
    };
    let expected: Vec<(String, Enqueued)> = all
        .iter()
        .map(|j| {
            let r = if j.payload.uuid == u2.payload.uuid {
                skipped.clone()
            } else {
                Enqueued::Dispatched
            };
            (j.payload.uuid.clone(), r)
        })
        .collect();
    assert_eq!(source.results, expected);
    assert_eq!(state(env, s.as_mut(), &u2.payload.uuid), None);
    // One `job.queued` per job inserted, in the order given, with its queue; the job its
    // unique lock held back is `job.unique_skipped`.
    let mut events = Vec::new();
    let mut cursor = 0;
    while let Some(last) = s.read_events(cursor, 3).unwrap().events.last().cloned() {
        events.extend(s.read_events(cursor, 3).unwrap().events);
        cursor = last.id;
    }
    let recorded: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            let uuid = e.uuid.clone().unwrap();
            let queue = e.queue.clone().unwrap();
            (e.event.clone(), uuid, queue)
        })
        .collect();
    let wanted: Vec<(String, String, String)> = all
        .iter()
        .map(|j| {
            let event = if j.payload.uuid == u2.payload.uuid {
                "job.unique_skipped"
            } else {
                "job.queued"
            };
            (event.to_string(), j.payload.uuid.clone(), j.queue.clone())
        })
        .collect();
    assert_eq!(recorded, wanted);
    // Claimed in the order given, across chunks.
    let claimed: Vec<String> = env
        .claim_all(s.as_mut(), "default")
        .into_iter()
        .map(|r| r.uuid)
        .collect();
    let default: Vec<String> = all
        .iter()
        .filter(|j| j.queue == "default" && j.payload.uuid != u2.payload.uuid)
        .map(|j| j.payload.uuid.clone())
        .collect();
    assert_eq!(claimed, default);
    assert_eq!(stats(env, s.as_mut(), "other").pending, 1);
    // The unique lock taken in the stream holds for a later dispatch.
    assert_eq!(
        s.enqueue(&[unique(env, "k")], env.now()).unwrap(),
        [skipped]
    );
}

pub(super) fn a_stream_that_fails_inserts_nothing(env: &Env) {
    let mut s = env.open();
    let first: Vec<NewJob> = (0..5).map(|_| env.job("default")).collect();
    let mut source = Chunks::new(vec![first, vec![unique(env, "k")]], true);
    let e = s.enqueue_stream(&mut source, env.now()).unwrap_err();
    assert!(format!("{e:#}").contains("line 7"), "{e:#}");
    assert_eq!(stats(env, s.as_mut(), "default").pending, 0);
    // Nor was the unique lock of the rolled-back chunk kept.
    assert_eq!(
        s.enqueue(&[unique(env, "k")], env.now()).unwrap(),
        [Enqueued::Dispatched]
    );
}

pub(super) fn an_empty_stream_inserts_nothing(env: &Env) {
    let mut s = env.open();
    let mut source = Chunks::new(vec![], false);
    assert_eq!(s.enqueue_stream(&mut source, env.now()).unwrap(), 0);
    assert_eq!(stats(env, s.as_mut(), "default").pending, 0);
}
