//! `list_jobs`: every table merged newest first by (at, uuid), paged by cursor either way, and
//! each filter found whole through windows however small.

use super::*;

/// Jobs in every table: queued (pending, delayed, one reserved), done and failed, on two
/// queues, several created in the same millisecond (so that the uuid breaks ties).
fn fill(env: &Env, s: &mut dyn Store) {
    for round in 0..4 {
        let jobs: Vec<NewJob> = (0..3)
            .map(|i| env.named(if i == 2 { "b" } else { "a" }, &format!("job-{round}-{i}")))
            .collect();
        s.enqueue(&jobs, env.now()).unwrap();
        env.advance(5);
    }
    let later = env.job_at("a", env.now() + 3_600_000);
    s.enqueue(std::slice::from_ref(&later), env.now()).unwrap();
    env.advance(5);
    let done = env.claim(s, &["a"], "w").unwrap();
    env.finish(s, &done, Decision::Complete);
    env.advance(5);
    fail_jobs(env, s, "b", 2);
    env.advance(5);
    env.claim(s, &["a"], "w").unwrap();
}

/// Every page of `query` from the newest, following `next`.
fn walk(env: &Env, s: &mut dyn Store, mut query: JobQuery) -> Vec<JobSummary> {
    let mut out = Vec::new();
    for _ in 0..1_000 {
        let page = s.list_jobs(&query, env.now()).unwrap();
        assert!(
            page.jobs.len() <= query.page,
            "a page holds at most its size"
        );
        out.extend(page.jobs);
        match page.next {
            Some(next) => query.from = Some(next),
            None => return out,
        }
    }
    panic!("the pages never ended");
}

/// A fresh store filled by `fill`, and every job in it as one page.
fn filled(env: &Env) -> (Box<dyn Store>, Vec<JobSummary>) {
    let mut s = env.open();
    fill(env, s.as_mut());
    let everything = JobQuery {
        page: 1_000,
        ..JobQuery::default()
    };
    let all = s.list_jobs(&everything, env.now()).unwrap();
    assert_eq!(all.next, None, "one page holds them all");
    (s, all.jobs)
}

pub(super) fn every_table_is_listed_newest_first_and_paged_both_ways(env: &mut Env) {
    let (mut s, all) = filled(env);
    assert_eq!(all.len(), 15, "{all:?}");
    let keys: Vec<JobCursor> = all.iter().map(JobSummary::cursor).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.reverse();
    sorted.dedup();
    assert_eq!(keys, sorted, "newest first by (at, uuid), each job once");
    let states: HashSet<&str> = all.iter().map(|j| j.state.as_str()).collect();
    assert_eq!(states.len(), 5, "every state is listed: {states:?}");

    let paged = walk(
        env,
        s.as_mut(),
        JobQuery {
            page: 2,
            ..JobQuery::default()
        },
    );
    let uuids = |jobs: &[JobSummary]| jobs.iter().map(|j| j.uuid.clone()).collect::<Vec<_>>();
    assert_eq!(
        uuids(&paged),
        uuids(&all),
        "pages of two give the same list"
    );

    // Newer pages, from the oldest job back up to the newest.
    let mut back = Vec::new();
    let mut query = JobQuery {
        page: 4,
        direction: Direction::Newer,
        from: Some(all.last().unwrap().cursor()),
        ..JobQuery::default()
    };
    loop {
        let page = s.list_jobs(&query, env.now()).unwrap();
        let keys: Vec<JobCursor> = page.jobs.iter().map(JobSummary::cursor).collect();
        assert!(keys.windows(2).all(|w| w[0] > w[1]), "newest first too");
        back.splice(0..0, page.jobs);
        match page.next {
            Some(next) => query.from = Some(next),
            None => break,
        }
    }
    assert_eq!(uuids(&back), uuids(&all[..all.len() - 1]));
}

/// Which of every job a query should find.
type Wanted = Box<dyn Fn(&JobSummary) -> bool>;

pub(super) fn each_filter_is_found_whole_through_small_windows(env: &mut Env) {
    let (mut s, everything) = filled(env);
    let states = [
        JobState::Pending,
        JobState::Delayed,
        JobState::Reserved,
        JobState::Done,
        JobState::Failed,
    ];
    let mut cases: Vec<(JobQuery, Wanted)> = Vec::new();
    for state in states {
        cases.push((
            JobQuery {
                state: Some(state),
                ..JobQuery::default()
            },
            Box::new(move |j: &JobSummary| j.state == state),
        ));
    }
    cases.push((
        JobQuery {
            queue: Some("b".into()),
            ..JobQuery::default()
        },
        Box::new(|j: &JobSummary| j.queue == "b"),
    ));
    cases.push((
        JobQuery {
            name: Some("job-?-2".into()),
            ..JobQuery::default()
        },
        Box::new(|j: &JobSummary| j.name.starts_with("job-") && j.name.ends_with("-2")),
    ));
    cases.push((
        JobQuery {
            name: Some("JOB-*".into()),
            ..JobQuery::default()
        },
        Box::new(|_: &JobSummary| false),
    ));
    cases.push((
        JobQuery {
            grep: Some("boom".into()),
            ..JobQuery::default()
        },
        Box::new(|j: &JobSummary| j.state == JobState::Failed),
    ));
    cases.push((
        JobQuery {
            queue: Some("a".into()),
            state: Some(JobState::Pending),
            name: Some("job-3-*".into()),
            ..JobQuery::default()
        },
        Box::new(|j: &JobSummary| {
            j.queue == "a" && j.state == JobState::Pending && j.name.starts_with("job-3-")
        }),
    ));
    for (query, wanted) in cases {
        let expected: Vec<String> = everything
            .iter()
            .filter(|j| wanted(j))
            .map(|j| j.uuid.clone())
            .collect();
        for (page, window) in [(2, Some(3)), (1, Some(1)), (100, None)] {
            let found = walk(
                env,
                s.as_mut(),
                JobQuery {
                    page,
                    window,
                    ..query.clone()
                },
            );
            let found: Vec<String> = found.into_iter().map(|j| j.uuid).collect();
            assert_eq!(
                found, expected,
                "{query:?} by pages of {page}, window {window:?}"
            );
        }
    }
}
